"""Table 1 of the seed study: final test accuracy, mean ± std per space × method.

Statistic: for each (space, method) the runs' ``final_accuracy`` (%) →
``n``, mean and **sample** standard deviation (``ddof=1``; pandas
``Series.std``), plus min and max. With one run the std is undefined (``n/a``).
Written as a long CSV (one row per space × method) and as a wide Markdown /
LaTeX table (methods × spaces, cells ``mean ± std``), like the paper's.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .output import (
    SYNTHETIC_BANNER,
    fmt_mean_std,
    latex_escape,
    markdown_table,
    write_csv,
    write_text,
)
from .runs import RunData, bench_key, bench_label, method_key, sort_frame, with_space_dataset


def summarise(runs: pd.DataFrame, value: str = "final_accuracy") -> pd.DataFrame:
    """``bench, space, dataset, method, strategy, n, mean, std, min, max`` of ``value``
    per (benchmark, method) (std: sample standard deviation, ddof=1)."""
    cols = ["bench", "method", "strategy", "n", "mean", "std", "min", "max"]
    if runs.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for (space, method), g in runs.groupby(["bench", "method"], sort=False):
        v = g[value].astype(float)
        rows.append({"bench": space, "method": method, "strategy": g["strategy"].iloc[0],
                     "n": int(v.size), "mean": float(v.mean()),
                     "std": float(v.std(ddof=1)) if v.size > 1 else float("nan"),
                     "min": float(v.min()), "max": float(v.max())})
    return with_space_dataset(sort_frame(pd.DataFrame(rows, columns=cols)))


def table1(data: RunData) -> pd.DataFrame:
    """The long Table 1: summary of ``final_accuracy`` with a ``mean ± std`` column."""
    df = summarise(data.runs)
    df["mean_pm_std"] = [fmt_mean_std(m, s) for m, s in zip(df["mean"], df["std"])]
    return df


def _wide(df: pd.DataFrame, latex: bool) -> tuple[list[str], list[list[str]]]:
    spaces = sorted(df["bench"].unique(), key=bench_key)
    methods = sorted(df["method"].unique(), key=method_key)
    cells = {(r.bench, r.method): (r.mean, r.std, r.n) for r in df.itertuples()}
    header = ["method"] + [f"{bench_label(s)} (n)" for s in spaces]
    body = []
    for m in methods:
        row = [latex_escape(m) if latex else m]
        for s in spaces:
            if (s, m) in cells:
                mean, std, n = cells[(s, m)]
                txt = fmt_mean_std(mean, std)
                row.append((txt.replace("±", r"$\pm$") if latex else txt) + f" ({n})")
            else:
                row.append("--" if latex else "—")
        body.append(row)
    return header, body


def to_markdown(df: pd.DataFrame, synthetic: bool) -> str:
    header, body = _wide(df, latex=False)
    lines = ["# Table 1 — final test accuracy (%), mean ± std over runs (n)", ""]
    if synthetic:
        lines += [SYNTHETIC_BANNER, ""]
    lines.append("Std is the sample standard deviation (ddof = 1). Methods: proxies = GEA "
                 "guided by that proxy; random-score / random / re / oracle = baselines.")
    lines.append("")
    lines.append(markdown_table(pd.DataFrame(body, columns=header)))
    return "\n".join(lines)


def to_latex(df: pd.DataFrame, synthetic: bool) -> str:
    header, body = _wide(df, latex=True)
    out = []
    if synthetic:
        out.append("% SYNTHETIC DATA: these numbers are not NAS-Bench results")
    out += [r"\begin{table}[t]", r"\centering", r"\begin{tabular}{l" + "c" * (len(header) - 1)
            + "}", r"\toprule",
            " & ".join(latex_escape(h) for h in header) + r" \\", r"\midrule"]
    out += [" & ".join(row) + r" \\" for row in body]
    caption = ("Final test accuracy (\\%), mean $\\pm$ sample std over runs (n in "
               "parentheses).")
    if synthetic:
        caption = r"\textbf{SYNTHETIC DATA.} " + caption
    out += [r"\bottomrule", r"\end{tabular}", r"\caption{" + caption + "}",
            r"\label{tab:zsnas-table1}", r"\end{table}"]
    return "\n".join(out) + "\n"


def write_table1(data: RunData, out_dir: Path, synthetic: bool | None = None) -> dict[str, Path]:
    """Write ``table1.csv``, ``table1.md`` and ``table1.tex`` into ``out_dir``."""
    synthetic = data.synthetic if synthetic is None else synthetic
    df = table1(data)
    out_dir = Path(out_dir)
    return {
        "table1.csv": write_csv(out_dir / "table1.csv", df, synthetic),
        "table1.md": write_text(out_dir / "table1.md", to_markdown(df, synthetic)),
        "table1.tex": write_text(out_dir / "table1.tex", to_latex(df, synthetic)),
    }
