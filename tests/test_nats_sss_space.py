"""The NATS-Bench size space (``nats-sss``) through the package: registry, sampling and
mutation, ``convert table``, ``zsnas arch``, and score -> search -> analyse end to end on a
synthetic archive converted by the real converter (no Snakemake)."""
import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from zsnas.benchmarks.store import Benchmark
from zsnas.errors import ConversionError
from zsnas.spaces import get_space, space_names
from zsnas.spaces.nats_sss import CANDIDATES, NUM_ARCHS, all_channels, channel_str, index_of
from zsnas.spaces.nats_sss_evolution import SSSAdapter, mutate, neighbours_of, random_channels


def test_registered_as_a_builtin():
    assert "nats-sss" in space_names()
    sp = get_space("nats-sss")
    assert sp.size == 32768 and sp.budgets == (1, 12, 90) and sp.mutations == ("gea",)
    assert sp.datasets == ("cifar10", "cifar100", "ImageNet16-120")
    assert sp.report(None, "cifar10").budget == 90 and sp.report(None).split == "test_acc"
    assert sp.report_names("cifar10") == ("nats-sss-90-mean",)
    assert "nats-sss-ori-test-90-mean" in sp.report_names("cifar100")
    assert sp.part_modules("network") == ["zsnas.networks.nats_sss"]
    assert sp.part_modules("evolution") == ["zsnas.spaces.nats_sss_evolution"]


def test_mutation_changes_one_layer_uniformly():
    rng = np.random.default_rng(0)
    parent = (8, 16, 24, 32, 40)
    layers, values = Counter(), Counter()
    for _ in range(7000):
        child = mutate(parent, rng)
        diff = [i for i in range(5) if child[i] != parent[i]]
        assert len(diff) == 1 and child[diff[0]] in CANDIDATES
        layers[diff[0]] += 1
        if diff[0] == 0:
            values[child[0]] += 1
    assert all(abs(layers[i] / 7000 - 0.2) < 0.03 for i in range(5))
    assert set(values) == set(CANDIDATES) - {8}
    assert all(abs(v / layers[0] - 1 / 7) < 0.05 for v in values.values())
    assert len(set(neighbours_of(parent))) == 35
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    assert [random_channels(a) for _ in range(5)] == [random_channels(b) for _ in range(5)]


def _write(path, chans, acc=None):
    from zsnas.benchmarks.schema import write_benchmark
    n = len(chans)
    acc = np.linspace(40, 90, n)[:, None] if acc is None else acc
    metrics = {b: {"train_acc": acc, "valid_acc": acc, "test_acc": acc,
                   "train_time": np.full((n, 1), 10.0 * b)} for b in (12, 90)}
    archs = {"id": np.array([index_of(c) for c in chans]), "params": np.full(n, -1),
             "flops": np.full(n, np.nan), **get_space("nats-sss").archs_columns(chans)}
    return write_benchmark(path, space="nats-sss", archs=archs, metrics=metrics,
                           attrs={"dataset": "cifar10", "source_file": "t", "synthetic": True,
                                  "source_checksum": "sha256:t"})


def test_adapter_complete_and_partial(tmp_path):
    full = Benchmark(_write(tmp_path / "full.h5", all_channels()))
    assert full.n == NUM_ARCHS and full.encoding(668) == "8:16:24:32:40"
    assert full.id_of("8:16:24:32:40") == 668 == full.id_of((8, 16, 24, 32, 40))
    ad = get_space("nats-sss").adapter(full)
    assert isinstance(ad, SSSAdapter)
    rng = np.random.default_rng(1)
    for _ in range(50):
        parent = ad.random_id(rng)
        child = ad.mutate(parent, rng)
        assert sum(a != b for a, b in zip(full.arch(parent), full.arch(child))) == 1
    assert len(ad.neighbours(0)) == 35
    # partial: only layers 4 and 5 vary -> children outside are redrawn; an isolated
    # parent falls back to a random architecture at once
    part = [(8, 8, 8, a, b) for a in CANDIDATES for b in CANDIDATES] + [(64, 64, 64, 8, 8)]
    bench = Benchmark(_write(tmp_path / "part.h5", part))
    ad = get_space("nats-sss").adapter(bench)
    stats = {"mutation_redraws": 0, "mutation_fallbacks": 0}
    for _ in range(30):
        child = ad.mutate(index_of((8, 8, 8, 16, 16)), rng, stats)
        assert bench.arch(child)[:3] == (8, 8, 8)
    assert stats["mutation_redraws"] > 0 and stats["mutation_fallbacks"] == 0
    ad.mutate(index_of((64, 64, 64, 8, 8)), rng, stats)
    assert stats["mutation_fallbacks"] == 1
    assert len(ad.neighbours(index_of((8, 8, 8, 16, 16)))) == 14


def test_convert_table(tmp_path):
    from zsnas.benchmarks.convert_table import convert_table
    src = tmp_path / "sss.csv"
    pd.DataFrame({"channels": ["8:16:24:32:40", "64:64:64:64:64", "8:16:24:32:40"],
                  "trial": [0, 0, 1], "index": [668, 32767, 668],
                  "valid_acc@12": [60.0, 70.0, 61.0], "test_acc@90": [80.0, 90.0, 82.0],
                  "params": [115490, "", 115490]}).to_csv(src, index=False)
    b = Benchmark(convert_table(src, tmp_path / "sss.h5", dataset="cifar100"))
    assert b.space == "nats-sss" and b.dataset == "cifar100" and b.ids.tolist() == [668, 32767]
    assert b.arch(32767) == (64,) * 5 and b.params.tolist() == [115490, -1]
    np.testing.assert_array_equal(b.metric("valid_acc", 12), [[60.0, 61.0], [70.0, np.nan]])
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"channels": ["8:16:24:32:40", "8:16:24:32"],
                  "valid_acc@12": [1.0, 2.0]}).to_csv(bad, index=False)
    with pytest.raises(ConversionError, match=r"bad\.csv: line 3: bad NATS-sss architecture"):
        convert_table(bad, tmp_path / "bad.h5")
    assert not (tmp_path / "bad.h5").exists()


def test_cli_arch():
    from test_cli import zsnas
    row = json.loads(zsnas("arch", "--space", "nats-sss", "8:8:8:16:40", "--json").stdout)
    assert row == {"space": "nats-sss", "arch": "8:8:8:16:40", "channels": [8, 8, 8, 16, 40],
                   "index": 12, "dataset": "cifar10", "width": 8, "classes": 10,
                   "params": 67378, "mflops": 7.991706}
    proc = zsnas("arch", "--space", "nats-sss", "8:8:8:16", check=False)
    assert proc.returncode == 2 and "bad NATS-sss architecture" in proc.stderr


@pytest.fixture(scope="module")
def sss_bench(tmp_path_factory):
    """The first 8 architectures (only layer 5 varies) of a synthetic archive, converted
    (few: scoring costs about a second per architecture on a shared 2-core machine)."""
    from zsnas.benchmarks.convert_nats_sss import convert_nats_sss
    from zsnas.synthetic.nats_sss import write_sss_archive
    d = tmp_path_factory.mktemp("e2e")
    root = write_sss_archive(d, 8, seed=0)
    return convert_nats_sss(root, d / "sss.h5", workers=2, progress=False)


def test_score_search_analyse(sss_bench, tmp_path):
    from zsnas.analysis.report import analyse
    from zsnas.codedeps import stage_modules
    from zsnas.scoring.cache import ProxyCache
    from zsnas.scoring.data import BatchSettings
    from zsnas.scoring.engine import ScoreJob, score_shard
    from zsnas.search.report import write_json
    from zsnas.search.run import run_search
    from zsnas.synthetic.cifar10 import write_cifar10_archive

    data = write_cifar10_archive(tmp_path / "cifar-10-python.tar.gz", n_per_batch=10, seed=1)
    bench = Benchmark(sss_bench)
    assert bench.n == 8 and bench.budgets == [1, 12, 90]
    cache = ProxyCache(score_shard(ScoreJob(
        benchmark=bench.path, data=data, out=tmp_path / "scores.h5",
        proxies=["synflow", "params"], batch=BatchSettings(batch_size=8),
        progress=False)))
    assert cache.settings["network"] == "nats-sss-infer-shape-tiny"
    params = cache.all_scores("params")[1]
    # the params proxy counts the built network: equal to the benchmark's stored counts
    np.testing.assert_array_equal(params, bench.params)
    assert "zsnas.networks.nats_sss" in stage_modules("score", space="nats-sss",
                                                      proxies=["snip"], dataset="cifar10")
    runs = []
    for seed in range(2):
        for strategy, proxy in (("gea", "synflow"), ("random", None)):
            rec = run_search(bench, cache, strategy=strategy, proxy=proxy, seed=seed, P=2, S=2,
                             C=4, cycles=3)
            runs.append(write_json(rec, tmp_path / "runs" / f"{strategy}-{seed}.json"))
    rec = json.loads(runs[0].read_text())
    assert rec["settings"]["space"] == "nats-sss" and rec["settings"]["report"] == \
        "nats-sss-90-mean"
    assert rec["settings"]["fitness_budget"] == 12
    get_space("nats-sss").check_encoding(rec["final"]["encoding"])
    written = analyse([tmp_path / "runs"], tmp_path / "analysis", cache=[cache.path],
                      benchmark=[bench.path])
    table1 = written["table1.md"].read_text()
    assert "NATS-Bench size space" in table1 and "synflow" in table1 and "random" in table1
    assert "nats-sss/cifar10" in written["quality.csv"].read_text()
