"""Proxy-score caches: one HDF5 file per shard, merged into one per space.

Layout (schema version 2; ``m`` architectures, ids ascending)::

    /                     attrs: format="zsnas-proxy-cache", schema_version=2, space,
                                 proxies (names), settings (canonical JSON of every
                                 setting that changes a score: proxy code versions,
                                 batch size, data seed, init seed, normalisation,
                                 augmentation, dtype, network width, classes),
                                 higher_is_better (JSON proxy -> bool: the sign the
                                 search ranks by), code_fingerprints (JSON proxy ->
                                 fingerprint of the code that scored it,
                                 zsnas.codedeps), benchmark_file, benchmark_checksum
                                 (the benchmark's content_checksum), synthetic,
                                 shards (JSON list of "i/n" merged here), devices,
                                 content_checksum (every dataset also carries its
                                 sha256; both verified on open)
    /ids                  int64 (m,)         architecture ids (benchmark ids)
    /scores/<proxy>       float64 (m,)       raw proxy value (sign as in the paper;
                                             see higher_is_better); NaN while not computed
    /seconds/<proxy>      float64 (m,)       wall seconds to compute it (network build
                                             excluded; shared passes split evenly)
    /status/<proxy>       int8 (m,)          -1 pending, 0 ok, 1 non-finite, 2 error
    /messages/<proxy>     utf-8 str (m,)     error message ('' unless status 2)

Non-finite scores (e.g. jacob_cov on an NB201 cell with no input→output path)
are stored as computed and **rank last** in every selection
(:meth:`ProxyCache.selection_scores` maps them to -inf, after turning a
lower-is-better proxy's value into its negative). A pending or failed
score is never silently replaced: querying it raises :class:`MissingScoreError`
naming the architectures.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import h5py
import numpy as np

from ..errors import InputError, ZsnasError
from ..benchmarks.schema import (atomic_path, decoded_attrs, open_readonly, read_verified, seal,
                                 verify_sealed, write_dataset)
from ..errors import MismatchError

FORMAT = "zsnas-proxy-cache"
SCHEMA_VERSION = 2
PENDING, OK, NONFINITE, ERROR = -1, 0, 1, 2
STATUS_NAMES = {PENDING: "pending", OK: "ok", NONFINITE: "non-finite", ERROR: "error"}


class CacheError(InputError):
    """A file that is not a proxy cache, or caches that cannot be merged."""


class CacheMismatchError(CacheError, MismatchError):
    """Caches, or a cache and a benchmark, that do not belong together."""


class MissingScoreError(ZsnasError, LookupError):
    """A score the caller needs is not in the cache (absent, pending or failed)."""


def canonical_settings(settings: dict) -> str:
    """Settings as canonical JSON (sorted keys), the form compared by merge."""
    return json.dumps(settings, sort_keys=True, separators=(",", ":"))


def write_cache(path: str | os.PathLike, *, space: str, ids, proxies: list[str],
                scores: dict, seconds: dict, status: dict, messages: dict | None = None,
                settings: dict, attrs: dict | None = None,
                higher_is_better: dict | None = None) -> Path:
    """Write a cache file atomically (temporary file, then rename).

    ``scores`` / ``seconds`` / ``status`` / ``messages``: proxy → array (m,).
    ``attrs`` may carry benchmark_file, benchmark_checksum, synthetic, shards,
    devices, code_fingerprints. ``higher_is_better``: proxy → bool, the sign the
    search ranks by (the scoring engine passes each registered proxy's; default
    True for every proxy).
    """
    higher_is_better = {p: True for p in proxies} if higher_is_better is None \
        else higher_is_better
    ids = np.asarray(ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    if ids.size > 1 and np.any(np.diff(ids) == 0):
        raise CacheError("duplicate architecture ids in a cache")
    path = Path(path)
    messages = messages or {}
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["schema_version"] = SCHEMA_VERSION
            f.attrs["space"] = space
            f.attrs["proxies"] = json.dumps(list(proxies))
            f.attrs["settings"] = canonical_settings(settings)
            f.attrs["higher_is_better"] = json.dumps({p: bool(higher_is_better[p])
                                                      for p in proxies}, sort_keys=True)
            for key, value in sorted((attrs or {}).items()):
                f.attrs[key] = json.dumps(value) if isinstance(value, (list, dict)) else value
            write_dataset(f, "ids", ids)
            for group, data, dtype in (("scores", scores, np.float64),
                                       ("seconds", seconds, np.float64),
                                       ("status", status, np.int8)):
                g = f.create_group(group)
                for name in proxies:
                    arr = np.asarray(data[name], dtype=dtype)[order]
                    write_dataset(g, name, arr)
            g = f.create_group("messages")
            for name in proxies:
                msg = messages.get(name)
                msg = [""] * ids.size if msg is None else [msg[i] for i in order]
                write_dataset(g, name, np.array(msg, dtype=object),
                              dtype=h5py.string_dtype("utf-8"))
            seal(f)
    return path


class ProxyCache:
    """A proxy cache loaded into memory, with vectorised look-ups by architecture id."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        with open_readonly(self.path) as f:
            if f.attrs.get("format") != FORMAT:
                raise CacheError(f"{self.path}: not a zsnas proxy cache (format="
                                 f"{f.attrs.get('format')!r})")
            if f.attrs.get("schema_version") != SCHEMA_VERSION:
                raise CacheError(f"{self.path}: cache schema version "
                                 f"{f.attrs.get('schema_version')}, this zsnas reads "
                                 f"{SCHEMA_VERSION}; score again")
            self.attrs = decoded_attrs(f)
            for key in ("space", "proxies", "settings", "benchmark_checksum",
                        "higher_is_better", "content_checksum"):
                if key not in self.attrs:
                    raise CacheError(f"{self.path}: missing root attribute {key!r}")
            try:
                self.space = str(self.attrs["space"])
                self.proxies: list[str] = json.loads(self.attrs["proxies"])
                self.settings: dict = json.loads(self.attrs["settings"])
                self.higher_is_better: dict = json.loads(self.attrs["higher_is_better"])
                self.code_fingerprints: dict = json.loads(self.attrs.get("code_fingerprints")
                                                          or "{}")
                self.ids = read_verified(f, "ids", self.path)
                m = self.ids.shape
                self._scores, self._seconds, self._status, self._messages = {}, {}, {}, {}
                for p in self.proxies:
                    if p not in self.higher_is_better:
                        raise CacheError(f"{self.path}: higher_is_better lacks {p!r}")
                    for table, group in ((self._scores, "scores"), (self._seconds, "seconds"),
                                         (self._status, "status"),
                                         (self._messages, "messages")):
                        data = read_verified(f, f"{group}/{p}", self.path)
                        if data.shape != m:
                            raise CacheError(f"{self.path}: /{group}/{p} has shape "
                                             f"{data.shape}, expected {m} (as /ids)")
                        table[p] = data
                    self._messages[p] = [v.decode() if isinstance(v, bytes) else v
                                         for v in self._messages[p]]
                verify_sealed(f, self.path)     # nothing added, removed or altered
            except (ValueError, TypeError) as exc:
                if isinstance(exc, InputError):
                    raise
                raise CacheError(f"{self.path}: malformed proxy cache ({exc})") from None
        self.n = int(self.ids.size)
        #: ensembles added with :meth:`add_ensemble` (name -> Ensemble); not in the file
        self.ensembles: dict = {}
        if self.n > 1 and np.any(np.diff(self.ids) <= 0):
            raise CacheError(f"{self.path}: /ids is not strictly ascending")

    @property
    def dataset(self) -> str:
        """The dataset of the benchmark the scores belong to (recorded when scored)."""
        return str(self.attrs.get("dataset", "cifar10"))

    @property
    def benchmark_checksum(self) -> str:
        """The content checksum of the benchmark the scores were computed on."""
        return str(self.attrs.get("benchmark_checksum", ""))

    def check_benchmark(self, bench) -> None:
        """Refuse a benchmark other than the one this cache was scored on, naming both."""
        if bench.space != self.space:
            raise CacheMismatchError(f"{self.path} scores {self.space} architectures but "
                                f"{bench.path} is a {bench.space} benchmark")
        if self.benchmark_checksum != bench.content_checksum:
            raise CacheMismatchError(
                f"{self.path} was scored on another benchmark than {bench.path} "
                f"(benchmark checksum {self.benchmark_checksum[:19]}… recorded, "
                f"{bench.content_checksum[:19]}… found); score again or pass the benchmark "
                f"it was scored on ({self.attrs.get('benchmark_file', '?')})")

    def __repr__(self) -> str:
        return (f"ProxyCache({str(self.path)!r}, space={self.space!r}, n={self.n}, "
                f"proxies={self.proxies})")

    def _proxy(self, proxy: str) -> str:
        if proxy not in self._scores:
            raise MissingScoreError(f"{self.path}: no scores for proxy {proxy!r} "
                                    f"(cache holds {self.proxies})")
        return proxy

    def rows(self, ids) -> np.ndarray:
        """Rows of ``ids``; raises :class:`MissingScoreError` for ids not in the cache."""
        ids = np.asarray(ids, dtype=np.int64)
        rows = np.searchsorted(self.ids, ids)
        rows = np.minimum(rows, max(self.n - 1, 0))
        bad = (self.ids[rows] != ids) if self.n else np.ones(ids.shape, bool)
        if np.any(bad):
            raise MissingScoreError(f"{self.path}: no scores for architecture id(s) "
                                    f"{np.unique(ids[bad])[:10].tolist()}")
        return rows

    def status(self, ids, proxy: str) -> np.ndarray:
        return self._status[self._proxy(proxy)][self.rows(ids)]

    def scores(self, ids, proxy: str) -> np.ndarray:
        """Raw scores; raises for pending or failed entries (naming the ids)."""
        rows = self.rows(ids)
        status = self._status[self._proxy(proxy)][rows]
        bad = (status == PENDING) | (status == ERROR)
        if np.any(bad):
            bad_ids = np.atleast_1d(np.asarray(ids))[np.atleast_1d(bad)]
            first = self._messages[proxy][int(np.atleast_1d(rows)[np.argmax(np.atleast_1d(bad))])]
            raise MissingScoreError(
                f"{self.path}: {proxy} score missing for architecture id(s) "
                f"{np.unique(bad_ids)[:10].tolist()}"
                + (f" (error: {first})" if first else " (not computed)"))
        return self._scores[proxy][rows]

    def oriented(self, values, proxy: str) -> np.ndarray:
        """``values`` of ``proxy`` turned so that higher = better (a lower-is-better
        proxy's values negated)."""
        values = np.array(values, dtype=np.float64)
        return values if self.higher_is_better[self._proxy(proxy)] else -values

    def selection_scores(self, ids, proxy: str) -> np.ndarray:
        """Scores for selection, higher = better (:meth:`oriented`); non-finite values
        become -inf (they rank last)."""
        values = self.oriented(self.scores(ids, proxy), proxy)
        values[~np.isfinite(values)] = -np.inf
        return values

    def seconds(self, ids, proxy: str) -> np.ndarray:
        self.scores(ids, proxy)  # same existence checks
        return self._seconds[proxy][self.rows(ids)]

    def all_scores(self, proxy: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ids, raw scores, status) of every architecture in the cache."""
        self._proxy(proxy)
        return self.ids, self._scores[proxy], self._status[proxy]

    def all_seconds(self, proxy: str) -> np.ndarray:
        """Seconds of every architecture in the cache (NaN where not computed)."""
        return self._seconds[self._proxy(proxy)]

    def messages(self, proxy: str) -> list[str]:
        return self._messages[self._proxy(proxy)]

    def add_ensemble(self, ensemble) -> None:
        """Add an :class:`~zsnas.scoring.ensembles.Ensemble` as a column (in memory only,
        higher = better), computed from its members' cached scores; see
        :mod:`zsnas.scoring.ensembles`.  Adding the same ensemble again does nothing;
        a different definition under a taken name raises."""
        from .ensembles import ensemble_columns
        if ensemble.name in self.ensembles:
            if self.ensembles[ensemble.name] != ensemble:
                raise CacheError(f"{self.path}: ensemble {ensemble.name!r} is already "
                                 f"{self.ensembles[ensemble.name].spec}, not {ensemble.spec}")
            return
        if ensemble.name in self._scores:
            raise CacheError(f"{self.path}: {ensemble.name!r} is a scored proxy of this cache; "
                             "name the ensemble otherwise")
        scores, seconds, status, messages = ensemble_columns(self, ensemble)
        name = ensemble.name
        self._scores[name], self._seconds[name] = scores, seconds
        self._status[name], self._messages[name] = status, messages
        self.higher_is_better[name] = True
        self.proxies.append(name)
        self.ensembles[name] = ensemble
