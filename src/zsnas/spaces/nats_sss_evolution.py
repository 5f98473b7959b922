"""NATS-Bench size space: uniform sampling, the GEA-style mutation and the search's
adapter over a benchmark (the search part of :mod:`zsnas.spaces.nats_sss`).

GEA-style mutation (the analogue of GEA's / AutoDL's one-edge op change): one of the
five layers, drawn uniformly, changes its channel count to one of the 7 other allowed
values, drawn uniformly (= redrawing until different). Every child is in the space, so
on the complete benchmark the child is always found. All random functions take an
explicit ``numpy.random.Generator``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .base import SpaceAdapter, new_stats
from .nats_sss import CANDIDATES, NUM_ARCHS, NUM_LAYERS, check_channels


def random_channels(rng: np.random.Generator) -> tuple[int, ...]:
    """Uniform random architecture: each layer's count uniform over the 8 candidates."""
    return tuple(CANDIDATES[int(k)] for k in rng.integers(0, len(CANDIDATES), size=NUM_LAYERS))


def mutate(channels: Sequence[int], rng: np.random.Generator) -> tuple[int, ...]:
    """Change exactly one layer (uniform over 5) to another allowed count (uniform over 7)."""
    chans = check_channels(channels)
    layer = int(rng.integers(0, NUM_LAYERS))
    k = int(rng.integers(0, len(CANDIDATES) - 1))
    current = CANDIDATES.index(chans[layer])
    if k >= current:
        k += 1
    child = list(chans)
    child[layer] = CANDIDATES[k]
    return tuple(child)


def neighbours_of(channels: Sequence[int]) -> list[tuple[int, ...]]:
    """The 35 one-layer changes of ``channels`` (layer-major, candidates ascending)."""
    chans = check_channels(channels)
    return [chans[:i] + (c,) + chans[i + 1:] for i in range(NUM_LAYERS)
            for c in CANDIDATES if c != chans[i]]


class SSSAdapter(SpaceAdapter):
    """Random ids and mutation over a NATS-sss benchmark.

    Random architecture: uniform over the benchmark's ids (the API's ``random()`` on the
    complete benchmark). Mutation ``"gea"``: :func:`mutate`; the child's id comes from a
    channel-tuple -> id dict built once. On a partial benchmark a child outside it is
    redrawn (up to ``tries`` draws), then replaced by a random architecture; a parent none
    of whose 35 neighbours is in the benchmark falls back at once (each counted in
    ``stats``).
    """

    def __init__(self, bench, mutation: str = "gea", tries: int = 100):
        super().__init__(bench, mutation, tries)
        self.complete = bench.n == NUM_ARCHS
        self._chans: dict[int, tuple] = {}
        self._has_member_neighbour: dict[int, bool] = {}
        self._id_of: dict[tuple, int] | None = None

    def _index(self) -> dict:
        if self._id_of is None:
            self._id_of = {self._parent(int(i)): int(i) for i in self.ids}
        return self._id_of

    def _parent(self, arch_id: int) -> tuple:
        chans = self._chans.get(arch_id)
        if chans is None:
            chans = self._chans[arch_id] = tuple(int(c) for c in self.bench.arch(arch_id))
        return chans

    def neighbours(self, arch_id) -> np.ndarray:
        """The ids of the one-layer changes that are in the benchmark."""
        index = self._index()
        out = [index.get(c) for c in neighbours_of(self._parent(int(arch_id)))]
        return np.array([i for i in out if i is not None], dtype=np.int64)

    def mutate(self, arch_id, rng, stats=None):
        stats = new_stats() if stats is None else stats
        arch_id = int(arch_id)
        chans = self._parent(arch_id)
        index = self._index()
        if self.complete:
            return index[mutate(chans, rng)]
        ok = self._has_member_neighbour.get(arch_id)
        if ok is None:
            ok = self._has_member_neighbour[arch_id] = any(
                c in index for c in neighbours_of(chans))
        if ok:
            for _ in range(self.tries):
                child = index.get(mutate(chans, rng))
                if child is not None:
                    return child
                stats["mutation_redraws"] += 1
        stats["mutation_fallbacks"] += 1
        return self.random_id(rng)


__all__ = ["SSSAdapter", "mutate", "neighbours_of", "random_channels"]
