"""The analysis that explains the result: effect of the guide, quality where the search uses
it, whole-space quality with intervals and unique cells, anytime curves, findings.

Each statistic against a hand computation on a small case, including a guide that is
exactly the oracle and one that is exactly random.
"""
from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from zsnas.analysis import resampling as rs
from zsnas.analysis.search_quality import batch_stats, initial_stats


# ------------------------------------------------------------------ resampling
def test_cliffs_delta_by_hand():
    # pairs: 3>1,3>2,3=3 | 5>1,5>2,5>3 | 0<1,0<2,0<3  -> (#> − #<)/9 = (5 − 3)/9
    assert rs.cliffs_delta([3, 5, 0], [1, 2, 3]) == pytest.approx(2 / 9)
    assert rs.cliffs_delta([10, 11], [1, 2]) == 1.0 and rs.cliffs_delta([1], [1]) == 0.0


def test_holm_by_hand():
    # sorted p 0.01, 0.02, 0.04 with m = 3: 0.03, max(0.03, 0.04) = 0.04, max(0.04, 0.04)
    np.testing.assert_allclose(rs.holm([0.04, 0.01, 0.02]), [0.04, 0.03, 0.04])
    assert np.isnan(rs.holm([np.nan, 0.5])[0])


def test_bootstrap_intervals_are_seeded_and_cover_the_estimate():
    rng = np.random.default_rng(0)
    x, y = rng.normal(1, 1, 30), rng.normal(0, 1, 30)
    d1 = rs.diff_ci(x, y, "a")
    assert d1 == rs.diff_ci(x, y, "a")                       # same bytes every run
    assert d1[0] == pytest.approx(x.mean() - y.mean()) and d1[1] < d1[0] < d1[2]
    # the percentile interval of the means, computed by hand from the same draws
    gen = rs.rng_for("diff", "a")
    boot = rs.resample_means(x, gen) - rs.resample_means(y, gen)
    assert d1[1:] == pytest.approx(tuple(np.percentile(boot, [2.5, 97.5])))


def test_share_of_the_oracle_gain_is_one_for_the_oracle_and_zero_for_random():
    r, o = np.array([90.0, 91, 92]), np.array([94.0, 95, 96])
    share, lo, hi = rs.share_ci(o, r, o, "oracle")       # groups resampled independently
    assert share == 1.0 and lo < 1.0 <= hi
    assert rs.share_ci(r, r, o, "random")[0] == 0.0
    assert rs.share_ci([93.0, 93, 93], r, o, "half")[0] == pytest.approx(0.5)


def test_rowwise_correlations_equal_scipy():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 5, (40, 9)).astype(float)        # with ties
    y = rng.normal(size=(40, 9))
    rho, tau = rs.rowwise_spearman(x, y), rs.rowwise_kendall(x, y)
    for k in range(40):
        assert rho[k] == pytest.approx(stats.spearmanr(x[k], y[k]).statistic)
        assert tau[k] == pytest.approx(stats.kendalltau(x[k], y[k]).statistic)
    assert np.isnan(rs.rowwise_spearman(np.ones((1, 4)), y[:1, :4]))[0]


def test_bootstrap_correlations_bracket_the_estimate():
    rng = np.random.default_rng(1)
    a = rng.normal(size=200)
    s = a + rng.normal(0, 1, 200)
    out = rs.bootstrap_correlations(s, a, "t")
    rho, tau = stats.spearmanr(s, a).statistic, stats.kendalltau(s, a).statistic
    assert out["spearman_lo"] < rho < out["spearman_hi"]
    assert out["kendall_lo"] < tau < out["kendall_hi"]
    assert out == rs.bootstrap_correlations(s, a, "t")


# ------------------------------------------------------------- batch statistics
def test_batch_statistics_by_hand():
    acc = np.array([[70.0, 80.0, 75.0, 60.0]])
    oracle = batch_stats(acc.copy(), acc, acc)
    assert oracle["rho_accuracy"][0] == 1.0 and oracle["hit"][0] == 1.0
    assert oracle["regret"][0] == 0.0
    # scores choose the 75 % child: regret 5, no hit; ranks (2,1,4,3) vs (2,4,3,1)
    s = np.array([[2.0, 1.0, 4.0, 3.0]])
    got = batch_stats(s, acc, acc)
    assert got["hit"][0] == 0.0 and got["regret"][0] == 5.0
    assert got["rho_accuracy"][0] == pytest.approx(stats.spearmanr(s[0], acc[0]).statistic)
    # a non-finite score is never chosen and ranks last
    s = np.array([[np.nan, 1.0, 0.0, 2.0]])
    assert batch_stats(s, acc, acc)["regret"][0] == 20.0
    # the initial selection: best of C among the chosen P
    init = initial_stats(np.array([1.0, 4.0, 3.0, 2.0]), acc[0], acc[0], P=2)
    assert init["hit"] == 1.0 and init["regret"] == 0.0
    init = initial_stats(np.array([4.0, 1.0, 3.0, 2.0]), acc[0], acc[0], P=2)
    assert init["hit"] == 0.0 and init["regret"] == 5.0


# -------------------------------------------------------------- unique cells
def test_nb201_unique_cells_are_6466():
    from zsnas.spaces.nb201 import unique_str
    cells = list(itertools.product(range(5), repeat=6))
    assert len({unique_str(c) for c in cells}) == 6466
    conv, skip, none = 3, 1, 0
    # skip edges are identities: node1 = x, so conv(node1) into node 3 == conv(x) into node 3
    assert unique_str((skip, none, none, none, conv, none)) == \
        unique_str((none, none, none, conv, none, none))
    # node 1 = skip(x) equals x, so which of the two edges into node 3 carries the conv and
    # which the pooling does not matter (sums are order-free)
    assert unique_str((skip, none, none, 4, conv, none)) == \
        unique_str((skip, none, none, conv, 4, none))
    assert unique_str((conv, none, none, none, 4, none)) != \
        unique_str((4, none, none, none, conv, none))


# ------------------------------------------------------------------- anytime
def test_anytime_by_training_by_hand():
    from zsnas.analysis.anytime import anytime_by_training
    rec = {"history": [{"fitness": 50, "accuracy": 60, "train_time": 10, "proxy_time": 5},
                       {"fitness": 40, "accuracy": 90, "train_time": 10, "proxy_time": 1},
                       {"fitness": 70, "accuracy": 65, "train_time": 10, "proxy_time": 1}]}
    values, times = anytime_by_training(rec)
    np.testing.assert_array_equal(values, [60, 60, 65])       # best by fitness, not by acc
    np.testing.assert_array_equal(times, [15, 26, 37])
    assert anytime_by_training({"history": [{"fitness": 1, "train_time": 1}]}) is None


# ----------------------------------------------------- end to end on real searches
@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """Real GEA runs on a 600-cell NB201 table benchmark with a synthetic cache whose
    'exact' proxy *is* the reported accuracy (the oracle) and 'noise' is pure noise."""
    from zsnas.benchmarks.store import Benchmark
    from zsnas.scoring.cache import write_cache
    from zsnas.search.report import write_json
    from zsnas.search.run import run_search
    from zsnas.synthetic.search_fixtures import nb201_table_benchmark
    folder = tmp_path_factory.mktemp("guide")
    bench = Benchmark(nb201_table_benchmark(folder, 600))
    acc = bench.accuracy(bench.ids, budget=200)
    rng = np.random.default_rng(5)
    proxies = {"exact": acc, "noise": rng.random(bench.n), "good": acc + rng.normal(0, 2, bench.n)}
    cache = write_cache(folder / "cache.h5", space="nb201", ids=bench.ids, proxies=list(proxies),
                        scores=proxies, seconds={p: np.full(bench.n, 0.01) for p in proxies},
                        status={p: np.zeros(bench.n, np.int8) for p in proxies},
                        settings={"synthetic": True},
                        attrs={"synthetic": True, "benchmark_file": bench.path.name,
                               "dataset": "cifar10",
                               "benchmark_checksum": bench.content_checksum})
    runs = folder / "runs"
    for seed in range(6):
        for strategy, proxy in (("gea", "exact"), ("gea", "noise"), ("gea", "good"),
                                ("random-score", None), ("oracle", None), ("random", None),
                                ("re", None)):
            rec = run_search(bench, cache, strategy=strategy, proxy=proxy, seed=seed, C=60,
                             cycles=20)
            write_json(rec, runs / f"{strategy}-{proxy}-{seed}.json")
    return folder, bench, cache, runs


def test_guide_analysis_end_to_end(searched, tmp_path):
    from zsnas.analysis.report import analyse
    folder, bench, cache, runs = searched
    out = analyse([runs], tmp_path / "a", cache=[cache], benchmark=[bench.path])
    for name in ("effects.csv", "effects.md", "effects.png", "anytime.csv", "anytime.png",
                 "search_quality.csv", "search_quality.png", "neighbourhood_quality.csv",
                 "quality.md", "quality_scatter.png", "findings.md"):
        assert name in out, name
    sq = pd.read_csv(out["search_quality.csv"]).set_index("guide")
    # the guide that is exactly the reported accuracy ranks every batch perfectly
    for guide in ("exact", "oracle"):
        assert sq.loc[guide, "cycle_rho_accuracy"] == pytest.approx(1.0)
        assert sq.loc[guide, "cycle_hit"] == 1.0 and sq.loc[guide, "cycle_regret"] == 0.0
        assert sq.loc[guide, "initial_hit"] == 1.0
    # a random score does not rank: ρ near 0, well below the exact guide
    assert abs(sq.loc["noise", "cycle_rho_accuracy"]) < 0.3
    assert sq.loc["exact", "space_rho"] == pytest.approx(1.0)
    ef = pd.read_csv(out["effects.csv"])
    rs_ = ef[ef["control"] == "random-score"].set_index("guide")
    assert rs_.loc["exact", "share_of_oracle"] == pytest.approx(1.0)   # it is the oracle
    assert rs_.loc["exact", "diff"] > 0
    assert set(ef["control"]) == {"random-score", "random", "re"}
    assert (ef["trainings"] == 10 + 20).all()                 # P + cycles, every method
    hood = pd.read_csv(out["neighbourhood_quality.csv"]).set_index("proxy")
    assert hood.loc["exact", "rho"] == pytest.approx(1.0) and hood.loc["exact", "hit"] == 1.0
    q = pd.read_csv(out["quality.csv"])
    assert set(q["scope"]) == {"all", "unique"}
    np.testing.assert_allclose(q["seconds_mean"], 0.01)
    findings = out["findings.md"].read_text()
    assert "GEA guided by exact" in findings and "SYNTHETIC" not in findings.split("\n")[0]
    # same bytes every run (seeded bootstrap)
    again = analyse([runs], tmp_path / "b", cache=[cache], benchmark=[bench.path])
    for name in ("effects.csv", "search_quality.csv", "anytime.csv", "quality.csv",
                 "findings.md", "neighbourhood_quality.csv"):
        assert out[name].read_bytes() == again[name].read_bytes(), name


def test_findings_claim_only_what_the_test_supports():
    from zsnas.analysis.findings import findings
    base = {"bench": "nb201/cifar10", "guide": "snip", "control": "random-score",
            "trainings": 211, "n_guide": 30, "n_control": 30, "mean_guide": 93.5,
            "mean_control": 93.4, "diff": 0.1, "diff_lo": -0.2, "diff_hi": 0.4,
            "cliffs_delta": 0.05, "welch_p_holm": 0.6, "mw_p_holm": 0.7,
            "share_of_oracle": np.nan, "share_lo": np.nan, "share_hi": np.nan}
    strong = {**base, "guide": "synflow", "diff": 1.2, "diff_lo": 0.8, "diff_hi": 1.6,
              "mw_p_holm": 0.001, "welch_p_holm": 0.002}
    text = findings(pd.DataFrame([base, strong]), [], None, None)["nb201/cifar10"]
    assert "snip" in text[0] and "no detectable difference" in text[0] and "better" not in text[0]
    assert "synflow" in text[1] and "better than the random score" in text[1]
    assert "0.001" in text[1] and "0.80" in text[1]


def test_version_1_runs_are_still_read(tmp_path):
    """Old runs (no batches, no per-training accuracy) analyse without the new tables."""
    from zsnas.analysis.report import analyse
    from zsnas.analysis.runs import load_runs
    enc = "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|nor_conv_1x1~2|"
    for seed in range(3):
        for proxy in ("snip", "synflow"):
            obj = {"format": "zsnas-run", "version": 1,
                   "settings": {"space": "nb201", "strategy": "gea", "proxy": proxy,
                                "seed": seed, "P": 10, "C": 200},
                   "final": {"id": 1, "encoding": enc}, "final_accuracy": 90.0 + seed,
                   "n_scored": 1, "n_trained": 1, "curve": [89.0, 90.0 + seed]}
            (tmp_path / f"{proxy}{seed}.json").write_text(json.dumps(obj))
    assert len(load_runs([tmp_path]).runs) == 6
    out = analyse([tmp_path], tmp_path / "out")
    assert "effects.csv" in out and "anytime.md" in out
    assert "version-1" in out["anytime.md"].read_text()
