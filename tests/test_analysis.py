"""zsnas.analysis: every statistic against a hand computation or an independent
formula on a small table, and the full ``analyse()`` on synthetic run files."""
from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from zsnas.analysis import analyse, load_runs
from zsnas.analysis import stats as zstats
from zsnas.analysis.counts import counts_table, percent_of_space
from zsnas.analysis.curves import curve_stats, t_halfwidth
from zsnas.analysis.output import fmt_mean_std, fmt_p
from zsnas.analysis.quality import rank_correlations, top_count, top_k_overlap
from zsnas.analysis.reproduction import reproduction_table
from zsnas.analysis.runs import RunFileError
from zsnas.analysis.table1 import table1

# 3 groups x 4 values (hand computations below use these numbers)
A = np.array([1.0, 2.0, 3.0, 4.0])      # mean 2.5,  SS 5
B = np.array([2.0, 4.0, 6.0, 8.0])      # mean 5.0,  SS 20
C = np.array([5.0, 6.0, 7.0, 9.0])      # mean 6.75, SS 8.75
GROUPS = [A, B, C]
# no ties: ranks = values
KA, KB, KC = np.array([1.0, 3, 5, 7]), np.array([2.0, 4, 9, 11]), np.array([6.0, 8, 10, 12])


# ------------------------------------------------------------------ run files
ENCODING = {"nb201": "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|"
                     "nor_conv_1x1~2|",
            "nb101": "0123456789abcdef0123456789abcdef"}


def run_obj(space="nb201", strategy="gea", proxy="grad_norm", seed=0, final=93.0,
            curve=(90.0, 91.0, 92.0), synthetic=True, n_scored=500, n_trained=100, **settings):
    s = {"space": space, "strategy": strategy, "proxy": proxy if strategy == "gea" else None,
         "seed": seed, "preset": "gea-code", "P": 10, "S": 5, "C": 200,
         "cycles": len(curve) - 1, "children": 11, "regularize": "oldest",
         "fitness_budget": 12, "fitness_trial": "random",
         "report": "max" if space == "nb101" else "mean", "benchmark": "bench.h5",
         "benchmark_checksum": "sha256:00", "synthetic": synthetic, "cache": "cache.h5",
         "cache_settings": {"width": 16, "classes": 10}, "zsnas_version": "0.1.0"}
    s.update(settings)
    return {"format": "zsnas-run", "version": 1, "settings": s,
            "final": {"id": 7, "encoding": ENCODING[space], "fitness": 80.0, "accuracy": final},
            "final_accuracy": final, "n_scored": n_scored, "n_trained": n_trained,
            "n_proxy_calls": 2411, "n_trainings": 211, "curve": list(curve),
            "search_time": 1.0, "train_time": 2.0, "proxy_time": 3.0,
            "history": [{"id": 7, "fitness": 80.0, "train_time": 2.0, "proxy_time": 0.1,
                         "score": 1.0, "cycle": 0}]}


def write_run(folder: Path, name: str, **kw) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(run_obj(**kw)))
    return path


def write_group_runs(folder: Path, space: str, method: str, values, strategy="gea"):
    return [write_run(folder, f"{space}_{method}_{i}", space=space, strategy=strategy,
                      proxy=method, seed=i, final=float(v), curve=(v - 2, v - 1, float(v)))
            for i, v in enumerate(values)]


# --------------------------------------------------------- formatting, Table 1
def test_mean_std_formatting():
    assert fmt_mean_std(93.4812, 0.0433) == "93.48 ± 0.04"
    assert fmt_mean_std(89.755, 1.0849) in ("89.75 ± 1.08", "89.76 ± 1.08")
    assert fmt_mean_std(90.0, float("nan")) == "90.00 ± n/a"
    assert fmt_p(1.8636e-12) == "1.864e-12"


def test_table1_mean_and_sample_std(tmp_path):
    write_group_runs(tmp_path, "nb201", "grad_norm", A)
    write_group_runs(tmp_path, "nb201", "snip", B)
    write_run(tmp_path, "one", space="nb101", proxy="snip", final=90.0)
    df = table1(load_runs([tmp_path]))
    row = df[(df.space == "nb201") & (df.method == "grad_norm")].iloc[0]
    # mean 2.5; sample variance = SS/(n-1) = 5/3
    assert row["n"] == 4 and row["mean"] == pytest.approx(2.5)
    assert row["std"] == pytest.approx(math.sqrt(5 / 3))
    assert row["mean_pm_std"] == "2.50 ± 1.29"
    single = df[(df.space == "nb101")].iloc[0]
    assert single["n"] == 1 and math.isnan(single["std"])
    # paper order: nb101 before nb201
    assert list(df.space) == ["nb101", "nb201", "nb201"]


# ------------------------------------------------------------------- ANOVA
def test_anova_sums_of_squares_f_p_and_effect_sizes():
    ss = zstats.anova_ss(GROUPS)
    # grand mean 57/12 = 4.75; SSB = 4*[(2.5-4.75)^2 + (5-4.75)^2 + (6.75-4.75)^2] = 36.5
    assert ss["ssb"] == pytest.approx(36.5)
    assert ss["ssw"] == pytest.approx(5 + 20 + 8.75)
    assert ss["sst"] == pytest.approx(70.25)
    res = zstats.one_way_anova(GROUPS)
    f_hand = (36.5 / 2) / (33.75 / 9)
    assert res["statistic"] == pytest.approx(f_hand) and f_hand == pytest.approx(4.8666667)
    assert res["p_value"] == pytest.approx(stats.f.sf(f_hand, 2, 9))
    assert (res["df1"], res["df2"]) == (2, 9)
    assert res["eta2"] == pytest.approx(36.5 / 70.25)
    assert res["omega2"] == pytest.approx((36.5 - 2 * 3.75) / (70.25 + 3.75))  # 29/74


def test_welch_anova_matches_its_formula():
    k = 3
    n = np.array([g.size for g in GROUPS], float)
    m = np.array([g.mean() for g in GROUPS])
    v = np.array([g.var(ddof=1) for g in GROUPS])
    w = n / v
    mw = (w * m).sum() / w.sum()
    a = (w * (m - mw) ** 2).sum() / (k - 1)
    lam = ((1 - w / w.sum()) ** 2 / (n - 1)).sum()
    f = a / (1 + 2 * (k - 2) / (k ** 2 - 1) * lam)
    df2 = (k ** 2 - 1) / (3 * lam)
    res = zstats.welch_anova(GROUPS)
    assert res["statistic"] == pytest.approx(f, rel=1e-9)
    assert res["df1"] == pytest.approx(2) and res["df2"] == pytest.approx(df2, rel=1e-9)
    assert res["p_value"] == pytest.approx(stats.f.sf(f, 2, df2), rel=1e-7)


def test_levene_median_is_anova_on_absolute_deviations():
    dev = [np.abs(g - np.median(g)) for g in GROUPS]
    ss = zstats.anova_ss(dev)
    f = (ss["ssb"] / 2) / (ss["ssw"] / 9)
    res = zstats.levene_test(GROUPS)
    assert res["statistic"] == pytest.approx(f) and res["p_value"] == pytest.approx(
        stats.f.sf(f, 2, 9))


def test_shapiro_n3_closed_form():
    # n = 3: W = (x3 - x1)^2 / 2 / SS, p = 6/pi (asin sqrt W - asin sqrt(3/4))
    x = np.array([1.0, 2.0, 4.0])
    ss = ((x - x.mean()) ** 2).sum()
    w = (x[2] - x[0]) ** 2 / 2 / ss
    p = 6 / math.pi * (math.asin(math.sqrt(w)) - math.asin(math.sqrt(0.75)))
    w_got, p_got, note = zstats.shapiro_test(x)
    assert w_got == pytest.approx(w, abs=1e-6) and p_got == pytest.approx(p, abs=1e-5)
    assert note == ""
    assert "not testable" in zstats.shapiro_test([1.0, 2.0])[2]
    assert "zero variance" in zstats.shapiro_test([3.0, 3.0, 3.0])[2]


def test_tukey_matches_studentized_range_formula():
    ss = zstats.anova_ss(GROUPS)
    msw, dfw = ss["msw"], ss["dfw"]
    pairs = {(p["group1"], p["group2"]): p for p in zstats.tukey_pairs(["a", "b", "c"], GROUPS)}
    for (i, gi), (j, gj) in itertools.combinations(zip("abc", GROUPS), 2):
        q = abs(gi.mean() - gj.mean()) / math.sqrt(msw / 2 * (1 / gi.size + 1 / gj.size))
        p = stats.studentized_range.sf(q, 3, dfw)
        got = pairs[(i, j)]
        assert got["meandiff"] == pytest.approx(gi.mean() - gj.mean())
        assert got["p_adj"] == pytest.approx(p, rel=1e-3, abs=1e-6)


def test_games_howell_matches_formula():
    pairs = {(p["group1"], p["group2"]): p
             for p in zstats.games_howell_pairs(["a", "b", "c"], GROUPS)}
    for (i, gi), (j, gj) in itertools.combinations(zip("abc", GROUPS), 2):
        vi, vj = gi.var(ddof=1) / gi.size, gj.var(ddof=1) / gj.size
        q = abs(gi.mean() - gj.mean()) / math.sqrt((vi + vj) / 2)
        df = (vi + vj) ** 2 / (vi ** 2 / (gi.size - 1) + vj ** 2 / (gj.size - 1))
        p = stats.studentized_range.sf(q, 3, df)
        assert pairs[(i, j)]["p_adj"] == pytest.approx(p, rel=1e-3, abs=1e-6)


def test_kruskal_h_by_ranks_and_epsilon_squared():
    # values 1..12 all distinct -> ranks = values; rank sums 16, 26, 36
    h = 12 / (12 * 13) * (16 ** 2 / 4 + 26 ** 2 / 4 + 36 ** 2 / 4) - 3 * 13
    assert h == pytest.approx(3.8461538)
    res = zstats.kruskal_test([KA, KB, KC])
    assert res["statistic"] == pytest.approx(h)
    assert res["p_value"] == pytest.approx(stats.chi2.sf(h, 2))
    assert res["epsilon2"] == pytest.approx(h / ((12 ** 2 - 1) / (12 + 1)))
    assert res["epsilon2"] == pytest.approx(h / 11)


def test_dunn_holm_matches_formula():
    # mean ranks 4, 6.5, 9; SE = sqrt(N(N+1)/12 * (1/4 + 1/4)) = sqrt(6.5)
    se = math.sqrt(12 * 13 / 12 * 0.5)
    p_ab = 2 * stats.norm.sf(2.5 / se)
    p_ac = 2 * stats.norm.sf(5.0 / se)
    # Holm: smallest (a-c) x3; the two equal ones x2 (then monotone max)
    expect = {("a", "b"): min(1, 2 * p_ab), ("a", "c"): min(1, 3 * p_ac),
              ("b", "c"): min(1, 2 * p_ab)}
    got = {(p["group1"], p["group2"]): p for p in zstats.dunn_pairs(["a", "b", "c"],
                                                                   [KA, KB, KC])}
    for key, p in expect.items():
        assert got[key]["p_adj"] == pytest.approx(p, rel=1e-9)
    assert got[("a", "c")]["meandiff"] == pytest.approx(4 - 9)


def test_stats_degenerate_cases_give_notes_not_crashes(tmp_path):
    # nb201: a single proxy; nb101: three proxies with identical values
    write_group_runs(tmp_path, "nb201", "grad_norm", [93.0, 93.5, 94.0])
    for m in ("grad_norm", "snip", "synflow"):
        write_group_runs(tmp_path, "nb101", m, [90.0, 90.0, 90.0])
    write_group_runs(tmp_path, "nb101", "random", [88.0, 89.0], strategy="random")
    results = {r.bench.split("/")[0]: r for r in zstats.run_stats(load_runs([tmp_path]))}
    assert "only 1 proxy method" in results["nb201"].notes[0]
    assert not results["nb201"].tests
    nb101 = results["nb101"]
    assert {g["method"] for g in nb101.groups} == {"grad_norm", "snip", "synflow"}  # no baseline
    tests = {t["test"]: t for t in nb101.tests}
    assert "identical" in tests["one-way ANOVA"]["note"]
    assert math.isnan(tests["Kruskal-Wallis"]["statistic"])
    assert "zero variance" in tests["Welch ANOVA"]["note"]
    md = zstats.summary_markdown(list(results.values()), synthetic=False)
    assert "only 1 proxy method" in md and "F undefined" in md


def test_zero_within_variance_but_different_means():
    res = zstats.one_way_anova([np.array([1.0, 1.0]), np.array([2.0, 2.0])])
    assert res["statistic"] == math.inf and res["p_value"] == 0 and "infinite" in res["note"]


def test_groups_of_one_run_are_excluded_from_parametric_tests(tmp_path):
    write_group_runs(tmp_path, "nb201", "grad_norm", A + 90)
    write_group_runs(tmp_path, "nb201", "snip", B + 90)
    write_group_runs(tmp_path, "nb201", "fisher", [95.0])
    r = zstats.run_stats(load_runs([tmp_path]))[0]
    assert any("fisher" in n and "fewer than 2" in n for n in r.notes)
    assert {t["test"]: t for t in r.tests}["one-way ANOVA"]["k"] == 2
    assert {t["test"]: t for t in r.tests}["Kruskal-Wallis"]["k"] == 3
    assert r.recommended_posthoc == "Dunn (Holm)"  # fisher's normality not checkable


# ---------------------------------------------------------------- curves, CI
def test_ci_half_width():
    s = math.sqrt(5 / 3)
    # t_{0.975, 3} = 3.182446305 (t table)
    assert t_halfwidth(s, 4) == pytest.approx(3.182446305 * s / 2, rel=1e-8)
    assert math.isnan(t_halfwidth(1.0, 1))
    curves = pd.DataFrame({"bench": "nb201/cifar10", "method": "snip", "seed": [0, 1, 2, 3],
                           "file": list("abcd"), "cycle": 0, "accuracy": A})
    st = curve_stats(curves).iloc[0]
    assert st["mean"] == pytest.approx(2.5) and st["n"] == 4
    assert st["upper"] - st["mean"] == pytest.approx(3.182446305 * s / 2, rel=1e-8)


# ------------------------------------------------------------------- quality
def test_spearman_kendall_on_a_tiny_list():
    x = [1, 2, 3, 4, 5]
    y = [2, 1, 4, 3, 5]
    # d = [-1, 1, -1, 1, 0], sum d^2 = 4: rho = 1 - 6*4 / (5*24) = 0.8
    # 2 discordant pairs of 10: tau = (8 - 2) / 10 = 0.6
    r = rank_correlations(x, y)
    assert r["spearman_rho"] == pytest.approx(0.8)
    assert r["kendall_tau"] == pytest.approx(0.6)
    assert math.isnan(rank_correlations([1, 1, 1], [1, 2, 3])["spearman_rho"])


def test_top_k_overlap_constructed():
    ids = np.arange(100)
    scores = -ids.astype(float)                 # best by proxy: 0, 1, 2, ...
    acc = -((ids - 5) % 100).astype(float)      # best by accuracy: 5, 6, 7, ...
    assert top_count(100, 10) == 10 and top_count(100, 1) == 1 and top_count(7, 1) == 1
    assert top_k_overlap(scores, acc, 10) == pytest.approx(0.5)   # {5..9} of {0..9}
    assert top_k_overlap(scores, acc, 5) == 0.0                   # {0..4} vs {5..9}
    assert top_k_overlap(scores, acc, 1) == 0.0
    assert top_k_overlap(scores, scores, 1) == 1.0


@pytest.fixture
def nb201_cache_and_bench(tmp_path):
    from zsnas.benchmarks.convert_table import convert_table
    from zsnas.scoring.cache import write_cache
    from zsnas.spaces.nb201 import arch_str
    rng = np.random.default_rng(1)
    archs = list(itertools.product(range(5), repeat=6))[:60]
    ids = np.arange(60) * 3
    acc = 85 + 10 * rng.random(60)
    pd.DataFrame({"index": ids, "arch": [arch_str(a) for a in archs],
                  "valid_acc@12": acc - 10, "test_acc@200": acc}).to_csv(
        tmp_path / "t.csv", index=False)
    bench = convert_table(tmp_path / "t.csv", tmp_path / "bench.h5", synthetic=True)
    from zsnas.benchmarks.store import Benchmark
    good = acc + rng.normal(0, 1, 60)
    bad = rng.random(60)
    bad[[3, 10]] = np.nan
    status = {"jacob_cov": np.where(np.isnan(bad), 1, 0), "snip": np.zeros(60)}
    cache = write_cache(tmp_path / "cache.h5", space="nb201", ids=ids,
                        proxies=["snip", "jacob_cov"], scores={"snip": good, "jacob_cov": bad},
                        seconds={p: np.zeros(60) for p in ("snip", "jacob_cov")},
                        status=status, settings={"width": 16},
                        attrs={"synthetic": True,
                               "benchmark_checksum": Benchmark(bench).content_checksum})
    return cache, bench, good, bad, acc


def test_proxy_quality_excludes_and_counts_nonfinite(nb201_cache_and_bench):
    from zsnas.analysis.quality import proxy_quality
    from zsnas.benchmarks.store import Benchmark
    from zsnas.scoring.cache import ProxyCache
    cache, bench, good, bad, acc = nb201_cache_and_bench
    df, _ = proxy_quality(ProxyCache(cache), Benchmark(bench))
    row = df[df.scope == "all"].set_index("proxy").loc["jacob_cov"]
    assert row["n_nonfinite"] == 2 and row["n_used"] == 58 and row["accuracy_budget"] == 200
    ok = np.isfinite(bad)
    assert row["spearman_rho"] == pytest.approx(stats.spearmanr(bad[ok], acc[ok]).statistic)
    snip = df[df.scope == "all"].set_index("proxy").loc["snip"]
    assert snip["n_used"] == 60 and snip["spearman_rho"] > 0.5
    assert snip["top10_overlap"] == pytest.approx(top_k_overlap(good, acc, 10))
    assert list(df[df.scope == "all"]["proxy"]) == ["snip", "jacob_cov"]  # paper order


# ---------------------------------------------------------- counts, reproduction
def test_counts_and_percent_of_space(tmp_path):
    for i, (s, t) in enumerate([(700, 100), (740, 120)]):
        write_run(tmp_path, f"r{i}", space="nb201", seed=i, n_scored=s, n_trained=t)
    df = counts_table(load_runs([tmp_path]))
    row = df[df.method == "grad_norm"].iloc[0]
    assert row["scored_mean"] == 720 and row["scored_std"] == pytest.approx(math.sqrt(800))
    assert row["scored_pct"] == pytest.approx(720 / 15625 * 100)
    assert percent_of_space(327.9, "nb101/cifar10") == pytest.approx(0.0774, abs=1e-4)
    assert (df.method == "all proxies (gea)").any()


def test_reproduction_rows_and_welch(tmp_path):
    write_group_runs(tmp_path, "nb201", "jacob_cov", [94.0, 94.2, 93.9])
    write_group_runs(tmp_path, "nb201", "oracle", [94.3, 94.37], strategy="oracle")
    df = reproduction_table(load_runs([tmp_path]))
    assert len(df[df.space == "nb201"]) == 9 and len(df[df.space == "nb101"]) == 9
    row = df[(df.space == "nb201") & (df.method == "jacob_cov")].iloc[0]
    assert row["published"] == "94.02 ± 0.16"
    ours = np.array([94.0, 94.2, 93.9])
    assert row["diff"] == pytest.approx(ours.mean() - 94.02)
    t = stats.ttest_ind_from_stats(ours.mean(), ours.std(ddof=1), 3, 94.02, 0.16, 30,
                                   equal_var=False)
    assert row["welch_p"] == pytest.approx(t.pvalue)
    oracle = df[(df.space == "nb201") & (df.method == "oracle")].iloc[0]
    assert oracle["published"] == "" and oracle["ours_n"] == 2


# ------------------------------------------------------------- run loading
def test_bad_run_files_give_clear_errors(tmp_path):
    bad = tmp_path / "notarun.json"
    bad.write_text(json.dumps({"format": "zsnas-proxy-cache"}))
    with pytest.raises(RunFileError, match="notarun.json.*not a zsnas run"):
        load_runs([bad])
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(RunFileError, match="broken.json.*invalid JSON"):
        load_runs([broken])
    obj = run_obj()
    del obj["final_accuracy"]
    missing = tmp_path / "missing.json"
    missing.write_text(json.dumps(obj))
    with pytest.raises(RunFileError, match="missing.json.*final_accuracy"):
        load_runs([missing])
    with pytest.raises(FileNotFoundError, match="nothere"):
        load_runs([tmp_path / "nothere.json"])


def test_method_labels_and_curves_long_frame(tmp_path):
    write_run(tmp_path, "a", proxy="synflow", curve=(1.0, 2.0, 3.0, 3.0), synthetic=False)
    write_run(tmp_path, "b", strategy="random-score", curve=(1.0, 2.0, 2.0, 4.0),
              synthetic=False)
    data = load_runs([str(tmp_path / "*.json")])
    assert list(data.runs.method) == ["synflow", "random-score"]
    assert not data.synthetic
    assert len(data.curves) == 4 + 4
    assert list(data.curves[data.curves.method == "synflow"].cycle) == [0, 1, 2, 3]


# ---------------------------------------------------------------- analyse()
EXPECTED = {"table1.csv", "table1.md", "table1.tex", "curves.csv", "curves.png", "curves.pdf",
            "stats_groups.csv", "stats_tests.csv", "stats_posthoc.csv", "stats_summary.md",
            "counts.csv", "counts.md", "reproduction.csv", "reproduction.md",
            "effects.csv", "effects.md", "effects.png", "effects.pdf", "anytime.csv",
            "anytime.md", "anytime.png", "anytime.pdf", "findings.md"}
QUALITY = {"quality.csv", "quality.md", "quality.png", "quality.pdf", "quality_scatter.png",
           "quality_scatter.pdf", "search_quality.csv", "search_quality.md", "search_quality.png",
           "search_quality.pdf", "neighbourhood_quality.csv"}


@pytest.fixture
def synthetic_runs(tmp_path, nb201_cache_and_bench):
    from zsnas.benchmarks.store import Benchmark
    checksum = {"nb201": Benchmark(nb201_cache_and_bench[1]).content_checksum,
                "nb101": "sha256:00"}
    rng = np.random.default_rng(0)
    folder = tmp_path / "runs"
    for space, base in (("nb201", 93.0), ("nb101", 90.0)):
        for strategy, method, shift in (("gea", "grad_norm", 0.0), ("gea", "jacob_cov", 0.8),
                                        ("random", "random", -0.5)):
            for seed in range(5):
                curve = np.maximum.accumulate(base + shift - 1 + rng.normal(0, .2, 9).cumsum())
                write_run(folder, f"{space}_{method}_{seed}", space=space, strategy=strategy,
                          proxy=method, seed=seed, final=float(curve[-1]),
                          curve=[float(c) for c in curve],
                          n_scored=int(rng.integers(300, 800)),
                          n_trained=int(rng.integers(50, 120)),
                          benchmark_checksum=checksum[space])
    return folder


def test_analyse_writes_everything_deterministically(synthetic_runs, nb201_cache_and_bench,
                                                     tmp_path):
    cache, bench, *_ = nb201_cache_and_bench
    out1 = analyse([synthetic_runs], tmp_path / "out1", cache={"nb201": cache},
                   benchmark=[f"nb201={bench}"])
    assert set(out1) == EXPECTED | QUALITY
    out2 = analyse([synthetic_runs], tmp_path / "out2", cache=cache, benchmark=bench)
    for name in out1:
        assert out1[name].read_bytes() == out2[name].read_bytes(), name
    for name in out1:
        if name.endswith(".md"):
            assert "SYNTHETIC" in out1[name].read_text(), name
        if name.endswith(".csv"):
            frame = pd.read_csv(out1[name])
            assert "data" in frame and set(frame["data"]) <= {"SYNTHETIC"}, name
            assert len(frame) == 0 or set(frame["data"]) == {"SYNTHETIC"}, name
    assert "SYNTHETIC" in out1["table1.tex"].read_text()
    assert not list((tmp_path / "out1").glob(".*"))  # no temporary files left behind
    t1 = pd.read_csv(out1["table1.csv"])
    assert len(t1) == 6 and set(t1.n) == {5}
    tests = pd.read_csv(out1["stats_tests.csv"])
    assert set(tests.test) == {"one-way ANOVA", "Welch ANOVA", "Levene (median)",
                               "Kruskal-Wallis"}
    assert set(tests.k) == {2}  # baselines excluded
    q = pd.read_csv(out1["quality.csv"])
    assert list(q[q.scope == "all"].proxy) == ["snip", "jacob_cov"]
    assert out1["curves.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out1["curves.pdf"].read_bytes()[:5] == b"%PDF-"


def test_analyse_cache_without_benchmark_is_an_error(synthetic_runs, nb201_cache_and_bench,
                                                     tmp_path):
    cache, *_ = nb201_cache_and_bench
    with pytest.raises(ValueError, match="without a benchmark"):
        analyse([synthetic_runs], tmp_path / "o", cache=cache)


def test_cli_analyse(synthetic_runs, tmp_path, capsys):
    from zsnas.cli.main import main
    assert main(["analyse", str(synthetic_runs / "nb201_*.json"), "--out",
                 str(tmp_path / "cli")]) == 0
    assert (tmp_path / "cli" / "stats_summary.md").is_file()
    assert "table1.md" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert main(["analyse", str(bad), "--out", str(tmp_path / "cli2")]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and "not a zsnas run" in err
