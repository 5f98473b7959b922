"""Between-proxy significance tests per space (proxy-guided GEA runs only).

For each space the ``final_accuracy`` values are grouped by proxy (baselines
excluded) and tested at α = 0.05:

- assumptions: Shapiro–Wilk normality per group (``scipy.stats.shapiro``, n ≥ 3)
  and Levene's test for equal variances, median-centred Brown–Forsythe form
  (``scipy.stats.levene(center="median")``);
- one-way ANOVA (``scipy.stats.f_oneway``) with effect sizes from the sums of
  squares, η² = SS_between / SS_total and
  ω² = (SS_between − (k−1)·MS_within) / (SS_total + MS_within), and Tukey's HSD
  post-hoc (``scipy.stats.tukey_hsd``);
- Welch's ANOVA for unequal variances
  (``statsmodels.stats.oneway.anova_oneway(use_var="unequal")``) with the
  Games–Howell post-hoc (``scikit_posthocs.posthoc_games_howell``);
- Kruskal–Wallis H (``scipy.stats.kruskal``, tie-corrected) with
  ε² = H / ((N² − 1)/(N + 1)) and Dunn's post-hoc with Holm's correction
  (``scikit_posthocs.posthoc_dunn(p_adjust="holm")``).

Which family applies: any group not normal (or not checkable: n < 3, zero
variance) → Kruskal–Wallis + Dunn; normal but Levene rejects equal variances →
Welch + Games–Howell; otherwise ANOVA + Tukey. All are reported. Degenerate
inputs (one method, groups of one run, zero variance) give a note in the
tables and the summary instead of an exception.
"""
from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .output import (
    SYNTHETIC_BANNER,
    fmt_num,
    fmt_p,
    markdown_table,
    write_csv,
    write_text,
)
from .published import ANOVA_P
from .runs import RunData, bench_key, bench_label, method_key

ALPHA = 0.05

TEST_COLUMNS = ["bench", "test", "library", "statistic", "df1", "df2", "p_value", "eta2",
                "omega2", "epsilon2", "k", "N", "note"]
PAIR_COLUMNS = ["bench", "posthoc", "group1", "group2", "meandiff", "p_adj", "lower", "upper",
                "reject", "note"]
TEST_ORDER = {"one-way ANOVA": 0, "Welch ANOVA": 1, "Levene (median)": 2, "Kruskal-Wallis": 3}
GROUP_COLUMNS = ["bench", "method", "n", "mean", "std", "median", "shapiro_W", "shapiro_p",
                 "normal", "note"]


# ----------------------------------------------------------------- statistics
def anova_ss(groups: list[np.ndarray]) -> dict:
    """Sums of squares of a one-way layout: k, N, SS_between, SS_within, SS_total,
    df_between = k−1, df_within = N−k, MS_between, MS_within."""
    groups = [np.asarray(g, dtype=float) for g in groups]
    allv = np.concatenate(groups)
    grand = allv.mean()
    k, n_tot = len(groups), allv.size
    ssb = float(sum(g.size * (g.mean() - grand) ** 2 for g in groups))
    ssw = float(sum(((g - g.mean()) ** 2).sum() for g in groups))
    sst = float(((allv - grand) ** 2).sum())
    dfb, dfw = k - 1, n_tot - k
    return {"k": k, "N": n_tot, "ssb": ssb, "ssw": ssw, "sst": sst, "dfb": dfb, "dfw": dfw,
            "msb": ssb / dfb if dfb > 0 else float("nan"),
            "msw": ssw / dfw if dfw > 0 else float("nan")}


def eta_squared(ss: dict) -> float:
    """η² = SS_between / SS_total (NaN when SS_total = 0)."""
    return ss["ssb"] / ss["sst"] if ss["sst"] > 0 else float("nan")


def omega_squared(ss: dict) -> float:
    """ω² = (SS_between − (k−1)·MS_within) / (SS_total + MS_within)."""
    den = ss["sst"] + ss["msw"]
    if not np.isfinite(den) or den <= 0:
        return float("nan")
    return (ss["ssb"] - ss["dfb"] * ss["msw"]) / den


def epsilon_squared(h: float, n: int) -> float:
    """ε² = H / ((N² − 1)/(N + 1)) (= H / (N − 1)) for Kruskal–Wallis."""
    return float(h / ((n ** 2 - 1) / (n + 1))) if n > 1 else float("nan")


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


def one_way_anova(groups: list[np.ndarray]) -> dict:
    """One-way ANOVA (``scipy.stats.f_oneway``) plus η² and ω²."""
    ss = anova_ss(groups)
    row = {"test": "one-way ANOVA", "library": "scipy.stats.f_oneway", "df1": ss["dfb"],
           "df2": ss["dfw"], "k": ss["k"], "N": ss["N"], "eta2": eta_squared(ss),
           "omega2": omega_squared(ss), "note": ""}
    if ss["sst"] == 0:
        row.update(statistic=float("nan"), p_value=float("nan"),
                   note="all values identical: F undefined")
    elif ss["ssw"] == 0:
        row.update(statistic=float("inf"), p_value=0.0,
                   note="zero within-group variance: F infinite, groups differ exactly")
    else:
        res = _quiet(stats.f_oneway, *groups)
        row.update(statistic=float(res.statistic), p_value=float(res.pvalue))
    return row


def welch_anova(groups: list[np.ndarray]) -> dict:
    """Welch's heteroscedastic one-way ANOVA
    (``statsmodels.stats.oneway.anova_oneway(use_var="unequal")``)."""
    row = {"test": "Welch ANOVA", "library": "statsmodels.stats.oneway.anova_oneway",
           "k": len(groups), "N": int(sum(len(g) for g in groups)), "note": ""}
    if any(np.var(g) == 0 for g in groups):
        row.update(statistic=float("nan"), p_value=float("nan"), df1=float("nan"),
                   df2=float("nan"), note="a group has zero variance: Welch weights undefined")
        return row
    from statsmodels.stats.oneway import anova_oneway
    res = _quiet(anova_oneway, [np.asarray(g, float) for g in groups], use_var="unequal",
                 welch_correction=True)
    row.update(statistic=float(res.statistic), p_value=float(res.pvalue),
               df1=float(res.df_num), df2=float(res.df_denom))
    return row


def levene_test(groups: list[np.ndarray]) -> dict:
    """Levene's test, median-centred (Brown–Forsythe; ``scipy.stats.levene``)."""
    row = {"test": "Levene (median)", "library": "scipy.stats.levene", "k": len(groups),
           "N": int(sum(len(g) for g in groups)), "df1": len(groups) - 1,
           "df2": int(sum(len(g) for g in groups)) - len(groups), "note": ""}
    dev = np.concatenate([np.abs(np.asarray(g, float) - np.median(g)) for g in groups])
    if np.all(dev == dev[0]):
        row.update(statistic=float("nan"), p_value=float("nan"),
                   note="absolute deviations constant: test undefined")
        return row
    res = _quiet(stats.levene, *groups, center="median")
    row.update(statistic=float(res.statistic), p_value=float(res.pvalue))
    return row


def kruskal_test(groups: list[np.ndarray]) -> dict:
    """Kruskal–Wallis H (``scipy.stats.kruskal``, tie-corrected) plus ε²."""
    n = int(sum(len(g) for g in groups))
    row = {"test": "Kruskal-Wallis", "library": "scipy.stats.kruskal", "df1": len(groups) - 1,
           "k": len(groups), "N": n, "note": ""}
    allv = np.concatenate([np.asarray(g, float) for g in groups])
    if np.all(allv == allv[0]):
        row.update(statistic=float("nan"), p_value=float("nan"), epsilon2=float("nan"),
                   note="all values identical: H undefined")
        return row
    res = _quiet(stats.kruskal, *groups)
    row.update(statistic=float(res.statistic), p_value=float(res.pvalue),
               epsilon2=epsilon_squared(float(res.statistic), n))
    return row


def shapiro_test(values) -> tuple[float, float, str]:
    """Shapiro–Wilk ``(W, p, note)`` (``scipy.stats.shapiro``); NaN with a note when
    n < 3 or the values are constant."""
    v = np.asarray(values, dtype=float)
    if v.size < 3:
        return float("nan"), float("nan"), f"n={v.size} < 3: normality not testable"
    if np.all(v == v[0]):
        return float("nan"), float("nan"), "zero variance: normality not testable"
    res = _quiet(stats.shapiro, v)
    return float(res.statistic), float(res.pvalue), ""


def tukey_pairs(names: list[str], groups: list[np.ndarray]) -> list[dict]:
    """Tukey HSD for all pairs (``scipy.stats.tukey_hsd``); meandiff = mean1 − mean2,
    95 % simultaneous CI."""
    res = _quiet(stats.tukey_hsd, *groups)
    ci = res.confidence_interval(confidence_level=1 - ALPHA)
    out = []
    for i, j in itertools.combinations(range(len(names)), 2):
        p = float(res.pvalue[i, j])
        out.append({"posthoc": "Tukey HSD", "group1": names[i], "group2": names[j],
                    "meandiff": float(res.statistic[i, j]), "p_adj": p,
                    "lower": float(ci.low[i, j]), "upper": float(ci.high[i, j]),
                    "reject": bool(p < ALPHA), "note": ""})
    return out


def _long(names, groups) -> pd.DataFrame:
    return pd.DataFrame({"value": np.concatenate([np.asarray(g, float) for g in groups]),
                         "group": np.repeat(names, [len(g) for g in groups])})


def games_howell_pairs(names: list[str], groups: list[np.ndarray]) -> list[dict]:
    """Games–Howell (``scikit_posthocs.posthoc_games_howell``) for all pairs."""
    import scikit_posthocs as sp
    pm = _quiet(sp.posthoc_games_howell, _long(names, groups), val_col="value",
                group_col="group", sort=False)
    means = {n: float(np.mean(g)) for n, g in zip(names, groups)}
    out = []
    for a, b in itertools.combinations(names, 2):
        p = float(pm.loc[a, b])
        out.append({"posthoc": "Games-Howell", "group1": a, "group2": b,
                    "meandiff": means[a] - means[b], "p_adj": p, "lower": float("nan"),
                    "upper": float("nan"), "reject": bool(p < ALPHA), "note": ""})
    return out


def dunn_pairs(names: list[str], groups: list[np.ndarray]) -> list[dict]:
    """Dunn's test with Holm-adjusted p-values
    (``scikit_posthocs.posthoc_dunn(p_adjust="holm")``); meandiff = difference of
    mean ranks (group1 − group2)."""
    import scikit_posthocs as sp
    df = _long(names, groups)
    pm = _quiet(sp.posthoc_dunn, df, val_col="value", group_col="group", p_adjust="holm",
                sort=False)
    ranks = stats.rankdata(df["value"])
    mean_rank = {n: float(ranks[(df["group"] == n).to_numpy()].mean()) for n in names}
    out = []
    for a, b in itertools.combinations(names, 2):
        p = float(pm.loc[a, b])
        out.append({"posthoc": "Dunn (Holm)", "group1": a, "group2": b,
                    "meandiff": mean_rank[a] - mean_rank[b], "p_adj": p,
                    "lower": float("nan"), "upper": float("nan"), "reject": bool(p < ALPHA),
                    "note": "meandiff = difference of mean ranks"})
    return out


# ------------------------------------------------------------------ per space
@dataclass
class SpaceStats:
    bench: str
    groups: list[dict] = field(default_factory=list)
    tests: list[dict] = field(default_factory=list)
    pairs: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recommendation: str = ""
    recommended_posthoc: str = ""


def analyse_space(space: str, runs: pd.DataFrame) -> SpaceStats:
    """All tests for one space; ``runs`` = that space's GEA runs with a proxy."""
    res = SpaceStats(space)
    methods = sorted(runs["method"].unique(), key=method_key)
    values = {m: runs.loc[runs["method"] == m, "final_accuracy"].to_numpy(float)
              for m in methods}
    for m in methods:
        v = values[m]
        w, p, note = shapiro_test(v)
        res.groups.append({"bench": space, "method": m, "n": int(v.size),
                           "mean": float(v.mean()),
                           "std": float(np.std(v, ddof=1)) if v.size > 1 else float("nan"),
                           "median": float(np.median(v)), "shapiro_W": w, "shapiro_p": p,
                           "normal": "" if np.isnan(p) else ("yes" if p >= ALPHA else "no"),
                           "note": note})
    if len(methods) < 2:
        res.notes.append(f"only {len(methods)} proxy method(s) with runs: no between-method "
                         "test is possible")
        res.recommendation = "none (fewer than two methods)"
        return res

    # rank-based family: every group with ≥ 1 run
    names_all = list(methods)
    groups_all = [values[m] for m in names_all]
    kw = kruskal_test(groups_all)
    res.tests.append(kw)
    if np.isfinite(kw["statistic"]) and sum(len(g) for g in groups_all) > len(groups_all):
        res.pairs += dunn_pairs(names_all, groups_all)

    # parametric family: groups with ≥ 2 runs
    small = [m for m in methods if values[m].size < 2]
    if small:
        res.notes.append(f"excluded from ANOVA/Welch/Levene/Tukey (fewer than 2 runs): "
                         f"{', '.join(small)}")
    names = [m for m in methods if values[m].size >= 2]
    groups = [values[m] for m in names]
    if len(names) >= 2:
        an = one_way_anova(groups)
        res.tests.append(an)
        res.tests.append(welch_anova(groups))
        res.tests.append(levene_test(groups))
        if np.isfinite(an["statistic"]) and anova_ss(groups)["ssw"] > 0:
            res.pairs += tukey_pairs(names, groups)
        else:
            res.notes.append("Tukey HSD skipped: zero within-group variance")
        if all(np.var(g) > 0 for g in groups):
            res.pairs += games_howell_pairs(names, groups)
        else:
            res.notes.append("Games-Howell skipped: a group has zero variance")
    else:
        res.notes.append("fewer than two methods with ≥ 2 runs: parametric tests skipped")
    res.tests.sort(key=lambda t: TEST_ORDER.get(t["test"], 9))
    for t in res.tests:
        if t["note"]:
            res.notes.append(f"{t['test']}: {t['note']}")

    # which family applies
    not_checkable = [g["method"] for g in res.groups if g["normal"] == ""]
    non_normal = [g["method"] for g in res.groups if g["normal"] == "no"]
    lev = next((t for t in res.tests if t["test"].startswith("Levene")), None)
    if non_normal or not_checkable or len(names) < 2:
        why = []
        if non_normal:
            why.append(f"Shapiro–Wilk rejects normality for {', '.join(non_normal)}")
        if not_checkable:
            why.append(f"normality not checkable for {', '.join(not_checkable)}")
        if len(names) < 2:
            why.append("too few groups with ≥ 2 runs for ANOVA")
        res.recommendation = "Kruskal–Wallis + Dunn (Holm): " + "; ".join(why)
        res.recommended_posthoc = "Dunn (Holm)"
    elif lev is not None and np.isfinite(lev["p_value"]) and lev["p_value"] < ALPHA:
        res.recommendation = ("Welch's ANOVA + Games–Howell: groups look normal but Levene "
                              f"rejects equal variances (p = {fmt_p(lev['p_value'])})")
        res.recommended_posthoc = "Games-Howell"
    else:
        res.recommendation = ("one-way ANOVA + Tukey HSD: no group rejects normality and "
                              "Levene does not reject equal variances")
        res.recommended_posthoc = "Tukey HSD"
    return res


def run_stats(data: RunData) -> list[SpaceStats]:
    """:func:`analyse_space` for every space that has GEA runs (baselines excluded)."""
    out = []
    for space in data.benches:
        sub = data.runs[(data.runs["bench"] == space) & (data.runs["strategy"] == "gea")]
        if sub.empty:
            st = SpaceStats(space, notes=["no proxy-guided (gea) runs in this space"],
                            recommendation="none (no gea runs)")
            out.append(st)
            continue
        out.append(analyse_space(space, sub))
    return out


def _frame(rows: list[dict], cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c, float("nan") if c not in ("note",) else "")
                          for c in cols} for r in rows], columns=cols)


def summary_markdown(results: list[SpaceStats], synthetic: bool) -> str:
    lines = ["# Statistical comparison of proxies (GEA runs; baselines excluded)", ""]
    if synthetic:
        lines += [SYNTHETIC_BANNER, ""]
    lines += [(f"Significance level α = {ALPHA}. Response: final test accuracy (%) of each "
               "run. Normality: Shapiro–Wilk per group; equal variances: Levene "
               "(median-centred). Effect sizes: η², ω² (ANOVA), ε² (Kruskal–Wallis)."),
              (f"For reference, the seed study reports a one-way ANOVA p-value of "
               f"{fmt_p(ANOVA_P)} across proxies (not stated whether per space or pooled)."),
              ""]
    for r in sorted(results, key=lambda r: bench_key(r.bench)):
        lines += [f"## {bench_label(r.bench)}", ""]
        if r.groups:
            g = pd.DataFrame([{"method": x["method"], "n": x["n"],
                               "mean": fmt_num(x["mean"]), "std": fmt_num(x["std"]),
                               "Shapiro p": fmt_p(x["shapiro_p"]), "normal": x["normal"]
                               or "n/a"} for x in r.groups])
            lines += [markdown_table(g)]
        for t in r.tests:
            eff = []
            for key, name in (("eta2", "η²"), ("omega2", "ω²"), ("epsilon2", "ε²")):
                v = t.get(key)
                if v is not None and np.isfinite(v):
                    eff.append(f"{name} = {v:.3f}")
            dfs = ""
            if t.get("df1") is not None and np.isfinite(t.get("df1", np.nan)):
                dfs = f"df = {fmt_num(t['df1'], 0 if float(t['df1']).is_integer() else 2)}"
                if t.get("df2") is not None and np.isfinite(t.get("df2", np.nan)):
                    dfs += f", {fmt_num(t['df2'], 0 if float(t['df2']).is_integer() else 2)}"
            stat = "n/a" if np.isnan(t["statistic"]) else f"{t['statistic']:.4g}"
            parts = [f"statistic = {stat}", dfs, f"p = {fmt_p(t['p_value'])}"] + eff
            lines.append(f"- **{t['test']}**: " + "; ".join(p for p in parts if p)
                         + (f" — {t['note']}" if t["note"] else ""))
        if r.tests:
            lines.append("")
        lines.append(f"**Which test applies:** {r.recommendation}.")
        lines.append("")
        posthocs = sorted({p["posthoc"] for p in r.pairs},
                          key=lambda s: (s != r.recommended_posthoc, s))
        for ph in posthocs:
            sig = [p for p in r.pairs if p["posthoc"] == ph and p["reject"]]
            tag = " (recommended)" if ph == r.recommended_posthoc else ""
            if sig:
                pairs = "; ".join(f"{p['group1']} vs {p['group2']} (p = {fmt_p(p['p_adj'])})"
                                  for p in sig)
                lines.append(f"- {ph}{tag}: differ at α = {ALPHA}: {pairs}")
            else:
                lines.append(f"- {ph}{tag}: no pair differs at α = {ALPHA}")
        if posthocs:
            lines.append("")
        if r.notes:
            lines.append("Notes: " + " ".join(f"{n}." if not n.endswith(".") else n
                                               for n in r.notes))
            lines.append("")
    return "\n".join(lines)


def write_stats(data: RunData, out_dir: Path, synthetic: bool | None = None) -> dict[str, Path]:
    """Write ``stats_groups.csv``, ``stats_tests.csv``, ``stats_posthoc.csv`` and
    ``stats_summary.md``."""
    synthetic = data.synthetic if synthetic is None else synthetic
    out_dir = Path(out_dir)
    results = run_stats(data)
    groups, tests, pairs = [], [], []
    for r in sorted(results, key=lambda r: bench_key(r.bench)):
        groups += r.groups
        tests += [{**t, "bench": r.bench} for t in r.tests]
        pairs += [{**p, "bench": r.bench} for p in r.pairs]
    tests.sort(key=lambda t: (bench_key(t["bench"]), TEST_ORDER.get(t["test"], 9)))
    ph_order = {"Tukey HSD": 0, "Games-Howell": 1, "Dunn (Holm)": 2}
    pairs.sort(key=lambda p: (bench_key(p["bench"]), ph_order.get(p["posthoc"], 9),
                              method_key(p["group1"]), method_key(p["group2"])))
    return {
        "stats_groups.csv": write_csv(out_dir / "stats_groups.csv",
                                      _frame(groups, GROUP_COLUMNS), synthetic),
        "stats_tests.csv": write_csv(out_dir / "stats_tests.csv", _frame(tests, TEST_COLUMNS),
                                     synthetic),
        "stats_posthoc.csv": write_csv(out_dir / "stats_posthoc.csv",
                                       _frame(pairs, PAIR_COLUMNS), synthetic),
        "stats_summary.md": write_text(out_dir / "stats_summary.md",
                                       summary_markdown(results, synthetic)),
    }
