"""NATS-Bench tss archive / NB201 .pth → HDF5, on the real sample files and on fixtures."""
import bz2
import pickle
import shutil
import tarfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from zsnas.errors import ConversionError
from zsnas.benchmarks.convert_nb201 import convert_nats, convert_nb201_pth
from zsnas.benchmarks.store import Benchmark
from zsnas.spaces.nb201 import parse_arch

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "reference" / "data" / "nats_tss_samples"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(),
                                   reason=f"real NATS sample files not present at {SAMPLES}")


@pytest.fixture(scope="module")
def real_h5(tmp_path_factory):
    if not SAMPLES.is_dir():
        pytest.skip(f"real NATS sample files not present at {SAMPLES}")
    folder = tmp_path_factory.mktemp("real") / "NATS-tss-v1_0-3ffb9-simple"
    shutil.copytree(SAMPLES, folder)
    return convert_nats(folder, folder.parent / "real.h5", workers=1, progress=False,
                        allow_missing=True)


@needs_samples
def test_real_worked_values(real_h5):
    """SPEC §4b worked values, read through the converter and the query API."""
    b = Benchmark(real_h5)
    assert b.ids.tolist() == [0, 11, 284]
    assert b.trial_labels(12) == [111, 777] and b.trial_labels(200) == [777, 888, 999]
    valid12 = b.metric("valid_acc", 12)
    np.testing.assert_allclose(valid12, [[64.016, 62.712], [62.580, 63.976], [71.708, 74.044]],
                               atol=5e-4)
    gea_time = b.metric("train_time", 12) + b.metric("eval_time", 12)
    np.testing.assert_allclose(gea_time[:, 0], [89.2021, 153.6959, 60.8990], atol=5e-4)
    np.testing.assert_allclose(b.metric("test_acc", 200)[0], [85.62, 86.18, 85.79], atol=1e-6)
    np.testing.assert_allclose(b.accuracy([0, 11, 284], budget=200, split="test"),
                               [85.8633, 91.5833, 88.7900], atol=5e-5)
    np.testing.assert_allclose(b.accuracy([0, 11, 284], budget=200, split="valid"),
                               [81.9827, 87.9400, 86.0467], atol=5e-5)
    assert b.params.tolist() == [129306, 802426, 101306]
    np.testing.assert_allclose(b.flops, [15.64737, 113.95137, 11.71521])
    assert b.arch_str(11) == ("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|"
                              "nor_conv_3x3~1|avg_pool_3x3~2|")
    assert b.id_of(parse_arch(b.arch_str(284))) == 284
    with h5py.File(real_h5) as f:
        assert not f.attrs["complete"] and not f.attrs["synthetic"]


def _expected(folder, index):
    """Independent read of one pbz2 file: {hp: {field: [per sorted seed]}}."""
    info = pickle.load(bz2.BZ2File(folder / f"{index:06d}.pickle.pbz2"))
    out = {}
    for hp in ("12", "200"):
        e = int(hp) - 1
        res = info[hp]["all_results"]
        seeds = sorted({s for (d, s) in res if d in ("cifar10-valid", "cifar10")})
        row = {k: [] for k in ("train_acc", "valid_acc", "test_acc", "train_time")}
        for s in seeds:
            v, t = res.get(("cifar10-valid", s)), res.get(("cifar10", s))
            row["train_acc"].append(v["train_acc1es"][e] if v else np.nan)
            row["valid_acc"].append(v["eval_acc1es"][f"x-valid@{e}"] if v else np.nan)
            row["train_time"].append(sum(v["train_times"].values()) if v else np.nan)
            row["test_acc"].append(t["eval_acc1es"].get(f"ori-test@{e}", np.nan) if t else np.nan)
        out[int(hp)] = row
    return out, info["12"]["arch_str"]


def test_fixture_values_read_back(nats_dir, nb201_h5):
    b = Benchmark(nb201_h5)
    assert b.synthetic and b.n == 12 and b.budgets == [12, 200]
    for i in range(b.n):
        expected, arch = _expected(nats_dir, i)
        assert b.arch_str(i) == arch
        assert b.ops(i) == parse_arch(arch)
        for budget, row in expected.items():
            for field, values in row.items():
                np.testing.assert_array_equal(b.metric(field, budget)[i], values)
    # hp 12 cifar10 has seed 111 only: trial 777 of test_acc@12 is missing
    assert np.isnan(b.metric("test_acc", 12)[:, 1]).all()


def test_tar_equals_folder(nats_dir, nb201_h5, tmp_path):
    tar = tmp_path / "NATS-tss-v1_0-3ffb9-simple.tar"
    with tarfile.open(tar, "w") as tf:
        tf.add(nats_dir, arcname=nats_dir.name)
    out = convert_nats(tar, tmp_path / "t.h5", workers=2, progress=False)
    a, b = Benchmark(nb201_h5), Benchmark(out)
    for budget in (12, 200):
        for field in ("train_acc", "valid_acc", "test_acc", "train_time", "eval_time"):
            np.testing.assert_array_equal(a.metric(field, budget), b.metric(field, budget))


def test_pth_equals_nats(tmp_path):
    from zsnas.synthetic.nb201 import write_nats_archive, write_nb201_pth
    folder = write_nats_archive(tmp_path, 6, seed=9)
    pth = write_nb201_pth(tmp_path / "NAS-Bench-201-fixture.pth", 6, seed=9)
    a = Benchmark(convert_nats(folder, tmp_path / "a.h5", workers=1, progress=False))
    b = Benchmark(convert_nb201_pth(pth, tmp_path / "b.h5", progress=False))
    assert b.synthetic and [a.arch_str(i) for i in range(6)] == [b.arch_str(i) for i in range(6)]
    for budget in (12, 200):
        for field in ("valid_acc", "test_acc", "train_time"):
            np.testing.assert_array_equal(a.metric(field, budget), b.metric(field, budget))


def test_deterministic_bytes(nats_dir, tmp_path):
    a = convert_nats(nats_dir, tmp_path / "a.h5", workers=1, progress=False)
    b = convert_nats(nats_dir, tmp_path / "b.h5", workers=2, progress=False)
    assert a.read_bytes() == b.read_bytes()


def _copy(nats_dir, tmp_path):
    dst = tmp_path / nats_dir.name
    shutil.copytree(nats_dir, dst)
    return dst


def _fails(src, tmp_path, match, convert=convert_nats):
    out = tmp_path / "out.h5"
    with pytest.raises(ConversionError, match=match):
        convert(src, out, progress=False)
    assert not out.exists()


def test_missing_arch_file(nats_dir, tmp_path):
    src = _copy(nats_dir, tmp_path)
    (src / "000003.pickle.pbz2").unlink()
    _fails(src, tmp_path, r"1 of 12 architecture files missing \(first: \[3\]\)")


def test_corrupt_arch_file(nats_dir, tmp_path):
    src = _copy(nats_dir, tmp_path)
    (src / "000004.pickle.pbz2").write_bytes(b"BZh9 garbage")
    _fails(src, tmp_path, "000004.pickle.pbz2: not a bz2-compressed pickle")


def test_malformed_results(nats_dir, tmp_path):
    src = _copy(nats_dir, tmp_path)
    info = pickle.load(bz2.BZ2File(src / "000002.pickle.pbz2"))
    del info["200"]
    (src / "000002.pickle.pbz2").write_bytes(bz2.compress(pickle.dumps(info)))
    _fails(src, tmp_path, "000002.pickle.pbz2: no results for the 200-epoch schedule")


def test_meta_disagrees(nats_dir, tmp_path):
    src = _copy(nats_dir, tmp_path)
    meta = pickle.load(bz2.BZ2File(src / "meta.pickle.pbz2"))
    meta["meta_archs"][1], meta["meta_archs"][2] = meta["meta_archs"][2], meta["meta_archs"][1]
    (src / "meta.pickle.pbz2").write_bytes(bz2.compress(pickle.dumps(meta)))
    _fails(src, tmp_path, "meta_archs disagrees")


def test_arch_outside_space(nats_dir, tmp_path):
    src = _copy(nats_dir, tmp_path)
    info = pickle.load(bz2.BZ2File(src / "000000.pickle.pbz2"))
    for hp in info:
        info[hp]["arch_str"] = "|nor_conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    (src / "000000.pickle.pbz2").write_bytes(bz2.compress(pickle.dumps(info)))
    meta = pickle.load(bz2.BZ2File(src / "meta.pickle.pbz2"))
    meta["meta_archs"][0] = info["12"]["arch_str"]
    (src / "meta.pickle.pbz2").write_bytes(bz2.compress(pickle.dumps(meta)))
    _fails(src, tmp_path, "nor_conv_5x5")


def test_not_an_archive(tmp_path):
    (tmp_path / "empty").mkdir()
    _fails(tmp_path / "empty", tmp_path, "no meta.pickle.pbz2")
    (tmp_path / "file.bin").write_bytes(b"\0" * 100)
    _fails(tmp_path / "file.bin", tmp_path, "unknown format")
    _fails(tmp_path / "file.bin", tmp_path, "not a torch-saved", convert=convert_nb201_pth)
