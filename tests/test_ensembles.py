"""Ensembles of cached proxies (zsnas.scoring.ensembles): formulas, status, search, analysis."""
from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from scipy.stats import rankdata

from zsnas.benchmarks.store import Benchmark
from zsnas.errors import UsageError
from zsnas.scoring import ensembles
from zsnas.scoring.cache import (
    ERROR,
    NONFINITE,
    OK,
    PENDING,
    CacheError,
    ProxyCache,
    write_cache,
)
from zsnas.scoring.ensembles import PRESETS, Ensemble, parse_ensemble
from zsnas.search.run import run_search
from zsnas.synthetic.search_fixtures import nb201_table_benchmark, synthetic_cache

N = 40


def _cache(tmp_path, *, n=N, status=None, messages=None, seed=0):
    """Three proxies a, b (lower is better), c over ids 10, 12, …; a has NaNs."""
    rng = np.random.default_rng(seed)
    ids = np.arange(10, 10 + 2 * n, 2)
    scores = {"a": rng.normal(size=n), "b": rng.normal(size=n),
              "c": np.round(rng.normal(size=n), 1)}      # ties in c
    scores["a"][[3, 7]] = np.nan
    st = {p: np.where(np.isfinite(v), OK, NONFINITE).astype(np.int8) for p, v in scores.items()}
    for p, (rows, code) in (status or {}).items():
        st[p][rows] = code
        if code == PENDING:
            scores[p][rows] = np.nan
    path = write_cache(tmp_path / "c.h5", space="nb201", ids=ids, proxies=["a", "b", "c"],
                       scores=scores, seconds={p: np.full(n, 0.5 + k) for k, p in
                                               enumerate("abc")},
                       status=st, messages=messages, settings={"t": 1},
                       attrs={"benchmark_checksum": "x"},
                       higher_is_better={"a": True, "b": False, "c": True})
    return ProxyCache(path), scores


def _oriented_ranks(scores):
    out = []
    for p, sign in (("a", 1), ("b", -1), ("c", 1)):
        v = sign * np.array(scores[p])
        v[~np.isfinite(v)] = -np.inf
        out.append(rankdata(v))
    return np.array(out)


def test_mean_and_log_rank_formulas(tmp_path):
    cache, scores = _cache(tmp_path)
    r = _oriented_ranks(scores)
    cache.add_ensemble(Ensemble("m", ("a", "b", "c"), "mean_rank"))
    cache.add_ensemble(Ensemble("l", ("a", "b", "c"), "log_rank"))
    _, m, st = cache.all_scores("m")
    np.testing.assert_allclose(m, r.mean(0) / N, rtol=1e-12)
    np.testing.assert_allclose(cache.all_scores("l")[1], np.log(r / N).sum(0), rtol=1e-12)
    assert np.all(st == OK)
    # NaN of a ranks last on a: the two NaN rows tie at the bottom rank (1.5)
    assert r[0, 3] == r[0, 7] == 1.5
    np.testing.assert_allclose(cache.all_seconds("m"), 0.5 + 1.5 + 2.5)
    assert cache.higher_is_better["m"] is True and "m" in cache.proxies


def test_vote_is_the_copeland_fraction_of_pairwise_majorities(tmp_path):
    cache, scores = _cache(tmp_path)
    r = _oriented_ranks(scores)
    expect = np.zeros(N)
    for i, j in itertools.product(range(N), range(N)):
        votes = sum(r[k, i] > r[k, j] for k in range(3))
        expect[i] += votes >= 2
    cache.add_ensemble(Ensemble("v", ("a", "b", "c"), "vote"))
    np.testing.assert_allclose(cache.all_scores("v")[1], expect / N)


def test_vote_samples_a_reference_set_above_the_exact_size(tmp_path, monkeypatch):
    cache, scores = _cache(tmp_path)
    r = _oriented_ranks(scores)
    monkeypatch.setattr(ensembles, "VOTE_EXACT_MAX", 20)
    monkeypatch.setattr(ensembles, "VOTE_SAMPLE", 16)
    ref = np.sort(np.random.default_rng(ensembles.VOTE_SEED).choice(N, 16, replace=False))
    expect = [sum(sum(r[k, i] > r[k, j] for k in range(3)) >= 2 for j in ref) / 16
              for i in range(N)]
    cache.add_ensemble(Ensemble("v", ("a", "b", "c"), "vote"))
    np.testing.assert_allclose(cache.all_scores("v")[1], expect)


def test_vote_of_two_members_needs_both(tmp_path):
    cache, scores = _cache(tmp_path)
    r = _oriented_ranks(scores)[:2]
    cache.add_ensemble(Ensemble("v2", ("a", "b"), "vote"))
    expect = [np.sum((r[0, i] > r[0]) & (r[1, i] > r[1])) / N for i in range(N)]
    np.testing.assert_allclose(cache.all_scores("v2")[1], expect)


def test_pending_and_failed_members_propagate(tmp_path):
    msgs = {"b": [""] * N}
    msgs["b"][5] = "RuntimeError: out of memory"
    cache, _ = _cache(tmp_path, status={"b": ([5], ERROR), "c": ([9], PENDING)}, messages=msgs)
    cache.add_ensemble(Ensemble("m", ("a", "b", "c")))
    _, values, st = cache.all_scores("m")
    assert st[5] == ERROR and st[9] == PENDING and math.isnan(values[9])
    assert cache.messages("m")[5] == "member b failed: RuntimeError: out of memory"
    from zsnas.scoring.cache import MissingScoreError
    with pytest.raises(MissingScoreError, match="out of memory"):
        cache.scores(cache.ids[[5]], "m")


def test_bad_definitions_are_refused(tmp_path):
    cache, _ = _cache(tmp_path)
    with pytest.raises(UsageError, match="does not hold.*zz|zz.*does not hold"):
        cache.add_ensemble(Ensemble("e", ("a", "zz")))
    with pytest.raises(UsageError, match="unknown method"):
        Ensemble("e", ("a", "b"), "median")
    with pytest.raises(UsageError, match="at least two"):
        Ensemble("e", ("a",))
    with pytest.raises(CacheError, match="scored proxy"):
        cache.add_ensemble(Ensemble("a", ("b", "c")))
    cache.add_ensemble(Ensemble("e", ("a", "b")))
    cache.add_ensemble(Ensemble("e", ("a", "b")))           # the same again: nothing
    with pytest.raises(CacheError, match="already"):
        cache.add_ensemble(Ensemble("e", ("a", "c")))


def test_parse_and_presets():
    assert parse_ensemble("x", "log_rank:a,b") == Ensemble("x", ("a", "b"), "log_rank")
    assert parse_ensemble("x", "a, b") == Ensemble("x", ("a", "b"), "mean_rank")
    assert parse_ensemble("vote", "a,b,c").method == "vote"
    assert PRESETS["vote"].members == ("synflow", "jacob_cov", "snip")
    assert PRESETS["az_nas"].method == "log_rank" and "flops" in PRESETS["az_nas"].members
    assert ensembles.from_config("y", {"members": ["a", "b"], "method": "vote"}).method == "vote"
    assert ensembles.from_config("te_nas", ["p", "q"]).method == "mean_rank"


# ----------------------------------------------------------------- as a guide
@pytest.fixture(scope="module")
def bench201(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ens201")
    bench = Benchmark(nb201_table_benchmark(folder, 2000))
    return bench, folder / "cache.h5", synthetic_cache(bench, folder / "cache.h5", seed=3)


def test_search_guided_by_the_vote_preset(bench201, tmp_path):
    bench, _, cache_path = bench201
    rec = run_search(bench, cache_path, proxy="vote", seed=1, C=40)
    s = rec["settings"]
    assert s["proxy"] == "vote" and s["ensemble"] == {
        "name": "vote", "method": "vote", "members": ["synflow", "jacob_cov", "snip"]}
    # the guide's score of every scored child is its Copeland fraction, in [0, 1]
    scores = np.array([v for v in rec["batches"]["scores"] if v is not None])
    assert scores.size > 100 and scores.min() >= 0 and scores.max() <= 1
    again = run_search(bench, ProxyCache(cache_path), proxy="vote", seed=1, C=40)
    assert json.dumps(again, sort_keys=True) == json.dumps(rec, sort_keys=True)


def test_search_with_a_named_ensemble_and_cli(bench201, tmp_path):
    bench, _, cache_path = bench201
    from zsnas.cli.main import main
    out = tmp_path / "run.json"
    assert main(["search", "--benchmark", str(bench.path), "--cache", str(cache_path),
                 "--proxy", "mix", "--ensemble", "log_rank:grad_norm,synflow", "--seed", "0",
                 "--C", "30", "--out", str(out)]) == 0
    rec = json.loads(out.read_text())
    assert rec["settings"]["ensemble"]["method"] == "log_rank"
    # the guide's score of the first trained architecture equals the formula
    cache = ProxyCache(cache_path)
    r = np.array([rankdata(np.asarray(cache.all_scores(p)[1])) for p in ("grad_norm", "synflow")])
    first = rec["history"][-1]
    row = cache.rows([first["id"]])[0]
    assert first["score"] == pytest.approx(np.log(r[:, row] / cache.n).sum(), rel=1e-12)
    with pytest.raises(UsageError, match="unknown proxy 'mix'"):
        run_search(bench, ProxyCache(cache_path), proxy="mix", seed=0, C=30)


def test_analysis_lists_ensembles_in_proxy_quality(bench201, tmp_path):
    bench, _, cache_path = bench201
    from zsnas.analysis.report import analyse
    from zsnas.search.report import write_json
    runs = tmp_path / "runs"
    for proxy, spec in (("vote", None), ("snip", None), ("mix", "mean_rank:snip,synflow")):
        for seed in (0, 1):
            write_json(run_search(bench, ProxyCache(cache_path), proxy=proxy, ensemble=spec,
                                  seed=seed, C=30), runs / f"{proxy}-{seed}.json")
    import pandas as pd
    written = analyse([str(runs)], tmp_path / "out", cache=[str(cache_path)],
                      benchmark=[str(bench.path)])
    q = pd.read_csv(written["quality.csv"])
    listed = set(q["proxy"])
    assert {"vote", "mix", "snip"} <= listed          # te_nas / az_nas: members not cached
    assert not {"te_nas", "az_nas"} & listed
    t1 = pd.read_csv(written["table1.csv"])
    assert {"vote", "mix", "snip"} == set(t1["method"])
