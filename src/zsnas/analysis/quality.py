"""Proxy quality over the whole cached space: rank correlation and top-k overlap.

For each proxy in a :class:`~zsnas.scoring.cache.ProxyCache` and the matching
:class:`~zsnas.benchmarks.store.Benchmark`:

- the final test accuracy of every cached architecture: the space's default
  reported accuracy for the benchmark's dataset, mean over trials (NB101 at
  108 epochs; NB201 after 200 epochs: CIFAR-10 ori-test, CIFAR-100 /
  ImageNet16-120 x-test);
- architectures whose score is non-finite (status 1 or NaN/inf) are excluded
  and counted (``n_nonfinite``), as are pending/failed scores (``n_missing``)
  and architectures without an accuracy (``n_no_accuracy``);
- Spearman ρ (``scipy.stats.spearmanr``) and Kendall τ-b
  (``scipy.stats.kendalltau``) of score vs accuracy, signed, with p-values
  (scores turned higher = better as the search ranks them);
- top-k % overlap for k = 1, 5, 10: with m = ⌈k/100 · n⌉ (at least 1), the
  fraction of the m best by proxy that are among the m best by accuracy (ties
  broken by architecture id, ascending).

Figures: ``quality.png`` — Spearman ρ per proxy × benchmark as an annotated heat
map (the summary, readable at page width); ``quality_scatter.png`` — accuracy
against the proxy's rank percentile, one row per proxy, one column per
benchmark (hexbin with a log colour scale for n > 2,000, scatter otherwise).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import MismatchError
from .output import (SYNTHETIC_BANNER, fmt_num, markdown_table, method_colour, new_figure,
                     save_figure, stamp_synthetic, write_csv, write_text)
from .resampling import bootstrap_correlations
from .runs import PROXIES, bench_key, bench_label, bench_of, method_key

TOP_K = (1, 5, 10)
HEXBIN_MIN = 2000
COLUMNS = (["bench", "proxy", "scope", "n_cached", "n_used", "n_nonfinite", "n_missing",
            "n_no_accuracy", "accuracy_budget", "spearman_rho", "spearman_lo", "spearman_hi",
            "spearman_p", "kendall_tau", "kendall_lo", "kendall_hi", "kendall_p"]
           + [f"top{k}_overlap" for k in TOP_K] + [f"top{k}_m" for k in TOP_K]
           + ["seconds_mean", "seconds_median"])


def top_count(n: int, k_percent: float) -> int:
    """m = ⌈k/100 · n⌉, at least 1 (0 when n = 0)."""
    return 0 if n == 0 else max(1, math.ceil(n * k_percent / 100 - 1e-9))


def _top(values: np.ndarray, m: int) -> np.ndarray:
    # stable sort of -values: ties keep input order (ids ascending)
    return np.argsort(-np.asarray(values, dtype=float), kind="stable")[:m]


def top_k_overlap(scores, accuracy, k_percent: float) -> float:
    """Fraction of the top-k % by ``scores`` that are in the top-k % by ``accuracy``."""
    scores, accuracy = np.asarray(scores, float), np.asarray(accuracy, float)
    m = top_count(scores.size, k_percent)
    if m == 0:
        return float("nan")
    return len(set(_top(scores, m).tolist()) & set(_top(accuracy, m).tolist())) / m


def rank_correlations(scores, accuracy) -> dict:
    """Spearman ρ and Kendall τ-b (scipy) with their p-values; NaN for n < 3 or
    constant input."""
    s, a = np.asarray(scores, float), np.asarray(accuracy, float)
    out = {"spearman_rho": float("nan"), "spearman_p": float("nan"),
           "kendall_tau": float("nan"), "kendall_p": float("nan")}
    if s.size < 3 or np.all(s == s[0]) or np.all(a == a[0]):
        return out
    rho = stats.spearmanr(s, a)
    tau = stats.kendalltau(s, a)
    out.update(spearman_rho=float(rho.statistic), spearman_p=float(rho.pvalue),
               kendall_tau=float(tau.statistic), kendall_p=float(tau.pvalue))
    return out


def accuracy_rule(bench):
    """The space's default reported accuracy for the benchmark's dataset (NB201: test
    accuracy after 200 epochs; NB101: after 108 epochs), mean over trials."""
    from ..spaces import get_space
    space = get_space(bench.space)
    rule = space.report(None, bench.dataset)
    if rule.reduce != "mean":                       # quality is measured on a mean
        rule = next(r for r in space.reports if r.reduce == "mean")
    return rule


def accuracy_budget(bench) -> int:
    rule = accuracy_rule(bench)
    return bench.budgets[-1] if rule.budget is None else rule.budget


def _accuracies(bench, ids: np.ndarray) -> tuple[np.ndarray, int]:
    """Accuracy per id (NaN where the benchmark has none) and the budget used."""
    rule = accuracy_rule(bench)
    budget = accuracy_budget(bench)
    acc = np.full(ids.size, np.nan)
    known = np.isin(ids, bench.ids)
    if known.any():
        rows = bench.rows(ids[known])
        table = bench.metric(rule.split, budget)[rows]
        measured = ~np.all(np.isnan(table), axis=1)
        idx = np.flatnonzero(known)[measured]
        if idx.size:
            acc[idx] = np.nanmean(table[measured], axis=1)
    return acc, budget


def unique_representatives(bench, ids: np.ndarray) -> np.ndarray | None:
    """Mask of ``ids`` keeping one architecture (the lowest id) per class of the space's
    canonical form (NB201: AutoDL's unique string), or None if the space has none."""
    from ..spaces import get_space
    canonical = get_space(bench.space).canonical
    if canonical is None:
        return None
    seen, keep = set(), np.zeros(ids.size, dtype=bool)
    for k in np.argsort(ids, kind="stable"):
        key = canonical(bench.arch(int(ids[k])))
        if key not in seen:
            seen.add(key)
            keep[k] = True
    return keep


def proxy_quality(cache, bench, proxies=None) -> tuple[pd.DataFrame, dict]:
    """Quality table for one benchmark — over all cached architectures and, where the
    space defines a canonical form, over the unique cells only — and the (score,
    accuracy) arrays per proxy (all architectures)."""
    from ..scoring.cache import ERROR, NONFINITE, PENDING
    if cache.space != bench.space:
        raise MismatchError(f"{cache.path} is a {cache.space} cache but {bench.path} is a "
                            f"{bench.space} benchmark")
    key = bench_of(bench.space, bench.dataset)
    proxies = sorted(proxies or cache.proxies, key=method_key)
    rows, points = [], {}
    acc_all = unique = None
    for proxy in proxies:
        ids, scores, status = cache.all_scores(proxy)
        scores = cache.oriented(scores, proxy)      # higher = better, as the search ranks
        seconds = cache.all_seconds(proxy)
        if acc_all is None:
            acc_all, budget = _accuracies(bench, ids)
            unique = unique_representatives(bench, ids)
        missing = (status == PENDING) | (status == ERROR)
        nonfinite = ~missing & ((status == NONFINITE) | ~np.isfinite(scores))
        no_acc = ~missing & ~nonfinite & np.isnan(acc_all)
        scopes = [("all", np.ones(ids.size, dtype=bool))]
        if unique is not None:
            scopes.append(("unique", unique))
        for scope, mask in scopes:
            use = mask & ~missing & ~nonfinite & ~no_acc
            s, a = scores[use], acc_all[use]
            done = mask & ~missing & np.isfinite(seconds)
            row = {"bench": key, "proxy": proxy, "scope": scope,
                   "n_cached": int(mask.sum()), "n_used": int(use.sum()),
                   "n_nonfinite": int((mask & nonfinite).sum()),
                   "n_missing": int((mask & missing).sum()),
                   "n_no_accuracy": int((mask & no_acc).sum()), "accuracy_budget": int(budget),
                   **rank_correlations(s, a),
                   **bootstrap_correlations(s, a, key, proxy, scope),
                   "seconds_mean": float(np.mean(seconds[done])) if done.any() else np.nan,
                   "seconds_median": float(np.median(seconds[done])) if done.any() else np.nan}
            for k in TOP_K:
                row[f"top{k}_overlap"] = top_k_overlap(s, a, k)
                row[f"top{k}_m"] = top_count(s.size, k)
            rows.append(row)
            if scope == "all":
                points[proxy] = (s, a)
    return pd.DataFrame(rows, columns=COLUMNS), points


def plot_quality(table: pd.DataFrame, png: Path, pdf: Path, synthetic: bool):
    """Summary at page width: Spearman ρ (95 % bootstrap interval) of each proxy, one
    panel per benchmark; filled = all architectures, open = unique cells only."""
    benches = sorted(table["bench"].unique(), key=bench_key) or ["(none)"]
    proxies = sorted(table["proxy"].unique(), key=method_key) or ["(none)"]
    cols = min(len(benches), 3)
    nrows = -(-len(benches) // cols)
    fig = new_figure(figsize=(0.8 + 3.3 * cols, 0.9 + (0.3 * len(proxies) + 0.9) * nrows),
                     layout="constrained")
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    for ax, bench in zip(axes, benches):
        sub = table[table["bench"] == bench]
        for scope, face, dy in (("all", True, -0.13), ("unique", False, 0.13)):
            part = sub[sub["scope"] == scope]
            for r in part.itertuples():
                if not np.isfinite(r.spearman_rho):
                    continue
                y = proxies.index(r.proxy) + dy
                lo = max(0.0, r.spearman_rho - r.spearman_lo) if np.isfinite(r.spearman_lo) else 0
                hi = max(0.0, r.spearman_hi - r.spearman_rho) if np.isfinite(r.spearman_hi) else 0
                c = method_colour(r.proxy)
                ax.errorbar([r.spearman_rho], [y], xerr=[[lo], [hi]], fmt="o", ms=5,
                            color=c, mfc=c if face else "white", capsize=2, lw=1)
        ax.axvline(0, color="0.6", lw=0.8)
        ax.set_xlim(-1.05, 1.05)
        ax.set_yticks(range(len(proxies)), proxies, fontsize=9)
        ax.invert_yaxis()
        ax.set_xlabel("Spearman ρ with test accuracy (95 % CI)", fontsize=9)
        ax.set_title(bench_label(bench), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(benches):]:
        ax.set_axis_off()
    if (table["scope"] == "unique").any():
        from matplotlib.lines import Line2D
        handles = [Line2D([], [], marker="o", color="0.3", ls="", label="all architectures"),
                   Line2D([], [], marker="o", color="0.3", mfc="white", ls="",
                          label="unique cells only (NB201: AutoDL's canonical form)")]
        fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=8)
    stamp_synthetic(fig, synthetic)
    return save_figure(fig, png, pdf)


def plot_quality_scatter(panels, png: Path, pdf: Path, synthetic: bool) -> tuple[Path, Path]:
    """Accuracy against the proxy's rank percentile: one row per proxy, one column per
    benchmark (hexbin with a log colour scale above 2,000 points)."""
    benches = sorted({p[0] for p in panels}, key=bench_key) or ["(none)"]
    proxies = sorted({p[1] for p in panels}, key=method_key) or ["(none)"]
    fig = new_figure(figsize=(0.6 + 3.0 * len(benches), 0.6 + 2.3 * len(proxies)),
                     layout="constrained")
    axes = fig.subplots(len(proxies), len(benches), squeeze=False)
    lookup = {(p[0], p[1]): p for p in panels}
    for i, proxy in enumerate(proxies):
        for j, b in enumerate(benches):
            ax = axes[i][j]
            if (b, proxy) not in lookup:
                ax.set_axis_off()
                continue
            _, _, s, a, row = lookup[(b, proxy)]
            if s.size:
                x = (stats.rankdata(s) - 0.5) / s.size * 100
                if s.size > HEXBIN_MIN:
                    ax.hexbin(x, a, gridsize=40, bins="log", mincnt=1, cmap="viridis",
                              linewidths=0)
                else:
                    ax.scatter(x, a, s=6, alpha=0.6, color="C0", lw=0)
            rho, tau = row["spearman_rho"], row["kendall_tau"]
            stat = (f"ρ = {rho:.2f}, τ = {tau:.2f}" if np.isfinite(rho) else "ρ, τ undefined")
            ax.set_title(f"{proxy} — {stat} (n = {row['n_used']})", fontsize=9)
            if i == 0:
                ax.annotate(bench_label(b), (0.5, 1.25), xycoords="axes fraction",
                            ha="center", fontsize=10, weight="bold")
            if i == len(proxies) - 1:
                ax.set_xlabel("proxy score rank (percentile)", fontsize=8)
            if j == 0:
                ax.set_ylabel("test accuracy (%)", fontsize=8)
            ax.tick_params(labelsize=7)
    stamp_synthetic(fig, synthetic)
    return save_figure(fig, png, pdf)


def quality_markdown(table: pd.DataFrame, synthetic: bool) -> str:
    lines = ["# Proxy quality over the whole cached space", ""]
    if synthetic:
        lines += [SYNTHETIC_BANNER, ""]
    lines += ["Spearman ρ and Kendall τ of the proxy (oriented as the search ranks it) with the "
              "test accuracy, with 95 % bootstrap intervals over the architectures; top-k % "
              "overlap; the proxy's measured seconds per architecture (from the cache). "
              "'unique' = one architecture per unique cell (NB201: AutoDL's canonical form, "
              "6,466 classes of the 15,625 cells).", ""]

    def ci(m, lo, hi):
        return "—" if not np.isfinite(m) else f"{fmt_num(m)} [{fmt_num(lo)}, {fmt_num(hi)}]"
    rows = [{"benchmark": bench_label(r.bench), "proxy": r.proxy, "cells": r.scope,
             "n": r.n_used, "ρ": ci(r.spearman_rho, r.spearman_lo, r.spearman_hi),
             "τ": ci(r.kendall_tau, r.kendall_lo, r.kendall_hi),
             "top-1/5/10 %": "/".join(fmt_num(getattr(r, f"top{k}_overlap")) for k in TOP_K),
             "s per arch": fmt_num(r.seconds_mean, 4)} for r in table.itertuples()]
    if rows:
        lines.append(markdown_table(pd.DataFrame(rows)))
    return "\n".join(lines)


def is_synthetic(cache, bench) -> bool:
    flag = cache.attrs.get("synthetic", False)
    if isinstance(flag, str):
        flag = flag.strip().lower() in ("1", "true", "yes")
    return bool(flag) or bool(bench.synthetic)


def write_quality(pairs: list[tuple], out_dir: Path, synthetic: bool) -> dict[str, Path]:
    """``pairs``: (ProxyCache, Benchmark) per space → ``quality.csv/.png/.pdf``."""
    out_dir = Path(out_dir)
    tables, panels = [], []
    for cache, bench in sorted(pairs, key=lambda cb: bench_key(bench_of(cb[1].space,
                                                                        cb[1].dataset))):
        df, points = proxy_quality(cache, bench)
        tables.append(df)
        for row in df[df["scope"] == "all"].to_dict("records"):
            s, a = points[row["proxy"]]
            panels.append((row["bench"], row["proxy"], s, a, row))
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=COLUMNS)
    png, pdf = plot_quality(table, out_dir / "quality.png", out_dir / "quality.pdf", synthetic)
    spng, spdf = plot_quality_scatter(panels, out_dir / "quality_scatter.png",
                                      out_dir / "quality_scatter.pdf", synthetic)
    return {"quality.csv": write_csv(out_dir / "quality.csv", table, synthetic),
            "quality.md": write_text(out_dir / "quality.md", quality_markdown(table, synthetic)),
            "quality.png": png, "quality.pdf": pdf,
            "quality_scatter.png": spng, "quality_scatter.pdf": spdf}


__all__ = [
    "PROXIES",
    "TOP_K",
    "accuracy_budget",
    "proxy_quality",
    "rank_correlations",
    "top_count",
    "top_k_overlap",
    "write_quality",
]
