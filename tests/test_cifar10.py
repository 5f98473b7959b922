"""Tests for the synthetic CIFAR-10 writer, the CIFAR-10 reader and extract_cifar10."""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile

import numpy as np
import pytest

from zsnas.benchmarks.download import DownloadError, download, extract_cifar10
from zsnas.benchmarks.sources import SOURCES
from zsnas.datasets.cifar10 import LABEL_NAMES
from zsnas.datasets.pickled_batches import load_cifar10_batches
from zsnas.synthetic.cifar10 import write_cifar10_archive, write_cifar10_batches

TRAIN = [f"data_batch_{i}" for i in range(1, 6)]


def _read(path):
    with open(path, "rb") as f:
        return pickle.load(f, encoding="bytes")


def _tar_with(path, files: dict[str, bytes]):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_batch_format(tmp_path):
    folder = write_cifar10_batches(tmp_path, n_per_batch=4, seed=1)
    assert folder == tmp_path / "cifar-10-batches-py"
    for name in [*TRAIN, "test_batch", "batches.meta"]:
        raw = (folder / name).read_bytes()
        assert raw[:2] == b"\x80\x02", name  # pickle protocol 2
    b = _read(folder / "data_batch_2")
    assert set(b) == {b"data", b"labels", b"batch_label", b"filenames"}
    assert b[b"data"].dtype == np.uint8 and b[b"data"].shape == (4, 3072)
    assert isinstance(b[b"labels"], list) and all(type(y) is int and 0 <= y <= 9 for y in b[b"labels"])
    assert b[b"batch_label"] == b"training batch 2 of 5"
    assert all(isinstance(f, bytes) for f in b[b"filenames"]) and len(b[b"filenames"]) == 4
    assert _read(folder / "test_batch")[b"batch_label"] == b"testing batch 1 of 1"
    meta = _read(folder / "batches.meta")
    assert meta[b"label_names"] == [n.encode() for n in LABEL_NAMES]
    assert meta[b"label_names"][0] == b"airplane" and meta[b"label_names"][9] == b"truck"
    assert meta[b"num_cases_per_batch"] == 4 and meta[b"num_vis"] == 3072


def test_archive_round_trip(tmp_path):
    archive = write_cifar10_archive(tmp_path / "cifar-10-python.tar.gz", n_per_batch=10, seed=3)
    folder = extract_cifar10(archive, tmp_path / "data")
    assert folder == tmp_path / "data" / "cifar-10-batches-py"

    x, y = load_cifar10_batches(folder, "train")
    assert x.shape == (50, 3, 32, 32) and x.dtype == np.uint8
    assert y.shape == (50,) and y.dtype == np.int64
    batches = [_read(folder / n) for n in TRAIN]
    want_x = np.concatenate([b[b"data"] for b in batches]).reshape(50, 3, 32, 32)
    want_y = np.concatenate([b[b"labels"] for b in batches])
    np.testing.assert_array_equal(x, want_x)
    np.testing.assert_array_equal(y, want_y)
    # R,G,B planes: first row of the red plane is bytes 0..31 of the record.
    np.testing.assert_array_equal(x[0, 0, 0], batches[0][b"data"][0, :32])
    np.testing.assert_array_equal(x[0, 2, 31], batches[0][b"data"][0, -32:])

    xt, yt = load_cifar10_batches(folder, "test")
    assert xt.shape == (10, 3, 32, 32)
    np.testing.assert_array_equal(yt, _read(folder / "test_batch")[b"labels"])

    # Straight from the archive, and from the parent folder: same arrays.
    for src in (archive, tmp_path / "data"):
        x2, y2 = load_cifar10_batches(src, "train")
        np.testing.assert_array_equal(x2, x)
        np.testing.assert_array_equal(y2, y)


def test_archive_is_reproducible(tmp_path):
    a = write_cifar10_archive(tmp_path / "a.tar.gz", n_per_batch=2, seed=0).read_bytes()
    b = write_cifar10_archive(tmp_path / "b.tar.gz", n_per_batch=2, seed=0).read_bytes()
    c = write_cifar10_archive(tmp_path / "c.tar.gz", n_per_batch=2, seed=1).read_bytes()
    assert a == b and a != c


def test_download_then_extract_file_url(tmp_path):
    """The cifar10 source, pointed at a synthetic archive with matching md5/size."""
    archive = write_cifar10_archive(tmp_path / "mirror" / "cifar-10-python.tar.gz")
    data = archive.read_bytes()
    from dataclasses import replace

    src = replace(SOURCES["cifar10"], md5=hashlib.md5(data).hexdigest(), size=len(data))
    got = download(src, tmp_path / "dl", url=archive.as_uri(), progress=False)
    x, _ = load_cifar10_batches(extract_cifar10(got, tmp_path / "dl"), "train")
    assert x.shape == (50, 3, 32, 32)


def test_extract_rejects_parent_traversal(tmp_path):
    bad = _tar_with(tmp_path / "bad.tar.gz", {"cifar-10-batches-py/data_batch_1": b"x", "../evil": b"boom"})
    dest = tmp_path / "out" / "inner"
    with pytest.raises(DownloadError, match=r"\.\./evil"):
        extract_cifar10(bad, dest)
    assert not (tmp_path / "out" / "evil").exists()
    assert not (dest / "cifar-10-batches-py").exists()


def test_extract_rejects_absolute_path(tmp_path):
    bad = _tar_with(tmp_path / "bad.tar.gz", {"/tmp/zsnas-evil": b"boom"})
    with pytest.raises(DownloadError, match="unsafe"):
        extract_cifar10(bad, tmp_path / "out")


def test_extract_missing_batch(tmp_path):
    folder = write_cifar10_batches(tmp_path / "src", n_per_batch=2)
    files = {
        f"cifar-10-batches-py/{p.name}": p.read_bytes()
        for p in folder.iterdir()
        if p.name != "data_batch_3"
    }
    archive = _tar_with(tmp_path / "partial.tar.gz", files)
    with pytest.raises(DownloadError, match="data_batch_3"):
        extract_cifar10(archive, tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="data_batch_3"):
        load_cifar10_batches(archive, "train")
    # The test split does not need the missing training batch.
    assert load_cifar10_batches(archive, "test")[0].shape == (2, 3, 32, 32)


def test_extract_corrupt_archive(tmp_path):
    bad = tmp_path / "cifar-10-python.tar.gz"
    bad.write_bytes(b"not a tar at all")
    with pytest.raises(DownloadError, match=str(bad)):
        extract_cifar10(bad, tmp_path / "out")


def test_extract_check_members_rejects_synthetic(tmp_path):
    archive = write_cifar10_archive(tmp_path / "c.tar.gz", n_per_batch=2)
    with pytest.raises(DownloadError, match="data_batch_1 md5 is"):
        extract_cifar10(archive, tmp_path / "out", check_members=True)


def test_load_missing_batch_in_folder(tmp_path):
    folder = write_cifar10_batches(tmp_path, n_per_batch=2)
    (folder / "data_batch_5").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_5"):
        load_cifar10_batches(folder, "train")


def test_load_malformed_batches(tmp_path):
    folder = write_cifar10_batches(tmp_path, n_per_batch=2)
    b = _read(folder / "data_batch_2")
    b[b"data"] = b[b"data"][:, :100]
    (folder / "data_batch_2").write_bytes(pickle.dumps(b, protocol=2))
    with pytest.raises(ValueError, match=r"data_batch_2.*shape"):
        load_cifar10_batches(folder, "train")

    t = _read(folder / "test_batch")
    del t[b"labels"]
    (folder / "test_batch").write_bytes(pickle.dumps(t, protocol=2))
    with pytest.raises(ValueError, match=r"test_batch.*labels"):
        load_cifar10_batches(folder, "test")

    (folder / "test_batch").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="test_batch"):
        load_cifar10_batches(folder, "test")


def test_load_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="split"):
        load_cifar10_batches(tmp_path, "valid")
    with pytest.raises(FileNotFoundError, match="nope"):
        load_cifar10_batches(tmp_path / "nope")
