"""Convergence curves (the seed study's Fig. 3): best-so-far accuracy per cycle.

Statistic: at every cycle (0 = after the initial population) the mean over runs
(seeds) of the best-so-far reported test accuracy, with a 95 % confidence band
from the t-interval of the mean: ``mean ± t_{0.975, n-1} · s / √n`` (``s`` the
sample std, ddof=1; ``scipy.stats.t.ppf``). With a single run no band is drawn.
One panel per space, one line per method; PNG + PDF via matplotlib (Agg).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator
from scipy import stats

from .output import new_figure, save_figure, stamp_synthetic, write_csv
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
    """One panel per space, one line (+ 95 % band) per method."""
    spaces = sorted(st["bench"].unique(), key=bench_key) or ["(no runs)"]
    methods = sorted(st["method"].unique(), key=method_key)
    colours = {m: f"C{i % 10}" for i, m in enumerate(methods)}
    fig = new_figure(figsize=(5.5 * len(spaces), 4.2), layout="constrained")
    axes = fig.subplots(1, len(spaces), squeeze=False)[0]
    for ax, space in zip(axes, spaces):
        sub = st[st["bench"] == space]
        for m in methods:
            g = sub[sub["method"] == m]
            if g.empty:
                continue
            style = "-" if m not in ("random", "re", "oracle", "random-score") else "--"
            x = g["cycle"].to_numpy()
            ax.plot(x, g["mean"].to_numpy(), style, color=colours[m], lw=1.4, label=m)
            ok = np.isfinite(g["ci_half"].to_numpy())
            if ok.any():
                ax.fill_between(x[ok], g["lower"].to_numpy()[ok], g["upper"].to_numpy()[ok],
                                color=colours[m], alpha=0.18, lw=0)
        n_txt = ""
        if not sub.empty:
            ns = sub.groupby("method")["n"].max()
            n_txt = f" (runs per method: {int(ns.min())}–{int(ns.max())})" \
                if ns.min() != ns.max() else f" ({int(ns.max())} runs per method)"
        ax.set_title(f"{bench_label(space)}{n_txt}", fontsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("cycle")
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
        if not sub.empty:
            ax.legend(fontsize=8, loc="lower right", title="mean, 95% CI", title_fontsize=8)
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
