"""One record of the NAS-Bench-101 tfrecord: JSON row + base64 ``ModelMetrics`` protobuf.

Payload (Ying et al., ICML 2019, ``nasbench/api.py``): a UTF-8 JSON list
``[module_hash, epochs, raw_adjacency, raw_operations, raw_metrics]`` where
``raw_adjacency`` is the row-major '0'/'1' string of the pruned V×V matrix,
``raw_operations`` the comma-separated labels (``input`` … ``output``) and
``raw_metrics`` the base64 of a serialized proto2 message::

    message ModelMetrics {
      repeated EvaluationData evaluation_data = 1;
      optional int32  trainable_parameters    = 2;
      optional double total_time              = 3;
    }
    message EvaluationData {
      optional double current_epoch = 1; optional double training_time = 2;
      optional double train_accuracy = 3; optional double validation_accuracy = 4;
      optional double test_accuracy = 5; optional string checkpoint_path = 6;
    }

``evaluation_data`` holds the evaluations at step 0, halfway and at the end;
the API reads ``[-1]`` as ``final_*``. The wire format is decoded by hand
(varint, fixed64 and length-delimited fields; unknown fields are skipped by
wire type), so neither TensorFlow nor protoc is needed.
"""
from __future__ import annotations

import base64
import binascii
import json
import struct
from dataclasses import dataclass

from ..errors import InputError

_F64 = struct.Struct("<d")
_EVAL_FAST = struct.Struct("<xdxdxdxdxd")  # tags 0x09,0x11,0x19,0x21,0x29 then 5 doubles


class RecordError(InputError):
    """A malformed NB101 record (bad JSON, base64 or protobuf)."""


@dataclass(frozen=True)
class Evaluation:
    """One ``EvaluationData`` message; accuracies are fractions in [0, 1]."""
    current_epoch: float = 0.0
    training_time: float = 0.0
    train_accuracy: float = 0.0
    validation_accuracy: float = 0.0
    test_accuracy: float = 0.0
    checkpoint_path: str = ""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise RecordError("truncated varint in ModelMetrics protobuf")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise RecordError("varint longer than 10 bytes in ModelMetrics protobuf")


def _skip(buf: bytes, pos: int, wire: int) -> int:
    if wire == 0:
        return _varint(buf, pos)[1]
    if wire == 1:
        return pos + 8
    if wire == 2:
        n, pos = _varint(buf, pos)
        return pos + n
    if wire == 5:
        return pos + 4
    raise RecordError(f"unsupported protobuf wire type {wire}")


def _decode_evaluation(buf: bytes, start: int, end: int) -> tuple:
    """Decode one EvaluationData into (epoch, training_time, train, valid, test)."""
    if end - start >= 45 and buf[start] == 0x09 and buf[start + 9] == 0x11 \
            and buf[start + 18] == 0x19 and buf[start + 27] == 0x21 and buf[start + 36] == 0x29:
        return _EVAL_FAST.unpack_from(buf, start)
    vals = [0.0, 0.0, 0.0, 0.0, 0.0]
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if 1 <= field <= 5 and wire == 1:
            if pos + 8 > end:
                raise RecordError("truncated double in EvaluationData")
            vals[field - 1] = _F64.unpack_from(buf, pos)[0]
            pos += 8
        else:
            pos = _skip(buf, pos, wire)
    if pos != end:
        raise RecordError("EvaluationData overruns its length")
    return tuple(vals)


def decode_model_metrics(buf: bytes) -> tuple[list[tuple], int, float]:
    """Decode a serialized ``ModelMetrics``.

    Returns ``(evaluations, trainable_parameters, total_time)`` where each
    evaluation is ``(current_epoch, training_time, train_accuracy,
    validation_accuracy, test_accuracy)``.
    """
    evals = []
    params = 0
    total_time = 0.0
    pos = 0
    n = len(buf)
    while pos < n:
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if field == 1 and wire == 2:
            length, pos = _varint(buf, pos)
            end = pos + length
            if end > n:
                raise RecordError("truncated EvaluationData in ModelMetrics protobuf")
            evals.append(_decode_evaluation(buf, pos, end))
            pos = end
        elif field == 2 and wire == 0:
            params, pos = _varint(buf, pos)
            if params >= 1 << 63:
                params -= 1 << 64
        elif field == 3 and wire == 1:
            total_time = _F64.unpack_from(buf, pos)[0]
            pos += 8
        else:
            pos = _skip(buf, pos, wire)
    if pos != n:
        raise RecordError("ModelMetrics protobuf overruns its buffer")
    return evals, params, total_time


def _encode_varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode_model_metrics(evaluations, trainable_parameters: int, total_time: float) -> bytes:
    """Serialize a ``ModelMetrics`` message exactly as protobuf's encoder lays it out
    (fields in number order; ``checkpoint_path`` written when non-empty)."""
    out = bytearray()
    for ev in evaluations:
        if not isinstance(ev, Evaluation):
            ev = Evaluation(*ev)
        body = bytearray()
        for tag, value in ((0x09, ev.current_epoch), (0x11, ev.training_time),
                           (0x19, ev.train_accuracy), (0x21, ev.validation_accuracy),
                           (0x29, ev.test_accuracy)):
            body.append(tag)
            body += _F64.pack(value)
        if ev.checkpoint_path:
            path = ev.checkpoint_path.encode()
            body.append(0x32)
            body += _encode_varint(len(path)) + path
        out.append(0x0A)
        out += _encode_varint(len(body)) + body
    out.append(0x10)
    out += _encode_varint(int(trainable_parameters))
    out.append(0x19)
    out += _F64.pack(total_time)
    return bytes(out)


def encode_record(module_hash: str, epochs: int, matrix, ops, metrics: bytes) -> bytes:
    """Build one tfrecord payload as the NB101 generator wrote it."""
    adjacency = "".join(str(int(v)) for row in matrix for v in row)
    row = [module_hash, int(epochs), adjacency, ",".join(ops),
           base64.b64encode(metrics).decode("ascii")]
    return json.dumps(row).encode("utf-8")


def decode_record(payload: bytes) -> tuple[str, int, str, str, bytes]:
    """Split a payload into ``(hash, epochs, raw_adjacency, raw_operations, metrics_bytes)``.

    Raises :class:`RecordError` for anything but a 5-item JSON list of the
    documented types.
    """
    try:
        row = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError(f"payload is not UTF-8 JSON ({exc})") from None
    if not isinstance(row, list) or len(row) != 5:
        raise RecordError("payload is not a JSON list of 5 items "
                          "[hash, epochs, adjacency, operations, metrics]")
    module_hash, epochs, adjacency, operations, metrics = row
    if not (isinstance(module_hash, str) and len(module_hash) == 32):
        raise RecordError(f"module hash {module_hash!r} is not a 32-character hex string")
    if not isinstance(epochs, int) or isinstance(epochs, bool):
        raise RecordError(f"epochs {epochs!r} is not an integer")
    if not isinstance(adjacency, str) or not isinstance(operations, str) \
            or not isinstance(metrics, str):
        raise RecordError("adjacency, operations and metrics must be strings")
    try:
        raw = binascii.a2b_base64(metrics)
    except binascii.Error as exc:
        raise RecordError(f"metrics are not valid base64 ({exc})") from None
    return module_hash, epochs, adjacency, operations, raw


__all__ = ["RecordError", "Evaluation", "decode_model_metrics", "encode_model_metrics",
           "encode_record", "decode_record"]
