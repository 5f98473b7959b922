"""Load search-run JSON files (``format="zsnas-run"``, versions 1 and 2) into tidy frames.

:func:`load_runs` returns a :class:`RunData` with

- ``runs``: one row per run — ``file, space, strategy, proxy, method, seed,
  preset, P, S, C, cycles, children, regularize, fitness_budget, fitness_trial,
  report, benchmark, benchmark_checksum, synthetic, cache_width,
  final_id, final_fitness, final_accuracy, n_scored, n_trained, n_proxy_calls,
  n_trainings, search_time, train_time, proxy_time, curve_len``;
- ``curves``: the best-so-far curves in long form — ``space, method, seed, file,
  cycle, accuracy`` (cycle 0 = after the initial population).

``method`` is the proxy name for strategy ``gea`` (``gea`` alone when a GEA run
has no proxy; ``gea:<proxy>`` when the proxy is named like a baseline strategy,
e.g. the cached ``random`` proxy vs random search) and the strategy name
otherwise.

Pooling rules (:func:`check_pooling`): runs pool into one cell (space, method)
only when every setting that changes a result is equal (everything in
``settings`` but the seed and file names: P, S, C, preset, fitness, report,
mutation, benchmark and cache checksums and settings, code fingerprint, …);
two runs with the same settings and seed are duplicates (a copied file) and an
error; the cells of one space must share the benchmark and the search
settings they have in common. Each refusal names the files and the keys.
Runs of an unknown space, with a final encoding that is not of their space, or
with a non-finite accuracy are refused. Rows are sorted by space, method
(paper order: proxies first, then the baselines), seed and file name, so every
derived table is deterministic. A file that is not a zsnas run raises
:class:`RunFileError` naming the file.
"""
from __future__ import annotations

import glob
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError, InputMissingError

FORMAT = "zsnas-run"
VERSION = 2
VERSIONS = (1, 2)   # version 1 has no "batches" (what the guide ranked)

#: Column order of the seed study's Table 1 (other spaces follow in registry order).
SPACES = ("nb101", "nb201")
#: Row order of the seed study's Table 1.
PROXIES = ("grad_norm", "snip", "synflow", "grasp", "fisher", "jacob_cov")
BASELINES = ("random-score", "random", "re", "oracle")
METHOD_LABELS = {"random-score": "random-score (GEA, random proxy)",
                 "random": "random search", "re": "regularized evolution",
                 "oracle": "oracle (GEA, true accuracy as proxy)"}
STRATEGIES = ("gea", "random", "re", "oracle", "random-score")
_WIDTH_KEYS = ("width", "stem_out_channels", "stem", "channels", "C", "network_width",
               "init_channels")


class RunFileError(InputError):
    """A file that is not a readable zsnas run (format ``zsnas-run`` version 1 or 2)."""


def space_key(space: str) -> tuple:
    return (SPACES.index(space), "") if space in SPACES else (len(SPACES), space)


# A *benchmark* is one space on one dataset ("nb201/cifar100"): the unit every table,
# figure and test of the analysis is computed for.
def bench_of(space: str, dataset: str) -> str:
    return f"{space}/{dataset}"


def split_bench(bench: str) -> tuple[str, str]:
    space, _, dataset = str(bench).partition("/")
    return space, dataset or "cifar10"


def bench_key(bench: str) -> tuple:
    """Sort order: spaces in the seed's order, then datasets in the space's order."""
    from ..spaces import get_space, is_space
    space, dataset = split_bench(bench)
    order = get_space(space).datasets if is_space(space) else ()
    return (*space_key(space), order.index(dataset) if dataset in order else len(order), dataset)


def space_label(space: str) -> str:
    from ..spaces import get_space, is_space
    return get_space(space).label if is_space(space) else space


def dataset_label(dataset: str) -> str:
    try:
        from ..datasets import get_dataset, is_dataset
    except ImportError:                      # pragma: no cover
        return dataset
    return get_dataset(dataset).label if is_dataset(dataset) else dataset


def bench_label(bench: str) -> str:
    """"NAS-Bench-201 / CIFAR-100"."""
    space, dataset = split_bench(bench)
    return f"{space_label(space)} / {dataset_label(dataset)}"


def seed_space(bench: str) -> str | None:
    """The seed study's cell of a benchmark (its space), or None: the seed ran CIFAR-10 only."""
    space, dataset = split_bench(bench)
    return space if dataset == "cifar10" else None


def bench_size(bench: str) -> int:
    from ..spaces import get_space
    return get_space(split_bench(bench)[0]).size


#: Proxies and ensembles beyond the study's six, in the order tables and figures list them.
LATER = ("nwot", "params", "flops", "l2_norm", "plain", "epe_nas", "zen", "zico", "meco",
         "swap", "te_nas_ntk", "te_nas_lr", "az_expressivity", "az_progressivity",
         "az_trainability", "vote", "te_nas", "az_nas")


def method_key(method: str) -> tuple:
    order = PROXIES + LATER + ("gea",) + BASELINES
    return (order.index(method), "") if method in order else (len(order), method)


def method_of(settings: dict) -> str:
    strategy = settings["strategy"]
    if strategy == "gea":
        proxy = settings.get("proxy") or ""
        if not proxy:
            return "gea"
        return f"gea:{proxy}" if proxy in STRATEGIES else proxy
    return str(strategy)


#: Settings that do not change a run's result (the seed varies within a cell; names of
#: files are not their content, which the checksums cover).
NON_RESULT_KEYS = ("seed", "benchmark", "cache", "zsnas_version", "benchmark_source_checksum")
#: Settings that every cell of one space must share where both runs have them (not
#: ``children``: regularised evolution has 1 child per cycle by definition).
SHARED_KEYS = ("benchmark_checksum", "synthetic", "preset", "P", "S", "C", "cycles",
               "regularize", "fitness_budget", "fitness_trial", "report", "mutation",
               "mutation_tries", "code_fingerprint")


def result_settings(settings: dict) -> dict:
    """The settings that change a run's result, as canonical JSON values."""
    return {k: json.dumps(v, sort_keys=True) for k, v in settings.items()
            if k not in NON_RESULT_KEYS}


def _differing(a: dict, b: dict, keys=None) -> list[str]:
    keys = sorted(set(a) | set(b)) if keys is None else keys
    return [k for k in keys if a.get(k) != b.get(k)]


def check_pooling(records: list[tuple[Path, dict]]) -> None:
    """Refuse duplicate runs, cells mixing settings and spaces mixing benchmarks
    (the rules in the module docstring); errors name the files and the keys."""
    from ..errors import MismatchError
    seen: dict[tuple, Path] = {}
    cells: dict[tuple, tuple[Path, dict]] = {}
    spaces: dict[str, tuple[Path, dict]] = {}
    for path, obj in records:
        s = obj["settings"]
        res = result_settings(s)
        key = (json.dumps(res, sort_keys=True), json.dumps(s.get("seed")))
        if key in seen:
            raise MismatchError(f"{path}: duplicate of {seen[key]} (same settings and seed "
                                f"{s.get('seed')}); a run must count once — remove one")
        seen[key] = path
        cell = (bench_of(s["space"], str(s.get("dataset") or "cifar10")), method_of(s))
        if cell in cells:
            other_path, other = cells[cell]
            diff = _differing(res, other)
            if diff:
                values = "; ".join(f"{k} = {_short(res.get(k))} vs {_short(other.get(k))}"
                                   for k in diff[:3])
                raise MismatchError(
                    f"{path} and {other_path}: runs of {cell[1]} on {cell[0]} with different "
                    f"settings cannot share a cell: {', '.join(diff)} differ ({values}); "
                    "analyse them separately")
        else:
            cells[cell] = (path, res)
        shared = {k: res[k] for k in SHARED_KEYS if k in res and res[k] != "null"}
        if cell[0] in spaces:
            other_path, other = spaces[cell[0]]
            diff = [k for k in shared if k in other and other[k] != shared[k]]
            if diff:
                raise MismatchError(
                    f"{path} and {other_path}: runs on {cell[0]} with different "
                    f"{', '.join(diff)} cannot be compared in one analysis; analyse them "
                    "separately")
            other.update({k: v for k, v in shared.items() if k not in other})
        else:
            spaces[cell[0]] = (path, dict(shared))


def _short(text) -> str:
    text = "(absent)" if text is None else str(text)
    return text if len(text) <= 40 else text[:37] + "..."


def expand_run_paths(items) -> list[Path]:
    """Run files from files, folders (every ``*.json`` below, recursively) and
    glob patterns; sorted, duplicates dropped. A pattern or path that matches
    nothing raises :class:`FileNotFoundError`."""
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*.json") if q.is_file())
            if not found:
                raise InputMissingError(f"{p}: folder holds no *.json run files")
            out += found
        elif p.is_file():
            out.append(p)
        elif any(c in str(item) for c in "*?["):
            found = sorted(Path(q) for q in glob.glob(str(item), recursive=True)
                           if Path(q).is_file())
            if not found:
                raise InputMissingError(f"{item}: pattern matches no run files")
            out += found
        else:
            raise InputMissingError(f"{p}: no such run file or folder")
    seen, unique = set(), []
    for p in out:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return sorted(unique, key=lambda q: str(q))


def _number(path, obj, key, where="", allow_none=False):
    v = obj.get(key) if isinstance(obj, dict) else None
    if v is None and allow_none:
        return math.nan
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise RunFileError(f"{path}: not a valid zsnas run: {where}{key!r} must be a number "
                           f"(got {v!r})")
    return float(v)


def read_run(path: str | os.PathLike) -> dict:
    """Read and validate one run file; returns the parsed JSON object."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputMissingError(f"{path}: no such run file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RunFileError(f"{path}: cannot read run file ({exc})") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunFileError(f"{path}: not a zsnas run (invalid JSON: {exc.msg} at line "
                           f"{exc.lineno})") from None
    if not isinstance(obj, dict):
        raise RunFileError(f"{path}: not a zsnas run (top level is a JSON "
                           f"{type(obj).__name__}, expected an object with format={FORMAT!r})")
    if obj.get("format") != FORMAT:
        raise RunFileError(f"{path}: not a zsnas run (format={obj.get('format')!r}, "
                           f"expected {FORMAT!r})")
    if obj.get("version") not in VERSIONS:
        raise RunFileError(f"{path}: zsnas run version {obj.get('version')!r}, this analysis "
                           f"reads versions {', '.join(map(str, VERSIONS))}")
    settings = obj.get("settings")
    if not isinstance(settings, dict):
        raise RunFileError(f"{path}: not a valid zsnas run: 'settings' missing")
    for key in ("space", "strategy"):
        if not isinstance(settings.get(key), str) or not settings[key]:
            raise RunFileError(f"{path}: not a valid zsnas run: settings.{key} missing")
    if settings["strategy"] not in STRATEGIES:
        raise RunFileError(f"{path}: unknown strategy {settings['strategy']!r} "
                           f"(expected one of {STRATEGIES})")
    if "seed" not in settings:
        raise RunFileError(f"{path}: not a valid zsnas run: settings.seed missing")
    from ..spaces import get_space, is_space
    if not is_space(settings["space"]):
        from ..spaces import space_names
        raise RunFileError(f"{path}: unknown search space {settings['space']!r} (known: "
                           f"{', '.join(space_names())})")
    for key in ("final_accuracy", "n_scored", "n_trained"):
        if not math.isfinite(_number(path, obj, key)):
            raise RunFileError(f"{path}: {key} is {obj[key]!r}, not a finite number")
    accuracy = float(obj["final_accuracy"])
    if not 0 <= accuracy <= 100:
        raise RunFileError(f"{path}: final_accuracy {accuracy} is outside [0, 100] %")
    curve = obj.get("curve")
    if not isinstance(curve, list) or not curve or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in curve):
        raise RunFileError(f"{path}: not a valid zsnas run: 'curve' must be a non-empty list "
                           "of finite numbers")
    final = obj.get("final") if isinstance(obj.get("final"), dict) else {}
    encoding = final.get("encoding")
    try:
        get_space(settings["space"]).check_encoding(encoding)
    except (ValueError, TypeError) as exc:
        raise RunFileError(f"{path}: final architecture {encoding!r} is not a "
                           f"{settings['space']} architecture ({exc}); was the run relabelled?") \
            from None
    return obj


def _cache_width(settings: dict):
    cs = settings.get("cache_settings")
    if not isinstance(cs, dict):
        return math.nan
    for key in _WIDTH_KEYS:
        v = cs.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
    return math.nan


def _row(path: Path, obj: dict) -> dict:
    s = obj["settings"]
    final = obj.get("final") if isinstance(obj.get("final"), dict) else {}
    dataset = str(s.get("dataset") or "cifar10")
    row = {
        "file": str(path), "bench": bench_of(s["space"], dataset), "space": s["space"],
        "dataset": dataset, "strategy": s["strategy"],
        "proxy": s.get("proxy") or "", "method": method_of(s), "seed": s["seed"],
        "preset": str(s.get("preset") or ""),
    }
    for key in ("P", "S", "C", "cycles", "children", "fitness_budget"):
        v = s.get(key)
        row[key] = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) \
            else math.nan
    for key in ("regularize", "fitness_trial", "report", "benchmark_checksum"):
        row[key] = "" if s.get(key) is None else str(s.get(key))
    row["benchmark_file"] = "" if s.get("benchmark") is None else str(s["benchmark"])
    row["synthetic"] = bool(s.get("synthetic", False))
    row["cache_width"] = _cache_width(s)
    row["final_id"] = final.get("id")
    row["final_fitness"] = _number(path, final, "fitness", "final.", allow_none=True) \
        if "fitness" in final else math.nan
    row["final_accuracy"] = float(obj["final_accuracy"])
    for key in ("n_scored", "n_trained", "n_proxy_calls", "n_trainings"):
        row[key] = _number(path, obj, key, allow_none=True)
    for key in ("search_time", "train_time", "proxy_time"):
        row[key] = _number(path, obj, key, allow_none=True)
    row["curve_len"] = len(obj["curve"])
    return row


@dataclass
class RunData:
    """The runs (one row each), their curves (long form), the raw settings and the raw
    records (``records[i]`` is the run of ``runs.iloc[i]``)."""
    runs: pd.DataFrame
    curves: pd.DataFrame
    settings: list[dict]
    records: list[dict] | None = None

    @property
    def synthetic(self) -> bool:
        """True when any run has ``settings.synthetic`` true."""
        return bool(len(self.runs) and self.runs["synthetic"].any())

    @property
    def benches(self) -> list[str]:
        """The benchmarks (space/dataset) of the runs, in table order."""
        return sorted(self.runs["bench"].unique(), key=bench_key)


def sort_frame(df: pd.DataFrame, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Sort rows by benchmark and method in paper order, then by the ``extra`` columns."""
    if df.empty:
        return df.reset_index(drop=True)
    cols = [df[c].tolist() for c in extra]
    benches = df["bench"].tolist() if "bench" in df else [""] * len(df)
    methods = df["method"].tolist() if "method" in df else [""] * len(df)
    order = sorted(range(len(df)), key=lambda i: (bench_key(benches[i]), method_key(methods[i]),
                                                  *(c[i] for c in cols)))
    return df.iloc[order].reset_index(drop=True)


def with_space_dataset(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``space`` and ``dataset`` columns (from ``bench``) right after it."""
    if "bench" not in df or df.empty and "space" in df:
        return df
    out = df.copy()
    pairs = [split_bench(b) for b in out["bench"]]
    for k, name in enumerate(("space", "dataset")):
        values = [p[k] for p in pairs]
        if name in out:
            out[name] = values
        else:
            out.insert(list(out.columns).index("bench") + 1 + k, name, values)
    return out


def load_runs(paths) -> RunData:
    """Read run files (files, folders or globs; see :func:`expand_run_paths`)."""
    files = expand_run_paths(paths)
    if not files:
        raise InputMissingError("no run files given")
    records = [(p, read_run(p)) for p in files]
    check_pooling(records)
    rows = [_row(p, obj) for p, obj in records]
    runs = pd.DataFrame(rows)
    runs["_seed_key"] = runs["seed"].map(lambda v: (0, float(v), "")
                                         if isinstance(v, (int, float)) else (1, 0.0, str(v)))
    order = sorted(range(len(runs)), key=lambda i: (bench_key(runs["bench"].iloc[i]),
                                                    method_key(runs["method"].iloc[i]),
                                                    runs["_seed_key"].iloc[i],
                                                    runs["file"].iloc[i]))
    runs = runs.iloc[order].drop(columns="_seed_key").reset_index(drop=True)
    by_file = {str(p): obj for p, obj in records}
    curve_rows = []
    for r in runs.itertuples(index=False):
        for cycle, acc in enumerate(by_file[r.file]["curve"]):
            curve_rows.append({"bench": r.bench, "method": r.method, "seed": r.seed,
                               "file": r.file, "cycle": cycle, "accuracy": float(acc)})
    curves = pd.DataFrame(curve_rows, columns=["bench", "method", "seed", "file", "cycle",
                                               "accuracy"])
    settings = [by_file[f]["settings"] for f in runs["file"]]
    return RunData(runs=runs, curves=curves, settings=settings,
                   records=[by_file[f] for f in runs["file"]])
