"""Shared fixtures: small sources in the real on-disk formats, written by the tests."""
from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "reference" / "data"


@pytest.fixture(scope="session")
def nb101_tfrecord(tmp_path_factory) -> Path:
    from zsnas.synthetic.nb101 import write_nb101_tfrecord
    return write_nb101_tfrecord(tmp_path_factory.mktemp("nb101") / "nb101.tfrecord", 40, seed=3)


@pytest.fixture(scope="session")
def nb101_h5(nb101_tfrecord, tmp_path_factory) -> Path:
    from zsnas.benchmarks.convert_nb101 import convert_nb101
    return convert_nb101(nb101_tfrecord, tmp_path_factory.mktemp("nb101h5") / "nb101.h5",
                         verify_hashes=True, progress=False)


@pytest.fixture(scope="session")
def nats_dir(tmp_path_factory) -> Path:
    from zsnas.synthetic.nb201 import write_nats_archive
    return write_nats_archive(tmp_path_factory.mktemp("nats"), 12, seed=5)


@pytest.fixture(scope="session")
def nb201_h5(nats_dir, tmp_path_factory) -> Path:
    from zsnas.benchmarks.convert_nb201 import convert_nats
    return convert_nats(nats_dir, tmp_path_factory.mktemp("nb201h5") / "nb201.h5", workers=1,
                        progress=False)
