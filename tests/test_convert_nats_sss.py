"""NATS-Bench sss simple archive -> HDF5, with the official ``nats_bench`` API as the oracle.

No real sss file is in ../shared: the fixtures are written by
:func:`zsnas.synthetic.nats_sss.write_sss_archive` in the exact format, and every number
the converter stores is compared with what ``nats_bench.create(folder, 'sss',
fast_mode=True)`` returns for it.
"""
import bz2
import pickle
import shutil
import tarfile

import numpy as np
import pytest

from zsnas.benchmarks.convert_nats_sss import convert_nats_sss
from zsnas.benchmarks.store import Benchmark
from zsnas.errors import ConversionError, UsageError
from zsnas.spaces.nats_sss import channel_str, channels_of

N = 9
DATASETS = ("cifar10", "cifar100", "ImageNet16-120")


@pytest.fixture(scope="module")
def sss_dir(tmp_path_factory):
    from zsnas.synthetic.nats_sss import write_sss_archive
    return write_sss_archive(tmp_path_factory.mktemp("sss"), N, seed=4)


@pytest.fixture(scope="module")
def converted(sss_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("sssh5")
    return {d: convert_nats_sss(sss_dir, out / f"{d}.h5", dataset=d, workers=1, progress=False)
            for d in DATASETS}


@pytest.fixture(scope="module")
def api(sss_dir):
    nats_bench = pytest.importorskip("nats_bench")
    return nats_bench.create(str(sss_dir), "sss", fast_mode=True, verbose=False)


@pytest.mark.parametrize("dataset", DATASETS)
def test_oracle_official_api(dataset, converted, api):
    b = Benchmark(converted[dataset])
    assert b.space == "nats-sss" and b.dataset == dataset and b.synthetic
    assert b.n == N and b.budgets == [1, 12, 90]
    fit = "cifar10-valid" if dataset == "cifar10" else dataset
    for i in range(N):
        assert b.encoding(i) == api.arch(i) == channel_str(channels_of(i))
        assert b.arch(i) == channels_of(i)
        cost = api.get_cost_info(i, dataset)
        assert b.params[i] == int(round(cost["params"] * 1e6))
        assert b.flops[i] == cost["flops"]
        for hp in ("01", "12", "90"):
            budget = int(hp)
            seeds = [int(s) for s in b.trial_labels(budget)]
            assert seeds == sorted(api.query_meta_info_by_index(i, hp)
                                   .get_dataset_seeds(fit))
            for t, seed in enumerate(seeds):
                info = api.get_more_info(i, fit, hp=hp, is_random=seed)
                assert b.metric("train_acc", budget)[i, t] == info["train-accuracy"]
                assert b.metric("valid_acc", budget)[i, t] == info["valid-accuracy"]
                assert b.metric("train_time", budget)[i, t] == info["train-all-time"]
                assert b.metric("eval_time", budget)[i, t] == info["valid-per-time"]
                test = api.get_more_info(i, dataset, hp=hp, is_random=seed)
                assert b.metric("test_acc", budget)[i, t] == test["test-accuracy"]
                if dataset != "cifar10":
                    assert b.metric("ori_test_acc", budget)[i, t] == test["valtest-accuracy"]
    # the API's simulated train+eval time of the fitness budget is train_time + eval_time
    valid, _, cost, _ = api.simulate_train_eval(3, dataset, hp="12")
    t = 0  # hp 12 has one seed in the fixture, so the API's random draw is that one
    assert valid == b.metric("valid_acc", 12)[b.rows(3), t]
    assert cost == pytest.approx(b.metric("train_time", 12)[b.rows(3), t]
                                 + b.metric("eval_time", 12)[b.rows(3), t])


def test_params_flops_equal_the_network(converted):
    from zsnas.networks.nats_sss import params_flops
    for dataset, classes, side in (("cifar10", 10, 32), ("cifar100", 100, 32),
                                   ("ImageNet16-120", 120, 16)):
        b = Benchmark(converted[dataset])
        for i in range(N):
            p, f = params_flops(b.arch(i), 8, classes, side)
            assert b.params[i] == p and b.flops[i] == pytest.approx(f, abs=1e-12)


def test_tar_equals_folder_and_deterministic(sss_dir, converted, tmp_path):
    tar = tmp_path / f"{sss_dir.name}.tar"
    with tarfile.open(tar, "w") as tf:
        tf.add(sss_dir, arcname=sss_dir.name)
    out = convert_nats_sss(tar, tmp_path / "t.h5", dataset="cifar100", workers=2,
                           progress=False)
    a, b = Benchmark(converted["cifar100"]), Benchmark(out)
    for budget in (1, 12, 90):
        for field in ("train_acc", "valid_acc", "test_acc", "ori_test_acc", "train_time"):
            np.testing.assert_array_equal(a.metric(field, budget), b.metric(field, budget))
    again = convert_nats_sss(sss_dir, tmp_path / "again.h5", dataset="cifar10", workers=2,
                             progress=False)
    assert again.read_bytes() == converted["cifar10"].read_bytes()


def _copy(sss_dir, tmp_path):
    dst = tmp_path / sss_dir.name
    shutil.copytree(sss_dir, dst)
    return dst


def _rewrite(path, fn):
    obj = pickle.loads(bz2.decompress(path.read_bytes()))
    path.write_bytes(bz2.compress(pickle.dumps(fn(obj) or obj, protocol=4)))


def test_missing_file_and_allow_missing(sss_dir, tmp_path):
    src = _copy(sss_dir, tmp_path)
    (src / "000004.pickle.pbz2").unlink()
    with pytest.raises(ConversionError, match="1 of 9 architecture files missing"):
        convert_nats_sss(src, tmp_path / "x.h5", workers=1, progress=False)
    assert not (tmp_path / "x.h5").exists()
    b = Benchmark(convert_nats_sss(src, tmp_path / "x.h5", workers=1, progress=False,
                                   allow_missing=True))
    assert b.ids.tolist() == [0, 1, 2, 3, 5, 6, 7, 8]


def test_bad_inputs_name_the_file(sss_dir, tmp_path):
    src = _copy(sss_dir, tmp_path)
    (src / "000002.pickle.pbz2").write_bytes(b"not bz2")
    with pytest.raises(ConversionError, match=r"000002\.pickle\.pbz2: not a bz2"):
        convert_nats_sss(src, tmp_path / "x.h5", workers=1, progress=False)
    src = _copy(sss_dir, tmp_path / "b")
    _rewrite(src / "000003.pickle.pbz2", lambda d: d.pop("90") and None)
    with pytest.raises(ConversionError, match=r"000003\.pickle\.pbz2: no results for the 90"):
        convert_nats_sss(src, tmp_path / "x.h5", workers=1, progress=False)
    src = _copy(sss_dir, tmp_path / "c")

    def outside(d):
        for hp in d:
            d[hp]["arch_str"] = "8:8:8:8:9"
    _rewrite(src / "000001.pickle.pbz2", outside)
    with pytest.raises(ConversionError, match=r"000001\.pickle\.pbz2: architecture outside"):
        convert_nats_sss(src, tmp_path / "x.h5", workers=1, progress=False)
    src = _copy(sss_dir, tmp_path / "d")
    _rewrite(src / "meta.pickle.pbz2", lambda m: m["meta_archs"].reverse())
    with pytest.raises(ConversionError, match=r"meta\.pickle\.pbz2: meta_archs\[0\].*traverse_net"):
        convert_nats_sss(src, tmp_path / "x.h5", workers=1, progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConversionError, match="no meta.pickle.pbz2"):
        convert_nats_sss(tmp_path / "empty", tmp_path / "x.h5", progress=False)
    with pytest.raises(ConversionError, match="no such file"):
        convert_nats_sss(tmp_path / "absent", tmp_path / "x.h5", progress=False)
    with pytest.raises(UsageError, match="unknown NAS-Bench-201 dataset"):
        convert_nats_sss(sss_dir, tmp_path / "x.h5", dataset="mnist", progress=False)
    assert not (tmp_path / "x.h5").exists()


def test_cli_synth_and_convert(tmp_path):
    from test_cli import zsnas
    zsnas("synth", "nats-sss", tmp_path / "s", "-n", "3", "--tar")
    out = zsnas("convert", "nats-sss", tmp_path / "s" / "NATS-sss-v1_0-50262-simple.tar",
                tmp_path / "s.h5", "--dataset", "ImageNet16-120", "--no-progress").stdout
    assert "nats-sss benchmark, 3 architectures, budgets [1, 12, 90]" in out
    assert "synthetic" in out
