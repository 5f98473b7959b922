"""Baselines on the same engine, with the same output format and training budget.

- ``random``: random search — ``P + cycles`` architectures drawn uniformly
  (with replacement) and trained; the result is the best fitness among them.
  "Cycle" 0 holds the first P trainings, cycle k the (P+k)-th, so the curve
  has the GA's length and is comparable training for training.
- ``re``: regularised evolution without a proxy (Real et al. 2019): P random
  architectures trained, then per cycle a tournament of S (drawn with
  replacement, as GEA's and Real et al.'s pseudo-code; the nasbench colab
  samples without replacement), one mutated child trained, the oldest (or
  ``regularize``) removed — ``P + cycles`` trainings, as the GA.
- ``oracle``: the GA guided by the true reported accuracy instead of a proxy
  (an upper bound for any proxy): :class:`~.scorers.OracleScorer`.
- ``random-score``: the GA guided by a random score (control): the cache's
  ``random`` proxy column if there is one, else
  :class:`~.scorers.SeededRandomScorer` (a seeded uniform number per id).
"""
from __future__ import annotations

import numpy as np

from .ga import Trace, check_sizes, remove_victim, tournament_parent
from .scorers import CacheScorer, OracleScorer, SeededRandomScorer


def random_search(adapter, evaluator, rng: np.random.Generator, *, P: int,
                  cycles: int) -> Trace:
    check_sizes(P=P, S=1, C=0, cycles=cycles, children=1, regularize="oldest")
    trace = Trace()
    for n, a in enumerate(adapter.random_ids(rng, P + cycles)):
        fit, trial = evaluator.train(int(a), rng)
        trace.add(a, fit, trial, np.nan, max(0, n - P + 1), -1)
    trace.n_initial = P
    trace.population = []
    return trace


def regularized_evolution(adapter, evaluator, rng: np.random.Generator, *, P: int, S: int,
                          cycles: int, regularize: str = "oldest") -> Trace:
    check_sizes(P=P, S=S, C=0, cycles=cycles, children=1, regularize=regularize)
    trace = Trace()
    pop_ids, pop_fit = [], []
    for a in adapter.random_ids(rng, P):
        fit, trial = evaluator.train(int(a), rng)
        pop_ids.append(int(a))
        pop_fit.append(fit)
        trace.add(a, fit, trial, np.nan, 0, -1)
    trace.n_initial = P
    for cycle in range(1, cycles + 1):
        parent = tournament_parent(pop_ids, pop_fit, rng, S)
        child = adapter.mutate(parent, rng, trace.stats)
        fit, trial = evaluator.train(child, rng)
        pop_ids.append(int(child))
        pop_fit.append(fit)
        trace.add(child, fit, trial, np.nan, cycle, -1)
        remove_victim(pop_ids, pop_fit, regularize)
        trace.population_sizes.append(len(pop_ids))
    trace.population = list(pop_ids)
    return trace


def oracle_scorer(evaluator) -> OracleScorer:
    return OracleScorer(evaluator)


def random_scorer(bench, cache, seed: int):
    """The cache's ``random`` column if present, else a seeded score per id."""
    if cache is not None and "random" in cache.proxies:
        return CacheScorer(cache, "random")
    return SeededRandomScorer(bench, seed)


__all__ = ["oracle_scorer", "random_scorer", "random_search", "regularized_evolution"]
