"""Scoring engine: one shard of a benchmark's architectures, every requested proxy.

For each architecture id of the shard (the ``I``-th of ``N`` disjoint strided
slices of the benchmark's sorted ids, optionally restricted to a list):

1. build the benchmark network (the space's ``network`` part: NB201
   ``TinyNetwork`` C=width, NB101 at stem width) on the CPU under ``torch.manual_seed(arch_seed)``, where
   ``arch_seed`` derives from (init seed, architecture id) — so a score never
   depends on scoring order, sharding, device count or device type of the
   initialisation;
2. move it to the device and call :func:`zsnas.proxies.score_network` on the
   fixed batch (:mod:`zsnas.scoring.data`), sharing passes between proxies;
3. record value, seconds and status (ok / non-finite / error + message).

With ``workers > 1`` steps 1–2 run in that many processes sharing the device
(:mod:`zsnas.scoring.workers`); this process records the results and writes
every file, and the scores are the same bytes as with one process.

Progress is checkpointed (atomically) to ``<out>.partial`` every
``checkpoint_seconds`` and when the run is stopped; the output itself appears
only once every architecture is scored (renamed from the checkpoint), so a
workflow never takes a half-scored shard as done. A rerun resumes from the
checkpoint (or from a finished output), skipping finished architectures, and
refuses files written with other settings, on another benchmark (content
checksum) or by other code (code fingerprint, :mod:`zsnas.codedeps`).

Every argument is checked before anything is created: a refused command
leaves no ``.partial`` behind, and a checkpoint is written only when it holds
work done by this run.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..benchmarks.store import Benchmark
from ..errors import InputError, MismatchError, UsageError
from ..spaces import get_space
from .cache import (ERROR, NONFINITE, OK, PENDING, CacheError, CacheMismatchError, ProxyCache,
                    canonical_settings, write_cache)
from .data import BatchSettings, scoring_batch


def arch_seed(init_seed: int, arch_id: int) -> int:
    """Seed of one architecture's initial weights, from (init seed, id) only."""
    return int(np.random.SeedSequence([int(init_seed), int(arch_id)]).generate_state(1)[0])


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` → (I, N) with 0 <= I < N."""
    try:
        i, n = (int(v) for v in str(text).split("/"))
    except ValueError:
        raise UsageError(f"--shard must look like I/N (e.g. 0/4), got {text!r}") from None
    if n < 1 or not 0 <= i < n:
        raise UsageError(f"--shard {text}: need 0 <= I < N")
    return i, n


def shard_ids(all_ids: np.ndarray, shard: tuple[int, int], subset=None) -> np.ndarray:
    """The shard's ids: every N-th of the sorted (subset of) ids, starting at I."""
    ids = np.asarray(all_ids, dtype=np.int64)
    if subset is not None:
        subset = np.unique(np.asarray(subset, dtype=np.int64))
        unknown = np.setdiff1d(subset, ids)
        if unknown.size:
            raise UsageError(f"--ids lists architecture id(s) not in the benchmark: "
                             f"{unknown[:10].tolist()}")
        ids = subset
    i, n = shard
    return np.sort(ids)[i::n]


def read_ids_file(path: str | os.PathLike) -> np.ndarray:
    """One integer id a line (blank lines and # comments ignored), each in 0 .. 2**63-1."""
    from ..errors import InputMissingError
    path = Path(path)
    if not path.exists():
        raise InputMissingError(f"--ids {path}: no such file")
    if not path.is_file():
        raise UsageError(f"--ids {path}: not a file")
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file of architecture ids") from None
    out = []
    for no, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            value = int(line)
        except ValueError:
            raise InputError(f"{path}:{no}: not an architecture id: {line!r}") from None
        if not 0 <= value < 2**63:
            raise InputError(f"{path}:{no}: architecture id {value} outside 0 .. 2**63-1")
        out.append(value)
    return np.array(out, dtype=np.int64)


@dataclass
class ScoreJob:
    """All inputs of one ``zsnas score`` call."""
    benchmark: Path
    data: Path                      # the dataset's images (folder or archive)
    out: Path
    proxies: list[str]
    shard: tuple[int, int] = (0, 1)
    ids: np.ndarray | None = None
    batch: BatchSettings = field(default_factory=BatchSettings)
    init_seed: int = 0
    width: int | None = None
    num_classes: int | None = None  # default: the benchmark dataset's classes
    device: str = "cpu"
    shared: bool = True
    workers: int = 1                # scoring processes sharing the device (scoring.workers)
    checkpoint_seconds: float = 60.0
    progress: bool = True

    def settings(self, space: str, dataset: str = "cifar10") -> dict:
        """Everything that changes a score (compared on resume and by merge)."""
        from ..datasets import get_dataset
        from ..proxies import PROXIES
        sp = get_space(space)
        data = get_dataset(dataset)
        return {
            "space": space,
            "dataset": dataset,
            "network": sp.network_name,
            "width": sp.default_width if self.width is None else self.width,
            "num_classes": data.num_classes if self.num_classes is None else self.num_classes,
            "image_size": data.image_size,
            "dtype": "float32",
            "init": "pytorch-default+builder",
            "init_seed": self.init_seed,
            "batch": self.batch.record(dataset),
            "proxy_versions": {p: PROXIES[p].version for p in self.proxies},
        }


def _device(name: str):
    import torch
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UsageError(f"--device {name}: no CUDA device is available (use --device "
                             "cpu)")
        index = torch.device(name).index
        if index is not None and index >= torch.cuda.device_count():
            raise UsageError(f"--device {name}: only {torch.cuda.device_count()} CUDA "
                             "device(s)")
    elif name == "mps" and not (getattr(torch.backends, "mps", None)
                                and torch.backends.mps.is_available()):
        raise UsageError("--device mps: no MPS device is available (use --device cpu)")
    if name.startswith("cuda"):
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    return torch.device(name)


def _device_label(device) -> str:
    import torch
    if device.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(device)}"
    return "cpu"


def _check_job(job: ScoreJob, space) -> None:
    """Arguments that can be refused before anything is read or written."""
    if isinstance(job.init_seed, bool) or int(job.init_seed) != job.init_seed \
            or job.init_seed < 0:
        raise UsageError(f"--init-seed must be an integer >= 0, got {job.init_seed!r}")
    if job.num_classes is not None and (isinstance(job.num_classes, bool)
                                        or int(job.num_classes) != job.num_classes
                                        or job.num_classes < 2):
        raise UsageError(f"--classes must be an integer >= 2 (the loss-based proxies are "
                         f"identically 0 with one class), got {job.num_classes!r}")
    if job.width is not None:
        space.check_width(job.width)
    if isinstance(job.workers, bool) or int(job.workers) != job.workers or job.workers < 1:
        raise UsageError(f"--workers must be an integer >= 1, got {job.workers!r}")
    if not job.checkpoint_seconds >= 0:
        raise UsageError(f"--checkpoint-seconds must be >= 0, got {job.checkpoint_seconds}")


def _resume(previous: Path, settings: dict, proxies: list[str], ids, bench, fingerprint: str):
    """The previous cache of this shard, refused unless it is the same scoring."""
    old = ProxyCache(previous)
    if canonical_settings(old.settings) != canonical_settings(settings) \
            or old.proxies != proxies:
        raise CacheError(f"{previous}: exists with other settings or proxies; delete it or "
                         "choose another --out (nothing was overwritten)")
    if not np.array_equal(old.ids, ids):
        raise CacheError(f"{previous}: exists for another shard / id list; delete it or "
                         "choose another --out")
    try:
        old.check_benchmark(bench)
    except MismatchError as exc:
        raise CacheMismatchError(f"{exc} — delete it to score {bench.path} (nothing was "
                            "overwritten)") from None
    recorded = {old.code_fingerprints.get(p) for p in proxies}
    if recorded != {fingerprint}:
        raise CacheMismatchError(f"{previous}: was scored by other code (code fingerprint "
                            f"{sorted(map(str, recorded))[0][:19]}…, this code "
                            f"{fingerprint[:19]}…); delete it to score again (nothing was "
                            "overwritten)")
    return old


def score_shard(job: ScoreJob) -> Path:
    """Score one shard into ``job.out`` (resuming it if present); returns the path."""
    import sys

    import torch
    from tqdm import tqdm

    from ..codedeps import stage_fingerprint
    from ..proxies import PROXIES, resolve
    from .workers import WorkerPool, score_one

    proxies = resolve(job.proxies)
    job.proxies = proxies
    bench = Benchmark(job.benchmark)
    space = get_space(bench.space)
    _check_job(job, space)
    ids = shard_ids(bench.ids, job.shard, job.ids)
    settings = job.settings(bench.space, bench.dataset)
    width = settings["width"]
    num_classes = settings["num_classes"]
    device = _device(job.device)
    x, y = scoring_batch(bench.dataset, job.data, job.batch)
    fingerprint = stage_fingerprint("score", space=bench.space, proxies=proxies,
                                    dataset=bench.dataset)
    m = ids.size
    if m:   # the network must build at this width (before any file is created)
        try:
            with torch.random.fork_rng(devices=[]):
                space.build_network(bench, int(ids[0]), width, num_classes)
        except Exception as exc:  # noqa: BLE001 - reported as a usage error
            raise UsageError(f"--width {width}: cannot build the {bench.space} network of "
                             f"architecture {int(ids[0])} ({type(exc).__name__}: {exc})") from None
    scores = {p: np.full(m, np.nan) for p in proxies}
    seconds = {p: np.full(m, np.nan) for p in proxies}
    status = {p: np.full(m, PENDING, dtype=np.int8) for p in proxies}
    messages = {p: [""] * m for p in proxies}
    partial = partial_path(job.out)
    previous = partial if partial.exists() else job.out if job.out.exists() else None
    if previous is not None:
        old = _resume(previous, settings, proxies, ids, bench, fingerprint)
        for p in proxies:
            _, sc, st = old.all_scores(p)
            scores[p][:], status[p][:] = sc, st
            seconds[p][:] = old.all_seconds(p)
            messages[p] = list(old.messages(p))
    print(f"zsnas score: {job.out.name}: {m} architectures, proxies {','.join(proxies)}, "
          f"device {_device_label(device)} (CUDA_VISIBLE_DEVICES="
          f"{os.environ.get('CUDA_VISIBLE_DEVICES', '')})", file=sys.stderr, flush=True)
    x, y = x.to(device), y.to(device)
    attrs = {"benchmark_file": bench.path.name, "dataset": bench.dataset,
             "benchmark_checksum": bench.content_checksum,
             "benchmark_source_checksum": str(bench.attrs.get("source_checksum", "")),
             "code_fingerprints": {p: fingerprint for p in proxies},
             "synthetic": bench.synthetic, "shards": [f"{job.shard[0]}/{job.shard[1]}"],
             "devices": [_device_label(device)], "workers": int(job.workers)}
    orientation = {p: PROXIES[p].higher_is_better for p in proxies}

    def save(path):
        write_cache(path, space=bench.space, ids=ids, proxies=proxies, scores=scores,
                    seconds=seconds, status=status, messages=messages, settings=settings,
                    attrs=attrs, higher_is_better=orientation)

    todo = [k for k in range(m) if any(status[p][k] == PENDING for p in proxies)]
    done_here = 0
    last = time.monotonic()
    bar = tqdm(total=m, initial=m - len(todo), unit="arch", desc=f"score {job.out.name}",
               disable=not job.progress, mininterval=1.0, smoothing=0.05)

    def record(k: int, results: dict) -> None:
        nonlocal done_here, last
        for p in proxies:
            r = results[p]
            scores[p][k] = r.value
            seconds[p][k] = r.seconds
            if r.error:
                status[p][k], messages[p][k] = ERROR, r.error
            else:
                status[p][k] = OK if math.isfinite(r.value) else NONFINITE
        done_here += 1
        bar.update()
        if time.monotonic() - last > job.checkpoint_seconds:
            save(partial)
            last = time.monotonic()

    pool = None
    try:
        if job.workers > 1 and len(todo) > 1:
            pool = WorkerPool(min(job.workers, len(todo)), bench.path, x, y, {
                "device": str(device), "init_seed": int(job.init_seed), "width": width,
                "num_classes": num_classes, "proxies": proxies, "shared": job.shared},
                threads=max(1, torch.get_num_threads() // job.workers))
            for k, results in pool.map((k, int(ids[k])) for k in todo):
                record(k, results)
        else:
            for k in todo:
                record(k, score_one(space, bench, int(ids[k]), init_seed=job.init_seed,
                                    width=width, num_classes=num_classes, device=device,
                                    x=x, y=y, proxies=proxies, shared=job.shared))
    except BaseException:
        if done_here:
            save(partial)  # keep what was computed; a rerun resumes from here
        raise
    finally:
        if pool is not None:
            pool.close()
        bar.close()
    save(job.out)
    partial.unlink(missing_ok=True)
    return job.out


def partial_path(out: Path) -> Path:
    """Where an unfinished shard keeps its progress."""
    return out.with_name(out.name + ".partial")
