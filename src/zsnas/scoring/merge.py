"""Merge proxy caches: the shards of one scoring, and the caches of several proxy groups.

Shards are merged only when they belong together: same space, same benchmark
(content checksum), same settings, each proxy scored by one code version and
one code fingerprint with one sign convention; overlapping entries must agree
and, unless asked otherwise, no shard or architecture may be missing.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import UsageError
from .cache import PENDING, CacheError, CacheMismatchError, ProxyCache, canonical_settings, write_cache


def _comparable(settings: dict) -> dict:
    """Settings that must agree between merged caches (proxy versions compared per proxy)."""
    return {k: v for k, v in settings.items() if k != "proxy_versions"}


def merge_caches(shards: list[Path], out: Path, *, allow_incomplete: bool = False) -> Path:
    """Join caches into one: shards of one split (same proxies, disjoint ids) and/or
    caches of different proxies (e.g. one per shared-pass group) over the same ids.

    Refuses caches whose space, benchmark or settings differ (naming the keys),
    a proxy scored by two code versions, overlapping entries that disagree, and —
    unless ``allow_incomplete`` — a split with missing shards or architectures
    some proxy has not (successfully or non-finitely) scored.
    """
    if not shards:
        raise UsageError("merge needs at least one shard")
    caches = [ProxyCache(p) for p in shards]
    first = caches[0]
    versions: dict[str, object] = {}
    per_proxy: dict[str, dict[str, tuple]] = {"code fingerprint": {}, "higher_is_better": {}}
    for c in caches:
        for proxy in c.proxies:
            for what, value in (("code fingerprint", c.code_fingerprints.get(proxy)),
                                ("higher_is_better", c.higher_is_better[proxy])):
                seen = per_proxy[what].setdefault(proxy, (value, c.path))
                if seen[0] != value:
                    raise CacheMismatchError(f"cannot merge {c.path} with {seen[1]}: {proxy} was "
                                        f"scored with another {what} ({value!r} vs "
                                        f"{seen[0]!r})")
        for what, a, b in (("space", first.space, c.space),
                           ("benchmark", first.attrs.get("benchmark_checksum"),
                            c.attrs.get("benchmark_checksum"))):
            if a != b:
                raise CacheMismatchError(f"cannot merge {c.path} with {first.path}: {what} differs "
                                 f"({b!r} vs {a!r})")
        mine, theirs = _comparable(c.settings), _comparable(first.settings)
        if canonical_settings(mine) != canonical_settings(theirs):
            keys = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
            raise CacheMismatchError(f"cannot merge {c.path} with {first.path}: settings differ in "
                             f"{keys}")
        for proxy, version in c.settings.get("proxy_versions", {}).items():
            if versions.setdefault(proxy, version) != version:
                raise CacheMismatchError(f"cannot merge {c.path}: {proxy} was scored by code version "
                                 f"{version!r} here and {versions[proxy]!r} elsewhere")
    proxies = list(dict.fromkeys(p for c in caches for p in c.proxies))
    ids = np.unique(np.concatenate([c.ids for c in caches]))
    scores = {p: np.full(ids.size, np.nan) for p in proxies}
    seconds = {p: np.full(ids.size, np.nan) for p in proxies}
    status = {p: np.full(ids.size, PENDING, dtype=np.int8) for p in proxies}
    messages = {p: [""] * ids.size for p in proxies}
    for c in caches:
        rows = np.searchsorted(ids, c.ids)
        for p in c.proxies:
            _, sc, st = c.all_scores(p)
            done = st != PENDING
            clash = done & (status[p][rows] != PENDING) & \
                ~((scores[p][rows] == sc) | (np.isnan(scores[p][rows]) & np.isnan(sc)))
            if np.any(clash):
                raise CacheError(f"{c.path}: {p} scores of id(s) "
                                 f"{c.ids[clash][:5].tolist()} disagree with another cache")
            r = rows[done]
            scores[p][r], status[p][r], seconds[p][r] = sc[done], st[done], c.all_seconds(p)[done]
            for k in np.flatnonzero(done):
                messages[p][rows[k]] = c.messages(p)[k]
    shard_names = sorted({s for c in caches for s in _json_list(c.attrs.get("shards"))})
    if not allow_incomplete:
        by_split: dict[tuple, set] = {}
        for c in caches:
            for name in _json_list(c.attrs.get("shards")):
                if "/" in str(name):
                    i, n = str(name).split("/")
                    by_split.setdefault((tuple(c.proxies), int(n)), set()).add(int(i))
        for (group, n), have in sorted(by_split.items()):
            missing = sorted(set(range(n)) - have)
            if missing:
                raise CacheError(f"missing shard(s) {missing} of {n} for {', '.join(group)} "
                                 "(pass --allow-incomplete to merge anyway)")
        for p in proxies:
            pending = ids[status[p] == PENDING]
            if pending.size:
                raise CacheError(f"{p} not computed for {pending.size} architecture(s) "
                                 f"(first ids {pending[:5].tolist()}); finish the shards or "
                                 "pass --allow-incomplete")
    settings = dict(first.settings)
    settings["proxy_versions"] = {p: versions[p] for p in proxies if p in versions}
    attrs = {"benchmark_file": first.attrs.get("benchmark_file", ""), "dataset": first.dataset,
             "benchmark_checksum": first.attrs.get("benchmark_checksum", ""),
             "benchmark_source_checksum": first.attrs.get("benchmark_source_checksum", ""),
             "code_fingerprints": {p: per_proxy["code fingerprint"][p][0] for p in proxies},
             "synthetic": bool(first.attrs.get("synthetic", False)),
             "shards": shard_names,
             "devices": sorted({d for c in caches for d in _json_list(c.attrs.get("devices"))})}
    return write_cache(out, space=first.space, ids=ids, proxies=proxies, scores=scores,
                       seconds=seconds, status=status, messages=messages,
                       settings=settings, attrs=attrs,
                       higher_is_better={p: per_proxy["higher_is_better"][p][0] for p in proxies})


def _json_list(value) -> list:
    if value is None:
        return []
    try:
        out = json.loads(value)
    except (TypeError, ValueError):
        return [str(value)]
    return out if isinstance(out, list) else [out]


__all__ = ["merge_caches"]
