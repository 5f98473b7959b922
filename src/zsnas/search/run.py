"""One search run → one JSON record (format ``zsnas-run``, version 2).

>>> bench = Benchmark("results/benchmarks/nb201.h5")              # doctest: +SKIP
>>> cache = ProxyCache("results/scores/nb201.h5")                 # doctest: +SKIP
>>> rec = run_search(bench, cache, proxy="synflow", seed=0)       # doctest: +SKIP
>>> write_json(rec, "results/runs/nb201-synflow-0.json")          # doctest: +SKIP

One integer ``seed`` fixes the whole run: every random draw (initial
architectures, tournaments, mutations, fitness trials, fallbacks) comes from
``numpy.random.default_rng(seed)``; the seeded random scores of
``random-score`` come from ``default_rng([seed, 0x5EED])``. No global RNG is
used, so the same settings and seed give the same record and the same bytes.

Record (keys sorted when written; NaN / ±inf written as null)::

    {"format": "zsnas-run", "version": 2,
     "settings": {space, dataset, strategy ('gea'|'random'|'re'|'oracle'|'random-score'),
                  proxy (or null), seed, preset ('gea'|'paper'), P, S, C, cycles,
                  children, regularize, fitness_budget, fitness_trial
                  ('random'|'mean'), report ('nb201-200-mean'|'nb101-108-mean'|
                  'nb101-max'), mutation ('gea'|'uniform'|'paper'), mutation_tries,
                  benchmark (file name), benchmark_checksum (the benchmark's
                  content checksum), benchmark_source_checksum, synthetic (bool),
                  cache (file name or null), cache_settings (dict or null),
                  score_source ('cache'|'oracle'|'seeded-rng'|null),
                  ensemble ({name, method, members} when the guide is an ensemble
                  of cached proxies, zsnas.scoring.ensembles; else null),
                  code_fingerprint (of the search code, zsnas.codedeps),
                  zsnas_version},
     "final": {id, encoding (NB201 arch string / NB101 module hash), fitness,
               accuracy (the reported accuracy), accuracies (every report variant
               of the space), training (its position in history)},
     "final_accuracy": = final.accuracy,
     "n_scored": distinct architectures scored, "n_trained": distinct trained,
     "n_proxy_calls": scores looked up (duplicates included),
     "n_trainings": trainings (= len(history)),
     "curve": [cycles + 1 reported accuracies: curve[0] of the best-by-fitness
               after the initial population, curve[k] after cycle k],
     "curve_fitness": [its fitness: best-so-far, non-decreasing],
     "curve_search_time": [cumulative simulated seconds at each curve point],
     "search_time": train_time + proxy_time, "train_time", "proxy_time"
               (simulated seconds; see zsnas.search.report; null when the
               benchmark stores no training times: "train_time_known": false),
     "mutation_fallbacks": children replaced by a random architecture,
     "mutation_redraws": extra mutation draws (zsnas.search.space_adapter),
     "population": final population ids, oldest first ([] for random search),
     "history": [{id, fitness, accuracy, train_time, proxy_time, score, cycle}, ...]
               every training in order; accuracy = its reported accuracy (the
               anytime curve: the best-by-fitness so far after each training);
               cycle 0 = initial population; score = the raw guide score (null
               for random / re, or non-finite),
     "batches": what the guide ranked (null for random / re): {offsets, ids,
               scores} — batch k (0 = the C initial architectures, k = cycle k's
               children) is ids[offsets[k]:offsets[k+1]], scores the raw guide
               scores as float32 (null where non-finite)}

Version 2 added ``batches``, ``history[].accuracy`` and ``settings.dataset``;
version-1 records are still read by the analysis (without the in-search quality
and the anytime curves).

Settings that a strategy does not use are null (random search: S, C, children,
regularize; regularised evolution: C, and children = 1). ``random``, ``re`` and
``oracle`` need no cache; ``random-score`` uses the cache's ``random`` column
when a cache with one is given, else seeded random scores.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .. import __version__
from ..benchmarks.store import Benchmark
from ..codedeps import stage_fingerprint
from ..errors import UsageError
from ..scoring.ensembles import PRESETS, resolve_ensemble
from . import baselines
from .fitness import Evaluator
from .ga import evolve, resolve_sizes
from .report import build_record, write_json
from .scorers import CacheScorer
from .space_adapter import DEFAULT_TRIES, adapter_for

STRATEGIES = ("gea", "random", "re", "oracle", "random-score")


def _load_cache(cache):
    if cache is None or not isinstance(cache, (str, os.PathLike)):
        return cache
    from ..scoring.cache import ProxyCache
    return ProxyCache(cache)


def run_search(bench, cache=None, *, seed: int, proxy: str | None = None,
               strategy: str = "gea", preset: str = "gea", P: int | None = None,
               S: int | None = None, C: int | None = None, cycles: int | None = None,
               children: int | None = None, regularize: str = "oldest",
               fitness_budget: int = 12, fitness_trial: str = "random",
               report: str | None = None, mutation: str | None = None,
               mutation_tries: int = DEFAULT_TRIES, ensemble: str | None = None) -> dict:
    """Run one search and return its record (see the module docstring).

    ``proxy`` names a column of the cache or an ensemble of its columns: a preset
    (:data:`zsnas.scoring.ensembles.PRESETS`) or, with ``ensemble="METHOD:m1,m2,…"``,
    any aggregation of cached proxies, added to the cache with
    :meth:`~zsnas.scoring.cache.ProxyCache.add_ensemble`.

    ``bench``: a :class:`~zsnas.benchmarks.store.Benchmark` or its path;
    ``cache``: a :class:`~zsnas.scoring.cache.ProxyCache`, its path, or None.
    Pass loaded objects when running many seeds: loading dominates a run.
    """
    if not isinstance(bench, Benchmark):
        bench = Benchmark(bench)
    cache = _load_cache(cache)
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy {strategy!r}; expected one of {STRATEGIES}")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise UsageError(f"--seed must be an integer >= 0, got {seed!r}")
    seed = int(seed)
    sizes = resolve_sizes(preset, P=P, S=S, C=C, cycles=cycles, children=children)
    evaluator = Evaluator(bench, fitness_budget=fitness_budget, fitness_trial=fitness_trial,
                          report=report)
    adapter = adapter_for(bench, mutation, mutation_tries)
    rng = np.random.default_rng(seed)

    uses_cache = strategy == "gea" or (strategy == "random-score" and cache is not None)
    if uses_cache:
        if cache is None:
            raise UsageError(f"strategy {strategy!r} needs a proxy cache (--cache)")
        cache.check_benchmark(bench)
    elif proxy:
        raise UsageError(f"--proxy is only for strategy 'gea' (strategy {strategy!r} has no "
                         "proxy)")
    scorer = None
    if strategy == "gea":
        if not proxy:
            raise UsageError("strategy 'gea' needs a proxy name (--proxy)")
        if ensemble or (proxy not in cache.proxies and proxy in PRESETS):
            cache.add_ensemble(resolve_ensemble(proxy, ensemble))
        scorer = CacheScorer(cache, proxy)
    elif ensemble:
        raise UsageError(f"--ensemble is only for strategy 'gea' (strategy {strategy!r})")
    elif strategy == "oracle":
        scorer = baselines.oracle_scorer(evaluator)
    elif strategy == "random-score":
        scorer = baselines.random_scorer(bench, cache, seed)

    if scorer is not None:
        trace = evolve(adapter, evaluator, scorer, rng, regularize=regularize, **sizes)
    elif strategy == "random":
        trace = baselines.random_search(adapter, evaluator, rng, P=sizes["P"],
                                        cycles=sizes["cycles"])
        sizes.update(S=None, C=None, children=None)
        regularize = None
    else:
        trace = baselines.regularized_evolution(adapter, evaluator, rng, P=sizes["P"],
                                                S=sizes["S"], cycles=sizes["cycles"],
                                                regularize=regularize)
        sizes.update(C=None, children=1)

    score_cache = isinstance(scorer, CacheScorer)
    settings = {
        "space": bench.space, "dataset": bench.dataset, "strategy": strategy,
        "proxy": scorer.proxy if score_cache else None,
        "seed": seed, "preset": preset, **sizes, "regularize": regularize,
        "fitness_budget": evaluator.fitness_budget, "fitness_trial": fitness_trial,
        "report": evaluator.report_name, "mutation": adapter.mutation,
        "mutation_tries": adapter.tries,
        "benchmark": bench.path.name,
        "benchmark_checksum": bench.content_checksum,
        "benchmark_source_checksum": bench.attrs.get("source_checksum"),
        "synthetic": bool(bench.synthetic),
        "cache": cache.path.name if score_cache else None,
        "cache_settings": cache.settings if score_cache else None,
        "score_source": scorer.source if scorer is not None else None,
        "ensemble": (cache.ensembles[scorer.proxy].as_dict()
                     if score_cache and scorer.proxy in cache.ensembles else None),
        "higher_is_better": (bool(cache.higher_is_better.get(scorer.proxy, True))
                             if score_cache else True),
        "code_fingerprint": stage_fingerprint("search", space=bench.space),
        "zsnas_version": __version__,
    }
    return build_record(settings, trace, evaluator, scorer, adapter)


def run_to_file(benchmark, out, cache=None, **kwargs) -> dict:
    """:func:`run_search` and write the record to ``out`` atomically."""
    record = run_search(benchmark, cache, **kwargs)
    write_json(record, Path(out))
    return record


__all__ = ["STRATEGIES", "run_search", "run_to_file"]
