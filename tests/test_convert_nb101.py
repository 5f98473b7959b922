"""NB101 tfrecord → HDF5: values read back equal values written; bad input fails cleanly."""
import hashlib
import json

import h5py
import numpy as np
import pytest

from zsnas.benchmarks import nb101_record as rec
from zsnas.benchmarks.convert_nb101 import convert_nb101
from zsnas.errors import ConversionError
from zsnas.benchmarks.store import Benchmark
from zsnas.benchmarks.tfrecord import iter_records, write_records
from zsnas.spaces.nb101 import ModelSpec

INCEPTION = ([[0, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1],
              [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1],
              [0, 0, 0, 0, 0, 0, 0]],
             ["input", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3", "conv3x3-bn-relu",
              "conv3x3-bn-relu", "output"])
CHAIN = ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"])
BUDGETS = (4, 12, 36, 108)


def value(cell, epochs, trial, what):
    """The number written for (cell, budget, trial, field): distinct and easy to recompute."""
    return round(0.5 + 0.001 * cell + 0.0001 * BUDGETS.index(epochs) * 10 + 0.00001 * trial
                 + 0.1 * what, 6)


def records_for(cells, trials=3, hashes=None):
    out = []
    for c, (matrix, ops) in enumerate(cells):
        h = hashes[c] if hashes else ModelSpec(matrix, ops).hash_spec()
        for epochs in BUDGETS:
            for t in range(trials):
                final = rec.Evaluation(epochs, 1000.0 * c + 10 * epochs + t,
                                       value(c, epochs, t, 0), value(c, epochs, t, 1),
                                       value(c, epochs, t, 2))
                half = rec.Evaluation(epochs / 2, 1.0, 0.2, 0.2, 0.2)
                metrics = rec.encode_model_metrics([rec.Evaluation(), half, final],
                                                   100 + c, 9.0)
                out.append(rec.encode_record(h, epochs, matrix, ops, metrics))
    return out


@pytest.fixture()
def handmade(tmp_path):
    path = tmp_path / "hand.tfrecord"
    write_records(path, records_for([INCEPTION, CHAIN]))
    return path


def test_values_read_back(handmade, tmp_path):
    out = convert_nb101(handmade, tmp_path / "b.h5", verify_hashes=True, progress=False,
                        allow_missing=True)
    b = Benchmark(out)
    assert b.space == "nb101" and b.n == 2 and b.budgets == list(BUDGETS)
    assert b.module_hash(0) == "28cfc7874f6d200472e1a9dcd8650aa0"
    matrix, ops = b.spec(0)
    assert matrix.tolist() == INCEPTION[0] and ops == INCEPTION[1]
    assert b.spec(1)[0].tolist() == CHAIN[0]
    assert b.params.tolist() == [100, 101]
    assert np.isnan(b.flops).all()  # NB101 has no FLOPs
    for c in range(2):
        for epochs in BUDGETS:
            for t in range(3):
                assert b.metric("train_acc", epochs)[c, t] == pytest.approx(
                    100 * value(c, epochs, t, 0), abs=1e-9)
                assert b.metric("valid_acc", epochs)[c, t] == pytest.approx(
                    100 * value(c, epochs, t, 1), abs=1e-9)
                assert b.metric("test_acc", epochs)[c, t] == pytest.approx(
                    100 * value(c, epochs, t, 2), abs=1e-9)
                assert b.metric("train_time", epochs)[c, t] == 1000.0 * c + 10 * epochs + t
    with h5py.File(out) as f:
        assert f.attrs["source_checksum"] == \
            "sha256:" + hashlib.sha256(handmade.read_bytes()).hexdigest()
        assert f.attrs["source_file"] == "hand.tfrecord"
        assert f.attrs["converter_version"]
        assert not f.attrs["synthetic"]


def test_synthetic_writer_round_trip(nb101_tfrecord, nb101_h5):
    """Every record of the fixture is found in the HDF5 file at its (hash, budget, trial)."""
    b = Benchmark(nb101_h5)
    assert b.synthetic
    seen = {}
    for payload in iter_records(nb101_tfrecord):
        h, epochs, adj, ops, metrics = json.loads(payload)
        evals, params, _ = rec.decode_model_metrics(rec.decode_record(payload)[4])
        i = b.id_of(h)
        t = seen.setdefault((h, epochs), 0)
        seen[(h, epochs)] = t + 1
        assert b.metric("valid_acc", epochs)[i, t] == evals[-1][3] * 100
        assert b.metric("test_acc", epochs)[i, t] == evals[-1][4] * 100
        assert b.params[i] == params
        m, o = b.spec(i)
        assert "".join(str(x) for x in m.ravel()) == adj and ",".join(o) == ops
    assert len(seen) == 4 * b.n == 160


def test_deterministic_bytes(handmade, tmp_path):
    a = convert_nb101(handmade, tmp_path / "a.h5", progress=False, allow_missing=True)
    b = convert_nb101(handmade, tmp_path / "b.h5", progress=False, allow_missing=True)
    assert a.read_bytes() == b.read_bytes()


def _expect_error(src, tmp_path, match, **kw):
    out = tmp_path / "out.h5"
    out.write_bytes(b"previous result")
    with pytest.raises(ConversionError, match=match) as err:
        convert_nb101(src, out, progress=False, **kw)
    assert str(src) in str(err.value)
    assert out.read_bytes() == b"previous result"  # nothing overwritten
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.h5")] == []


def test_truncated(handmade, tmp_path):
    data = handmade.read_bytes()
    handmade.write_bytes(data[:-100])
    _expect_error(handmade, tmp_path, "truncated")


def test_crc_mismatch(handmade, tmp_path):
    data = bytearray(handmade.read_bytes())
    data[200] ^= 0x01
    handmade.write_bytes(bytes(data))
    _expect_error(handmade, tmp_path, "CRC mismatch")


def test_not_a_tfrecord(tmp_path):
    src = tmp_path / "x.tfrecord"
    src.write_bytes(b"this is not a tfrecord file at all")
    _expect_error(src, tmp_path, "not a TFRecord")


def test_missing_file(tmp_path):
    with pytest.raises(ConversionError, match="no such file"):
        convert_nb101(tmp_path / "nope.tfrecord", tmp_path / "o.h5", progress=False)


@pytest.mark.parametrize("payload,match", [
    (b"{not json", "not UTF-8 JSON"),
    (rec.encode_record("a" * 32, 7, [[0, 1], [0, 0]], ["input", "output"],
                       rec.encode_model_metrics([(1, 1, .5, .5, .5)], 1, 1.0)), "budget 7"),
    (rec.encode_record("b" * 32, 4, [[0, 1], [0, 0]], ["input", "conv9x9"],
                       rec.encode_model_metrics([(1, 1, .5, .5, .5)], 1, 1.0)), "outside"),
    (rec.encode_record("c" * 32, 4, np.triu(np.ones((6, 6), int), 1), ["input"] + [
        "conv3x3-bn-relu"] * 4 + ["output"], rec.encode_model_metrics(
        [(1, 1, .5, .5, .5)], 1, 1.0)), "15 edges"),
    (json.dumps(["d" * 32, 4, "0100", "input,output", "!!notbase64"]).encode(), "base64"),
])
def test_malformed_records(tmp_path, payload, match):
    src = tmp_path / "bad.tfrecord"
    write_records(src, records_for([CHAIN]) + [payload])
    _expect_error(src, tmp_path, match)


def test_too_many_trials(tmp_path):
    src = tmp_path / "dup.tfrecord"
    recs = records_for([CHAIN])
    write_records(src, recs + recs[:1])
    _expect_error(src, tmp_path, "more than 3 trials")


def test_wrong_hash_detected(tmp_path):
    src = tmp_path / "h.tfrecord"
    write_records(src, records_for([CHAIN], hashes=["f" * 32]))
    convert_nb101(src, tmp_path / "ok.h5", progress=False,
                  allow_missing=True)  # not checked by default
    _expect_error(src, tmp_path, "hashes to", verify_hashes=True, allow_missing=True)

