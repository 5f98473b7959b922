"""Budget-matched comparison: anytime curves and their areas.

The anytime value of a run after ``k`` trainings is the reported accuracy of the
best-by-fitness architecture among its first ``k`` trainings (first maximum, as
the search reports its result); after ``t`` simulated seconds it is the value
after the trainings completed by ``t`` (cumulative ``train_time + proxy_time``
of the history: benchmark training seconds plus the cache's measured proxy
seconds, the C initial scorings charged before the first training). Methods
are compared at **equal cost**:

- per trainings: ``k = 1 … K``, ``K`` = the fewest trainings of any method of
  the benchmark (GEA, random search and regularised evolution all make
  P + cycles = 211 by default);
- per simulated time: a grid of 200 points from the first time at which every
  run has completed a training to ``T`` = the smallest total simulated time of
  any method's median run, so no method is extrapolated.

The area under the anytime curve is reported as its mean height over the axis
(%), per run, with the mean over runs and a 95 % bootstrap interval
(:mod:`.resampling`). Version-1 runs (no per-training accuracy) and benchmarks
without training times are left out of the respective axis, and said so.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .output import (SYNTHETIC_BANNER, fmt_num, markdown_table, method_colour, new_figure,
                     save_figure, stamp_synthetic, write_csv, write_text)
from .resampling import mean_ci
from .runs import RunData, bench_key, bench_label, method_key

GRID = 200
COLUMNS = ["bench", "method", "axis", "budget", "n", "auc_mean", "auc_lo", "auc_hi",
           "final_mean"]


def anytime_by_training(record: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """(values after each training, cumulative simulated seconds) of one run, or None
    for a run without per-training accuracy (format version 1)."""
    history = record.get("history") or []
    if not history or any("accuracy" not in h for h in history):
        return None
    fit = np.array([np.nan if h["fitness"] is None else h["fitness"] for h in history], float)
    acc = np.array([np.nan if h["accuracy"] is None else h["accuracy"] for h in history], float)
    best = np.empty(fit.size, dtype=np.int64)
    b = 0
    for i, v in enumerate(fit):
        if v > fit[b]:
            b = i
        best[i] = b
    t = np.array([(h.get("train_time") if h.get("train_time") is not None else np.nan)
                  + (h.get("proxy_time") or 0.0) for h in history], float)
    return acc[best], np.cumsum(t)


def _value_at_times(values, times, grid) -> np.ndarray:
    idx = np.searchsorted(times, grid, side="right") - 1
    out = np.where(idx >= 0, values[np.clip(idx, 0, None)], np.nan)
    return out


def anytime_tables(data: RunData):
    """Per benchmark: the long curves (axis, x, method, mean) and the AUC table."""
    curves, aucs, notes = [], [], []
    records = data.records or []
    for bench in data.benches:
        rows = [(r, rec) for r, rec in zip(data.runs.itertuples(index=False), records)
                if r.bench == bench]
        series = {}
        for r, rec in rows:
            got = anytime_by_training(rec)
            if got is not None:
                series.setdefault(r.method, []).append(got)
        if not series:
            notes.append(f"{bench_label(bench)}: no per-training accuracies (version-1 runs)")
            continue
        K = min(len(v) for runs in series.values() for v, _ in runs)
        for method, runs in series.items():
            per_run = np.array([v[:K] for v, _ in runs])
            aucs.append({"bench": bench, "method": method, "axis": "trainings", "budget": K,
                         "n": len(runs),
                         **dict(zip(("auc_mean", "auc_lo", "auc_hi"),
                                    mean_ci(per_run.mean(axis=1), bench, method, "trainings"))),
                         "final_mean": float(per_run[:, -1].mean())})
            mean = per_run.mean(axis=0)
            curves += [{"bench": bench, "method": method, "axis": "trainings", "x": k + 1,
                        "mean": float(m)} for k, m in enumerate(mean)]
        timed = {m: [(v, t) for v, t in runs if np.all(np.isfinite(t))]
                 for m, runs in series.items()}
        if any(len(v) != len(series[m]) for m, v in timed.items()) or not timed:
            notes.append(f"{bench_label(bench)}: simulated times unknown (the benchmark stores "
                         "no training times); no time axis")
            continue
        start = max(t[0] for runs in timed.values() for _, t in runs)
        end = min(float(np.median([t[-1] for _, t in runs])) for runs in timed.values())
        if not end > start:
            continue
        grid = np.linspace(start, end, GRID)
        for method, runs in timed.items():
            per_run = np.array([_value_at_times(v, t, grid) for v, t in runs])
            aucs.append({"bench": bench, "method": method, "axis": "seconds",
                         "budget": float(end), "n": len(runs),
                         **dict(zip(("auc_mean", "auc_lo", "auc_hi"),
                                    mean_ci(np.nanmean(per_run, axis=1), bench, method,
                                            "seconds"))),
                         "final_mean": float(np.nanmean(per_run[:, -1]))})
            mean = np.nanmean(per_run, axis=0)
            curves += [{"bench": bench, "method": method, "axis": "seconds", "x": float(x),
                        "mean": float(m)} for x, m in zip(grid, mean)]
    auc = pd.DataFrame(aucs, columns=COLUMNS)
    if not auc.empty:
        order = sorted(range(len(auc)), key=lambda i: (bench_key(auc["bench"].iloc[i]),
                                                       auc["axis"].iloc[i] != "trainings",
                                                       method_key(auc["method"].iloc[i])))
        auc = auc.iloc[order].reset_index(drop=True)
    return pd.DataFrame(curves, columns=["bench", "method", "axis", "x", "mean"]), auc, notes


def plot_anytime(curves: pd.DataFrame, png: Path, pdf: Path, synthetic: bool):
    """One row per benchmark: best-so-far accuracy against trainings and against simulated
    hours, every method on the same axes (mean over runs)."""
    benches = sorted(curves["bench"].unique(), key=bench_key) or ["(none)"]
    fig = new_figure(figsize=(10.5, 0.6 + 3.0 * len(benches)), layout="constrained")
    axes = fig.subplots(len(benches), 2, squeeze=False)
    for i, bench in enumerate(benches):
        sub = curves[curves["bench"] == bench]
        for j, axis in enumerate(("trainings", "seconds")):
            ax = axes[i][j]
            part = sub[sub["axis"] == axis]
            if part.empty:
                ax.set_axis_off()
                ax.text(0.5, 0.5, "no simulated times", ha="center", transform=ax.transAxes)
                continue
            for method in sorted(part["method"].unique(), key=method_key):
                g = part[part["method"] == method]
                x = g["x"].to_numpy() / (3600 if axis == "seconds" else 1)
                ax.plot(x, g["mean"], color=method_colour(method), lw=1.4,
                        ls="--" if method in ("random", "re", "oracle", "random-score") else "-",
                        label=method)
            ax.set_xlabel("trainings" if axis == "trainings" else "simulated time (h)")
            ax.set_ylabel("best-so-far test accuracy (%)")
            ax.set_title(f"{bench_label(bench)} — vs {'trainings' if axis == 'trainings' else 'cost'}",
                         fontsize=10)
            ax.grid(alpha=0.3)
        if i == 0:
            handles, labels = axes[0][0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside right upper", fontsize=8,
                       title="mean over runs", title_fontsize=8)
    stamp_synthetic(fig, synthetic)
    return save_figure(fig, png, pdf)


def to_markdown(auc: pd.DataFrame, notes: list[str], synthetic: bool) -> str:
    lines = ["# Budget-matched comparison — area under the anytime curve", ""]
    if synthetic:
        lines += [SYNTHETIC_BANNER, ""]
    lines += ["Mean height of the best-so-far test accuracy curve (%) over the budget: per "
              "trainings (k = 1 … K, K the fewest trainings of any method) and per simulated "
              "time (benchmark training + measured proxy seconds, up to the smallest median "
              "total time of any method). 95 % bootstrap interval over runs.", ""]
    rows = [{"benchmark": bench_label(r.bench), "method": r.method,
             "axis": "trainings" if r.axis == "trainings" else "simulated time",
             "budget": (f"{int(r.budget)} trainings" if r.axis == "trainings"
                        else f"{r.budget / 3600:.2f} h"),
             "runs": r.n, "AUC": f"{fmt_num(r.auc_mean)} [{fmt_num(r.auc_lo)}, "
                                 f"{fmt_num(r.auc_hi)}]",
             "value at budget": fmt_num(r.final_mean)} for r in auc.itertuples()]
    if rows:
        lines.append(markdown_table(pd.DataFrame(rows)))
    lines += [""] + [f"- {n}" for n in notes]
    return "\n".join(lines)


def write_anytime(data: RunData, out_dir: Path, synthetic: bool | None = None) -> dict:
    synthetic = data.synthetic if synthetic is None else synthetic
    out_dir = Path(out_dir)
    curves, auc, notes = anytime_tables(data)
    png, pdf = plot_anytime(curves, out_dir / "anytime.png", out_dir / "anytime.pdf", synthetic)
    return {"anytime.csv": write_csv(out_dir / "anytime.csv", auc, synthetic),
            "anytime.md": write_text(out_dir / "anytime.md", to_markdown(auc, notes, synthetic)),
            "anytime.png": png, "anytime.pdf": pdf}


__all__ = ["anytime_by_training", "anytime_tables", "write_anytime"]
