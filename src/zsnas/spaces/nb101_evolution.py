"""NAS-Bench-101: the NB101 paper's sampler and mutation, GEA's single-edge flip, and
the search's adapter over a benchmark (the search part of :mod:`zsnas.spaces.nb101`).

All randomness comes from an explicitly passed :class:`numpy.random.Generator`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .base import SpaceAdapter, new_stats
from .nb101 import INPUT, MAX_VERTICES, OPS, OUTPUT, ModelSpec

def random_spec(rng: np.random.Generator) -> ModelSpec:
    """NB101 paper / nasbench-colab random sampler (SPEC §3.6).

    Repeat: matrix = iid uniform{0,1} 7x7 entries, keep the strict upper
    triangle; interior ops iid uniform over :data:`OPS`; ops[0] = input,
    ops[6] = output — until :meth:`ModelSpec.is_valid`.  Note that this is not
    uniform over the 423,624 unique cells.
    """
    n = MAX_VERTICES
    while True:
        matrix = np.triu(rng.integers(0, 2, size=(n, n)), 1)
        interior = rng.integers(0, len(OPS), size=n - 2)
        ops = [INPUT] + [OPS[i] for i in interior] + [OUTPUT]
        spec = ModelSpec(matrix, ops)
        if spec.is_valid():
            return spec


def mutate_paper(
    spec: ModelSpec,
    rng: np.random.Generator,
    mutation_rate: float = 1.0,
    *,
    max_tries: int = 100_000,
) -> ModelSpec:
    """NB101 paper / nasbench-colab ``mutate_spec`` (SPEC §3.6).

    Repeat: start from ``spec.original_matrix`` / ``original_ops``; flip each
    strictly-upper-triangular entry independently with probability
    ``mutation_rate / 7``; for each interior vertex, with probability
    ``mutation_rate / 5`` replace its op by a uniformly chosen *different* op;
    until the child is valid.

    Departures from the colab: we additionally require the child's hash to
    differ from the parent's (a functionally identical child is redrawn), and
    the loop works on the parent's original size (the colab assumes 7x7; a
    parent built from a stored, smaller matrix cannot grow).  RuntimeError
    after ``max_tries`` draws (e.g. the 2-vertex cell has no valid neighbour).
    """
    parent_hash = spec.hash_spec()
    base = np.asarray(spec.original_matrix).tolist()
    base_ops = list(spec.original_ops)
    n = len(base)
    edge_p = mutation_rate / MAX_VERTICES
    op_p = mutation_rate / (MAX_VERTICES - 2)
    iu = [(i, j) for i in range(n - 1) for j in range(i + 1, n)]
    for _ in range(max_tries):
        rows = [list(r) for r in base]
        flips = rng.random(len(iu)) < edge_p
        for (i, j), f in zip(iu, flips):
            if f:
                rows[i][j] = 1 - rows[i][j]
        ops = list(base_ops)
        op_draws = rng.random(max(n - 2, 0))
        for k, u in enumerate(op_draws, start=1):
            if u < op_p:
                choices = [o for o in OPS if o != ops[k]]
                ops[k] = choices[int(rng.integers(len(choices)))]
        child = ModelSpec(rows, ops)
        if child.is_valid() and child.hash_spec() != parent_hash:
            return child
    raise RuntimeError(f"mutate_paper: no valid distinct child after {max_tries} draws")


def mutate_gea(
    spec: ModelSpec,
    rng: np.random.Generator,
    contains: Callable[[str], bool],
) -> ModelSpec | None:
    """GEA's NB101 mutation: the first single-edge flip that lands in the benchmark.

    Rule (SPEC §3.5): on the parent's stored (pruned) matrix, shuffle the
    strictly-upper-triangular coordinates ``(i, j)`` with ``rng``; for each,
    flip the bit (0 <-> 1), build ``ModelSpec(new, ops)`` (which prunes) and
    return the first child whose hash satisfies ``contains(hash)`` (the caller
    passes membership in the benchmark).  Ops never change; the vertex count
    can only stay or shrink.

    Departures from GEA's code:

    - invalid children (no input->output path, > 9 edges, ...) are skipped
      explicitly (GEA swallowed the exception / missed the dataset lookup);
    - a child whose hash equals the parent's (e.g. flipping an edge that is
      then pruned away) is skipped, so the child always differs from the
      parent;
    - if no flip is a member, GEA returned ``None`` as an index and
      ``searchspace[None]`` silently yielded the **first** dataset entry; we
      return ``None`` and let the caller decide.
    """
    if not spec.valid_spec:
        raise ValueError("mutate_gea: parent spec is invalid")
    parent_hash = spec.hash_spec()
    base = spec.matrix.tolist()
    ops = list(spec.ops)
    n = len(base)
    coords = [(i, j) for i in range(n - 1) for j in range(i + 1, n)]
    for k in rng.permutation(len(coords)):
        i, j = coords[k]
        rows = [list(r) for r in base]
        rows[i][j] = 1 - rows[i][j]
        child = ModelSpec(rows, ops)
        if not child.is_valid():
            continue
        h = child.hash_spec()
        if h != parent_hash and contains(h):
            return child
    return None


class NB101Adapter(SpaceAdapter):
    """Random ids and mutation over an NB101 benchmark.

    Random architecture: uniform over the dataset keys, as GEA. Mutation
    ``"gea"`` (default): GEA's single-edge flip, :func:`mutate_gea` with
    ``contains=bench.contains`` (SPEC §3.5). For speed the flip neighbourhood
    of a parent (the benchmark id reached by flipping each upper-triangular
    coordinate, or none) is memoised per parent and coordinate, computed
    lazily; a mutation draws ``rng.permutation(n_coords)`` exactly as
    ``mutate_gea`` does and takes the first member in that order, so it returns
    the same child and consumes the same random numbers (tested). When no flip
    is a member (``mutate_gea`` returns None; GEA silently took the first
    dataset entry) the child is a random architecture, counted as a fallback.
    ``"paper"``: :func:`mutate_paper` (NB101 paper / colab), redrawn up to
    ``tries`` times while the child is outside the benchmark.
    """

    def __init__(self, bench, mutation: str = "gea", tries: int = 100):
        super().__init__(bench, mutation, tries)
        self._spec: dict[int, ModelSpec] = {}
        self._flips: dict[int, list] = {}

    def spec(self, arch_id: int) -> ModelSpec:
        spec = self._spec.get(arch_id)
        if spec is None:
            matrix, ops = self.bench.spec(arch_id)
            spec = self._spec[arch_id] = ModelSpec(matrix, ops)
        return spec

    def _flip_table(self, arch_id: int) -> list:
        """[parent hash, pruned rows, ops, coords, child per coord (-2 = not yet computed,
        -1 = not a member, else its id)] of ``arch_id``, filled lazily."""
        entry = self._flips.get(arch_id)
        if entry is None:
            spec = self.spec(arch_id)
            base = spec.matrix.tolist()
            n = len(base)
            coords = [(i, j) for i in range(n - 1) for j in range(i + 1, n)]
            entry = self._flips[arch_id] = [spec.hash_spec(), base, list(spec.ops), coords,
                                            [-2] * len(coords)]
        return entry

    def _flip_child(self, entry: list, k: int) -> int:
        """mutate_gea's test of coordinate ``k``: the flipped cell, pruned, if valid,
        different from the parent and in the benchmark (its id), else -1."""
        child_ids = entry[4]
        if child_ids[k] == -2:
            parent_hash, base, ops, coords, _ = entry
            i, j = coords[k]
            rows = [list(r) for r in base]
            rows[i][j] = 1 - rows[i][j]
            child = ModelSpec(rows, ops)
            result = -1
            if child.is_valid():
                h = child.hash_spec()
                if h != parent_hash and self.bench.contains(h):
                    result = self.bench.id_of(h)
            child_ids[k] = int(result)
        return child_ids[k]

    def flip_neighbours(self, arch_id: int) -> np.ndarray:
        """Per upper-triangular coordinate (in ``mutate_gea``'s order) the id of the
        flipped cell if it is a valid benchmark member different from the parent,
        else -1 (the exact membership test of :func:`mutate_gea`)."""
        entry = self._flip_table(int(arch_id))
        for k in range(len(entry[3])):
            self._flip_child(entry, k)
        return np.array(entry[4], dtype=np.int64)

    def neighbours(self, arch_id) -> np.ndarray:
        """The distinct benchmark cells one edge flip away (GEA's mutation neighbourhood)."""
        flips = self.flip_neighbours(int(arch_id))
        return np.unique(flips[flips >= 0])

    def mutate(self, arch_id, rng, stats=None):
        stats = new_stats() if stats is None else stats
        arch_id = int(arch_id)
        if self.mutation == "gea":
            entry = self._flip_table(arch_id)
            n_coords = len(entry[3])
            if n_coords:
                for k in rng.permutation(n_coords).tolist():   # mutate_gea's draw
                    child = self._flip_child(entry, k)
                    if child >= 0:
                        return child
            stats["mutation_fallbacks"] += 1    # mutate_gea would return None
            return self.random_id(rng)
        spec = self.spec(arch_id)
        contains = self.bench.contains
        for _ in range(self.tries):
            try:
                child = mutate_paper(spec, rng)
            except RuntimeError:       # no valid distinct child (e.g. the 2-vertex cell)
                break
            h = child.hash_spec()
            if contains(h):
                return self.bench.id_of(h)
            stats["mutation_redraws"] += 1
        stats["mutation_fallbacks"] += 1
        return self.random_id(rng)


def simulated_train_time(evaluator, ids, trials) -> np.ndarray:
    """NB101's simulated time of trainings, as GEA's ``train_and_eval`` computes it:
    ``fitness_budget / 108 × train_time`` of the (budget, trial) entry that attains the
    maximum test accuracy over budgets and trials (first maximum in budget-ascending,
    trial order), whichever accuracy is reported (108 = the largest budget)."""
    bench = evaluator.bench
    rows = bench.rows(ids)
    _, where = bench.max_accuracy(ids, return_where=True)
    out = np.empty(len(ids))
    for k, (budget, trial) in enumerate(where):
        out[k] = bench.metric("train_time", budget)[rows[k], trial]
    return out * (evaluator.fitness_budget / evaluator.final_budget)


__all__ = ["NB101Adapter", "mutate_gea", "mutate_paper", "random_spec", "simulated_train_time"]
