"""What guides the GA: a score per architecture (higher = better).

A scorer maps an id array to ``(selection, raw)``: ``raw`` the value as stored
(NaN allowed), ``selection`` the same with every non-finite value mapped to
``-inf`` so it ranks last (SPEC §5.6; ties are broken by position, first
maximum). :meth:`seconds` gives the simulated cost of the calls made, asked
once per run over all calls.

- :class:`CacheScorer`: a zero-cost proxy column of a
  :class:`~zsnas.scoring.cache.ProxyCache`, turned so that higher = better
  (a lower-is-better proxy, as recorded in the cache, is ranked by its
  negative). A missing, pending or failed score
  raises :class:`~zsnas.scoring.cache.MissingScoreError` naming the
  architectures — never a silent fallback.
- :class:`OracleScorer`: the true reported accuracy (upper-bound control).
- :class:`SeededRandomScorer`: one uniform number per architecture, drawn
  from a generator seeded by ``[seed, 0x5EED]`` (independent of the run's
  search RNG): the same architecture gets the same score within a run,
  different seeds give different scores. Used by ``random-score`` when the
  cache has no ``random`` column.
"""
from __future__ import annotations

import numpy as np

from ..scoring.cache import ERROR, PENDING
from ..errors import UsageError


def _selection(raw: np.ndarray) -> np.ndarray:
    sel = np.array(raw, dtype=np.float64)
    sel[~np.isfinite(sel)] = -np.inf
    return sel


class CacheScorer:
    source = "cache"

    def __init__(self, cache, proxy: str):
        if proxy not in cache.proxies:
            raise UsageError(f"{cache.path}: unknown proxy {proxy!r}; this cache holds "
                             f"{', '.join(cache.proxies) or 'no proxies'}")
        self.cache = cache
        self.proxy = proxy
        _, self._raw, self._status = cache.all_scores(proxy)

    def __call__(self, ids) -> tuple[np.ndarray, np.ndarray]:
        ids = np.asarray(ids, dtype=np.int64)
        rows = self.cache.rows(ids)                  # raises, naming absent ids
        status = self._status[rows]
        if np.any((status == PENDING) | (status == ERROR)):
            self.cache.scores(ids, self.proxy)       # raises, naming the ids
        raw = self._raw[rows]
        return _selection(self.cache.oriented(raw, self.proxy)), raw

    def seconds(self, ids) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size == 0:
            return np.zeros(0)
        return np.asarray(self.cache.seconds(ids, self.proxy), dtype=np.float64)


class OracleScorer:
    source = "oracle"

    def __init__(self, evaluator):
        self.evaluator = evaluator

    def __call__(self, ids):
        raw = self.evaluator.report(ids)
        return _selection(raw), raw

    def seconds(self, ids):
        return np.zeros(np.asarray(ids).size)


class SeededRandomScorer:
    source = "seeded-rng"

    def __init__(self, bench, seed: int):
        self.bench = bench
        self._values = np.random.default_rng([int(seed), 0x5EED]).random(bench.n)

    def __call__(self, ids):
        raw = self._values[self.bench.rows(ids)]
        return raw.copy(), raw

    def seconds(self, ids):
        return np.zeros(np.asarray(ids).size)


__all__ = ["CacheScorer", "OracleScorer", "SeededRandomScorer"]
