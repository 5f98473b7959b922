"""NAS-Bench-201: uniform sampling, GEA's and NASLib's mutations, and the search's
adapter over a benchmark (the search part of :mod:`zsnas.spaces.nb201`).

All random functions take an explicit ``numpy.random.Generator``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .base import SpaceAdapter, new_stats
from .nb201 import _EDGES_BY_NODE, NUM_ARCHS, NUM_EDGES, NUM_NODES, NUM_OPS, _check_ops

#: Edge probabilities of GEA's / AutoDL regularized-EA mutation (SPEC §2.6):
#: target node uniform over {1, 2, 3}, then an incoming edge uniform.
EDGE_PROBS_GEA: np.ndarray = np.array([1 / 3, 1 / 6, 1 / 6, 1 / 9, 1 / 9, 1 / 9])


def random_ops(rng: np.random.Generator) -> tuple[int, ...]:
    """Uniform random cell: each edge op uniform over the 5 ops (= uniform over 15,625 archs, SPEC §2.6)."""
    return tuple(int(o) for o in rng.integers(0, NUM_OPS, size=NUM_EDGES))


def mutate(ops: Sequence[int], rng: np.random.Generator, edges: str = "gea") -> tuple[int, ...]:
    """Change the op of exactly one edge to one of the 4 other ops (uniformly).

    ``edges="gea"``: GEA / AutoDL regularized-EA scheme (SPEC §2.6): pick a
    target node uniformly from {1, 2, 3}, then one of its incoming edges
    uniformly (edge probabilities ``EDGE_PROBS_GEA``).
    ``edges="uniform"``: NASLib scheme, edge uniform over the 6 edges.
    """
    ops = _check_ops(ops)
    if edges == "gea":
        node_edges = _EDGES_BY_NODE[int(rng.integers(0, NUM_NODES - 1))]
        edge = node_edges[int(rng.integers(0, len(node_edges)))]
    elif edges == "uniform":
        edge = int(rng.integers(0, NUM_EDGES))
    else:
        raise ValueError(f"unknown mutation edge scheme {edges!r}; expected 'gea' or 'uniform'")
    # Uniform over the 4 other ops (equivalent to GEA's redraw-until-different).
    new_op = int(rng.integers(0, NUM_OPS - 1))
    if new_op >= ops[edge]:
        new_op += 1
    child = list(ops)
    child[edge] = new_op
    return tuple(child)


class NB201Adapter(SpaceAdapter):
    """Random ids and mutation over an NB201 benchmark.

    Random architecture: uniform over the benchmark's ids (GEA's
    ``randint(0, 15624)`` on the complete benchmark). Mutation ``"gea"``
    (default): :func:`mutate` with GEA's non-uniform edge probabilities
    (SPEC §2.6); ``"uniform"``: the NASLib edge choice. The child id comes from
    a plain op-tuple -> id dict built once (the hot path). On a partial
    benchmark a child outside it is redrawn (up to ``tries`` draws), then
    replaced by a random architecture; a parent none of whose one-step
    neighbours is in the benchmark (checked once per parent) falls back at once.
    """

    def __init__(self, bench, mutation: str = "gea", tries: int = 100):
        super().__init__(bench, mutation, tries)
        self.complete = bench.n == NUM_ARCHS
        self._ops: dict[int, tuple] = {}
        self._has_member_neighbour: dict[int, bool] = {}
        self._id_of: dict[tuple, int] | None = None

    def _index(self) -> dict:
        if self._id_of is None:
            self._id_of = {self._parent_ops(int(i)): int(i) for i in self.ids}
        return self._id_of

    def _parent_ops(self, arch_id: int) -> tuple:
        ops = self._ops.get(arch_id)
        if ops is None:
            ops = self._ops[arch_id] = self.bench.ops(arch_id)
        return ops

    def _any_neighbour(self, arch_id: int, ops: tuple) -> bool:
        ok = self._has_member_neighbour.get(arch_id)
        if ok is None:
            index = self._index()
            ok = any((ops[:e] + (op,) + ops[e + 1:]) in index
                     for e in range(NUM_EDGES) for op in range(NUM_OPS) if op != ops[e])
            self._has_member_neighbour[arch_id] = ok
        return ok

    def neighbours(self, arch_id) -> np.ndarray:
        """The 24 single-edge op changes of the cell that are in the benchmark."""
        ops = self._parent_ops(int(arch_id))
        index = self._index()
        out = [index.get(ops[:e] + (op,) + ops[e + 1:]) for e in range(NUM_EDGES)
               for op in range(NUM_OPS) if op != ops[e]]
        return np.array([i for i in out if i is not None], dtype=np.int64)

    def mutate(self, arch_id, rng, stats=None):
        stats = new_stats() if stats is None else stats
        arch_id = int(arch_id)
        ops = self._parent_ops(arch_id)
        index = self._index()
        if self.complete:
            return index[mutate(ops, rng, self.mutation)]
        if self._any_neighbour(arch_id, ops):
            for _ in range(self.tries):
                child = index.get(mutate(ops, rng, self.mutation))
                if child is not None:
                    return child
                stats["mutation_redraws"] += 1
        stats["mutation_fallbacks"] += 1
        return self.random_id(rng)


def simulated_train_time(evaluator, ids, trials) -> np.ndarray:
    """NB201's simulated time of trainings: ``train_time + eval_time`` at the fitness
    budget of the **same trial** the fitness was drawn from (GEA drew the time with a
    separate random trial, but NB201's times are per-architecture constants across
    trials, so only RNG consumption differs); with ``fitness_trial="mean"`` the trial
    means; without a stored ``eval_time`` (e.g. a table) ``train_time`` alone. This is
    the API's ``simulate_train_eval``: train-all-time + valid-per-time."""
    from ..benchmarks.store import MissingMetricError
    bench = evaluator.bench
    rows = bench.rows(ids)
    table = bench.metric("train_time", evaluator.fitness_budget)
    try:
        table = table + bench.metric("eval_time", evaluator.fitness_budget)
    except MissingMetricError:
        pass
    if evaluator.fitness_trial == "mean":
        return np.nanmean(table[rows], axis=1)
    return table[rows, trials]


__all__ = ["EDGE_PROBS_GEA", "NB201Adapter", "mutate", "random_ops", "simulated_train_time"]
