"""The synthetic "truth" behind the fake benchmarks: a smooth function of the cell.

Not a model of real training — only a plausible, deterministic signal so that
search and analysis have something to find: more (and larger) convolutions give
higher accuracy, a cell with no input→output path scores chance (10 %), longer
training budgets converge upwards, and each trial adds seeded Gaussian noise.
"""
from __future__ import annotations

import math

import numpy as np

# NB201 closed forms at C=16, N=5, 10 classes (exact: linear in the number of
# 1x1 / 3x3 convolutions; fitted on indices 0, 11, 284 and checked by the builder tests)
NB201_PARAMS_BASE, NB201_PARAMS_C1, NB201_PARAMS_C3 = 73_306, 28_000, 243_040
NB201_FLOPS_BASE, NB201_FLOPS_C1, NB201_FLOPS_C3 = 7.78305, 3.93216, 35.38944


def rng_for(seed: int, *keys: int) -> np.random.Generator:
    """Independent stream per (seed, keys…), so order of generation never matters."""
    return np.random.default_rng([int(seed), *[int(k) for k in keys]])


def nb201_quality(ops: tuple[int, ...], connected: bool) -> float:
    """Quality in [0, 1] of an NB201 cell from its op counts."""
    if not connected:
        return 0.0
    weights = {0: 0.0, 1: 0.45, 2: 0.7, 3: 1.0, 4: 0.35}
    return sum(weights[o] for o in ops) / 6.0


def nb201_params(ops) -> int:
    return NB201_PARAMS_BASE + NB201_PARAMS_C1 * ops.count(2) + NB201_PARAMS_C3 * ops.count(3)


def nb201_flops(ops) -> float:
    return round(NB201_FLOPS_BASE + NB201_FLOPS_C1 * ops.count(2)
                 + NB201_FLOPS_C3 * ops.count(3), 5)


def accuracy_curve(quality: float, epochs: int, final_epochs: int, ceiling: float,
                   rng: np.random.Generator, noise: float) -> float:
    """Accuracy (%) after ``epochs`` of a ``final_epochs`` schedule for a cell of ``quality``."""
    if quality <= 0.0:
        return 10.0
    top = 40.0 + (ceiling - 40.0) * quality
    progress = 1.0 - math.exp(-3.0 * epochs / final_epochs)
    value = 10.0 + (top - 10.0) * progress / (1.0 - math.exp(-3.0)) + rng.normal(0.0, noise)
    return float(min(max(value, 5.0), 99.5))


def accuracy_curves(quality: float, epochs: np.ndarray, final_epochs: int, ceiling: float,
                    rng: np.random.Generator, noise: float) -> np.ndarray:
    """Vectorised :func:`accuracy_curve` over an array of epochs (one noise draw each)."""
    epochs = np.asarray(epochs, dtype=np.float64)
    if quality <= 0.0:
        return np.full(epochs.shape, 10.0)
    top = 40.0 + (ceiling - 40.0) * quality
    progress = 1.0 - np.exp(-3.0 * epochs / final_epochs)
    value = 10.0 + (top - 10.0) * progress / (1.0 - math.exp(-3.0)) \
        + rng.normal(0.0, noise, size=epochs.shape)
    # float32 precision, as the benchmarks' own logged numbers are
    return np.clip(value, 5.0, 99.5).astype(np.float32).astype(np.float64)


def nb101_quality(matrix, ops: list[str]) -> float:
    """Quality in [0, 1] of an NB101 cell: share of conv3x3, depth and width."""
    interior = ops[1:-1]
    if not interior:
        return 0.2
    conv3 = sum(o == "conv3x3-bn-relu" for o in interior) / 5.0
    conv1 = sum(o == "conv1x1-bn-relu" for o in interior) / 5.0
    edges = float(np.asarray(matrix).sum()) / 9.0
    return min(1.0, 0.25 + 0.45 * conv3 + 0.15 * conv1 + 0.15 * edges)
