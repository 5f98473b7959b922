"""TFRecord framing and the NB101 record codec against independently built bytes."""
import struct

import pytest

from zsnas.benchmarks import nb101_record as rec
from zsnas.benchmarks.tfrecord import (TFRecordError, frame, iter_records, masked_crc32c,
                                       write_records)


def crc32c_reference(data: bytes) -> int:
    """Bitwise CRC-32C (Castagnoli, reflected poly 0x82F63B78) — independent of the package."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def test_crc32c_check_value_and_mask():
    assert crc32c_reference(b"123456789") == 0xE3069283  # the standard check value
    for data in (b"", b"a", b"123456789", bytes(range(256))):
        c = crc32c_reference(data)
        assert masked_crc32c(data) == ((((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF)


def test_frame_layout():
    data = b"hello world"
    framed = frame(data)
    assert struct.unpack("<Q", framed[:8])[0] == len(data)
    assert struct.unpack("<I", framed[8:12])[0] == masked_crc32c(framed[:8])
    assert framed[12:12 + len(data)] == data
    assert struct.unpack("<I", framed[-4:])[0] == masked_crc32c(data)


def test_round_trip(tmp_path):
    payloads = [b"", b"x" * 1000, b"abc"]
    path = tmp_path / "r.tfrecord"
    assert write_records(path, payloads) == 3
    assert list(iter_records(path)) == payloads


@pytest.mark.parametrize("cut", [5, 14, -2])
def test_truncated_file(tmp_path, cut):
    path = tmp_path / "t.tfrecord"
    write_records(path, [b"first", b"second record"])
    data = path.read_bytes()
    path.write_bytes(data[:cut] if cut > 0 else data[:cut])
    with pytest.raises(TFRecordError, match="truncated") as err:
        list(iter_records(path))
    assert str(path) in str(err.value)


def test_crc_mismatch(tmp_path):
    path = tmp_path / "c.tfrecord"
    write_records(path, [b"payload one", b"payload two"])
    data = bytearray(path.read_bytes())
    data[-6] ^= 0xFF  # flip a payload byte of the second record
    path.write_bytes(bytes(data))
    with pytest.raises(TFRecordError, match="data CRC mismatch.*record 1"):
        list(iter_records(path))
    assert len(list(iter_records(path, verify=False))) == 2


def test_model_metrics_round_trip_and_unknown_fields():
    evals = [(0.0, 0.0, 0.1, 0.1, 0.1), (6.0, 50.5, 0.6, 0.55, 0.5),
             rec.Evaluation(12.0, 101.0, 0.9, 0.8, 0.79, "gs://ckpt")]
    buf = rec.encode_model_metrics(evals, 2_694_282, 123.25)
    decoded, params, total = rec.decode_model_metrics(buf)
    assert params == 2_694_282 and total == 123.25
    assert decoded[2] == (12.0, 101.0, 0.9, 0.8, 0.79)
    # an unknown varint field (99) and a reordered EvaluationData decode the same
    body = struct.pack("<BdBd", 0x29, 0.7, 0x09, 4.0) + b"\x98\x06\x05"
    extra = b"\x0a" + bytes([len(body)]) + body + b"\x98\x06\x07"
    decoded, _, _ = rec.decode_model_metrics(extra)
    assert decoded == [(4.0, 0.0, 0.0, 0.0, 0.7)]


def test_malformed_protobuf():
    with pytest.raises(rec.RecordError):
        rec.decode_model_metrics(b"\x0a\x40\x09")  # length beyond the buffer
    with pytest.raises(rec.RecordError):
        rec.decode_model_metrics(b"\x10")  # truncated varint


def test_record_json():
    payload = rec.encode_record("0" * 32, 108, [[0, 1], [0, 0]], ["input", "output"], b"\x10\x05")
    assert rec.decode_record(payload) == ("0" * 32, 108, "0100", "input,output", b"\x10\x05")
    for bad in (b"not json", b'["a", 1]', b'["short", 4, "0100", "input,output", ""]'):
        with pytest.raises(rec.RecordError):
            rec.decode_record(bad)
