"""The search stage: GEA's loop as coded, baselines, run records, CLI (synthetic fixtures)."""
import json
import subprocess
import sys

import numpy as np
import pytest

from zsnas.errors import UsageError

from zsnas.benchmarks.store import Benchmark
from zsnas.scoring.cache import MissingScoreError, ProxyCache
from zsnas.search import dumps, evolve, run_search, run_to_file
from zsnas.search.fitness import Evaluator
from zsnas.search.space_adapter import adapter_for
from zsnas.synthetic.search_fixtures import (
    nb101_table_benchmark,
    nb201_table_benchmark,
    synthetic_cache,
)
from zsnas.spaces import nb101, nb101_evolution, nb201, nb201_evolution

SETTINGS_KEYS = {"space", "strategy", "proxy", "seed", "preset", "P", "S", "C", "cycles",
                 "children", "regularize", "fitness_budget", "fitness_trial", "report",
                 "mutation", "benchmark", "benchmark_checksum", "synthetic", "cache",
                 "cache_settings", "zsnas_version"}
TOP_KEYS = {"format", "version", "settings", "final", "final_accuracy", "n_scored", "n_trained",
            "n_proxy_calls", "n_trainings", "curve", "search_time", "train_time", "proxy_time",
            "mutation_fallbacks", "history"}


# ----------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def full201(tmp_path_factory):
    """All 15,625 NB201 cells (table fixture) + a six-proxy cache; jacob_cov NaN on
    disconnected cells."""
    folder = tmp_path_factory.mktemp("search201")
    bench = Benchmark(nb201_table_benchmark(folder))
    disconnected = [i for i in bench.ids if not nb201.is_connected(bench.ops(int(i)))]
    cache = ProxyCache(synthetic_cache(bench, folder / "cache.h5", seed=1))
    nan_cache = ProxyCache(synthetic_cache(bench, folder / "nan.h5", seed=1,
                                           nonfinite=disconnected))
    return bench, cache, nan_cache


@pytest.fixture(scope="module")
def closed101(tmp_path_factory):
    folder = tmp_path_factory.mktemp("search101")
    bench = Benchmark(nb101_table_benchmark(folder, 300, seed=2))
    cache = ProxyCache(synthetic_cache(bench, folder / "cache.h5", seed=2))
    return bench, cache


@pytest.fixture(scope="module")
def partial201(tmp_path_factory):
    """300 random NB201 cells only: most mutations leave the benchmark."""
    folder = tmp_path_factory.mktemp("partial201")
    subset = np.random.default_rng(0).choice(nb201.NUM_ARCHS, 300, replace=False)
    bench = Benchmark(nb201_table_benchmark(folder, name="partial.h5", subset=subset))
    return bench, ProxyCache(synthetic_cache(bench, folder / "cache.h5"))


# ------------------------------------------------------------- bookkeeping
@pytest.mark.parametrize("preset, calls, trainings, cycles, children",
                         [("gea", 2411, 211, 201, 11), ("paper", 2200, 210, 200, 10)])
def test_loop_bookkeeping(full201, preset, calls, trainings, cycles, children):
    bench, cache, _ = full201
    rec = run_search(bench, cache, proxy="synflow", seed=0, preset=preset)
    s = rec["settings"]
    assert (s["P"], s["S"], s["C"], s["cycles"], s["children"]) == (10, 5, 200, cycles, children)
    assert rec["n_proxy_calls"] == calls and rec["n_trainings"] == trainings
    assert len(rec["history"]) == trainings and len(rec["curve"]) == cycles + 1
    assert [h["cycle"] for h in rec["history"]] == [0] * 10 + list(range(1, cycles + 1))
    assert len(rec["population"]) == 10
    assert 1 <= rec["n_trained"] <= trainings and rec["n_scored"] <= calls
    assert rec["mutation_fallbacks"] == 0           # complete benchmark


def test_record_keys_and_json(full201):
    bench, cache, _ = full201
    rec = run_search(bench, cache, proxy="snip", seed=4)
    assert TOP_KEYS <= set(rec) and SETTINGS_KEYS <= set(rec["settings"])
    assert rec["format"] == "zsnas-run" and rec["version"] == 2
    b = rec["batches"]
    assert len(b["offsets"]) == 201 + 2 and b["offsets"][1] == 200 and b["offsets"][-1] == 2411
    assert len(b["ids"]) == len(b["scores"]) == 2411
    raw = cache.all_scores("snip")[1][cache.rows(b["ids"])]
    np.testing.assert_array_equal(np.array(b["scores"], dtype=np.float32),
                                  raw.astype(np.float32))
    assert run_search(bench, cache, strategy="random", seed=4)["batches"] is None
    assert set(rec["final"]) >= {"id", "encoding", "fitness", "accuracy"}
    assert set(rec["history"][0]) == {"id", "fitness", "accuracy", "train_time", "proxy_time",
                                      "score", "cycle"}
    s = rec["settings"]
    assert s["benchmark"] == bench.path.name and s["cache"] == cache.path.name
    assert s["benchmark_checksum"] == bench.content_checksum and s["synthetic"] is True
    assert s["benchmark_source_checksum"] == bench.attrs["source_checksum"]
    assert s["code_fingerprint"].startswith("sha256:")
    assert s["cache_settings"] == cache.settings and s["report"] == "nb201-200-mean"
    assert rec["final"]["encoding"] == bench.arch_str(rec["final"]["id"])
    assert json.loads(dumps(rec)) == rec


def test_determinism_same_bytes(full201, tmp_path):
    bench, cache, _ = full201
    a = run_to_file(bench, tmp_path / "a.json", cache, proxy="fisher", seed=7)
    b = run_to_file(bench.path, tmp_path / "b.json", cache.path, proxy="fisher", seed=7)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert (tmp_path / "a.json").read_text().endswith("}\n")
    c = run_search(bench, cache, proxy="fisher", seed=8)
    assert c["history"] != a["history"] and a == b
    for strategy in ("random", "re", "oracle", "random-score"):
        x = dumps(run_search(bench, None, seed=3, strategy=strategy))
        assert x == dumps(run_search(bench, None, seed=3, strategy=strategy))
        assert x != dumps(run_search(bench, None, seed=4, strategy=strategy))


def test_best_so_far_curve_and_final(full201):
    bench, cache, _ = full201
    for seed in range(3):
        rec = run_search(bench, cache, proxy="grasp", seed=seed)
        fit = np.array([h["fitness"] for h in rec["history"]])
        best_fit = np.maximum.accumulate(fit)[9:]
        assert np.all(np.diff(rec["curve_fitness"]) >= 0)
        assert rec["curve_fitness"] == best_fit.tolist()
        k = int(np.argmax(fit))                           # first max
        assert rec["final"]["id"] == rec["history"][k]["id"]
        assert rec["final"]["fitness"] == fit[k]
        assert rec["final_accuracy"] == rec["curve"][-1] == rec["final"]["accuracy"]
        assert rec["final_accuracy"] == pytest.approx(float(bench.accuracy(rec["final"]["id"])))
        assert len(rec["curve_search_time"]) == len(rec["curve"])


@pytest.mark.parametrize("regularize", ["oldest", "lowest", "highest"])
def test_population_stays_P(full201, regularize):
    bench, cache, _ = full201
    adapter = adapter_for(bench)
    from zsnas.search.scorers import CacheScorer
    trace = evolve(adapter, Evaluator(bench), CacheScorer(cache, "snip"),
                   np.random.default_rng(1), P=7, S=3, C=40, cycles=30, children=4,
                   regularize=regularize)
    assert trace.population_sizes == [7] * 30 and len(trace.population) == 7
    assert trace.n_proxy_calls == 40 + 30 * 4 and len(trace.ids) == 37
    if regularize == "oldest":
        assert trace.population == trace.ids[-7:]


def test_initial_population_is_top_P_worst_first(full201):
    bench, cache, _ = full201
    rec = run_search(bench, cache, proxy="grad_norm", seed=5, C=30, cycles=0)
    rng = np.random.default_rng(5)
    init = adapter_for(bench).random_ids(rng, 30)
    scores = cache.scores(init, "grad_norm")
    top = init[np.argsort(-scores, kind="stable")[:10]][::-1]
    assert [h["id"] for h in rec["history"]] == top.tolist()
    assert [h["score"] for h in rec["history"]] == np.sort(scores)[::-1][:10][::-1].tolist()


def test_nonfinite_scores_rank_last(full201):
    bench, _, nan_cache = full201
    rec = run_search(bench, nan_cache, proxy="jacob_cov", seed=2)
    scores = [h["score"] for h in rec["history"]]
    assert all(s is not None for s in scores[:10])    # 200 random: >= 10 connected ones

    class Fake:                                        # child 0 NaN, child 1 finite
        def __init__(self):
            self.n = 0

        def __call__(self, ids):
            raw = np.arange(len(ids), dtype=float)
            raw[0] = np.nan
            sel = raw.copy()
            sel[~np.isfinite(sel)] = -np.inf
            return sel, raw

        def seconds(self, ids):
            return np.zeros(len(ids))

    trace = evolve(adapter_for(bench), Evaluator(bench), Fake(), np.random.default_rng(0),
                   P=2, S=2, C=3, cycles=5, children=3)
    assert all(np.isfinite(trace.score))               # GEA's max() could keep gen[0]=NaN


# --------------------------------------------------------- time accounting
def test_time_accounting(full201, nb201_h5):
    bench, cache, _ = full201
    rec = run_search(bench, cache, proxy="fisher", seed=1)     # fisher: 4th column, 0.04 s
    assert rec["proxy_time"] == pytest.approx(0.04 * 2411)
    assert sum(h["proxy_time"] for h in rec["history"]) == pytest.approx(rec["proxy_time"])
    assert rec["history"][0]["proxy_time"] == pytest.approx(0.04 * 200)
    assert rec["history"][10]["proxy_time"] == pytest.approx(0.04 * 11)
    assert rec["search_time"] == pytest.approx(rec["train_time"] + rec["proxy_time"])
    tt = bench.metric("train_time", 12)
    for h in rec["history"][:20]:                      # table fixture: no eval_time
        assert h["train_time"] in tt[bench.rows(h["id"])]
    assert rec["curve_search_time"][-1] == pytest.approx(rec["search_time"])
    # NATS-converted benchmark: train + eval time of the drawn trial
    small = Benchmark(nb201_h5)
    rec = run_search(small, None, seed=0, strategy="random", P=3, cycles=5)
    both = small.metric("train_time", 12) + small.metric("eval_time", 12)
    for h in rec["history"]:
        assert h["train_time"] in both[small.rows(h["id"])]
        assert h["fitness"] in small.metric("valid_acc", 12)[small.rows(h["id"])]


def test_fitness_trial_mean(full201):
    bench, cache, _ = full201
    rec = run_search(bench, cache, proxy="snip", seed=0, fitness_trial="mean", C=20, cycles=5)
    for h in rec["history"]:
        assert h["fitness"] == pytest.approx(float(bench.fitness(h["id"], trial="mean")))


# --------------------------------------------------------------- baselines
def test_baselines_bookkeeping(full201):
    bench, cache, _ = full201
    for strategy in ("random", "re"):
        with pytest.raises(UsageError, match="--proxy is only for strategy 'gea'"):
            run_search(bench, cache, proxy="snip", seed=0, strategy=strategy)
        rec = run_search(bench, cache, seed=0, strategy=strategy)
        assert rec["n_trainings"] == 211 and rec["n_proxy_calls"] == 0
        assert rec["proxy_time"] == 0 and rec["settings"]["proxy"] is None
        assert rec["settings"]["cache"] is None and len(rec["curve"]) == 202
        assert all(h["score"] is None for h in rec["history"])
        assert [h["cycle"] for h in rec["history"]] == [0] * 10 + list(range(1, 202))
    assert len(run_search(bench, None, seed=0, strategy="re")["population"]) == 10
    rec = run_search(bench, None, seed=0, strategy="random-score")
    assert rec["settings"]["score_source"] == "seeded-rng" and rec["n_proxy_calls"] == 2411
    rec = run_search(bench, None, seed=0, strategy="oracle")
    assert rec["settings"]["score_source"] == "oracle"
    best = np.max(bench.accuracy(bench.ids))
    assert rec["history"][9]["score"] <= best


def test_random_score_uses_cache_column(full201, tmp_path):
    bench, _, _ = full201
    cache = ProxyCache(synthetic_cache(bench, tmp_path / "r.h5", proxies=["snip"],
                                       random_column=True))
    rec = run_search(bench, cache, seed=0, strategy="random-score", C=20, cycles=3)
    assert rec["settings"]["proxy"] == "random" and rec["settings"]["score_source"] == "cache"
    assert rec["proxy_time"] > 0


def test_oracle_beats_random_search(full201):
    bench, _, _ = full201
    oracle = [run_search(bench, None, seed=s, strategy="oracle")["final_accuracy"]
              for s in range(20)]
    rand = [run_search(bench, None, seed=s, strategy="random")["final_accuracy"]
            for s in range(20)]
    assert np.mean(oracle) > np.mean(rand) + 1.0, (np.mean(oracle), np.mean(rand))


# ------------------------------------------------------------------ errors
def test_missing_score_names_the_id(full201, tmp_path):
    bench, _, _ = full201
    keep = bench.ids[bench.ids % 2 == 0]
    half = ProxyCache(synthetic_cache(bench, tmp_path / "half.h5", ids=keep))
    with pytest.raises(MissingScoreError, match=r"architecture id\(s\) \[\d+") as err:
        run_search(bench, half, proxy="snip", seed=0)
    named = [int(x) for x in str(err.value).split("[")[1].split("]")[0].split(",")]
    assert named and all(i % 2 == 1 for i in named)
    pending = ProxyCache(synthetic_cache(bench, tmp_path / "pending.h5",
                                         pending=bench.ids[::2]))
    with pytest.raises(MissingScoreError, match="not computed"):
        run_search(bench, pending, proxy="snip", seed=0)


def test_unknown_proxy_and_bad_settings(full201, closed101):
    bench, cache, _ = full201
    with pytest.raises(ValueError, match="unknown proxy 'nope'.*synflow"):
        run_search(bench, cache, proxy="nope", seed=0)
    with pytest.raises(ValueError, match="needs a proxy"):
        run_search(bench, cache, seed=0)
    with pytest.raises(ValueError, match="needs a proxy cache"):
        run_search(bench, None, proxy="snip", seed=0)
    with pytest.raises(ValueError, match="scores nb101"):
        run_search(bench, closed101[1], proxy="snip", seed=0)
    with pytest.raises(ValueError, match="C .* at least P"):
        run_search(bench, cache, proxy="snip", seed=0, C=5)
    with pytest.raises(ValueError, match="report"):
        run_search(bench, cache, proxy="snip", seed=0, report="nb101-max")
    with pytest.raises(ValueError, match="mutation"):
        run_search(bench, cache, proxy="snip", seed=0, mutation="paper")
    with pytest.raises(ValueError, match="seed"):
        run_search(bench, cache, proxy="snip", seed=-1)


# ----------------------------------------------------------- partial / NB101
def test_partial_benchmark_fallback_counted(partial201):
    bench, cache = partial201
    rec = run_search(bench, cache, proxy="snip", seed=0, C=30, cycles=40)
    assert rec["mutation_fallbacks"] > 0 and rec["mutation_redraws"] > 0
    assert {h["id"] for h in rec["history"]} <= set(bench.ids.tolist())
    assert rec["n_proxy_calls"] == 30 + 40 * 11
    assert rec["final"]["encoding"] == bench.arch_str(rec["final"]["id"])
    assert not np.array_equal(bench.ids, np.arange(bench.n))        # sparse ids


def test_nb201_mutation_matches_spaces_mutate(full201):
    bench, _, _ = full201
    adapter = adapter_for(bench)
    for seed in range(20):
        parent = int(bench.ids[seed * 701])
        r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
        child = adapter.mutate(parent, r1)
        assert child == bench.id_of(nb201_evolution.mutate(bench.ops(parent), r2, "gea"))
        assert r1.random() == r2.random()


def test_nb101_mutation_matches_mutate_gea(closed101):
    bench, _ = closed101
    adapter = adapter_for(bench)
    for k in range(0, 300, 15):
        parent = int(bench.ids[k])
        spec = nb101.ModelSpec(*bench.spec(parent))
        for seed in range(3):
            r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
            stats = {"mutation_redraws": 0, "mutation_fallbacks": 0}
            child = adapter.mutate(parent, r1, stats)
            ref = nb101_evolution.mutate_gea(spec, r2, bench.contains)
            if ref is None:
                assert stats["mutation_fallbacks"] == 1
            else:
                assert child == bench.id_of(ref.hash_spec())
                assert r1.random() == r2.random()


def test_nb101_runs(closed101, nb101_h5):
    bench, cache = closed101
    rec = run_search(bench, cache, proxy="snip", seed=0)
    assert rec["settings"]["report"] == "nb101-108-mean"
    assert rec["n_proxy_calls"] == 2411 and rec["n_trainings"] == 211
    final = rec["final"]
    assert final["encoding"] == bench.module_hash(final["id"])
    assert final["accuracy"] == pytest.approx(float(bench.accuracy(final["id"], budget=108)))
    assert final["accuracies"]["nb101-max"] >= final["accuracies"]["nb101-108-mean"]
    gea = run_search(bench, cache, proxy="snip", seed=0, report="nb101-max")
    assert gea["final_accuracy"] == pytest.approx(float(bench.max_accuracy(final["id"])))
    for h in rec["history"][:15]:                  # 12/108 x train_time at GEA's max
        _, (budget, trial) = bench.max_accuracy(h["id"], return_where=True)
        t = bench.metric("train_time", budget)[bench.rows(h["id"]), trial]
        assert h["train_time"] == pytest.approx(12 / 108 * t)
    paper = run_search(bench, cache, proxy="snip", seed=0, mutation="paper", C=20, cycles=10,
                       mutation_tries=5)
    assert paper["n_trainings"] == 20 and paper["settings"]["mutation"] == "paper"
    # a small random fixture: mutate_gea mostly finds no member → counted fallbacks
    small = Benchmark(nb101_h5)
    rec = run_search(small, None, seed=1, strategy="re", P=5, cycles=20)
    assert rec["mutation_fallbacks"] > 0 and rec["n_trainings"] == 25


# --------------------------------------------------------------------- CLI
def test_cli_search(full201, tmp_path):
    bench, cache, _ = full201
    out = tmp_path / "run.json"
    base = [sys.executable, "-m", "zsnas", "search", "--benchmark", str(bench.path)]
    proc = subprocess.run(base + ["--cache", str(cache.path), "--proxy", "synflow", "--seed",
                                  "3", "--preset", "paper", "--out", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(out.read_text())
    assert rec["n_proxy_calls"] == 2200 and rec["settings"]["preset"] == "paper"
    assert out.read_text() == dumps(run_search(bench, cache, proxy="synflow", seed=3,
                                               preset="paper"))
    proc = subprocess.run(base + ["--cache", str(cache.path), "--proxy", "nope", "--seed", "0",
                                  "--out", str(tmp_path / "x.json")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and "unknown proxy 'nope'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.json").exists()
