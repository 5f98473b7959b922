"""Convergence curves (the seed study's Fig. 3): best-so-far accuracy per cycle.

Statistic: at every cycle (0 = after the initial population) the mean over runs
(seeds) of the best-so-far reported test accuracy, with a 95 % confidence band
from the t-interval of the mean: ``mean ± t_{0.975, n-1} · s / √n`` (``s`` the
sample std, ddof=1; ``scipy.stats.t.ppf``). With a single run no band is drawn.
One panel per benchmark, one line per method (the same colour in every figure); the
95 % interval drawn once per method at the last cycle; PNG + PDF via matplotlib (Agg).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator
from scipy import stats

from .output import method_colour, new_figure, save_figure, stamp_synthetic, write_csv
from .runs import RunData, bench_key, bench_label, method_key, sort_frame


def t_halfwidth(std: float, n: int, level: float = 0.95) -> float:
    """Half-width ``t_{(1+level)/2, n-1} · s / √n`` of the t confidence interval of a
    mean (NaN for n < 2)."""
    if n < 2 or not np.isfinite(std):
        return float("nan")
    return float(stats.t.ppf(0.5 + level / 2, n - 1) * std / np.sqrt(n))


def curve_stats(curves: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """``space, method, cycle, n, mean, std, ci_half, lower, upper`` per cycle."""
    cols = ["bench", "method", "cycle", "n", "mean", "std", "ci_half", "lower", "upper"]
    if curves.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for (space, method, cycle), g in curves.groupby(["bench", "method", "cycle"], sort=True):
        v = g["accuracy"].to_numpy(dtype=float)
        n = int(v.size)
        std = float(np.std(v, ddof=1)) if n > 1 else float("nan")
        half = t_halfwidth(std, n, level)
        mean = float(v.mean())
        rows.append({"bench": space, "method": method, "cycle": int(cycle), "n": n,
                     "mean": mean, "std": std, "ci_half": half,
                     "lower": mean - half, "upper": mean + half})
    return sort_frame(pd.DataFrame(rows, columns=cols), extra=("cycle",))


def plot_curves(st: pd.DataFrame, png: Path, pdf: Path, synthetic: bool) -> tuple[Path, Path]:
    """Small multiples, one panel per benchmark (three per row): one line per method in
    its colour (proxies solid, baselines dashed); the 95 % interval of the mean is drawn
    once per method, as a bar at the last cycle, where it carries the comparison (ten
    overlapping bands carried none)."""
    benches = sorted(st["bench"].unique(), key=bench_key) or ["(no runs)"]
    methods = sorted(st["method"].unique(), key=method_key)
    cols = min(len(benches), 3)
    nrows = -(-len(benches) // cols)
    fig = new_figure(figsize=(0.6 + 4.2 * cols, 0.9 + 3.3 * nrows), layout="constrained")
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    for ax, bench in zip(axes, benches):
        sub = st[st["bench"] == bench]
        last = int(sub["cycle"].max()) if not sub.empty else 0
        for k, m in enumerate(methods):
            g = sub[sub["method"] == m]
            if g.empty:
                continue
            style = "--" if m in ("random", "re", "oracle", "random-score") else "-"
            colour = method_colour(m)
            ax.plot(g["cycle"], g["mean"], style, color=colour, lw=1.3, label=m)
            end = g[g["cycle"] == g["cycle"].max()].iloc[0]
            if np.isfinite(end["ci_half"]):
                x = last * (1.02 + 0.012 * k)
                ax.errorbar([x], [end["mean"]], yerr=[[end["ci_half"]]], fmt="o", ms=2.5,
                            color=colour, capsize=1.5, lw=1)
        n_txt = ""
        if not sub.empty:
            ns = sub.groupby("method")["n"].max()
            n_txt = f" (runs per method: {int(ns.min())}–{int(ns.max())})" \
                if ns.min() != ns.max() else f" ({int(ns.max())} runs per method)"
        ax.set_title(f"{bench_label(bench)}{n_txt}", fontsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("cycle (bars: 95 % CI of the final mean)", fontsize=9)
        ax.set_ylabel("best-so-far test accuracy (%)", fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes[len(benches):]:
        ax.set_axis_off()
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside right upper", fontsize=8, title="mean over runs",
                   title_fontsize=8)
    stamp_synthetic(fig, synthetic)
    return save_figure(fig, png, pdf)


def write_curves(data: RunData, out_dir: Path, synthetic: bool | None = None) -> dict[str, Path]:
    """Write ``curves.csv`` (the per-cycle statistics), ``curves.png`` and ``curves.pdf``."""
    synthetic = data.synthetic if synthetic is None else synthetic
    out_dir = Path(out_dir)
    st = curve_stats(data.curves)
    png, pdf = plot_curves(st, out_dir / "curves.png", out_dir / "curves.pdf", synthetic)
    return {"curves.csv": write_csv(out_dir / "curves.csv", st, synthetic),
            "curves.png": png, "curves.pdf": pdf}
