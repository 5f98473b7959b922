"""``analyse()``: every table, figure and test of the analysis, written into one folder.

Outputs (all written atomically, rows sorted, floats in a fixed format, figure
metadata fixed, so the same inputs give byte-identical files):

- ``table1.csv/.md/.tex`` — mean ± std final accuracy per space × method (:mod:`.table1`)
- ``curves.csv/.png/.pdf`` — convergence curves with 95 % t-bands (:mod:`.curves`)
- ``stats_groups.csv``, ``stats_tests.csv``, ``stats_posthoc.csv``,
  ``stats_summary.md`` — ANOVA / Welch / Levene / Shapiro / Kruskal + post-hocs (:mod:`.stats`)
- ``counts.csv/.md`` — distinct architectures scored / trained (:mod:`.counts`)
- ``reproduction.csv/.md`` — the seed study's Table 1 beside ours (:mod:`.reproduction`)
- ``quality.csv/.md/.png/.pdf``, ``quality_scatter.png/.pdf`` — proxy rank quality over
  the cached space with bootstrap intervals, all and unique cells, cost per
  architecture, when a proxy cache and a benchmark are given (:mod:`.quality`)
- ``effects.csv/.md/.png/.pdf`` — each guide against the random-score GEA, random
  search and regularised evolution at equal trainings; share of the oracle's gain
  (:mod:`.effects`)
- ``anytime.csv/.md/.png/.pdf`` — anytime curves per trainings and per simulated
  time, areas with intervals (:mod:`.anytime`)
- ``search_quality.csv/.md/.png/.pdf``, ``neighbourhood_quality.csv`` — the guide's
  quality inside the batches it ranked and over mutation neighbourhoods, when the
  benchmark is given (:mod:`.search_quality`)
- ``findings.md`` — the results as sentences with numbers and intervals (:mod:`.findings`)

When any run (or cache / benchmark) is synthetic, every CSV has
``data=SYNTHETIC``, every Markdown file starts with a SYNTHETIC banner, the
LaTeX table says so and the figures carry a red label.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import UsageError
from .counts import write_counts
from .curves import write_curves
from .reproduction import write_reproduction
from .runs import bench_key, bench_of, load_runs
from .stats import write_stats
from .table1 import write_table1

_PREFIX = re.compile(r"^([A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)?)=(.+)$")


def parse_space_file(spec) -> tuple[str | None, Path]:
    """``"nb201=FILE"`` or ``"nb201/cifar100=FILE"`` → (that key, FILE); a plain path →
    ``(None, path)``."""
    from ..spaces import is_space
    if isinstance(spec, os.PathLike):
        return None, Path(spec)
    m = _PREFIX.match(str(spec))
    if m and is_space(m.group(1).partition("/")[0]):
        return m.group(1), Path(m.group(2))
    return None, Path(spec)


def _items(spec) -> list[tuple[str | None, Path]]:
    if spec is None:
        return []
    if isinstance(spec, dict):
        return [(str(k), Path(v)) for k, v in spec.items()]
    if isinstance(spec, (str, os.PathLike)):
        return [parse_space_file(spec)]
    return [parse_space_file(s) for s in spec]


def open_by_bench(spec, kind: str, opener) -> dict:
    """Open each file of ``spec`` (path, ``SPACE[/DATASET]=path`` strings, list, or dict)
    with ``opener`` and key it by the file's benchmark (``space/dataset``)."""
    out = {}
    for given, path in _items(spec):
        obj = opener(path)
        key = bench_of(obj.space, obj.dataset)
        if given is not None and given not in (obj.space, key):
            raise UsageError(f"{path}: given as the {given} {kind} but it holds {key}")
        if key in out:
            raise UsageError(f"{path}: a second {kind} for {key} (already have "
                             f"{out[key].path})")
        out[key] = obj
    return out


def add_ensembles(caches, settings) -> None:
    """Add to each cache the ensembles its runs were guided by (``settings["ensemble"]``)
    and every preset ensemble whose members it holds, so that proxy quality lists them
    like the proxies (:mod:`zsnas.scoring.ensembles`).  Two runs that define one name
    differently stop the analysis, naming the name."""
    from ..scoring.ensembles import PRESETS, Ensemble
    used: dict[str, Ensemble] = {}
    for s in settings:
        e = s.get("ensemble")
        if not e:
            continue
        ens = Ensemble(e["name"], tuple(e["members"]), e["method"])
        if used.setdefault(ens.name, ens) != ens:
            raise UsageError(f"runs define ensemble {ens.name!r} twice: {used[ens.name].spec} "
                             f"and {ens.spec}")
    for cache in caches:
        for name, ens in {**PRESETS, **used}.items():
            if name not in cache.proxies and all(m in cache.proxies for m in ens.members):
                cache.add_ensemble(ens)


def analyse(runs, out_dir, cache=None, benchmark=None) -> dict[str, Path]:
    """Analyse run files and write every output into ``out_dir``.

    ``runs``: run JSON files, folders or glob patterns. ``cache`` / ``benchmark``:
    a path, ``"SPACE[/DATASET]=path"`` strings, a list of those, or a dict; proxy
    quality is computed for every benchmark (space, dataset) that has both. Returns
    ``{file name: path}`` of everything written, sorted by name.
    """
    if isinstance(runs, (str, os.PathLike)):
        runs = [runs]
    data = load_runs(runs)
    caches, benches = {}, {}
    if cache is not None or benchmark is not None:
        from ..benchmarks.store import Benchmark
        from ..scoring.cache import ProxyCache
        caches = open_by_bench(cache, "proxy cache", ProxyCache)
        benches = open_by_bench(benchmark, "benchmark", Benchmark)
    for key in sorted(set(caches) | set(benches), key=bench_key):
        if key not in caches:
            raise UsageError(f"{benches[key].path}: benchmark for {key} given without a "
                             f"proxy cache for {key} (proxy quality needs both)")
        if key not in benches:
            raise UsageError(f"{caches[key].path}: proxy cache for {key} given without a "
                             f"benchmark for {key} (proxy quality needs both)")
    pairs = [(caches[k], benches[k]) for k in sorted(caches, key=bench_key)]
    from ..errors import MismatchError
    for cache_obj, bench in pairs:
        cache_obj.check_benchmark(bench)
        key = bench_of(bench.space, bench.dataset)
        for path, run_bench, settings in zip(data.runs["file"], data.runs["bench"],
                                             data.settings):
            if run_bench == key and settings.get("benchmark_checksum") != bench.content_checksum:
                raise MismatchError(f"{path} was run on another benchmark than {bench.path} "
                                    "(benchmark checksums differ); pass the benchmark the "
                                    "runs used")
    add_ensembles([c for c, _ in pairs], data.settings)
    from .quality import is_synthetic, write_quality
    synthetic = data.synthetic or any(is_synthetic(c, b) for c, b in pairs)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    written.update(write_table1(data, out_dir, synthetic))
    written.update(write_curves(data, out_dir, synthetic))
    written.update(write_stats(data, out_dir, synthetic))
    written.update(write_counts(data, out_dir, synthetic))
    written.update(write_reproduction(data, out_dir, synthetic))
    from .anytime import anytime_tables, write_anytime
    from .effects import effects_table, write_effects
    from .findings import write_findings
    from .search_quality import search_quality_table, write_search_quality
    from .stats import run_stats
    written.update(write_effects(data, out_dir, synthetic))
    written.update(write_anytime(data, out_dir, synthetic))
    space_quality = None
    if pairs:
        written.update(write_quality(pairs, out_dir, synthetic))
        import pandas as pd
        space_quality = pd.read_csv(written["quality.csv"])
        space_quality = space_quality[space_quality["scope"] == "all"]
    bench_objs = {bench_of(b.space, b.dataset): b for b in benches.values()}
    if bench_objs:
        written.update(write_search_quality(data, bench_objs, pairs, space_quality, out_dir,
                                            synthetic))
    search_q = search_quality_table(data, bench_objs, space_quality) if bench_objs else None
    written.update(write_findings(effects_table(data), run_stats(data), search_q,
                                  anytime_tables(data)[1], out_dir, synthetic))
    return dict(sorted(written.items()))
