"""Effect of the guide, against its controls: does the proxy matter under GEA?

For every benchmark and every guide (a proxy guiding GEA), against each control
— the same GEA guided by a **random score** (same engine, same seeds), **random
search** and **regularised evolution** — at an **equal number of trainings**
(the controls' anytime value after the guide's number of trainings, which is
the final value when both made the same number, as P + cycles makes them by
default; :mod:`.anytime`):

- ``diff`` = mean(guide) − mean(control) in percentage points, with a 95 %
  bootstrap interval (groups resampled independently; :mod:`.resampling`);
- Cliff's δ = (#{g > c} − #{g < c}) / (n_g · n_c), the rank-based effect size;
- Welch's t-test (``scipy.stats.ttest_ind(equal_var=False)``) and the
  Mann–Whitney U test (``scipy.stats.mannwhitneyu``, two-sided), each
  Holm-corrected over the guides of the benchmark and control
  (``statsmodels.stats.multitest.multipletests``);
- against the random score only: the **share of the oracle's gain recovered**,
  (ḡ − r̄) / (ō − r̄) with ō the GEA guided by the true accuracy, and its
  bootstrap interval (1 = as good as the oracle, 0 = no better than random).
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .anytime import anytime_by_training
from .output import (SYNTHETIC_BANNER, fmt_num, fmt_p, markdown_table, method_colour,
                     new_figure, save_figure, stamp_synthetic, write_csv, write_text)
from .resampling import cliffs_delta, diff_ci, holm, share_ci
from .runs import RunData, bench_key, bench_label, method_key

CONTROLS = ("random-score", "random", "re")
CONTROL_LABELS = {"random-score": "random-score GEA", "random": "random search",
                  "re": "regularised evolution"}
ALPHA = 0.05
COLUMNS = ["bench", "guide", "control", "trainings", "n_guide", "n_control", "mean_guide",
           "mean_control", "diff", "diff_lo", "diff_hi", "cliffs_delta", "welch_t", "welch_p",
           "welch_p_holm", "mw_u", "mw_p", "mw_p_holm", "share_of_oracle", "share_lo",
           "share_hi", "n_oracle"]


def _values(rows, records, k: int | None) -> np.ndarray:
    """Each run's anytime value after ``k`` trainings (its final accuracy when ``k`` is
    None, when it made exactly ``k``, or when its record has no per-training values)."""
    out = []
    for r, rec in zip(rows, records):
        if k is None or int(r.n_trainings) == k:
            out.append(float(r.final_accuracy))
            continue
        got = anytime_by_training(rec)
        if got is None or len(got[0]) < k:
            out.append(float(r.final_accuracy) if got is None else np.nan)
        else:
            out.append(float(got[0][k - 1]))
    return np.asarray(out, dtype=np.float64)


def effects_table(data: RunData) -> pd.DataFrame:
    rows_out = []
    records = data.records or [{}] * len(data.runs)
    for bench in data.benches:
        sel = [(r, rec) for r, rec in zip(data.runs.itertuples(index=False), records)
               if r.bench == bench]
        by_method: dict[str, list] = {}
        for r, rec in sel:
            by_method.setdefault(r.method, []).append((r, rec))
        guides = sorted({r.method for r, _ in sel if r.strategy == "gea"}, key=method_key)
        oracle = by_method.get("oracle", [])
        for control in CONTROLS:
            if control not in by_method or not guides:
                continue
            block = []
            for guide in guides:
                g_rows = by_method[guide]
                c_rows = by_method[control]
                k = int(min(min(r.n_trainings for r, _ in g_rows),
                            min(r.n_trainings for r, _ in c_rows)))
                g = _values([r for r, _ in g_rows], [x for _, x in g_rows], k)
                c = _values([r for r, _ in c_rows], [x for _, x in c_rows], k)
                g, c = g[np.isfinite(g)], c[np.isfinite(c)]
                d, lo, hi = diff_ci(g, c, bench, guide, control)
                row = {"bench": bench, "guide": guide, "control": control, "trainings": k,
                       "n_guide": g.size, "n_control": c.size,
                       "mean_guide": float(g.mean()) if g.size else np.nan,
                       "mean_control": float(c.mean()) if c.size else np.nan,
                       "diff": d, "diff_lo": lo, "diff_hi": hi,
                       "cliffs_delta": cliffs_delta(g, c), "welch_t": np.nan,
                       "welch_p": np.nan, "mw_u": np.nan, "mw_p": np.nan,
                       "share_of_oracle": np.nan, "share_lo": np.nan, "share_hi": np.nan,
                       "n_oracle": 0}
                if g.size > 1 and c.size > 1 and (np.ptp(g) > 0 or np.ptp(c) > 0):
                    with warnings.catch_warnings():   # near-constant groups: scipy warns
                        warnings.simplefilter("ignore", RuntimeWarning)
                        w = stats.ttest_ind(g, c, equal_var=False)
                    row["welch_t"], row["welch_p"] = float(w.statistic), float(w.pvalue)
                if g.size and c.size and not (np.ptp(np.concatenate([g, c])) == 0):
                    u = stats.mannwhitneyu(g, c, alternative="two-sided")
                    row["mw_u"], row["mw_p"] = float(u.statistic), float(u.pvalue)
                if control == "random-score" and oracle:
                    o = _values([r for r, _ in oracle], [x for _, x in oracle], k)
                    o = o[np.isfinite(o)]
                    row["share_of_oracle"], row["share_lo"], row["share_hi"] = \
                        share_ci(g, c, o, bench, guide)
                    row["n_oracle"] = o.size
                block.append(row)
            for test in ("welch", "mw"):
                adjusted = holm([r[f"{test}_p"] for r in block])
                for r, p in zip(block, adjusted):
                    r[f"{test}_p_holm"] = float(p)
            rows_out += block
    df = pd.DataFrame(rows_out, columns=COLUMNS)
    if not df.empty:
        order = sorted(range(len(df)), key=lambda i: (bench_key(df["bench"].iloc[i]),
                                                      CONTROLS.index(df["control"].iloc[i]),
                                                      method_key(df["guide"].iloc[i])))
        df = df.iloc[order].reset_index(drop=True)
    return df


def verdict(row) -> str:
    """better / worse / no detectable difference, by the Holm-adjusted Mann–Whitney test
    (Welch's when the rank test is undefined)."""
    p = row["mw_p_holm"] if np.isfinite(row["mw_p_holm"]) else row["welch_p_holm"]
    if not np.isfinite(p) or p >= ALPHA:
        return "no detectable difference"
    return "better" if row["diff"] > 0 else "worse"


def to_markdown(df: pd.DataFrame, synthetic: bool) -> str:
    lines = ["# Effect of the guide against its controls", ""]
    if synthetic:
        lines += [SYNTHETIC_BANNER, ""]
    lines += ["Δ = mean final test accuracy of GEA guided by the proxy − the control's, at an "
              "equal number of trainings (pp, 95 % bootstrap interval); Cliff's δ; p-values of "
              "Welch's t and Mann–Whitney U, Holm-corrected over the guides; share of the "
              "oracle's gain = (guide − random-score) / (oracle − random-score).", ""]
    for bench in sorted(df["bench"].unique(), key=bench_key):
        lines += [f"## {bench_label(bench)}", ""]
        sub = df[df["bench"] == bench]
        rows = [{"guide": r.guide, "control": CONTROL_LABELS.get(r.control, r.control),
                 "n": f"{r.n_guide}/{r.n_control}",
                 "Δ (pp)": f"{fmt_num(r.diff)} [{fmt_num(r.diff_lo)}, {fmt_num(r.diff_hi)}]",
                 "Cliff's δ": fmt_num(r.cliffs_delta),
                 "Welch p (Holm)": fmt_p(r.welch_p_holm) if np.isfinite(r.welch_p_holm) else "—",
                 "MW p (Holm)": fmt_p(r.mw_p_holm) if np.isfinite(r.mw_p_holm) else "—",
                 "share of oracle gain": (f"{fmt_num(r.share_of_oracle)} "
                                          f"[{fmt_num(r.share_lo)}, {fmt_num(r.share_hi)}]")
                 if np.isfinite(r.share_of_oracle) else "—",
                 "verdict": verdict(r._asdict())}
                for r in sub.itertuples()]
        lines += [markdown_table(pd.DataFrame(rows)), ""]
    return "\n".join(lines)


def plot_effects(df: pd.DataFrame, png: Path, pdf: Path, synthetic: bool):
    """One panel per benchmark: Δ (pp, 95 % interval) of every guide against each control."""
    benches = sorted(df["bench"].unique(), key=bench_key) or ["(none)"]
    guides = sorted(df["guide"].unique(), key=method_key) or ["(none)"]
    cols = min(len(benches), 3)
    nrows = -(-len(benches) // cols)
    fig = new_figure(figsize=(0.8 + 3.6 * cols, 0.9 + (0.32 * len(guides) + 0.9) * nrows),
                     layout="constrained")
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    markers = {"random-score": "o", "random": "s", "re": "^"}
    offsets = {"random-score": -0.22, "random": 0.0, "re": 0.22}
    for ax, bench in zip(axes, benches):
        sub = df[df["bench"] == bench]
        for control in CONTROLS:
            part = sub[sub["control"] == control]
            if part.empty:
                continue
            y = np.array([guides.index(g) for g in part["guide"]]) + offsets[control]
            colour = method_colour(control)
            err = [np.clip((part["diff"] - part["diff_lo"]).fillna(0), 0, None),
                   np.clip((part["diff_hi"] - part["diff"]).fillna(0), 0, None)]
            ax.errorbar(part["diff"], y, xerr=err,
                        fmt=markers[control], color=colour, ms=5, capsize=2, lw=1,
                        label=f"vs {CONTROL_LABELS[control]}")
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_yticks(range(len(guides)), guides, fontsize=9)
        ax.invert_yaxis()
        ax.set_xlabel("Δ final test accuracy (pp), 95 % CI", fontsize=9)
        ax.set_title(bench_label(bench), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(benches):]:
        ax.set_axis_off()
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=8)
    stamp_synthetic(fig, synthetic)
    return save_figure(fig, png, pdf)


def write_effects(data: RunData, out_dir: Path, synthetic: bool | None = None) -> dict:
    synthetic = data.synthetic if synthetic is None else synthetic
    out_dir = Path(out_dir)
    df = effects_table(data)
    png, pdf = plot_effects(df, out_dir / "effects.png", out_dir / "effects.pdf", synthetic)
    return {"effects.csv": write_csv(out_dir / "effects.csv", df, synthetic),
            "effects.md": write_text(out_dir / "effects.md", to_markdown(df, synthetic)),
            "effects.png": png, "effects.pdf": pdf}


__all__ = ["CONTROLS", "effects_table", "verdict", "write_effects"]
