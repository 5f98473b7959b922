"""How much of the space each search touched: distinct architectures scored / trained.

Statistic: per space × method, mean and sample std (ddof=1, pandas
``Series.std``) over runs of ``n_scored`` (distinct architectures given a proxy
score) and ``n_trained`` (distinct architectures "trained", i.e. looked up in
the benchmark), each also as % of the space (mean / |space| · 100, with
|NB201| = 15,625 and |NB101| = 423,624); plus the mean number of proxy calls and
trainings (with repeats). An extra row per space pools every proxy-guided run,
beside the seed study's pooled numbers (§5.2).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import published
from .output import (
    SYNTHETIC_BANNER,
    fmt_mean_std,
    fmt_num,
    markdown_table,
    write_csv,
    write_text,
)
from .runs import (RunData, bench_key, bench_label, bench_size, seed_space, sort_frame,
                   with_space_dataset)

POOLED = "all proxies (gea)"
COLUMNS = ["bench", "method", "n_runs", "scored_mean", "scored_std", "scored_pct",
           "trained_mean", "trained_std", "trained_pct", "proxy_calls_mean",
           "trainings_mean", "published_scored", "published_trained"]


def percent_of_space(count: float, bench: str) -> float:
    """``count / |space| · 100`` for the benchmark's space (NaN for an unknown space)."""
    try:
        size = bench_size(bench)
    except Exception:  # noqa: BLE001 - an unregistered space
        return float("nan")
    return float(count) / size * 100 if size else float("nan")


def _row(space: str, method: str, g: pd.DataFrame) -> dict:
    def ms(col):
        v = g[col].astype(float)
        return float(v.mean()), (float(v.std(ddof=1)) if v.size > 1 else float("nan"))
    sm, ss = ms("n_scored")
    tm, ts = ms("n_trained")
    pub = published.COUNTS.get(seed_space(space), {}) if method == POOLED else {}
    return {"bench": space, "method": method, "n_runs": len(g),
            "scored_mean": sm, "scored_std": ss, "scored_pct": percent_of_space(sm, space),
            "trained_mean": tm, "trained_std": ts, "trained_pct": percent_of_space(tm, space),
            "proxy_calls_mean": float(g["n_proxy_calls"].astype(float).mean()),
            "trainings_mean": float(g["n_trainings"].astype(float).mean()),
            "published_scored": fmt_mean_std(*pub["scored"]) if "scored" in pub else "",
            "published_trained": fmt_mean_std(*pub["trained"]) if "trained" in pub else ""}


def counts_table(data: RunData) -> pd.DataFrame:
    rows = []
    for (space, method), g in data.runs.groupby(["bench", "method"], sort=False):
        rows.append(_row(space, method, g))
    df = sort_frame(pd.DataFrame(rows, columns=COLUMNS))
    pooled = []
    for space in data.benches:
        g = data.runs[(data.runs["bench"] == space) & (data.runs["strategy"] == "gea")]
        if len(g):
            pooled.append(_row(space, POOLED, g))
    if pooled:
        df = pd.concat([df, pd.DataFrame(pooled, columns=COLUMNS)], ignore_index=True)
        order = sorted(range(len(df)), key=lambda i: (bench_key(df["bench"].iloc[i]),
                                                      df["method"].iloc[i] == POOLED, i))
        df = df.iloc[order].reset_index(drop=True)
    return with_space_dataset(df)


def _pct(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{x:.3f} %"


def to_markdown(df: pd.DataFrame, synthetic: bool) -> str:
    lines = ["# Distinct architectures scored and trained per run", ""]
    if synthetic:
        lines += [SYNTHETIC_BANNER, ""]
    lines += [("Mean ± sample std over runs; % of the space = mean / |space| "
               "(NB201 15,625; NB101 423,624). 'Published' = the seed study's §5.2 numbers, "
               "all proxies pooled."), ""]
    rows = [{"benchmark": bench_label(r.bench), "method": r.method,
             "runs": r.n_runs,
             "scored": fmt_mean_std(r.scored_mean, r.scored_std),
             "scored % space": _pct(r.scored_pct),
             "trained": fmt_mean_std(r.trained_mean, r.trained_std),
             "trained % space": _pct(r.trained_pct),
             "proxy calls": fmt_num(r.proxy_calls_mean, 1),
             "trainings": fmt_num(r.trainings_mean, 1),
             "published scored": r.published_scored or "—",
             "published trained": r.published_trained or "—"} for r in df.itertuples()]
    lines.append(markdown_table(pd.DataFrame(rows)))
    return "\n".join(lines)


def write_counts(data: RunData, out_dir: Path, synthetic: bool | None = None) -> dict[str, Path]:
    """Write ``counts.csv`` and ``counts.md``."""
    synthetic = data.synthetic if synthetic is None else synthetic
    df = counts_table(data)
    out_dir = Path(out_dir)
    return {"counts.csv": write_csv(out_dir / "counts.csv", df, synthetic),
            "counts.md": write_text(out_dir / "counts.md", to_markdown(df, synthetic))}
