"""Scoring engine: one shard of a benchmark's architectures, every requested proxy.

For each architecture id of the shard (the ``I``-th of ``N`` disjoint strided
slices of the benchmark's sorted ids, optionally restricted to a list):

1. build the benchmark network (NB201 ``TinyNetwork`` C=width, NB101 at
   stem width) on the CPU under ``torch.manual_seed(arch_seed)``, where
   ``arch_seed`` derives from (init seed, architecture id) — so a score never
   depends on scoring order, sharding, device count or device type of the
   initialisation;
2. move it to the device and call :func:`zsnas.proxies.score_network` on the
   fixed batch (:mod:`zsnas.scoring.data`), sharing passes between proxies;
3. record value, seconds and status (ok / non-finite / error + message).

Progress is checkpointed (atomically) to ``<out>.partial`` every
``checkpoint_seconds`` and when the run is stopped; the output itself appears
only once every architecture is scored (renamed from the checkpoint), so a
workflow never takes a half-scored shard as done. A rerun resumes from the
checkpoint (or from a finished output), skipping finished architectures, and
refuses files written with other settings.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..benchmarks.store import Benchmark
from .cache import (ERROR, NONFINITE, OK, PENDING, CacheError, ProxyCache, canonical_settings,
                    write_cache)
from .data import BatchSettings, scoring_batch


def arch_seed(init_seed: int, arch_id: int) -> int:
    """Seed of one architecture's initial weights, from (init seed, id) only."""
    return int(np.random.SeedSequence([int(init_seed), int(arch_id)]).generate_state(1)[0])


def default_width(space: str) -> int:
    """NB201: cell channels C = 16; NB101: stem channels 128 (the benchmark's)."""
    return 16 if space == "nb201" else 128


def build_network(bench: Benchmark, arch_id: int, width: int, num_classes: int = 10):
    """The benchmark network of ``arch_id`` (PyTorch default / builder initialisation)."""
    if bench.space == "nb201":
        from ..networks.nb201 import build_nb201
        return build_nb201(bench.ops(arch_id), C=width, num_classes=num_classes)
    from ..networks.nb101 import build_nb101
    matrix, ops = bench.spec(arch_id)
    return build_nb101(matrix, ops, stem_channels=width, num_classes=num_classes)


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` → (I, N) with 0 <= I < N."""
    try:
        i, n = (int(v) for v in str(text).split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like I/N (e.g. 0/4), got {text!r}") from None
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"--shard {text}: need 0 <= I < N")
    return i, n


def shard_ids(all_ids: np.ndarray, shard: tuple[int, int], subset=None) -> np.ndarray:
    """The shard's ids: every N-th of the sorted (subset of) ids, starting at I."""
    ids = np.asarray(all_ids, dtype=np.int64)
    if subset is not None:
        subset = np.unique(np.asarray(subset, dtype=np.int64))
        unknown = np.setdiff1d(subset, ids)
        if unknown.size:
            raise ValueError(f"--ids lists architecture id(s) not in the benchmark: "
                             f"{unknown[:10].tolist()}")
        ids = subset
    i, n = shard
    return np.sort(ids)[i::n]


def read_ids_file(path: str | os.PathLike) -> np.ndarray:
    """One integer id a line (blank lines and # comments ignored)."""
    out = []
    for no, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            out.append(int(line))
        except ValueError:
            raise ValueError(f"{path}:{no}: not an architecture id: {line!r}") from None
    return np.array(out, dtype=np.int64)


@dataclass
class ScoreJob:
    """All inputs of one ``zsnas score`` call."""
    benchmark: Path
    cifar10: Path
    out: Path
    proxies: list[str]
    shard: tuple[int, int] = (0, 1)
    ids: np.ndarray | None = None
    batch: BatchSettings = field(default_factory=BatchSettings)
    init_seed: int = 0
    width: int | None = None
    num_classes: int = 10
    device: str = "cpu"
    shared: bool = True
    checkpoint_seconds: float = 60.0
    progress: bool = True

    def settings(self, space: str) -> dict:
        """Everything that changes a score (compared on resume and by merge)."""
        from ..proxies import PROXIES
        return {
            "space": space,
            "network": ("nb201-tinynetwork-N5" if space == "nb201" else "nb101-3x3"),
            "width": self.width or default_width(space),
            "num_classes": self.num_classes,
            "dtype": "float32",
            "init": "pytorch-default+builder",
            "init_seed": self.init_seed,
            "batch": self.batch.record(),
            "proxy_versions": {p: PROXIES[p].version for p in self.proxies},
        }


def _device(name: str):
    import torch
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError("--device cuda requested but no CUDA device is available "
                             "(use --device cpu)")
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    return torch.device(name)


def _device_label(device) -> str:
    import torch
    if device.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(device)}"
    return "cpu"


def score_shard(job: ScoreJob) -> Path:
    """Score one shard into ``job.out`` (resuming it if present); returns the path."""
    import torch
    from tqdm import tqdm

    from ..proxies import resolve, score_network

    proxies = resolve(job.proxies)
    job.proxies = proxies
    bench = Benchmark(job.benchmark)
    ids = shard_ids(bench.ids, job.shard, job.ids)
    settings = job.settings(bench.space)
    width = settings["width"]
    m = ids.size
    scores = {p: np.full(m, np.nan) for p in proxies}
    seconds = {p: np.full(m, np.nan) for p in proxies}
    status = {p: np.full(m, PENDING, dtype=np.int8) for p in proxies}
    messages = {p: [""] * m for p in proxies}
    partial = partial_path(job.out)
    previous = partial if partial.exists() else job.out if job.out.exists() else None
    if previous is not None:
        old = ProxyCache(previous)
        if canonical_settings(old.settings) != canonical_settings(settings) \
                or old.proxies != proxies:
            raise CacheError(f"{previous}: exists with other settings or proxies; delete it "
                             "or choose another --out (nothing was overwritten)")
        if not np.array_equal(old.ids, ids):
            raise CacheError(f"{previous}: exists for another shard / id list; delete it or "
                             "choose another --out")
        for p in proxies:
            _, sc, st = old.all_scores(p)
            scores[p][:], status[p][:] = sc, st
            seconds[p][:] = old.all_seconds(p)
            messages[p] = list(old.messages(p))
    device = _device(job.device)
    import sys
    print(f"zsnas score: {job.out.name}: {m} architectures, proxies {','.join(proxies)}, "
          f"device {_device_label(device)} (CUDA_VISIBLE_DEVICES="
          f"{os.environ.get('CUDA_VISIBLE_DEVICES', '')})", file=sys.stderr, flush=True)
    x, y = scoring_batch(job.cifar10, job.batch)
    x, y = x.to(device), y.to(device)
    attrs = {"benchmark_file": bench.path.name,
             "benchmark_checksum": str(bench.attrs.get("source_checksum", "")),
             "synthetic": bench.synthetic, "shards": [f"{job.shard[0]}/{job.shard[1]}"],
             "devices": [_device_label(device)]}

    def save(path):
        write_cache(path, space=bench.space, ids=ids, proxies=proxies, scores=scores,
                    seconds=seconds, status=status, messages=messages, settings=settings,
                    attrs=attrs)

    todo = [k for k in range(m) if any(status[p][k] == PENDING for p in proxies)]
    last = time.monotonic()
    bar = tqdm(total=m, initial=m - len(todo), unit="arch", desc=f"score {job.out.name}",
               disable=not job.progress, mininterval=1.0, smoothing=0.05)
    try:
        for k in todo:
            arch_id = int(ids[k])
            seed = arch_seed(job.init_seed, arch_id)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                model = build_network(bench, arch_id, width, job.num_classes)
            model = model.to(device).train()
            results = score_network(model, x, y, proxies, arch_seed=seed, shared=job.shared,
                                    consume=True)
            for p in proxies:
                r = results[p]
                scores[p][k] = r.value
                seconds[p][k] = r.seconds
                if r.error:
                    status[p][k], messages[p][k] = ERROR, r.error
                else:
                    status[p][k] = OK if math.isfinite(r.value) else NONFINITE
            bar.update()
            if time.monotonic() - last > job.checkpoint_seconds:
                save(partial)
                last = time.monotonic()
    except BaseException:
        save(partial)  # keep what was computed; a rerun resumes from here
        raise
    finally:
        bar.close()
    save(job.out)
    partial.unlink(missing_ok=True)
    return job.out


def partial_path(out: Path) -> Path:
    """Where an unfinished shard keeps its progress."""
    return out.with_name(out.name + ".partial")


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
        raise ValueError("merge needs at least one shard")
    caches = [ProxyCache(p) for p in shards]
    first = caches[0]
    versions: dict[str, object] = {}
    for c in caches:
        for what, a, b in (("space", first.space, c.space),
                           ("benchmark", first.attrs.get("benchmark_checksum"),
                            c.attrs.get("benchmark_checksum"))):
            if a != b:
                raise CacheError(f"cannot merge {c.path} with {first.path}: {what} differs "
                                 f"({b!r} vs {a!r})")
        mine, theirs = _comparable(c.settings), _comparable(first.settings)
        if canonical_settings(mine) != canonical_settings(theirs):
            keys = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
            raise CacheError(f"cannot merge {c.path} with {first.path}: settings differ in "
                             f"{keys}")
        for proxy, version in c.settings.get("proxy_versions", {}).items():
            if versions.setdefault(proxy, version) != version:
                raise CacheError(f"cannot merge {c.path}: {proxy} was scored by code version "
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
    attrs = {"benchmark_file": first.attrs.get("benchmark_file", ""),
             "benchmark_checksum": first.attrs.get("benchmark_checksum", ""),
             "synthetic": bool(first.attrs.get("synthetic", False)),
             "shards": shard_names,
             "devices": sorted({d for c in caches for d in _json_list(c.attrs.get("devices"))})}
    return write_cache(out, space=first.space, ids=ids, proxies=proxies, scores=scores,
                       seconds=seconds, status=status, messages=messages,
                       settings=settings, attrs=attrs)


def _json_list(value) -> list:
    import json
    if value is None:
        return []
    try:
        out = json.loads(value)
    except (TypeError, ValueError):
        return [str(value)]
    return out if isinstance(out, list) else [out]
