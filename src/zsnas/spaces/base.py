"""One object per search space, and the registry that holds them.

A search space is one module that builds one :class:`SearchSpace` and passes it
to :func:`register` (the way a proxy registers with ``@register``). Everything
else in the package asks the registry (:func:`get_space`) instead of branching
on a space's name.

The heavy parts of a space -- the PyTorch network builder and the
sampling/mutation code the search uses -- are named by reference
(``"module:attribute"``) and imported only when used. That keeps them out of
each other's code fingerprint (:mod:`zsnas.codedeps`): an edit to a space's
mutation reruns its searches, not its scoring, and an edit to its network
builder reruns its scoring, not a search that never builds a network.

A space module must not import its parts at module level; it may import
anything else.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..errors import UsageError
from ..registry import Registry, calling_module

#: The spaces that ship with zsnas, imported (and so registered) on first lookup.
BUILTIN_SPACES = ("zsnas.spaces.nb201", "zsnas.spaces.nb101", "zsnas.spaces.nats_sss")

class UnknownSpaceError(UsageError):
    """A space name that no registered search space has."""


def resolve_ref(ref: str) -> Any:
    """The object named by ``"package.module:attribute"``."""
    module, _, attr = ref.partition(":")
    obj = importlib.import_module(module)
    return getattr(obj, attr) if attr else obj


def ref_module(ref: str) -> str:
    """The module part of a ``"module:attribute"`` reference."""
    return ref.partition(":")[0]


@dataclass(frozen=True)
class Accuracy:
    """A reported-accuracy variant: how a run's final architecture is scored.

    ``split`` accuracy (a ``/metrics`` name: ``test_acc``, ``ori_test_acc``) after
    ``budget`` epochs (None: the largest budget), reduced over the trials by
    ``reduce``: ``"mean"`` (the customary report), or ``"max-over-budgets"`` (the
    maximum over every budget and trial: GEA's NB101 report, biased upwards).
    """

    name: str
    split: str = "test_acc"
    budget: int | None = None
    reduce: str = "mean"
    description: str = ""


@dataclass(frozen=True)
class SearchSpace:
    """A search space: what the pipeline needs to know about it, in one place.

    Identity and size
        name: registry key, used in file names, configs and run records ("nb201").
        label: the name a paper uses ("NAS-Bench-201").
        size: architectures in the whole space (NB201 15,625; NB101 423,624).
        datasets: the datasets its tabular benchmark holds (names of
            :mod:`zsnas.datasets`), the first the default.
        budgets: the training budgets (epochs) its benchmark stores.
        converters: the ``zsnas convert`` kinds that produce its benchmark files.
        module: the registering module (it holds the encoding; set by
            :func:`register` when not given).

    Encoding (in the space module)
        read_archs: ``fn(h5py_group, n) -> table`` reading ``/archs``; the table
            answers ``encoding(row)``, ``arch(row)`` (the builder's input),
            ``keys(ids)`` (every encoding form -> id) and ``key(encoding)``.
        check_encoding: ``fn(text)`` raising ValueError unless ``text`` is an
            encoding of this space (an NB201 arch string, an NB101 hash).
        parse_spec: ``fn(text) -> arch`` for ``zsnas arch`` (ValueError naming the
            problem); describe: ``fn(arch) -> dict`` of its encoding facts;
            format_line: ``fn(info) -> str``, the command's text output.
        table_columns: the columns a ``convert table`` source names an
            architecture by; table_arch: ``fn(row dict) -> (key, arch)``;
            archs_columns: ``fn(list of arch) -> dict`` of ``/archs`` arrays.

    Search (reported accuracy, time)
        reports: reported-accuracy variants (:class:`Accuracy`), the first the
            default; dataset_reports: per dataset, the variants that apply
            (default: all).
        time_rule: ``"module:function"``, ``fn(evaluator, ids, trials) -> seconds``:
            simulated training time of trainings (NB201: train + eval time of
            the fitness trial; NB101: GEA's rule).

    Parts, imported only when used (so each stays in its own stages' code
    fingerprints, :mod:`zsnas.codedeps`)
        network: ``"module:function"``, ``fn(arch, width, num_classes)`` building
            the benchmark's PyTorch network; network_name labels it in cache
            settings; default_width / min_width: scoring width when none is given
            (NB201 cell channels C = 16; NB101 stem channels 128) and the smallest
            the builder accepts.
        evolution: ``"module:Class"``, a :class:`SpaceAdapter` subclass: uniform
            sampling and mutation against a benchmark; mutations: their names,
            the first (GEA's) the default.

    Optional
        canonical: ``fn(arch) -> str``, equal for architectures that compute the same
            function (NB201: AutoDL's unique string; NB101 needs none — its hash
            already merges isomorphic cells); used for quality over unique cells.
        params_flops: ``"module:function"``, ``fn(arch, width, num_classes, image_size) ->
            (params, MFLOPs)`` of the network from the encoding, without building it
            (``zsnas arch``, :func:`zsnas.networks.flops.params_and_flops`); without
            it the network is built and counted.
    """

    name: str
    label: str
    size: int
    datasets: tuple[str, ...]
    budgets: tuple[int, ...]
    converters: tuple[str, ...]
    read_archs: Callable[..., Any]
    check_encoding: Callable[[str], None]
    parse_spec: Callable[[str], Any]
    describe: Callable[[Any], dict]
    format_line: Callable[[dict], str]
    table_columns: tuple[str, ...]
    table_arch: Callable[[dict], tuple]
    archs_columns: Callable[[list], dict]
    reports: tuple[Accuracy, ...]
    time_rule: str
    network: str
    network_name: str
    default_width: int
    evolution: str
    mutations: tuple[str, ...]
    min_width: int = 1
    dataset_reports: dict = field(default_factory=dict)
    canonical: Callable[[Any], str] | None = None
    params_flops: str | None = None
    module: str = ""

    # ---- datasets and reports
    def check_dataset(self, dataset: str, where: str = "--dataset") -> str:
        if dataset not in self.datasets:
            raise UsageError(f"{where}: the {self.name} benchmark has no dataset {dataset!r} "
                             f"(it has: {', '.join(self.datasets)})")
        return dataset

    def report_names(self, dataset: str | None = None) -> tuple[str, ...]:
        names = tuple(r.name for r in self.reports)
        return tuple(self.dataset_reports.get(dataset, names)) if dataset else names

    def report(self, name: str | None, dataset: str | None = None) -> Accuracy:
        """The reported-accuracy variant ``name`` (None / "default": the first that
        applies to ``dataset``)."""
        names = self.report_names(dataset)
        if name in (None, "default"):
            name = names[0]
        if name not in names:
            raise UsageError(f"unknown report {name!r} for {self.name}"
                             + (f" on {dataset}" if dataset else "") + f"; expected one of "
                             f"{names}")
        return next(r for r in self.reports if r.name == name)

    # ---- parts (imported on use)
    def build(self, arch, width: int, num_classes: int = 10):
        """The benchmark network of ``arch`` at ``width`` (builder initialisation)."""
        return resolve_ref(self.network)(arch, int(width), int(num_classes))

    def build_network(self, bench, arch_id: int, width: int, num_classes: int = 10):
        """The benchmark network of ``bench``'s ``arch_id``."""
        return self.build(bench.arch(arch_id), width, num_classes)

    def adapter(self, bench, mutation: str | None = None, tries: int = 100):
        """A fresh :class:`SpaceAdapter` of ``bench`` for ``mutation`` (default: GEA's)."""
        return resolve_ref(self.evolution)(bench, mutation or self.mutations[0], tries)

    def simulated_time(self, evaluator, ids, trials):
        return resolve_ref(self.time_rule)(evaluator, ids, trials)

    def part_modules(self, part: str) -> list[str]:
        """Module names of a part (``"network"``, ``"evolution"``, ``"time_rule"``),
        for code fingerprints."""
        return [ref_module(getattr(self, part))]

    def check_width(self, width: int) -> int:
        if isinstance(width, bool) or int(width) != width or width < self.min_width:
            raise UsageError(f"--width {width}: {self.name} needs an integer width >= "
                             f"{self.min_width}")
        return int(width)


SPACES: Registry[SearchSpace] = Registry("search space", BUILTIN_SPACES, UnknownSpaceError)


def register(space: SearchSpace, *, replace: bool = False) -> SearchSpace:
    """Add ``space`` to the registry (under ``space.name``) and return it."""
    if not space.mutations:
        raise ValueError(f"register({space.name!r}): a space needs at least one mutation")
    if not space.module:   # the calling module is the space's own
        object.__setattr__(space, "module", calling_module())
    return SPACES.register(space, replace=replace)


def add_dataset(space: str, dataset: str) -> SearchSpace:
    """Declare that ``space``'s benchmark also holds ``dataset`` (a plug-in dataset for an
    existing space, e.g. a table of NB201 numbers on another dataset)."""
    import dataclasses
    current = get_space(space)
    if dataset in current.datasets:
        return current
    return SPACES.register(dataclasses.replace(current, datasets=current.datasets + (dataset,)),
                           replace=True)


def unregister(name: str) -> SearchSpace:
    """Remove and return a registered space (KeyError if absent)."""
    return SPACES.unregister(name)


def space_names() -> tuple[str, ...]:
    """Names of every registered space (built-ins first, in registration order)."""
    return SPACES.names()


def get_space(name: str) -> SearchSpace:
    """The registered space ``name``; :class:`UnknownSpaceError` names the known ones."""
    return SPACES.get(name)


def is_space(name) -> bool:
    return name in SPACES


# --------------------------------------------------------------------------
# The search's view of a space over one benchmark
# --------------------------------------------------------------------------

def new_stats() -> dict:
    return {"mutation_redraws": 0, "mutation_fallbacks": 0}


class SpaceAdapter:
    """Uniform random ids over a benchmark, and mutation of a parent id into a child id.

    A space's ``evolution`` part subclasses this and implements :meth:`mutate`
    (and, where useful, :meth:`encoding`). Children outside a partial benchmark
    are handled by the subclass: redraw up to ``tries`` times, then a uniformly
    random architecture, each counted in ``stats`` (``mutation_redraws``,
    ``mutation_fallbacks``), which the run record reports.
    """

    def __init__(self, bench, mutation: str, tries: int = 100):
        space = get_space(bench.space)
        if bench.n == 0:
            raise UsageError(f"{bench.path}: the benchmark holds no architectures")
        if mutation not in space.mutations:
            raise UsageError(f"unknown {bench.space} mutation {mutation!r}; expected one of "
                             f"{space.mutations}")
        if isinstance(tries, bool) or int(tries) != tries or int(tries) < 1:
            raise UsageError(f"--mutation-tries must be an integer >= 1, got {tries}")
        self.space = space.name
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
        return self.bench.encoding(arch_id)

    def mutate(self, arch_id: int, rng: np.random.Generator, stats: dict | None = None) -> int:
        raise NotImplementedError

    def neighbours(self, arch_id: int) -> np.ndarray:
        """Ids of every architecture the space's mutation can reach from ``arch_id`` in one
        step (in the benchmark); spaces that do not say raise NotImplementedError."""
        raise NotImplementedError


__all__ = ["Accuracy", "add_dataset", "BUILTIN_SPACES", "SPACES", "SearchSpace", "SpaceAdapter", "UnknownSpaceError", "get_space",
           "is_space", "new_stats", "ref_module", "register", "resolve_ref", "space_names",
           "unregister"]
