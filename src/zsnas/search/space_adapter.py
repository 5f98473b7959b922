"""Random architectures and mutation for each search space, against a Benchmark.

The search works on benchmark **ids**; an adapter turns "random architecture"
and "mutate this parent" into ids the benchmark contains.

Random architecture
    Uniform over the benchmark's ids (NB201: GEA's ``randint(0, 15624)`` when
    the benchmark is complete; NB101: uniform over the dataset keys, as GEA).

Mutation (``mutation=``)
    NB201 ``"gea"`` (default): :func:`zsnas.spaces.nb201.mutate` with GEA's
    non-uniform edge probabilities (SPEC §2.6); ``"uniform"``: the NASLib
    edge choice. The child id is ``bench.id_of(child_ops)`` (looked up in a
    plain op-tuple → id dict built once from ``bench.ops``: the hot path).

    NB101 ``"gea"`` (default): GEA's single-edge flip,
    :func:`zsnas.spaces.nb101.mutate_gea` with ``contains=bench.contains``
    (SPEC §3.5). For speed the flip neighbourhood of a parent (the benchmark
    id reached by flipping each upper-triangular coordinate, or none) is
    memoised per parent and coordinate, computed lazily; a mutation draws
    ``rng.permutation(n_coords)`` exactly as ``mutate_gea`` does and takes the
    first member in that order, so it returns the same child and consumes the
    same random numbers as ``mutate_gea`` (tested). ``"paper"``:
    :func:`zsnas.spaces.nb101.mutate_paper` (NB101 paper / colab).

Children outside the benchmark (fallback rule)
    A partial benchmark (a demo subset, a fixture) does not contain every
    child. Then the same parent is mutated again, up to ``tries`` draws in
    all (default :data:`DEFAULT_TRIES`); if none lands in the benchmark the
    child is a uniformly random architecture instead. Shortcuts that give the
    same outcome without wasted draws: a parent none of whose one-step
    neighbours is in the benchmark (NB201, checked once per parent) and
    NB101's ``mutate_gea`` returning ``None`` (it already tried every flip,
    so redrawing cannot help) fall back at once. GEA itself silently took the
    *first* dataset entry in the NB101 case; we do not. Every redraw and every
    fallback is counted in the ``stats`` dict passed to :meth:`mutate`
    (``mutation_redraws``, ``mutation_fallbacks``), which the run output
    reports. On the complete NB201 benchmark neither ever happens.

Adapters are cached per Benchmark object (:func:`adapter_for`), so the
memoised neighbourhoods are shared by all runs on that benchmark in a process.
"""
from __future__ import annotations

import weakref

import numpy as np

from ..spaces import nb101, nb201

DEFAULT_TRIES = 100
MUTATIONS = {"nb201": ("gea", "uniform"), "nb101": ("gea", "paper")}


def _new_stats() -> dict:
    return {"mutation_redraws": 0, "mutation_fallbacks": 0}


class SpaceAdapter:
    """Common part: uniform random ids over the benchmark."""

    space = ""

    def __init__(self, bench, mutation: str = "gea", tries: int = DEFAULT_TRIES):
        if bench.n == 0:
            raise ValueError(f"{bench.path}: the benchmark holds no architectures")
        if mutation not in MUTATIONS[bench.space]:
            raise ValueError(f"unknown {bench.space} mutation {mutation!r}; expected one of "
                             f"{MUTATIONS[bench.space]}")
        if int(tries) < 1:
            raise ValueError(f"mutation tries must be >= 1, got {tries}")
        self.bench = bench
        self.mutation = mutation
        self.tries = int(tries)
        self.ids = np.asarray(bench.ids, dtype=np.int64)

    def random_ids(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` ids drawn uniformly (with replacement) from the benchmark."""
        return self.ids[rng.integers(0, self.ids.size, size=int(size))]

    def random_id(self, rng: np.random.Generator) -> int:
        return int(self.ids[rng.integers(0, self.ids.size)])

    def encoding(self, arch_id: int) -> str:
        raise NotImplementedError

    def mutate(self, arch_id: int, rng: np.random.Generator, stats: dict | None = None) -> int:
        """Id of a child of ``arch_id`` (see the module docstring for the fallback)."""
        raise NotImplementedError


class NB201Adapter(SpaceAdapter):
    space = "nb201"

    def __init__(self, bench, mutation: str = "gea", tries: int = DEFAULT_TRIES):
        super().__init__(bench, mutation, tries)
        self.complete = bench.n == nb201.NUM_ARCHS
        self._ops: dict[int, tuple] = {}
        self._has_member_neighbour: dict[int, bool] = {}
        self._id_of: dict[tuple, int] | None = None

    def _index(self) -> dict:
        """op tuple → id over the benchmark (a plain dict: the hot path of mutation)."""
        if self._id_of is None:
            self._id_of = {self._parent_ops(int(i)): int(i) for i in self.ids}
        return self._id_of

    def encoding(self, arch_id: int) -> str:
        return self.bench.arch_str(arch_id)

    def _parent_ops(self, arch_id: int) -> tuple:
        ops = self._ops.get(arch_id)
        if ops is None:
            ops = self._ops[arch_id] = self.bench.ops(arch_id)
        return ops

    def _any_neighbour(self, arch_id: int, ops: tuple) -> bool:
        ok = self._has_member_neighbour.get(arch_id)
        if ok is None:
            index = self._index()
            ok = False
            for e in range(nb201.NUM_EDGES):
                for op in range(nb201.NUM_OPS):
                    if op != ops[e] and (ops[:e] + (op,) + ops[e + 1:]) in index:
                        ok = True
                        break
                if ok:
                    break
            self._has_member_neighbour[arch_id] = ok
        return ok

    def mutate(self, arch_id, rng, stats=None):
        stats = _new_stats() if stats is None else stats
        arch_id = int(arch_id)
        ops = self._parent_ops(arch_id)
        index = self._index()
        if self.complete:
            return index[nb201.mutate(ops, rng, self.mutation)]
        if self._any_neighbour(arch_id, ops):
            for attempt in range(self.tries):
                child = index.get(nb201.mutate(ops, rng, self.mutation))
                if child is not None:
                    return child
                stats["mutation_redraws"] += 1
        stats["mutation_fallbacks"] += 1
        return self.random_id(rng)


class NB101Adapter(SpaceAdapter):
    space = "nb101"

    def __init__(self, bench, mutation: str = "gea", tries: int = DEFAULT_TRIES):
        super().__init__(bench, mutation, tries)
        self._spec: dict[int, nb101.ModelSpec] = {}
        self._flips: dict[int, list] = {}

    def encoding(self, arch_id: int) -> str:
        return self.bench.module_hash(arch_id)

    def spec(self, arch_id: int) -> nb101.ModelSpec:
        spec = self._spec.get(arch_id)
        if spec is None:
            matrix, ops = self.bench.spec(arch_id)
            spec = self._spec[arch_id] = nb101.ModelSpec(matrix, ops)
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
            child = nb101.ModelSpec(rows, ops)
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
        else -1 (the exact membership test of :func:`~zsnas.spaces.nb101.mutate_gea`)."""
        entry = self._flip_table(int(arch_id))
        for k in range(len(entry[3])):
            self._flip_child(entry, k)
        return np.array(entry[4], dtype=np.int64)

    def mutate(self, arch_id, rng, stats=None):
        stats = _new_stats() if stats is None else stats
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
        for attempt in range(self.tries):
            try:
                child = nb101.mutate_paper(spec, rng)
            except RuntimeError:       # no valid distinct child (e.g. the 2-vertex cell)
                break
            h = child.hash_spec()
            if contains(h):
                return self.bench.id_of(h)
            stats["mutation_redraws"] += 1
        stats["mutation_fallbacks"] += 1
        return self.random_id(rng)


_ADAPTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def adapter_for(bench, mutation: str = "gea", tries: int = DEFAULT_TRIES) -> SpaceAdapter:
    """The (memoised) adapter of ``bench`` for ``mutation`` and ``tries``."""
    per_bench = _ADAPTERS.setdefault(bench, {})
    key = (mutation, int(tries))
    adapter = per_bench.get(key)
    if adapter is None:
        cls = {"nb201": NB201Adapter, "nb101": NB101Adapter}.get(bench.space)
        if cls is None:
            raise ValueError(f"{bench.path}: unknown search space {bench.space!r}")
        adapter = per_bench[key] = cls(bench, mutation, tries)
    return adapter


__all__ = [
    "DEFAULT_TRIES",
    "MUTATIONS",
    "NB101Adapter",
    "NB201Adapter",
    "SpaceAdapter",
    "adapter_for",
]
