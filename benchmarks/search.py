"""Search throughput: runs/s on cached proxy scores, and the wall time of a full grid.

Builds (once, cached under --workdir) two SYNTHETIC fixture benchmarks through
``convert_table`` — NB201 at full size (all 15,625 cells) and a large NB101
one (``--nb101-archs`` cells closed under GEA's edge-flip mutation, so that
mutations land in it) — and a proxy cache with six synthetic proxy columns for
each (:mod:`zsnas.synthetic.search_fixtures`). Then prints

- runs/s of one GEA run (preset gea: 2,411 proxy look-ups, 211 trainings) on
  each space, after one warm-up run (the warm-up, which builds the per-process
  look-up tables, is printed separately), and of the baselines;
- the wall time of the grid 2 spaces × 6 proxies × 30 seeds on ``--workers``
  processes (default 2), every run written as JSON, including process start
  and loading of the files.

    python benchmarks/search.py [--workdir benchmarks/.cache] [--nb101-archs N]

Targets (2-core machine): a run well under 1 s on NB201; the grid under 1 min.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PROXIES = ("grad_norm", "snip", "grasp", "fisher", "jacob_cov", "synflow")
_LOADED: dict = {}


def build(workdir: Path, nb101_archs: int) -> dict:
    from zsnas.benchmarks.store import Benchmark
    from zsnas.synthetic.search_fixtures import (
        nb101_table_benchmark,
        nb201_table_benchmark,
        synthetic_cache,
    )
    workdir.mkdir(parents=True, exist_ok=True)
    files = {}
    for space in ("nb201", "nb101"):
        name = "search-nb201.h5" if space == "nb201" else f"search-nb101-{nb101_archs}.h5"
        bench_path = workdir / name
        cache_path = workdir / f"cache-{name}"
        if not bench_path.exists():
            t0 = time.perf_counter()
            if space == "nb201":
                nb201_table_benchmark(workdir, name=name)
            else:
                nb101_table_benchmark(workdir, nb101_archs, name=name)
            print(f"built {bench_path} in {time.perf_counter() - t0:.1f} s", flush=True)
        if not cache_path.exists():
            synthetic_cache(Benchmark(bench_path), cache_path, proxies=PROXIES)
        files[space] = (str(bench_path), str(cache_path))
    return files


def _load(space: str, files: dict):
    if space not in _LOADED:
        from zsnas.benchmarks.store import Benchmark
        from zsnas.scoring.cache import ProxyCache
        bench_path, cache_path = files[space]
        _LOADED[space] = (Benchmark(bench_path), ProxyCache(cache_path))
    return _LOADED[space]


def _grid_task(args):
    from zsnas.search import run_search, write_json
    files, out_dir, jobs = args
    for space, proxy, seed in jobs:
        bench, cache = _load(space, files)
        rec = run_search(bench, cache, proxy=proxy, seed=seed)
        write_json(rec, Path(out_dir) / f"{space}-{proxy}-{seed}.json")
    return len(jobs)


def throughput(files: dict, runs: int) -> None:
    from zsnas.search import run_search
    for space in ("nb201", "nb101"):
        bench, cache = _load(space, files)
        t0 = time.perf_counter()
        run_search(bench, cache, proxy="synflow", seed=10_000)
        warm = time.perf_counter() - t0
        for strategy in ("gea", "random", "re", "oracle", "random-score"):
            t0 = time.perf_counter()
            for seed in range(runs):
                rec = run_search(bench, cache, seed=seed, strategy=strategy,
                                 proxy="synflow" if strategy == "gea" else None)
            dt = (time.perf_counter() - t0) / runs
            extra = (f"  (first run incl. look-up tables: {warm:.2f} s)"
                     if strategy == "gea" else "")
            print(f"{space} n={bench.n:>6} {strategy:<12} {1 / dt:7.1f} runs/s "
                  f"({dt * 1000:6.1f} ms/run; {rec['n_proxy_calls']} proxy calls, "
                  f"{rec['n_trainings']} trainings, {rec['mutation_fallbacks']} fallbacks)"
                  f"{extra}", flush=True)


def grid(files: dict, workers: int, seeds: int) -> float:
    jobs = [(space, proxy, seed) for space in ("nb201", "nb101") for proxy in PROXIES
            for seed in range(seeds)]
    with tempfile.TemporaryDirectory() as out_dir:
        t0 = time.perf_counter()
        chunks = [jobs[i::workers * 4] for i in range(workers * 4)]
        with ProcessPoolExecutor(workers) as pool:
            done = sum(pool.map(_grid_task, [(files, out_dir, c) for c in chunks]))
        wall = time.perf_counter() - t0
        assert done == len(jobs) == len(os.listdir(out_dir))
    print(f"grid 2 spaces x {len(PROXIES)} proxies x {seeds} seeds = {len(jobs)} runs on "
          f"{workers} processes: {wall:.1f} s wall ({len(jobs) / wall:.1f} runs/s, incl. "
          "process start, file loading and JSON writing)", flush=True)
    return wall


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", default=str(Path(__file__).parent / ".cache"))
    ap.add_argument("--nb101-archs", type=int, default=10_000,
                    help="cells in the NB101 fixture (default 10,000; built once, cached)")
    ap.add_argument("--runs", type=int, default=10, help="timed runs per strategy and space")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=30)
    args = ap.parse_args(argv)
    files = build(Path(args.workdir), args.nb101_archs)
    throughput(files, args.runs)
    wall = grid(files, args.workers, args.seeds)
    print("target: grid < 60 s —", "met" if wall < 60 else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
