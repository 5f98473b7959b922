"""Findings: the results as sentences, each with its number and interval.

Generated from the statistics, never written by hand: per benchmark, the
omnibus test between the proxies (the one the assumption checks recommend,
:mod:`.stats`), then per guide its difference to the random-score GEA
(:mod:`.effects`) worded by the Holm-adjusted test — "better" / "worse" only
where the test rejects at α = 0.05, "no detectable difference" otherwise, never
a claim the test does not support — with the share of the oracle's gain, and
how well the guide ranks where the search uses it (:mod:`.search_quality`)
beside its whole-space ρ. Synthetic inputs get the banner.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .effects import ALPHA, verdict
from .output import SYNTHETIC_BANNER, fmt_num, fmt_p, write_text
from .runs import bench_key, bench_label


def _ci(m, lo, hi, unit="") -> str:
    return f"{fmt_num(m)}{unit} (95 % CI {fmt_num(lo)} to {fmt_num(hi)}{unit})"


def _omnibus(stats_result) -> str | None:
    rec = stats_result.recommended_posthoc
    name = {"Tukey HSD": "one-way ANOVA", "Games-Howell": "Welch ANOVA",
            "Dunn (Holm)": "Kruskal-Wallis"}.get(rec)
    test = next((t for t in stats_result.tests if t.get("test") == name), None)
    if test is None or not np.isfinite(test.get("p_value", np.nan)):
        return None
    differ = test["p_value"] < ALPHA
    return (f"The proxies' final accuracies {'differ' if differ else 'do not differ detectably'}"
            f" ({name}, p = {fmt_p(test['p_value'])}; the test the assumption checks "
            "recommend).")


def findings(effects: pd.DataFrame, stats_results, search_q: pd.DataFrame | None,
             anytime: pd.DataFrame | None) -> dict[str, list[str]]:
    """Benchmark → its sentences."""
    out: dict[str, list[str]] = {}
    by_bench = {r.bench: r for r in stats_results}
    benches = sorted(set(effects["bench"]) | set(by_bench), key=bench_key)
    for bench in benches:
        lines = []
        if bench in by_bench:
            s = _omnibus(by_bench[bench])
            if s:
                lines.append(s)
        sub = effects[(effects["bench"] == bench) & (effects["control"] == "random-score")]
        for r in sub.to_dict("records"):
            v = verdict(r)
            p = r["mw_p_holm"] if np.isfinite(r["mw_p_holm"]) else r["welch_p_holm"]
            head = (f"GEA guided by {r['guide']} reaches {fmt_num(r['mean_guide'])} % "
                    f"(n = {r['n_guide']}); against the random-score GEA "
                    f"({fmt_num(r['mean_control'])} %) the difference is "
                    f"{_ci(r['diff'], r['diff_lo'], r['diff_hi'], ' pp')}")
            if v == "no detectable difference":
                text = (f"{head}: no detectable difference (Holm-adjusted p = "
                        f"{fmt_p(p) if np.isfinite(p) else 'n/a'}).")
            else:
                text = (f"{head}: {v} than the random score (Holm-adjusted p = {fmt_p(p)}, "
                        f"Cliff's δ = {fmt_num(r['cliffs_delta'])}).")
            if np.isfinite(r["share_of_oracle"]):
                text += (f" It recovers {_ci(r['share_of_oracle'], r['share_lo'], r['share_hi'])}"
                         " of the oracle's gain over the random score.")
            lines.append(text)
        others = effects[(effects["bench"] == bench) & (effects["control"] != "random-score")]
        for control, label in (("random", "random search"), ("re", "regularised evolution")):
            part = others[others["control"] == control]
            if part.empty:
                continue
            better = [r["guide"] for r in part.to_dict("records") if verdict(r) == "better"]
            worse = [r["guide"] for r in part.to_dict("records") if verdict(r) == "worse"]
            k = int(part["trainings"].iloc[0])
            text = f"At {k} trainings against {label}: "
            text += (f"better with {', '.join(better)}" if better else "no guide is better")
            text += (f"; worse with {', '.join(worse)}" if worse else "")
            text += " (Holm-adjusted Mann–Whitney, α = 0.05)."
            lines.append(text)
        if search_q is not None and not search_q.empty:
            for r in search_q[search_q["bench"] == bench].to_dict("records"):
                if r["guide"] in ("oracle", "random-score") or \
                        not np.isfinite(r["cycle_rho_accuracy"]):
                    continue
                text = (f"Inside the search, {r['guide']}'s ranking of one parent's children "
                        f"has ρ = {_ci(r['cycle_rho_accuracy'], r['cycle_rho_accuracy_lo'], r['cycle_rho_accuracy_hi'])}"
                        f" with their final accuracy and picks the best child in "
                        f"{fmt_num(100 * r['cycle_hit'], 0)} % of cycles")
                if np.isfinite(r["space_rho"]):
                    text += f", against ρ = {fmt_num(r['space_rho'])} over the whole space"
                lines.append(text + ".")
        if anytime is not None and not anytime.empty:
            part = anytime[(anytime["bench"] == bench) & (anytime["axis"] == "seconds")]
            if len(part):
                best = part.sort_values("auc_mean", ascending=False).iloc[0]
                lines.append(f"At equal simulated cost ({fmt_num(best['budget'] / 3600)} h), "
                             f"{best['method']} has the largest area under the anytime curve: "
                             f"{_ci(best['auc_mean'], best['auc_lo'], best['auc_hi'], ' %')}.")
        out[bench] = lines
    return out


def to_markdown(sentences: dict[str, list[str]], synthetic: bool) -> str:
    lines = ["# Findings", ""]
    if synthetic:
        lines += [SYNTHETIC_BANNER, ""]
    lines += ["Generated from the statistics of this analysis: every sentence carries its number "
              "and 95 % interval; a difference is claimed only where the Holm-adjusted test "
              "rejects at α = 0.05.", ""]
    for bench, ss in sentences.items():
        lines += [f"## {bench_label(bench)}", ""] + [f"- {s}" for s in ss] + [""]
    return "\n".join(lines)


def write_findings(effects, stats_results, search_q, anytime, out_dir: Path,
                   synthetic: bool) -> dict:
    text = to_markdown(findings(effects, stats_results, search_q, anytime), synthetic)
    return {"findings.md": write_text(Path(out_dir) / "findings.md", text)}


__all__ = ["findings", "write_findings"]
