"""Proxy quality where the search uses it: inside the batches the guide ranked.

In GEA a proxy acts twice: it picks the best P of the C initial random
architectures, and each cycle it picks the best of one parent's mutated
children. Its quality *there* — not over the whole space — is what decides a
run. From the batches a version-2 run records (ids and the guide's scores) and
the benchmark the run used:

Per cycle batch (the distinct children of one parent: a child drawn twice is
one choice)
    Spearman ρ and Kendall τ-b between the guide's score (oriented higher =
    better, as the search ranked it) and the children's **fitness** (validation
    accuracy at the fitness budget, trial mean) and their **final accuracy**
    (the run's reported accuracy); **top-1 hit** = the chosen child (first
    maximum of the score, GEA's rule; non-finite scores rank last) has the best
    final accuracy of the batch (ties count as hits); **regret** = best final
    accuracy of the batch − the chosen child's (pp).
Initial selection (the C random architectures)
    ρ and τ over the distinct architectures of the C; hit = the best of the C (by final accuracy) is among the
    chosen P; regret = best of the C − best of the chosen P.

Per run the cycle statistics are averaged over its batches (undefined ρ/τ of a
batch with constant scores or accuracies are skipped); the table gives the
mean over runs with a 95 % bootstrap interval, side by side with the same
proxy's whole-space ρ (:mod:`.quality`) when a cache is given.

Neighbourhood (not only the batches one search met)
    For 200 parents drawn uniformly with a seeded generator (all, if fewer),
    every one-step neighbour under the space's mutation
    (``SpaceAdapter.neighbours``): the same ρ, hit and regret against final
    accuracy, for every proxy of the cache, averaged over parents with a
    bootstrap interval.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .output import (SYNTHETIC_BANNER, fmt_num, markdown_table, method_colour, new_figure,
                     save_figure, stamp_synthetic, write_csv, write_text)
from .resampling import mean_ci, rng_for, rowwise_kendall, rowwise_spearman
from .runs import RunData, bench_key, bench_label, bench_of, method_key

N_PARENTS = 200
STATS = ("rho_fitness", "tau_fitness", "rho_accuracy", "tau_accuracy", "hit", "regret")
COLUMNS = (["bench", "guide", "runs", "batches"]
           + [f"cycle_{s}{x}" for s in STATS for x in ("", "_lo", "_hi")]
           + [f"initial_{s}{x}" for s in STATS for x in ("", "_lo", "_hi")]
           + ["space_rho", "space_rho_lo", "space_rho_hi"])
NB_COLUMNS = (["bench", "proxy", "parents", "neighbours_mean"]
              + [f"{s}{x}" for s in ("rho", "tau", "hit", "regret") for x in ("", "_lo", "_hi")])


# ------------------------------------------------------------ batch statistics
def batch_stats(scores: np.ndarray, fitness: np.ndarray, accuracy: np.ndarray) -> dict:
    """ρ/τ against fitness and accuracy, top-1 hit and regret of equal-size batches
    (rows); ``scores`` oriented higher = better, non-finite = never chosen."""
    sel = np.where(np.isfinite(scores), scores, -np.inf)
    chosen = np.argmax(sel, axis=1)
    best = np.nanmax(accuracy, axis=1)
    got = accuracy[np.arange(len(accuracy)), chosen]
    finite = np.isfinite(scores)           # non-finite scores rank last, as in the search
    lowest = np.where(finite, scores, np.inf).min(axis=1, keepdims=True)
    ranked = np.where(finite, scores, np.where(np.isfinite(lowest), lowest - 1, 0.0))
    return {"rho_fitness": rowwise_spearman(ranked, fitness),
            "tau_fitness": rowwise_kendall(ranked, fitness),
            "rho_accuracy": rowwise_spearman(ranked, accuracy),
            "tau_accuracy": rowwise_kendall(ranked, accuracy),
            "hit": (got >= best).astype(float), "regret": best - got}


def initial_stats(scores, fitness, accuracy, P: int) -> dict:
    """The statistics of the initial selection of P from C (module docstring)."""
    sel = np.where(np.isfinite(scores), scores, -np.inf)
    top = np.argsort(-sel, kind="stable")[:P]
    best, got = float(np.nanmax(accuracy)), float(np.nanmax(accuracy[top]))
    ranked = np.where(np.isfinite(scores), scores, -1e300)
    out = {"hit": float(got >= best), "regret": best - got}
    for what, target in (("fitness", fitness), ("accuracy", accuracy)):
        ok = np.isfinite(target)
        if ok.sum() < 3 or np.ptp(ranked[ok]) == 0 or np.ptp(target[ok]) == 0:
            out[f"rho_{what}"] = out[f"tau_{what}"] = float("nan")
        else:
            out[f"rho_{what}"] = float(stats.spearmanr(ranked[ok], target[ok]).statistic)
            out[f"tau_{what}"] = float(stats.kendalltau(ranked[ok], target[ok]).statistic)
    return out


# ----------------------------------------------------------------- per run
class _Targets:
    """Fitness (trial mean at a budget) and reported accuracy of ids on one benchmark."""

    def __init__(self, bench):
        self.bench = bench
        self._fit: dict = {}
        self._acc: dict = {}

    def fitness(self, ids, budget: int) -> np.ndarray:
        if budget not in self._fit:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                self._fit[budget] = np.nanmean(self.bench.metric("valid_acc", budget), axis=1)
        return self._fit[budget][self.bench.rows(ids)]

    def accuracy(self, ids, report: str | None) -> np.ndarray:
        if report not in self._acc:
            from ..search.fitness import Evaluator
            ev = Evaluator(self.bench, report=report)
            self._acc[report] = ev._report_table(ev.rule)
        return self._acc[report][self.bench.rows(ids)]


def run_quality(record: dict, targets: _Targets) -> dict | None:
    """Per-run means of the cycle statistics and the initial-selection statistics."""
    batches = record.get("batches")
    if not batches:
        return None
    s = record["settings"]
    offsets = batches["offsets"]
    ids = np.asarray(batches["ids"], dtype=np.int64)
    raw = np.array([np.nan if v is None else v for v in batches["scores"]], dtype=np.float64)
    scores = raw if s.get("higher_is_better", True) else -raw
    fit = targets.fitness(ids, int(s.get("fitness_budget") or 12))
    acc = targets.accuracy(ids, s.get("report"))
    P = int(s.get("P") or 10)
    a, b = offsets[0], offsets[1]
    initial = initial_stats(scores[a:b], fit[a:b], acc[a:b], P)
    _, first = np.unique(ids[a:b], return_index=True)
    distinct = a + np.sort(first)
    for what, target in (("fitness", fit), ("accuracy", acc)):
        d = initial_stats(scores[distinct], target[distinct], target[distinct], 1)
        initial[f"rho_{what}"], initial[f"tau_{what}"] = d[f"rho_{what}"], d[f"tau_{what}"]
    # cycle batches, each over its distinct children (a child drawn twice is one choice;
    # counting copies would make a handful of architectures look like a ranking)
    groups: dict[int, list] = {}
    for k in range(1, len(offsets) - 1):
        lo, hi = offsets[k], offsets[k + 1]
        _, first = np.unique(ids[lo:hi], return_index=True)
        keep = lo + np.sort(first)
        groups.setdefault(keep.size, []).append(keep)
    per = {k: [] for k in STATS}
    for size, rows in groups.items():
        idx = np.array(rows)
        if size == 1:
            per["hit"] += [1.0] * len(rows)
            per["regret"] += [0.0] * len(rows)
            continue
        st = batch_stats(scores[idx], fit[idx], acc[idx])
        for k in STATS:
            per[k] += list(st[k])
    cycle = {k: (float(np.nanmean(v)) if np.isfinite(np.asarray(v, float)).any() else np.nan)
             for k, v in per.items()}
    n_batches = len(offsets) - 2
    return {"cycle": cycle, "initial": initial, "batches": n_batches}


def search_quality_table(data: RunData, benches: dict, space_quality: pd.DataFrame | None):
    """The in-search table (module docstring); ``benches``: benchmark key → Benchmark."""
    rows = []
    records = data.records or []
    for bench in data.benches:
        if bench not in benches:
            continue
        targets = _Targets(benches[bench])
        per_guide: dict[str, list] = {}
        for r, rec in zip(data.runs.itertuples(index=False), records):
            if r.bench != bench or r.strategy not in ("gea", "random-score", "oracle"):
                continue
            if rec.get("settings", {}).get("benchmark_checksum") != \
                    benches[bench].content_checksum:
                continue
            q = run_quality(rec, targets)
            if q is not None:
                per_guide.setdefault(r.method, []).append(q)
        for guide in sorted(per_guide, key=method_key):
            qs = per_guide[guide]
            row = {"bench": bench, "guide": guide, "runs": len(qs),
                   "batches": int(sum(q["batches"] for q in qs))}
            for part in ("cycle", "initial"):
                for stat in STATS:
                    m, lo, hi = mean_ci([q[part][stat] for q in qs], bench, guide, part, stat)
                    row[f"{part}_{stat}"], row[f"{part}_{stat}_lo"], row[f"{part}_{stat}_hi"] = \
                        m, lo, hi
            row["space_rho"] = row["space_rho_lo"] = row["space_rho_hi"] = np.nan
            if space_quality is not None and not space_quality.empty:
                hit = space_quality[(space_quality["bench"] == bench)
                                    & (space_quality["proxy"] == guide)]
                if len(hit):
                    h = hit.iloc[0]
                    row["space_rho"] = h["spearman_rho"]
                    row["space_rho_lo"] = h.get("spearman_lo", np.nan)
                    row["space_rho_hi"] = h.get("spearman_hi", np.nan)
            rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def neighbourhood_table(pairs) -> pd.DataFrame:
    """For every (cache, benchmark) pair and proxy: the statistics over the one-step
    neighbourhoods of a seeded sample of parents (module docstring)."""
    from ..search.space_adapter import adapter_for
    from .quality import accuracy_rule
    rows = []
    for cache, bench in pairs:
        key = bench_of(bench.space, bench.dataset)
        try:
            adapter = adapter_for(bench)
            adapter.neighbours(int(bench.ids[0]))
        except NotImplementedError:
            continue
        rule = accuracy_rule(bench)
        budget = bench.budgets[-1] if rule.budget is None else rule.budget
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            acc_all = np.nanmean(bench.metric(rule.split, budget), axis=1)
        rng = rng_for("neighbourhood", key)
        ids = np.asarray(bench.ids)
        parents = ids if ids.size <= N_PARENTS else np.sort(rng.choice(ids, N_PARENTS,
                                                                       replace=False))
        hoods = [adapter.neighbours(int(p)) for p in parents]
        hoods = [h[np.isin(h, cache.ids)] for h in hoods]
        for proxy in sorted(cache.proxies, key=method_key):
            _, raw, status = cache.all_scores(proxy)
            oriented = cache.oriented(raw, proxy)
            per = {"rho": [], "tau": [], "hit": [], "regret": []}
            for h in hoods:
                if h.size < 2:
                    continue
                rows_c = cache.rows(h)
                s = np.where(status[rows_c] <= 1, oriented[rows_c], np.nan)
                a = acc_all[bench.rows(h)]
                st = batch_stats(s[None, :], a[None, :], a[None, :])
                for k, name in (("rho", "rho_accuracy"), ("tau", "tau_accuracy"),
                                ("hit", "hit"), ("regret", "regret")):
                    per[k].append(float(st[name][0]))
            row = {"bench": key, "proxy": proxy, "parents": len(per["hit"]),
                   "neighbours_mean": float(np.mean([h.size for h in hoods])) if hoods else 0}
            for k, v in per.items():
                row[k], row[f"{k}_lo"], row[f"{k}_hi"] = mean_ci(v, key, proxy, "hood", k)
            rows.append(row)
    df = pd.DataFrame(rows, columns=NB_COLUMNS)
    if not df.empty:
        order = sorted(range(len(df)), key=lambda i: (bench_key(df["bench"].iloc[i]),
                                                      method_key(df["proxy"].iloc[i])))
        df = df.iloc[order].reset_index(drop=True)
    return df


def _ci(row, name) -> str:
    m = row[name]
    if not np.isfinite(m):
        return "—"
    return f"{fmt_num(m)} [{fmt_num(row[name + '_lo'])}, {fmt_num(row[name + '_hi'])}]"


def to_markdown(df: pd.DataFrame, hood: pd.DataFrame, synthetic: bool) -> str:
    lines = ["# Proxy quality where the search uses it", ""]
    if synthetic:
        lines += [SYNTHETIC_BANNER, ""]
    lines += ["Inside each cycle's batch of children (and over the C initial architectures): "
              "Spearman ρ of the guide's score against the final test accuracy, top-1 hit rate "
              "(the chosen child is the best) and regret (best − chosen, pp); mean over runs "
              "with a 95 % bootstrap interval, beside the same proxy's whole-space ρ.", ""]
    for bench in sorted(df["bench"].unique(), key=bench_key):
        lines += [f"## {bench_label(bench)}", ""]
        rows = [{"guide": r["guide"], "runs": r["runs"],
                 "children: ρ (fitness)": _ci(r, "cycle_rho_fitness"),
                 "children: ρ (final acc.)": _ci(r, "cycle_rho_accuracy"),
                 "children: top-1 hit": _ci(r, "cycle_hit"),
                 "children: regret (pp)": _ci(r, "cycle_regret"),
                 "initial P of C: ρ": _ci(r, "initial_rho_accuracy"),
                 "initial: hit": _ci(r, "initial_hit"),
                 "whole space: ρ": _ci(r, "space_rho")}
                for r in df[df["bench"] == bench].to_dict("records")]
        lines += [markdown_table(pd.DataFrame(rows)), ""]
    if not hood.empty:
        lines += ["## Mutation neighbourhoods", "",
                  f"Every one-step neighbour of {N_PARENTS} seeded random parents (all "
                  "parents where the benchmark is smaller): ρ against final accuracy, top-1 "
                  "hit, regret (pp).", ""]
        rows = [{"benchmark": bench_label(r["bench"]), "proxy": r["proxy"],
                 "parents": r["parents"], "neighbours": fmt_num(r["neighbours_mean"], 1),
                 "ρ": _ci(r, "rho"), "top-1 hit": _ci(r, "hit"), "regret": _ci(r, "regret")}
                for r in hood.to_dict("records")]
        lines += [markdown_table(pd.DataFrame(rows)), ""]
    return "\n".join(lines)


def plot_search_quality(df: pd.DataFrame, hood: pd.DataFrame, png: Path, pdf: Path,
                        synthetic: bool):
    """Per benchmark: each guide's ρ inside the search's batches of children, over the
    initial C, over mutation neighbourhoods and over the whole space (95 % intervals)."""
    benches = sorted(set(df["bench"]) | set(hood["bench"]), key=bench_key) or ["(none)"]
    cols = min(len(benches), 3)
    nrows = -(-len(benches) // cols)
    guides_all = sorted(set(df["guide"]), key=method_key) or ["(none)"]
    fig = new_figure(figsize=(0.8 + 3.8 * cols, 1.0 + (0.36 * len(guides_all) + 1.0) * nrows),
                     layout="constrained")
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    kinds = (("children (search)", "o", "#1f77b4"), ("initial C (search)", "s", "#ff7f0e"),
             ("neighbourhoods", "D", "#2ca02c"), ("whole space", "^", "#000000"))
    for ax, bench in zip(axes, benches):
        sub = df[df["bench"] == bench].set_index("guide")
        hsub = hood[hood["bench"] == bench].set_index("proxy")
        guides = [g for g in guides_all if g in sub.index]
        for k, (label, marker, colour) in enumerate(kinds):
            xs, los, his, ys = [], [], [], []
            for y, g in enumerate(guides):
                if label.startswith("children"):
                    v = sub.loc[g, ["cycle_rho_accuracy", "cycle_rho_accuracy_lo",
                                    "cycle_rho_accuracy_hi"]]
                elif label.startswith("initial"):
                    v = sub.loc[g, ["initial_rho_accuracy", "initial_rho_accuracy_lo",
                                    "initial_rho_accuracy_hi"]]
                elif label == "neighbourhoods":
                    if g not in hsub.index:
                        continue
                    v = hsub.loc[g, ["rho", "rho_lo", "rho_hi"]]
                else:
                    v = sub.loc[g, ["space_rho", "space_rho_lo", "space_rho_hi"]]
                v = [float(x) for x in v]
                if not np.isfinite(v[0]):
                    continue
                xs.append(v[0])
                los.append(max(0.0, v[0] - v[1]) if np.isfinite(v[1]) else 0)
                his.append(max(0.0, v[2] - v[0]) if np.isfinite(v[2]) else 0)
                ys.append(y + (k - 1.5) * 0.18)
            if xs:
                ax.errorbar(xs, ys, xerr=[los, his], fmt=marker, color=colour, ms=4,
                            capsize=2, lw=1, label=label)
        ax.axvline(0, color="0.6", lw=0.8)
        ax.set_xlim(-1.05, 1.05)
        ax.set_yticks(range(len(guides)), guides, fontsize=9)
        for tick, g in zip(ax.get_yticklabels(), guides):
            tick.set_color(method_colour(g))
        ax.invert_yaxis()
        ax.set_xlabel("Spearman ρ with final test accuracy (95 % CI)", fontsize=9)
        ax.set_title(bench_label(bench), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(benches):]:
        ax.set_axis_off()
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=8)
    stamp_synthetic(fig, synthetic)
    return save_figure(fig, png, pdf)


def write_search_quality(data: RunData, benches: dict, pairs, space_quality, out_dir: Path,
                         synthetic: bool) -> dict:
    out_dir = Path(out_dir)
    df = search_quality_table(data, benches, space_quality)
    hood = neighbourhood_table(pairs)
    png, pdf = plot_search_quality(df, hood, out_dir / "search_quality.png",
                                   out_dir / "search_quality.pdf", synthetic)
    return {"search_quality.csv": write_csv(out_dir / "search_quality.csv", df, synthetic),
            "neighbourhood_quality.csv": write_csv(out_dir / "neighbourhood_quality.csv", hood,
                                                   synthetic),
            "search_quality.md": write_text(out_dir / "search_quality.md",
                                            to_markdown(df, hood, synthetic)),
            "search_quality.png": png, "search_quality.pdf": pdf}


__all__ = ["batch_stats", "initial_stats", "neighbourhood_table", "rowwise_kendall",
           "rowwise_spearman", "run_quality", "search_quality_table", "write_search_quality"]
