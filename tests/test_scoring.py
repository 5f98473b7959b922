"""Scoring engine: fixed batch, seeding, shards, resume, merge — on real networks and gradients."""
import numpy as np
import pytest

from zsnas.scoring.cache import (NONFINITE, OK, PENDING, CacheError, MissingScoreError,
                                 ProxyCache, write_cache)
from zsnas.scoring.data import BatchSettings, scoring_batch
from zsnas.scoring.engine import ScoreJob, arch_seed, parse_shard, score_shard, shard_ids
from zsnas.scoring.merge import merge_caches

PROXIES = ["grad_norm", "snip", "synflow", "jacob_cov", "params", "random"]


@pytest.fixture(scope="module")
def cifar(tmp_path_factory):
    from zsnas.synthetic.cifar10 import write_cifar10_archive
    return write_cifar10_archive(tmp_path_factory.mktemp("cifar") / "cifar-10-python.tar.gz",
                                 n_per_batch=20, seed=1)


@pytest.fixture(scope="module")
def small_nb201(tmp_path_factory):
    """Six NB201 archs incl. the disconnected all-'none' cell, as a benchmark file."""
    import pandas as pd

    from zsnas.benchmarks.convert_table import convert_table
    archs = ["|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|",
             "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
             "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|none~0|nor_conv_1x1~1|none~2|",
             "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
             "|nor_conv_1x1~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|",
             "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|"]
    d = tmp_path_factory.mktemp("nb201")
    pd.DataFrame({"index": [1462, 1651, 284, 0, 7, 12], "arch": archs,
                  "valid_acc@12": np.linspace(50, 80, 6)}).to_csv(d / "t.csv", index=False)
    return convert_table(d / "t.csv", d / "nb201.h5")


def job(bench, cifar, out, **kw):
    kw.setdefault("proxies", PROXIES)
    return ScoreJob(benchmark=bench, data=cifar, out=out, batch=BatchSettings(batch_size=8),
                    width=4, progress=False, **kw)


def test_batch_is_a_function_of_the_settings(cifar):
    x1, y1 = scoring_batch("cifar10", cifar, BatchSettings(batch_size=8, data_seed=3))
    x2, y2 = scoring_batch("cifar10", cifar, BatchSettings(batch_size=8, data_seed=3))
    x3, _ = scoring_batch("cifar10", cifar, BatchSettings(batch_size=8, data_seed=4))
    assert x1.shape == (8, 3, 32, 32) and x1.dtype.is_floating_point and y1.dtype == np.int64 \
        or str(y1.dtype) == "torch.int64"
    assert (x1 == x2).all() and (y1 == y2).all() and not (x1 == x3).all()


def test_batch_normalisation_without_augmentation(cifar):
    from zsnas.datasets.pickled_batches import load_cifar10_batches
    images, labels = load_cifar10_batches(cifar, "train")
    s = BatchSettings(batch_size=5, data_seed=0, normalisation="nb201", augmentation="none")
    x, y = scoring_batch("cifar10", cifar, s)
    pick = np.sort(np.random.default_rng(0).choice(len(images), 5, replace=False))
    mean = np.array([125.3, 123.0, 113.9])[None, :, None, None] / 255   # AutoDL's values
    std = np.array([63.0, 62.1, 66.7])[None, :, None, None] / 255
    np.testing.assert_allclose(x.numpy(), (images[pick] / 255.0 - mean) / std, rtol=1e-5,
                               atol=1e-5)
    assert y.tolist() == labels[pick].tolist()
    with pytest.raises(ValueError, match="holds only"):
        scoring_batch("cifar10", cifar, BatchSettings(batch_size=1000))
    with pytest.raises(ValueError, match="unknown normalisation 'imagenet' for dataset cifar10"):
        scoring_batch("cifar10", cifar, BatchSettings(normalisation="imagenet"))


def test_shards_are_disjoint_and_cover():
    ids = np.array([9, 3, 5, 1, 7, 2, 8])
    parts = [shard_ids(ids, (i, 3)) for i in range(3)]
    assert sorted(np.concatenate(parts).tolist()) == sorted(ids.tolist())
    assert parse_shard("2/3") == (2, 3)
    for bad in ("3/3", "x", "1/0", "-1/2"):
        with pytest.raises(ValueError):
            parse_shard(bad)
    with pytest.raises(ValueError, match="not in the benchmark"):
        shard_ids(ids, (0, 1), [1, 4])


def test_arch_seed_depends_only_on_seed_and_id():
    assert arch_seed(0, 5) == arch_seed(0, 5) != arch_seed(0, 6) != arch_seed(1, 5)


def test_scores_independent_of_sharding_and_order(small_nb201, cifar, tmp_path):
    whole = ProxyCache(score_shard(job(small_nb201, cifar, tmp_path / "all.h5")))
    a = score_shard(job(small_nb201, cifar, tmp_path / "s0.h5", shard=(0, 2)))
    b = score_shard(job(small_nb201, cifar, tmp_path / "s1.h5", shard=(1, 2)))
    merged = ProxyCache(merge_caches([b, a], tmp_path / "merged.h5"))
    subset = ProxyCache(score_shard(job(small_nb201, cifar, tmp_path / "ids.h5",
                                        ids=np.array([12, 0]))))
    assert merged.ids.tolist() == whole.ids.tolist() == [0, 7, 12, 284, 1462, 1651]
    for p in PROXIES:
        np.testing.assert_array_equal(merged.all_scores(p)[1], whole.all_scores(p)[1])
        np.testing.assert_array_equal(subset.scores([0, 12], p), whole.scores([0, 12], p))
    # the disconnected cell: jacob_cov non-finite (ranks last), gradient proxies exactly 0
    assert whole.status([1651], "jacob_cov")[0] == NONFINITE
    assert whole.selection_scores([1651], "jacob_cov")[0] == -np.inf
    assert whole.scores([1651], "snip")[0] == 0.0 and whole.status([1651], "snip")[0] == OK
    assert whole.scores([1651], "synflow")[0] == 0.0


def test_identical_results_for_a_fixed_seed(small_nb201, cifar, tmp_path):
    import h5py
    a = score_shard(job(small_nb201, cifar, tmp_path / "a.h5"))
    b = score_shard(job(small_nb201, cifar, tmp_path / "b.h5"))
    c = score_shard(job(small_nb201, cifar, tmp_path / "c.h5", init_seed=1))
    with h5py.File(a) as fa, h5py.File(b) as fb, h5py.File(c) as fc:
        measured = {"content_checksum"}    # covers /seconds: measurements, not results
        assert {k: v for k, v in fa.attrs.items() if k not in measured} == \
            {k: v for k, v in fb.attrs.items() if k not in measured}
        assert fa["ids"][()].tobytes() == fb["ids"][()].tobytes()
        for p in PROXIES:
            assert fa[f"scores/{p}"][()].tobytes() == fb[f"scores/{p}"][()].tobytes()
            assert fa[f"status/{p}"][()].tobytes() == fb[f"status/{p}"][()].tobytes()
        assert fa["scores/snip"][()].tobytes() != fc["scores/snip"][()].tobytes()


def test_resume_after_a_killed_run(small_nb201, cifar, tmp_path):
    full = ProxyCache(score_shard(job(small_nb201, cifar, tmp_path / "full.h5")))
    # a run killed after two architectures leaves a checkpoint with pending rows
    out = tmp_path / "partial.h5"
    checkpoint = tmp_path / "partial.h5.partial"
    c = full
    status = {p: c.all_scores(p)[2].copy() for p in PROXIES}
    scores = {p: c.all_scores(p)[1].copy() for p in PROXIES}
    for p in PROXIES:
        status[p][2:] = PENDING
        scores[p][2:] = np.nan
    write_cache(checkpoint, space="nb201", ids=c.ids, proxies=PROXIES, scores=scores,
                seconds={p: np.zeros(c.n) for p in PROXIES}, status=status,
                settings=c.settings, attrs={"benchmark_checksum": c.attrs["benchmark_checksum"],
                                            "code_fingerprints": c.code_fingerprints})
    with pytest.raises(MissingScoreError, match="not computed"):
        ProxyCache(checkpoint).scores(c.ids, "snip")
    assert not out.exists()  # the output only appears when complete
    resumed = ProxyCache(score_shard(job(small_nb201, cifar, out)))
    assert not checkpoint.exists()
    assert (resumed.all_scores("snip")[2] != PENDING).all()
    for p in PROXIES:
        np.testing.assert_array_equal(resumed.all_scores(p)[1], full.all_scores(p)[1])
        np.testing.assert_array_equal(resumed.seconds(c.ids[:2], p), 0.0)  # kept, not redone
    # a rerun with other settings refuses to touch the file
    before = out.read_bytes()
    with pytest.raises(CacheError, match="other settings"):
        score_shard(job(small_nb201, cifar, out, init_seed=9))
    assert out.read_bytes() == before


def test_merge_refuses_mismatched_shards(small_nb201, cifar, tmp_path):
    a = score_shard(job(small_nb201, cifar, tmp_path / "a.h5", shard=(0, 2)))
    b = score_shard(job(small_nb201, cifar, tmp_path / "b.h5", shard=(1, 2), init_seed=5))
    with pytest.raises(CacheError, match=r"settings differ in \['init_seed'\]"):
        merge_caches([a, b], tmp_path / "m.h5")
    with pytest.raises(CacheError, match=r"missing shard\(s\) \[1\] of 2"):
        merge_caches([a], tmp_path / "m.h5")
    assert ProxyCache(merge_caches([a], tmp_path / "m.h5", allow_incomplete=True)).n == 3
    assert not (tmp_path / "m2.h5").exists()


def test_merge_joins_proxy_groups(small_nb201, cifar, tmp_path):
    whole = ProxyCache(score_shard(job(small_nb201, cifar, tmp_path / "w.h5")))
    parts = [score_shard(job(small_nb201, cifar, tmp_path / f"g{k}_{i}.h5", shard=(i, 2),
                             proxies=group))
             for k, group in enumerate((["grad_norm", "snip"], ["synflow", "jacob_cov"],
                                        ["params", "random"])) for i in range(2)]
    merged = ProxyCache(merge_caches(parts, tmp_path / "m.h5"))
    assert sorted(merged.proxies) == sorted(PROXIES)
    for p in PROXIES:
        np.testing.assert_array_equal(merged.all_scores(p)[1], whole.all_scores(p)[1])
    assert merged.settings["proxy_versions"].keys() == set(PROXIES)
    with pytest.raises(CacheError, match=r"missing shard\(s\) \[1\] of 2 for synflow"):
        merge_caches(parts[:3], tmp_path / "m2.h5")


def test_merge_refuses_pending_entries(small_nb201, cifar, tmp_path):
    full = ProxyCache(score_shard(job(small_nb201, cifar, tmp_path / "f.h5", proxies=["snip"])))
    status = full.all_scores("snip")[2].copy()
    status[3] = PENDING
    part = write_cache(tmp_path / "p.h5", space="nb201", ids=full.ids, proxies=["snip"],
                       scores={"snip": full.all_scores("snip")[1]},
                       seconds={"snip": np.zeros(full.n)}, status={"snip": status},
                       settings=full.settings,
                       attrs={"shards": ["0/1"], "benchmark_checksum": full.benchmark_checksum})
    with pytest.raises(CacheError, match=r"snip not computed for 1 architecture\(s\) \(first ids \[284\]"):
        merge_caches([part], tmp_path / "m.h5")


def test_killed_cli_run_resumes(small_nb201, cifar, tmp_path):
    """A real `zsnas score` process stopped by SIGTERM keeps its checkpoint; a rerun finishes it."""
    import signal
    import subprocess
    import sys
    import time
    out = tmp_path / "k.h5"
    cmd = [sys.executable, "-m", "zsnas", "score", "--benchmark", str(small_nb201), "--data",
           str(cifar), "--proxies", "grad_norm,snip,synflow,jacob_cov", "--batch-size", "8",
           "--width", "4", "--checkpoint-seconds", "0", "--no-progress", "--out", str(out)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    partial = tmp_path / "k.h5.partial"
    deadline = time.time() + 240
    while not partial.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    if proc.returncode == 0:
        pytest.skip("the run finished before it could be stopped")
    assert not out.exists() and partial.exists()
    done_before = (ProxyCache(partial).all_scores("snip")[2] != PENDING).sum()
    assert 1 <= done_before < 6
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    assert out.exists() and not partial.exists()
    reference = ProxyCache(score_shard(job(small_nb201, cifar, tmp_path / "ref.h5",
                                           proxies=["grad_norm", "snip", "synflow",
                                                    "jacob_cov"])))
    for p in ("grad_norm", "snip", "synflow", "jacob_cov"):
        np.testing.assert_array_equal(ProxyCache(out).all_scores(p)[1], reference.all_scores(p)[1])


def test_workers_give_the_one_at_a_time_values(small_nb201, cifar, tmp_path):
    """Two scoring processes sharing the device (``--workers 2``) score every architecture
    as the one-process loop does: the same bytes, whatever worker took which."""
    import torch
    proxies = PROXIES + ["grasp", "fisher"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)     # the workers use one thread each here: compare like with like
    try:
        one = ProxyCache(score_shard(job(small_nb201, cifar, tmp_path / "one.h5",
                                         proxies=proxies)))
        two = ProxyCache(score_shard(job(small_nb201, cifar, tmp_path / "two.h5",
                                         proxies=proxies, workers=2)))
    finally:
        torch.set_num_threads(threads)
    assert two.ids.tolist() == one.ids.tolist()
    assert two.attrs["workers"] == 2
    for p in proxies:
        np.testing.assert_array_equal(two.all_scores(p)[2], one.all_scores(p)[2])
        np.testing.assert_array_equal(two.all_scores(p)[1], one.all_scores(p)[1])


def test_workers_refused_when_not_a_count(small_nb201, cifar, tmp_path):
    from zsnas.errors import UsageError
    with pytest.raises(UsageError, match="--workers"):
        score_shard(job(small_nb201, cifar, tmp_path / "w.h5", workers=0))
    assert not (tmp_path / "w.h5.partial").exists()
