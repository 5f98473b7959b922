"""Synthetic NAS-Bench-101 tfrecord in the real on-disk format.

Each record is framed as TensorFlow writes TFRecords (length, masked CRC-32C,
payload, masked CRC-32C) and carries the JSON row ``[hash, epochs, adjacency,
operations, base64(ModelMetrics)]`` with three ``EvaluationData`` messages
(step 0, halfway, end), exactly as ``nasbench_full.tfrecord`` does (SPEC §4a).
Records are written grouped by architecture, budgets 4→108, three trials each,
as the NB101 generator did. The metrics are synthetic
(:mod:`zsnas.synthetic.accuracy_model`).

Two modes:

- ``real_hashes=True`` (tests, demo): distinct cells with their true module
  hash (sampled with the NB101 paper's sampler, de-duplicated by hash);
- ``real_hashes=False`` (full-size throughput benchmark): cells cycle through
  a pool of valid cells and the keys are distinct synthetic 32-hex strings —
  423,624 distinct real cells would need the full graph enumeration.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from ..benchmarks.nb101_record import Evaluation, encode_model_metrics, encode_record
from ..benchmarks.tfrecord import frame
from ..spaces.nb101 import ModelSpec
from ..spaces.nb101_evolution import random_spec
from .accuracy_model import accuracy_curve, nb101_quality, rng_for

BUDGETS = (4, 12, 36, 108)
TRIALS = 3


def sample_cells(n: int, seed: int = 0, max_tries: int | None = None) -> list[tuple[str, ModelSpec]]:
    """``n`` distinct valid cells (by module hash) from the NB101 paper's sampler."""
    rng = rng_for(seed, 101)
    seen: dict[str, ModelSpec] = {}
    tries = 0
    limit = max_tries or 50 * n + 1000
    while len(seen) < n:
        spec = random_spec(rng)
        seen.setdefault(spec.hash_spec(), spec)
        tries += 1
        if tries > limit:
            raise RuntimeError(f"could not sample {n} distinct cells in {limit} tries")
    return list(seen.items())


def _params(spec: ModelSpec) -> int:
    # cheap synthetic stand-in (not the builder's count): grows with 3x3 convs and edges
    ops = spec.ops[1:-1]
    return int(300_000 + 700_000 * sum(o == "conv3x3-bn-relu" for o in ops)
               + 90_000 * sum(o == "conv1x1-bn-relu" for o in ops)
               + 20_000 * int(np.asarray(spec.matrix).sum()))


SYNTHETIC_MARK = "synthetic:zsnas"  # prefix of the final evaluation's checkpoint_path


def synthetic_mark(n_archs: int | None) -> str:
    """``synthetic:zsnas:archs=N``: flags the file synthetic and tells the converter how
    many architectures the whole (synthetic) source holds, so an incomplete copy of it
    is detected exactly like an incomplete real file."""
    return SYNTHETIC_MARK if n_archs is None else f"{SYNTHETIC_MARK}:archs={int(n_archs)}"


def cell_records(module_hash: str, spec: ModelSpec, index: int, seed: int,
                 budgets=BUDGETS, trials: int = TRIALS, n_archs: int | None = None):
    """Yield the tfrecord payloads of one cell (all budgets × trials).

    The final evaluation's ``checkpoint_path`` is :func:`synthetic_mark` of
    ``n_archs``, a legal value of that string field by which converters flag the
    file synthetic.
    """
    mark = synthetic_mark(n_archs)
    quality = nb101_quality(spec.matrix, spec.ops)
    params = _params(spec)
    rng = rng_for(seed, index)
    time_per_epoch = 8.0 + 30.0 * params / 1e6
    head = encode_record(module_hash, 0, spec.matrix, spec.ops, b"")
    for epochs in budgets:
        for _ in range(trials):
            evals = [Evaluation(0.0, 0.0, 0.1, 0.1, 0.1)]
            for frac in (0.5, 1.0):
                e = epochs * frac
                evals.append(Evaluation(
                    float(e), time_per_epoch * e,
                    accuracy_curve(quality, e, 108, 99.0, rng, 0.4) / 100.0,
                    accuracy_curve(quality, e, 108, 95.0, rng, 0.4) / 100.0,
                    accuracy_curve(quality, e, 108, 94.5, rng, 0.4) / 100.0,
                    mark if frac == 1.0 else ""))
            metrics = encode_model_metrics(evals, params, time_per_epoch * epochs * 1.05)
            yield _with(head, epochs, metrics)


def _with(head: bytes, epochs: int, metrics: bytes) -> bytes:
    """Fill epochs and metrics into a pre-encoded row (same bytes as encode_record)."""
    import base64
    prefix, rest = head.split(b", 0, ", 1)
    return b"%s, %d, %s%s\"]" % (prefix, epochs, rest[:-2], base64.b64encode(metrics))


def write_nb101_tfrecord(path: str | os.PathLike, n_archs: int = 20, *, seed: int = 0,
                         real_hashes: bool = True, budgets=BUDGETS, trials: int = TRIALS,
                         pool_size: int = 2000, progress: bool = False) -> Path:
    """Write a synthetic NB101 tfrecord with ``n_archs`` cells × budgets × trials."""
    from tqdm import tqdm

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if real_hashes:
        cells = sample_cells(n_archs, seed)
        pool = None
    else:
        pool = [spec for _, spec in sample_cells(min(pool_size, n_archs), seed)]
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb", buffering=1 << 22) as fh:
        for i in tqdm(range(n_archs), disable=not progress, unit="arch", mininterval=1.0):
            if pool is None:
                h, spec = cells[i]
            else:
                spec = pool[i % len(pool)]
                h = hashlib.md5(f"synthetic-nb101-{seed}-{i}".encode()).hexdigest()
            for payload in cell_records(h, spec, i, seed, budgets, trials, n_archs):
                fh.write(frame(payload))
    os.replace(tmp, path)
    return path


def as_spec(matrix, ops) -> ModelSpec:
    return ModelSpec(np.asarray(matrix), list(ops))
