"""The search's view of a search space over one benchmark: random ids and mutation.

The search works on benchmark **ids**; an adapter (the space's ``evolution``
part, a :class:`~zsnas.spaces.base.SpaceAdapter`) turns "random architecture"
and "mutate this parent" into ids the benchmark contains:
:class:`zsnas.spaces.nb201_evolution.NB201Adapter` (GEA's non-uniform edge
choice, or NASLib's uniform one) and
:class:`zsnas.spaces.nb101_evolution.NB101Adapter` (GEA's single-edge flip, or
the NB101 paper's mutation); their docstrings state the exact rules.

Children outside the benchmark (fallback rule)
    A partial benchmark (a demo subset, a fixture) does not contain every
    child. Then the same parent is mutated again, up to ``tries`` draws in
    all (default :data:`DEFAULT_TRIES`); if none lands in the benchmark the
    child is a uniformly random architecture instead. Every redraw and every
    fallback is counted in the ``stats`` dict passed to ``mutate``
    (``mutation_redraws``, ``mutation_fallbacks``), which the run output
    reports. On a complete benchmark neither happens for NB201.

Adapters are cached per Benchmark object (:func:`adapter_for`), so memoised
neighbourhoods are shared by all runs on that benchmark in a process.
"""
from __future__ import annotations

import weakref

from ..spaces import SpaceAdapter, get_space

DEFAULT_TRIES = 100

_ADAPTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def adapter_for(bench, mutation: str | None = None, tries: int = DEFAULT_TRIES) -> SpaceAdapter:
    """The (memoised) adapter of ``bench`` for ``mutation`` (default: the space's
    first, GEA's) and ``tries``."""
    space = get_space(bench.space)
    mutation = mutation or space.mutations[0]
    per_bench = _ADAPTERS.setdefault(bench, {})
    key = (mutation, int(tries))
    adapter = per_bench.get(key)
    if adapter is None:
        adapter = per_bench[key] = space.adapter(bench, mutation, tries)
    return adapter


__all__ = ["DEFAULT_TRIES", "SpaceAdapter", "adapter_for"]
