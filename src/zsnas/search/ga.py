"""GEA's guided evolutionary algorithm, exactly as coded (SPEC §5.4, Algorithm 1).

::

    C random architectures (uniform, duplicates allowed) are scored by the guide
    the best P by score (stable sort, first max on ties) are trained — appended
    from the P-th best to the best — and form the population (cycle 0)
    for cycle in 1..cycles:
        tournament: S members drawn WITH replacement from the population
        parent = the sample's best fitness (first max)
        `children` mutations of the parent, all scored
        the best child by score (first max) is trained and appended
        regularisation removes one member: the oldest (default), or the
        lowest / highest fitness (first min / max) — the population stays P
    result = the best training in the history by fitness (first max)

Non-finite scores rank last (SPEC §5.6, see :mod:`.scorers`). Presets
(:data:`PRESETS`): ``gea`` = the code (C+1 cycles of P+1 children: 2,411 scores
and 211 trainings at P=10, C=200), ``paper`` = the paper's reading (C cycles of
P children: 2,200 scores, 210 trainings).

The engine returns a :class:`Trace`; :mod:`.report` turns it into the run record.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import UsageError

REGULARIZE = ("oldest", "lowest", "highest")

#: P, S, C and how cycles / children follow from C / P when not given explicitly.
PRESETS = {
    "gea": {"P": 10, "S": 5, "C": 200, "cycles": lambda C: C + 1, "children": lambda P: P + 1},
    "paper": {"P": 10, "S": 5, "C": 200, "cycles": lambda C: C, "children": lambda P: P},
}


def resolve_sizes(preset: str = "gea", *, P=None, S=None, C=None, cycles=None,
                  children=None) -> dict:
    """P, S, C, cycles, children of ``preset`` with explicit overrides applied
    (cycles / children default to the preset's rule applied to the final C / P)."""
    if preset not in PRESETS:
        raise UsageError(f"unknown preset {preset!r}; expected one of {tuple(PRESETS)}")
    p = PRESETS[preset]
    P = p["P"] if P is None else int(P)
    S = p["S"] if S is None else int(S)
    C = p["C"] if C is None else int(C)
    cycles = p["cycles"](C) if cycles is None else int(cycles)
    children = p["children"](P) if children is None else int(children)
    return {"P": P, "S": S, "C": C, "cycles": cycles, "children": children}


@dataclass
class Trace:
    """Everything a search did, in order."""
    ids: list = field(default_factory=list)          # trained architecture per training
    fitness: list = field(default_factory=list)
    trials: list = field(default_factory=list)       # trial index used (-1: mean)
    score: list = field(default_factory=list)        # raw guide score (NaN: none / non-finite)
    cycle: list = field(default_factory=list)        # 0 = initial population
    scored: list = field(default_factory=list)       # id arrays, one per scoring batch
    scored_raw: list = field(default_factory=list)   # the guide's raw scores of each batch
    batch_of: list = field(default_factory=list)     # per training: index into scored, or -1
    population: list = field(default_factory=list)  # final population (oldest first)
    population_sizes: list = field(default_factory=list)  # after each cycle
    n_initial: int = 0                                # trainings in cycle 0
    stats: dict = field(default_factory=lambda: {"mutation_redraws": 0,
                                                 "mutation_fallbacks": 0})

    def add(self, arch_id, fit, trial, score, cycle, batch):
        self.ids.append(int(arch_id))
        self.fitness.append(float(fit))
        self.trials.append(int(trial))
        self.score.append(float(score))
        self.cycle.append(int(cycle))
        self.batch_of.append(int(batch))

    @property
    def n_proxy_calls(self) -> int:
        return int(sum(len(b) for b in self.scored))


def tournament_parent(pop_ids: list, pop_fit: list, rng: np.random.Generator, S: int) -> int:
    """GEA's tournament: S draws with replacement, the best fitness wins (first max)."""
    picks = rng.integers(0, len(pop_ids), size=S)
    best = int(picks[0])
    for p in picks[1:]:
        if pop_fit[p] > pop_fit[best]:
            best = int(p)
    return pop_ids[best]


def remove_victim(pop_ids: list, pop_fit: list, regularize: str) -> None:
    if regularize == "oldest":
        k = 0
    elif regularize == "lowest":
        k = int(np.argmin(pop_fit))
    elif regularize == "highest":
        k = int(np.argmax(pop_fit))
    else:
        raise UsageError(f"unknown regularize {regularize!r}; expected one of {REGULARIZE}")
    del pop_ids[k]
    del pop_fit[k]


def evolve(adapter, evaluator, scorer, rng: np.random.Generator, *, P: int, S: int, C: int,
           cycles: int, children: int, regularize: str = "oldest") -> Trace:
    """One guided-evolution run (the module docstring); ``scorer`` guides, ``evaluator``
    trains (fitness look-up)."""
    check_sizes(P=P, S=S, C=C, cycles=cycles, children=children, regularize=regularize)
    if C < P:
        raise UsageError(f"C ({C}) must be at least P ({P}): the population is the best P "
                         "of the C initial architectures")
    trace = Trace()
    stats = trace.stats
    init = adapter.random_ids(rng, C)
    sel, raw = scorer(init)
    trace.scored.append(init)
    trace.scored_raw.append(np.asarray(raw, dtype=np.float64))
    top = np.argsort(-sel, kind="stable")[:P]   # = Python sorted(reverse=True): stable
    pop_ids, pop_fit = [], []
    for n, k in enumerate(top[::-1]):            # from the P-th best to the best
        a = int(init[k])
        fit, trial = evaluator.train(a, rng)
        pop_ids.append(a)
        pop_fit.append(fit)
        trace.add(a, fit, trial, raw[k], 0, 0 if n == 0 else -1)
    trace.n_initial = len(pop_ids)
    for cycle in range(1, cycles + 1):
        parent = tournament_parent(pop_ids, pop_fit, rng, S)
        gen = np.fromiter((adapter.mutate(parent, rng, stats) for _ in range(children)),
                          dtype=np.int64, count=children)
        sel, raw = scorer(gen)
        trace.scored.append(gen)
        trace.scored_raw.append(np.asarray(raw, dtype=np.float64))
        k = int(np.argmax(sel))
        a = int(gen[k])
        fit, trial = evaluator.train(a, rng)
        pop_ids.append(a)
        pop_fit.append(fit)
        trace.add(a, fit, trial, raw[k], cycle, len(trace.scored) - 1)
        remove_victim(pop_ids, pop_fit, regularize)
        trace.population_sizes.append(len(pop_ids))
    trace.population = list(pop_ids)
    return trace


def check_sizes(*, P, S, C, cycles, children, regularize):
    for name, value, low in (("P", P, 1), ("S", S, 1), ("C", C, 0), ("cycles", cycles, 0),
                             ("children", children, 1)):
        if int(value) != value or value < low:
            raise UsageError(f"{name} must be an integer >= {low}, got {value!r}")
    if regularize not in REGULARIZE:
        raise UsageError(f"unknown regularize {regularize!r}; expected one of {REGULARIZE}")


__all__ = ["PRESETS", "REGULARIZE", "Trace", "check_sizes", "evolve", "remove_victim", "resolve_sizes", "tournament_parent"]
