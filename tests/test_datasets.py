"""Datasets as registered objects: CIFAR-10, CIFAR-100, ImageNet16-120.

The readers run on synthetic fixtures written in the real on-disk formats
(``zsnas.synthetic.cifar10`` / ``cifar100`` / ``imagenet16``), plus hand-made
bad files for every error the readers promise.
"""
from __future__ import annotations

import hashlib
import io
import os
import pickle
import tarfile
import warnings
from dataclasses import replace

import numpy as np
import pytest

from zsnas.benchmarks.download import (
    CIFAR100_MEMBERS,
    DownloadError,
    download,
    extract_cifar100,
    extract_dataset_archive,
)
from zsnas.benchmarks.sources import SOURCES
from zsnas.datasets import (
    DATASETS,
    Dataset,
    UnknownDatasetError,
    dataset_names,
    get_dataset,
    is_dataset,
    register,
    unregister,
)
from zsnas.datasets.cifar100 import COARSE_LABEL_NAMES, FINE_TO_COARSE
from zsnas.datasets.cifar100 import LABEL_NAMES as FINE_NAMES
from zsnas.datasets.pickled_batches import (
    CIFAR10,
    CIFAR100,
    IMAGENET16_120,
    load_batches,
    load_cifar10,
    load_cifar100,
    load_imagenet16_120,
)
from zsnas.errors import InputError, InputMissingError, UsageError
from zsnas.spaces.base import resolve_ref
from zsnas.synthetic.cifar10 import write_cifar10_archive, write_cifar10_batches
from zsnas.synthetic.cifar100 import write_cifar100_archive, write_cifar100_batches
from zsnas.synthetic.imagenet16 import (
    write_imagenet16_archive,
    write_imagenet16_batches,
)
from zsnas.synthetic.writers import WRITERS

IN16_TRAIN = [f"train_data_batch_{i}" for i in range(1, 11)]


def _read(path, encoding="bytes"):
    with open(path, "rb") as f:
        return pickle.load(f, encoding=encoding)


def _write(path, obj):
    path.write_bytes(pickle.dumps(obj, protocol=2))


def _tar(path, files: dict[str, bytes]):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _in16_batch(labels, side=16, mean=True):
    n = len(labels)
    d = {"data": np.arange(n * 3 * side * side, dtype=np.int64).astype(np.uint8)
         .reshape(n, 3 * side * side), "labels": list(labels)}
    if mean:
        d["mean"] = np.zeros(3 * side * side)
    return d


# --------------------------------------------------------------------------
# the registry and the objects


def test_builtin_datasets_and_fields():
    assert dataset_names()[:3] == ("cifar10", "cifar100", "ImageNet16-120")
    want = {  # name: (label, classes, side, padding, source, default normalisation)
        "cifar10": ("CIFAR-10", 10, 32, 4, "cifar10", "foresight"),
        "cifar100": ("CIFAR-100", 100, 32, 4, "cifar100", "nats"),
        "ImageNet16-120": ("ImageNet16-120", 120, 16, 2, None, "nats"),
    }
    for name, (label, classes, side, pad, source, default) in want.items():
        ds = get_dataset(name)
        assert (ds.name, ds.label, ds.num_classes, ds.image_size, ds.crop_padding, ds.source,
                ds.default_normalisation) == (name, label, classes, side, pad, source, default)
        assert ds.module == f"zsnas.datasets.{'imagenet16' if side == 16 else name}"
        assert is_dataset(name) and ds.where and "\n" not in ds.where
        assert callable(resolve_ref(ds.reader)) and callable(resolve_ref(ds.synthetic))
        assert ds.part_modules("reader") == ["zsnas.datasets.pickled_batches"]
        if source is not None:
            assert source in SOURCES
    assert "drive.google.com" in get_dataset("ImageNet16-120").where


def test_unknown_dataset_lists_known_names():
    with pytest.raises(UsageError, match=r"^unknown dataset 'cifar1000'; known: ") as e:
        get_dataset("cifar1000")
    assert all(n in str(e.value) for n in ("cifar10,", "cifar100", "ImageNet16-120"))
    assert isinstance(e.value, UnknownDatasetError)
    assert not is_dataset("cifar1000") and not is_dataset(10)


def test_register_toy_dataset(tmp_path):
    toy = Dataset(name="toy-3", label="Toy", num_classes=3, image_size=4,
                  normalisations={"half": ((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))},
                  default_normalisation="half", reader=f"{__name__}:_toy_reader",
                  crop_padding=1, source=None, where="nowhere")
    try:
        assert register(toy) is toy
        assert toy.module == __name__
        assert get_dataset("toy-3") is toy and "toy-3" in dataset_names()
        x, y = toy.load(tmp_path, "test")
        assert x.shape == (2, 3, 4, 4) and list(y) == [0, 2]
        with pytest.raises(ValueError, match="already registered"):
            register(toy)
        with pytest.raises(UsageError, match="no synthetic writer"):
            toy.write_synthetic(tmp_path / "x", 1)
    finally:
        assert unregister("toy-3") is toy
    assert not is_dataset("toy-3")
    with pytest.raises(UsageError, match="toy-3"):
        get_dataset("toy-3")


def _toy_reader(path, split):
    return np.zeros((2, 3, 4, 4), np.uint8), np.array([0, 2], np.int64)


def test_normalisations():
    c10 = get_dataset("cifar10")
    assert c10.normalisation() == c10.normalisation("default") == c10.normalisation("foresight")
    assert c10.normalisation("foresight") == ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010))
    assert c10.normalisation("nb201") == c10.normalisation("nats")
    mean, std = c10.normalisation("nats")
    np.testing.assert_allclose(np.array(mean) * 255, (125.3, 123.0, 113.9))
    np.testing.assert_allclose(np.array(std) * 255, (63.0, 62.1, 66.7))
    mean, std = c10.normalisation("nb101")
    np.testing.assert_allclose(np.array(mean) * 255, (125.31, 122.95, 113.87))
    np.testing.assert_allclose(np.array(std) * 255, (62.99, 62.09, 66.70))
    mean, std = get_dataset("cifar100").normalisation("default")
    np.testing.assert_allclose(np.array(mean) * 255, (129.3, 124.1, 112.4))
    np.testing.assert_allclose(np.array(std) * 255, (68.2, 65.4, 70.4))
    mean, std = get_dataset("ImageNet16-120").normalisation()
    np.testing.assert_allclose(np.array(mean) * 255, (122.68, 116.66, 104.01))
    np.testing.assert_allclose(np.array(std) * 255, (63.22, 61.26, 65.09))
    with pytest.raises(UsageError, match=r"unknown normalisation 'imagenet'.*ImageNet16-120.*"
                                         r"default, nats"):
        get_dataset("ImageNet16-120").normalisation("imagenet")
    with pytest.raises(UsageError, match="foresight, nats, nb201, nb101"):
        c10.normalisation("nope")


def test_dataset_validates_its_fields():
    ok = {"name": "bad", "label": "Bad", "num_classes": 2, "image_size": 8,
          "normalisations": {"a": ((0, 0, 0), (1, 1, 1))}, "default_normalisation": "a",
          "reader": "m:f", "crop_padding": 0, "source": None, "where": ""}
    Dataset(**ok)
    for change, msg in [({"default_normalisation": "b"}, "default_normalisation"),
                        ({"normalisations": {"a": ((0, 0, 0), (1, 0, 1))}}, "std"),
                        ({"normalisations": {"a": ((0, 0), (1, 1, 1))}}, "mean"),
                        ({"normalisations": {"default": ((0, 0, 0), (1, 1, 1))},
                          "default_normalisation": "default"}, "reserved"),
                        ({"num_classes": 0}, "num_classes"), ({"crop_padding": -1}, "padding"),
                        ({"reader": "no_colon"}, "reader")]:
        with pytest.raises(ValueError, match=msg):
            Dataset(**{**ok, **change})
    with pytest.raises(UsageError, match="split"):
        Dataset(**ok).load("x", "valid")


# --------------------------------------------------------------------------
# readers on the synthetic fixtures


@pytest.mark.parametrize("name,n,train_n,test_n", [
    ("cifar10", 3, 15, 3), ("cifar100", 5, 5, 5), ("ImageNet16-120", 4, 20, 2)])
def test_reader_on_synthetic_archive_folder_and_parent(tmp_path, name, n, train_n, test_n):
    ds = get_dataset(name)
    archive = ds.write_synthetic(tmp_path / "a" / "data.tar.gz", n, seed=7)
    with tarfile.open(archive) as tar:
        top = {m.name.split("/")[0] for m in tar.getmembers()}
        tar.extractall(tmp_path / "x", filter="data")
    (folder,) = [tmp_path / "x" / t for t in top]
    for split, count in (("train", train_n), ("test", test_n)):
        x, y = ds.load(archive, split)
        assert x.shape == (count, 3, ds.image_size, ds.image_size) and x.dtype == np.uint8
        assert y.shape == (count,) and y.dtype == np.int64
        assert 0 <= y.min() and y.max() < ds.num_classes
        for src in (folder, tmp_path / "x"):
            x2, y2 = ds.load(src, split)
            np.testing.assert_array_equal(x2, x)
            np.testing.assert_array_equal(y2, y)


def test_cifar100_format(tmp_path):
    folder = write_cifar100_batches(tmp_path, n_per_batch=6, seed=2)
    assert folder == tmp_path / "cifar-100-python"
    assert sorted(p.name for p in folder.iterdir()) == ["meta", "test", "train"]
    for name in ("train", "test", "meta"):
        assert (folder / name).read_bytes()[:2] == b"\x80\x02"
    b = _read(folder / "train")
    assert list(b) == [b"filenames", b"batch_label", b"fine_labels", b"coarse_labels", b"data"]
    assert b[b"data"].dtype == np.uint8 and b[b"data"].shape == (6, 3072)
    assert b[b"batch_label"] == b"training batch 1 of 1"
    assert _read(folder / "test")[b"batch_label"] == b"testing batch 1 of 1"
    assert all(type(v) is int and 0 <= v < 100 for v in b[b"fine_labels"])
    assert b[b"coarse_labels"] == [FINE_TO_COARSE[v] for v in b[b"fine_labels"]]
    meta = _read(folder / "meta")
    assert meta[b"fine_label_names"] == [n.encode() for n in FINE_NAMES]
    assert meta[b"coarse_label_names"] == [n.encode() for n in COARSE_LABEL_NAMES]
    assert len(FINE_NAMES) == len(FINE_TO_COARSE) == 100 and len(COARSE_LABEL_NAMES) == 20
    assert sorted(set(FINE_TO_COARSE)) == list(range(20))
    x, y = load_cifar100(folder, "train")
    np.testing.assert_array_equal(y, b[b"fine_labels"])
    np.testing.assert_array_equal(x, b[b"data"].reshape(6, 3, 32, 32))
    np.testing.assert_array_equal(x[0, 1, 0], b[b"data"][0, 1024:1056])  # G plane, row 0


def test_imagenet16_format_and_filtering(tmp_path):
    folder = write_imagenet16_batches(tmp_path, n_per_batch=7, seed=4)
    assert folder == tmp_path / "ImageNet16"
    assert sorted(p.name for p in folder.iterdir()) == sorted([*IN16_TRAIN, "val_data"])
    batches = [_read(folder / n, "latin1") for n in IN16_TRAIN]
    val = _read(folder / "val_data", "latin1")
    assert set(val) == {"data", "labels"}
    all_train = np.concatenate([b["data"] for b in batches])
    for b in batches:
        assert set(b) == {"data", "labels", "mean"}
        assert b["data"].dtype == np.uint8 and b["data"].shape == (7, 768)
        assert all(type(v) is int and 1 <= v <= 1000 for v in b["labels"])
        np.testing.assert_array_equal(b["mean"], all_train.mean(axis=0))
    raw_labels = np.concatenate([b["labels"] for b in batches])
    keep = raw_labels <= 120
    assert 0 < keep.sum() < keep.size  # some kept, some dropped
    x, y = load_imagenet16_120(folder, "train")
    np.testing.assert_array_equal(y, raw_labels[keep] - 1)
    np.testing.assert_array_equal(x, all_train[keep].reshape(-1, 3, 16, 16))
    xt, yt = load_imagenet16_120(folder, "test")
    vkeep = np.array(val["labels"]) <= 120
    np.testing.assert_array_equal(yt, np.array(val["labels"])[vkeep] - 1)
    np.testing.assert_array_equal(xt, val["data"][vkeep].reshape(-1, 3, 16, 16))


def test_imagenet16_label_boundaries(tmp_path):
    folder = write_imagenet16_batches(tmp_path, n_per_batch=2)
    _write(folder / "val_data", _in16_batch([1, 120, 121, 1000, 60], mean=False))
    x, y = load_imagenet16_120(tmp_path, "test")
    assert list(y) == [0, 119, 59]
    raw = _in16_batch([1, 120, 121, 1000, 60])["data"]
    np.testing.assert_array_equal(x, raw[[0, 1, 4]].reshape(3, 3, 16, 16))


def test_imagenet16_plain_tar_and_top_level_files(tmp_path):
    plain = write_imagenet16_archive(tmp_path / "ImageNet16.tar", n_per_batch=3, seed=1)
    with open(plain, "rb") as f:
        assert f.read(2) != b"\x1f\x8b"  # not gzip
    gz = write_imagenet16_archive(tmp_path / "ImageNet16.tar.gz", n_per_batch=3, seed=1)
    folder = write_imagenet16_batches(tmp_path / "f", n_per_batch=3, seed=1)
    flat = _tar(tmp_path / "flat.tgz", {n: (folder / n).read_bytes()
                                        for n in [*IN16_TRAIN, "val_data"]})
    want = load_imagenet16_120(folder)
    for src in (plain, gz, flat):
        got = load_imagenet16_120(src)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


def test_str_keys_and_numpy1_module_names_are_accepted(tmp_path):
    """A CIFAR batch re-saved with str keys, and a pickle naming numpy 1's
    ``numpy.core.multiarray`` (as the Python-2 originals do), read without warnings."""
    folder = write_cifar10_batches(tmp_path, n_per_batch=2)
    t = _read(folder / "test_batch")
    raw = pickle.dumps({k.decode(): v for k, v in t.items()}, protocol=2)
    raw = raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert b"numpy.core.multiarray" in raw
    (folder / "test_batch").write_bytes(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, y = load_cifar10(folder, "test")
    np.testing.assert_array_equal(y, t[b"labels"])
    np.testing.assert_array_equal(x, t[b"data"].reshape(2, 3, 32, 32))
    for proto in (0, 4, 5):  # other protocols of the same dict
        (folder / "test_batch").write_bytes(pickle.dumps(t, protocol=proto))
        np.testing.assert_array_equal(load_cifar10(folder, "test")[1], t[b"labels"])


# --------------------------------------------------------------------------
# bad inputs


@pytest.mark.parametrize("fmt,writer,missing", [
    (CIFAR10, write_cifar10_batches, "data_batch_4"),
    (CIFAR100, write_cifar100_batches, "train"),
    (IMAGENET16_120, write_imagenet16_batches, "train_data_batch_10"),
])
def test_missing_batch_file(tmp_path, fmt, writer, missing):
    folder = writer(tmp_path / "src", n_per_batch=2)
    files = {f"{fmt.folder}/{p.name}": p.read_bytes() for p in folder.iterdir()
             if p.name != missing}
    archive = _tar(tmp_path / "partial.tar.gz", files)
    (folder / missing).unlink()
    for src, where in ((folder, str(folder / missing)),
                       (archive, f"{archive}:{fmt.folder}/{missing}")):
        with pytest.raises(InputMissingError, match="^" + where.replace(".", r"\.") +
                           f": {fmt.dataset} batch file is missing$"):
            load_batches(fmt, src, "train")
        assert load_batches(fmt, src, "test")[0].shape[1:] == (3, fmt.side, fmt.side)


@pytest.mark.parametrize("fmt,writer,file,key,bad", [
    (CIFAR10, write_cifar10_batches, "data_batch_3", b"labels", 10),
    (CIFAR10, write_cifar10_batches, "test_batch", b"labels", -1),
    (CIFAR100, write_cifar100_batches, "train", b"fine_labels", 100),
    (IMAGENET16_120, write_imagenet16_batches, "train_data_batch_2", "labels", 0),
    (IMAGENET16_120, write_imagenet16_batches, "val_data", "labels", 1001),
])
def test_label_out_of_range(tmp_path, fmt, writer, file, key, bad):
    folder = writer(tmp_path, n_per_batch=3)
    b = _read(folder / file, fmt.encoding)
    b[key] = [b[key][0], bad, b[key][2]]
    _write(folder / file, b)
    lo = fmt.label_offset
    with pytest.raises(InputError, match=rf"{file}: labels outside {lo}\.\.{lo + fmt.num_classes - 1}"):
        load_batches(fmt, folder, "test" if file in fmt.test else "train")


def test_another_datasets_files(tmp_path):
    c10 = write_cifar10_archive(tmp_path / "cifar-10-python.tar.gz", n_per_batch=2)
    c100 = write_cifar100_archive(tmp_path / "cifar-100-python.tar.gz", n_per_batch=2)
    in16 = write_imagenet16_batches(tmp_path / "torch", n_per_batch=2)
    c100_folder = write_cifar100_batches(tmp_path / "c100", n_per_batch=2)
    cases = [(load_cifar100, c10, "CIFAR-10", "CIFAR-100"),
             (load_cifar10, c100, "CIFAR-100", "CIFAR-10"),
             (load_imagenet16_120, c100, "CIFAR-100", "ImageNet16-120"),
             (load_cifar10, in16, "ImageNet16-120", "CIFAR-10"),
             (load_cifar10, tmp_path / "torch", "ImageNet16-120", "CIFAR-10"),
             (load_imagenet16_120, c100_folder, "CIFAR-100", "ImageNet16-120")]
    for load, src, holds, wanted in cases:
        with pytest.raises(InputError) as e:
            load(src, "train")
        msg = str(e.value)
        assert not isinstance(e.value, InputMissingError)
        assert msg.startswith(f"{src}: holds {holds} files") and f"not {wanted};" in msg
        assert "expected" in msg and "\n" not in msg


def test_malformed_batches(tmp_path):
    folder = write_imagenet16_batches(tmp_path, n_per_batch=2)
    (folder / "val_data").write_bytes(b"garbage")
    with pytest.raises(InputError, match=r"val_data: not a ImageNet16-120 batch pickle"):
        load_imagenet16_120(folder, "test")
    _write(folder / "val_data", [1, 2, 3])
    with pytest.raises(InputError, match=r"val_data: expected a dict, got list"):
        load_imagenet16_120(folder, "test")
    _write(folder / "val_data", _in16_batch([1, 2], side=32))
    with pytest.raises(InputError, match=r"val_data: 'data' has shape \(2, 3072\), expected "
                                         r"\(N, 768\)"):
        load_imagenet16_120(folder, "test")
    b = _in16_batch([1, 2])
    b["data"] = b["data"].astype(np.float32)
    _write(folder / "val_data", b)
    with pytest.raises(InputError, match=r"val_data: 'data' has dtype float32"):
        load_imagenet16_120(folder, "test")
    b = _in16_batch([1, 2])
    b["labels"] = [1]
    _write(folder / "val_data", b)
    with pytest.raises(InputError, match=r"val_data: 'labels' must be 2 integers"):
        load_imagenet16_120(folder, "test")
    del b["labels"]
    _write(folder / "val_data", b)
    with pytest.raises(InputError, match=r"val_data: missing key\(s\) \['labels'\]"):
        load_imagenet16_120(folder, "test")

    c100 = write_cifar100_batches(tmp_path / "c", n_per_batch=2)
    t = _read(c100 / "test")
    t[b"data"] = t[b"data"][:, :100]
    _write(c100 / "test", t)
    with pytest.raises(InputError, match=r"test: b'data' has shape \(2, 100\), expected "
                                         r"\(N, 3072\)"):
        load_cifar100(c100, "test")


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_pickle_naming_other_code_is_refused(tmp_path):
    folder = write_cifar100_batches(tmp_path, n_per_batch=2)
    marker = tmp_path / "pwned"
    b = _read(folder / "test")
    b[b"batch_label"] = _Evil(marker)
    _write(folder / "test", b)
    archive = _tar(tmp_path / "evil.tar.gz", {f"cifar-100-python/{p.name}": p.read_bytes()
                                              for p in folder.iterdir()})
    for src in (folder, archive):
        with pytest.raises(InputError, match=r"test: not a CIFAR-100 batch pickle.*refusing "
                                             r"to load global (posix|os|nt)\.mkdir"):
            load_cifar100(src, "test")
    assert not marker.exists()


def test_bad_paths_and_archives(tmp_path):
    with pytest.raises(InputMissingError, match="nope: no such CIFAR-100 folder or archive"):
        load_cifar100(tmp_path / "nope")
    with pytest.raises(UsageError, match="split"):
        load_imagenet16_120(tmp_path, "valid")
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not a tar")
    with pytest.raises(InputError, match=f"{bad}: cannot read archive"):
        load_cifar100(bad)
    good = write_cifar100_archive(tmp_path / "good.tar.gz", n_per_batch=50)
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(good.read_bytes()[:-2000])
    with pytest.raises(InputError, match=f"{truncated}: cannot read archive"):
        load_cifar100(truncated)
    other = _tar(tmp_path / "other.tar.gz", {"readme.txt": b"hello"})
    with pytest.raises(InputMissingError, match=f"{other}:ImageNet16/train_data_batch_1: "
                                                "ImageNet16-120 batch file is missing"):
        load_imagenet16_120(other)


# --------------------------------------------------------------------------
# writers, sources and extraction


@pytest.mark.parametrize("write", [write_cifar100_archive, write_imagenet16_archive])
def test_archives_are_reproducible_and_atomic(tmp_path, write):
    a = write(tmp_path / "a.tar.gz", 2, seed=0).read_bytes()
    b = write(tmp_path / "b.tar.gz", 2, seed=0).read_bytes()
    c = write(tmp_path / "c.tar.gz", 2, seed=1).read_bytes()
    assert a == b and a != c
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz", "b.tar.gz", "c.tar.gz"]
    with pytest.raises(ValueError, match="n_per_batch"):
        write(tmp_path / "d.tar.gz", 0)
    assert not (tmp_path / "d.tar.gz").exists()


def test_writer_kinds():
    assert WRITERS["cifar100"] == "zsnas.synthetic.cifar100:write_cifar100_archive"
    assert WRITERS["imagenet16"] == "zsnas.synthetic.imagenet16:write_imagenet16_archive"
    assert WRITERS["cifar100"] == get_dataset("cifar100").synthetic
    assert WRITERS["imagenet16"] == get_dataset("ImageNet16-120").synthetic
    assert resolve_ref(WRITERS["cifar10"]) is write_cifar10_archive


def test_synth_cli_new_kinds(tmp_path):
    from zsnas.cli.main import main

    assert main(["synth", "cifar100", str(tmp_path / "c.tar.gz"), "-n", "3"]) == 0
    assert load_cifar100(tmp_path / "c.tar.gz", "test")[0].shape == (3, 3, 32, 32)
    assert main(["synth", "imagenet16", str(tmp_path / "i.tar"), "-n", "4"]) == 0
    assert load_imagenet16_120(tmp_path / "i.tar", "test")[0].shape == (2, 3, 16, 16)


def test_cifar100_source():
    s = SOURCES["cifar100"]
    assert s.filename == "cifar-100-python.tar.gz"
    assert s.url == "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    assert (s.md5, s.size) == ("eb9058c3a382ffc7106e4002c42a8d85", 169001437)
    assert CIFAR100_MEMBERS == ("train", "test", "meta")


def test_download_and_extract_cifar100(tmp_path):
    archive = write_cifar100_archive(tmp_path / "mirror" / "cifar-100-python.tar.gz", 4)
    data = archive.read_bytes()
    src = replace(SOURCES["cifar100"], md5=hashlib.md5(data).hexdigest(), size=len(data))
    got = download(src, tmp_path / "dl", url=archive.as_uri(), progress=False)
    folder = extract_cifar100(got, tmp_path / "dl")
    assert folder == tmp_path / "dl" / "cifar-100-python"
    np.testing.assert_array_equal(load_cifar100(folder)[1], load_cifar100(archive)[1])
    with pytest.raises(DownloadError, match="train md5 is"):
        extract_cifar100(archive, tmp_path / "o2", check_members=True)


def test_extract_wrong_archive_writes_nothing(tmp_path):
    c10 = write_cifar10_archive(tmp_path / "cifar-10-python.tar.gz", n_per_batch=2)
    dest = tmp_path / "out"
    with pytest.raises(DownloadError, match=r"missing cifar-100-python/train, .*this is a "
                                            r"CIFAR-10 archive, not CIFAR-100"):
        extract_cifar100(c10, dest)
    assert not dest.exists()
    with pytest.raises(KeyError, match="cifar10, cifar100"):
        extract_dataset_archive(c10, dest, "ImageNet16-120")
    assert extract_dataset_archive(c10, dest, "cifar10") == dest / "cifar-10-batches-py"


def test_datasets_registry_object():
    assert DATASETS.kind == "dataset"
    assert {d.name for d in DATASETS} >= {"cifar10", "cifar100", "ImageNet16-120"}
