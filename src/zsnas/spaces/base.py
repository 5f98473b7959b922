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
BUILTIN_SPACES = ("zsnas.spaces.nb201", "zsnas.spaces.nb101")

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
class SearchSpace:
    """A search space: what the pipeline needs to know about it, in one place.

    Attributes:
        name: registry key, used in file names, configs and run records ("nb201").
        label: the name a paper uses ("NAS-Bench-201").
        size: architectures in the whole space (NB201 15,625; NB101 423,624).
        module: the registering module (it holds the encoding; set by
            :func:`register` when not given).
        network: ``"module:function"``, ``fn(bench, arch_id, width, num_classes)``
            returning the benchmark's PyTorch network of ``arch_id``.
        network_name: label of that network in cache settings.
        default_width: scoring width when none is given (NB201 cell channels
            C = 16; NB101 stem channels 128).
        min_width: the smallest width the builder accepts.
        evolution: ``"module:Class"``, a :class:`SpaceAdapter` subclass: uniform
            sampling and mutation against a benchmark (the search's view).
        mutations: mutation names; the first (GEA's) is the default.
        read_archs: ``fn(h5py_group, n) -> ArchTable`` reading ``/archs``.
        check_encoding: ``fn(text)`` raising ValueError unless ``text`` is an
            encoding of this space (an NB201 arch string, an NB101 hash).
    """

    name: str
    label: str
    size: int
    network: str
    network_name: str
    default_width: int
    evolution: str
    mutations: tuple[str, ...]
    read_archs: Callable[..., Any]
    check_encoding: Callable[[str], None]
    min_width: int = 1
    module: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    # ---- parts (imported on use)
    def build_network(self, bench, arch_id: int, width: int, num_classes: int = 10):
        """The benchmark network of ``arch_id`` at ``width`` (builder initialisation)."""
        return resolve_ref(self.network)(bench, int(arch_id), int(width), int(num_classes))

    def adapter(self, bench, mutation: str | None = None, tries: int = 100):
        """A fresh :class:`SpaceAdapter` of ``bench`` for ``mutation`` (default: GEA's)."""
        return resolve_ref(self.evolution)(bench, mutation or self.mutations[0], tries)

    def part_modules(self, part: str) -> list[str]:
        """Module names of a part (``"network"`` or ``"evolution"``), for code fingerprints."""
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


__all__ = ["BUILTIN_SPACES", "SPACES", "SearchSpace", "SpaceAdapter", "UnknownSpaceError", "get_space",
           "is_space", "new_stats", "ref_module", "register", "resolve_ref", "space_names",
           "unregister"]
