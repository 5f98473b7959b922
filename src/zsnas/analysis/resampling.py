"""Seeded bootstrap intervals, Cliff's delta and Holm's correction.

Every interval is a percentile bootstrap (Efron & Tibshirani 1993, §13.3): the
statistic is recomputed on ``B`` resamples drawn with replacement, and the 95 %
interval is the 2.5th and 97.5th percentile of those values. Resampling is
independent per group (unpaired: two GEA runs with the same seed share no
random stream after their first scoring). The generator of each interval is
seeded from the analysis seed and the interval's name (:func:`rng_for`), so the
same inputs give the same bytes every run, whatever the order they are computed
in.
"""
from __future__ import annotations

import zlib

import numpy as np

#: Seed of every bootstrap of the analysis.
SEED = 20240521
#: Resamples per interval.
B = 2000
LEVEL = 0.95


def rng_for(*keys) -> np.random.Generator:
    """A generator seeded from :data:`SEED` and a stable digest of ``keys``."""
    return np.random.default_rng([SEED, zlib.crc32("\x1f".join(map(str, keys)).encode())])


def resample_means(x, rng: np.random.Generator, b: int = B) -> np.ndarray:
    """Means of ``b`` bootstrap resamples of ``x``."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return np.full(b, np.nan)
    return x[rng.integers(0, x.size, size=(b, x.size))].mean(axis=1)


def percentile_interval(values, level: float = LEVEL) -> tuple[float, float]:
    """The ``level`` percentile interval of bootstrap ``values`` (NaN-ignoring)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    a = (1 - level) / 2 * 100
    lo, hi = np.percentile(values, [a, 100 - a])
    return float(lo), float(hi)


def mean_ci(x, *key) -> tuple[float, float, float]:
    """(mean, lower, upper): the mean of ``x`` and its 95 % bootstrap interval."""
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    lo, hi = percentile_interval(resample_means(x, rng_for("mean", *key)))
    return float(x.mean()), lo, hi


def diff_ci(x, y, *key) -> tuple[float, float, float]:
    """(mean(x) − mean(y), lower, upper) with an unpaired bootstrap interval."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size == 0 or y.size == 0:
        return float("nan"), float("nan"), float("nan")
    rng = rng_for("diff", *key)
    d = resample_means(x, rng) - resample_means(y, rng)
    lo, hi = percentile_interval(d)
    return float(x.mean() - y.mean()), lo, hi


def share_ci(g, r, o, *key) -> tuple[float, float, float]:
    """Share of the oracle's gain recovered, (ḡ − r̄) / (ō − r̄), and its bootstrap
    interval (all three groups resampled); NaN when the oracle gains nothing."""
    g, r, o = (np.asarray(v, float) for v in (g, r, o))
    if min(g.size, r.size, o.size) == 0:
        return float("nan"), float("nan"), float("nan")
    denominator = o.mean() - r.mean()
    share = (g.mean() - r.mean()) / denominator if denominator != 0 else float("nan")
    rng = rng_for("share", *key)
    gm, rm, om = resample_means(g, rng), resample_means(r, rng), resample_means(o, rng)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = np.where(om - rm != 0, (gm - rm) / (om - rm), np.nan)
    lo, hi = percentile_interval(boot)
    return float(share), lo, hi


def cliffs_delta(x, y) -> float:
    """Cliff's δ = (#{x_i > y_j} − #{x_i < y_j}) / (n·m), in [−1, 1] (Cliff 1993)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size == 0 or y.size == 0:
        return float("nan")
    diff = x[:, None] - y[None, :]
    return float((np.sum(diff > 0) - np.sum(diff < 0)) / diff.size)


def holm(pvalues) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (``statsmodels.stats.multitest``); NaN kept."""
    from statsmodels.stats.multitest import multipletests
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out


def rowwise_spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman ρ of each row pair (average ranks for ties; NaN for a constant row)."""
    from scipy import stats
    rx, ry = stats.rankdata(x, axis=1), stats.rankdata(y, axis=1)
    rx = rx - rx.mean(axis=1, keepdims=True)
    ry = ry - ry.mean(axis=1, keepdims=True)
    den = np.sqrt((rx ** 2).sum(axis=1) * (ry ** 2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (rx * ry).sum(axis=1) / den, np.nan)


def rowwise_kendall(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall τ-b of each row pair: Σ sign(x_i−x_j)·sign(y_i−y_j) over i<j divided by
    √((n0 − t_x)(n0 − t_y)) (t = tied pairs); NaN for a constant row."""
    n = x.shape[1]
    iu = np.triu_indices(n, 1)
    sx = np.sign(x[:, :, None] - x[:, None, :])[:, iu[0], iu[1]]
    sy = np.sign(y[:, :, None] - y[:, None, :])[:, iu[0], iu[1]]
    num = (sx * sy).sum(axis=1)
    den = np.sqrt((sx != 0).sum(axis=1) * (sy != 0).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _chunks(total: int, per_row: int, budget: int = 4_000_000):
    step = max(1, budget // max(per_row, 1))
    for start in range(0, total, step):
        yield slice(start, min(total, start + step))


def bootstrap_correlations(s, a, *key, b: int | None = None) -> dict:
    """Spearman ρ and Kendall τ-b of (s, a) with 95 % bootstrap intervals over the
    architectures (pairs resampled). Resamples: 1,000 for ρ (200 above 100,000 pairs);
    for τ 1,000 up to 300 pairs, 200 up to 100,000, 100 beyond — a whole-space τ costs
    milliseconds per resample, and its interval is then far narrower than the printed
    precision."""
    from scipy import stats
    s, a = np.asarray(s, float), np.asarray(a, float)
    out = {k: float("nan") for k in ("spearman_lo", "spearman_hi", "kendall_lo", "kendall_hi")}
    n = s.size
    if n < 3 or np.all(s == s[0]) or np.all(a == a[0]):
        return out
    b_rho = (1000 if n <= 100_000 else 200) if b is None else b
    b_tau = (1000 if n <= 300 else 200 if n <= 100_000 else 100) if b is None else b
    rng = rng_for("corr", *key)
    idx = rng.integers(0, n, size=(max(b_rho, b_tau), n))
    rhos = np.concatenate([rowwise_spearman(s[idx[c]], a[idx[c]])
                           for c in _chunks(b_rho, n)])
    if n <= 300:
        taus = np.concatenate([rowwise_kendall(s[idx[c]], a[idx[c]])
                               for c in _chunks(b_tau, n * n)])
    else:
        taus = np.array([stats.kendalltau(s[i], a[i]).statistic for i in idx[:b_tau]])
    out["spearman_lo"], out["spearman_hi"] = percentile_interval(rhos)
    out["kendall_lo"], out["kendall_hi"] = percentile_interval(taus)
    return out


__all__ = ["B", "LEVEL", "SEED", "bootstrap_correlations", "cliffs_delta", "diff_ci", "holm",
           "mean_ci", "percentile_interval", "resample_means", "rng_for", "rowwise_kendall",
           "rowwise_spearman", "share_ci"]
