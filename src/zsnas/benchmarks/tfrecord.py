"""TFRecord framing, read and written without TensorFlow.

A TFRecord file is a sequence of records, each framed as::

    uint64 LE  length
    uint32 LE  masked_crc32c(length bytes)
    bytes      data[length]
    uint32 LE  masked_crc32c(data)

with ``masked_crc32c(b) = ((c >> 15) | (c << 17)) + 0xA282EAD8 (mod 2**32)``
and ``c`` the CRC-32C (Castagnoli) of ``b`` (TensorFlow
``core/lib/hash/crc32c.h``). The CRC itself comes from the ``crc32c`` package
(hardware-accelerated C implementation).
"""
from __future__ import annotations


import os
import struct
from collections.abc import Iterator
from pathlib import Path

import crc32c as _crc32c

from ..errors import InputError

_MASK_DELTA = 0xA282EAD8
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
_HEADER = struct.Struct("<QI")


class TFRecordError(InputError):
    """A framing or checksum error, with the file and byte offset in the message."""


def masked_crc32c(data: bytes) -> int:
    """TensorFlow's masked CRC-32C of ``data``."""
    c = _crc32c.crc32c(data)
    return (((c >> 15) | (c << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """Return ``data`` framed as one TFRecord (header, payload, footer)."""
    n = _U64.pack(len(data))
    return n + _U32.pack(masked_crc32c(n)) + data + _U32.pack(masked_crc32c(data))


def write_records(path: str | os.PathLike, payloads) -> int:
    """Write an iterable of byte strings to ``path`` as TFRecords; returns the count."""
    count = 0
    with open(path, "wb") as fh:
        for payload in payloads:
            fh.write(frame(payload))
            count += 1
    return count


def iter_records(path: str | os.PathLike, *, verify: bool = True,
                 buffer_size: int = 1 << 22) -> Iterator[bytes]:
    """Yield the payload of every record in ``path``, streaming.

    With ``verify`` the masked CRC-32C of the length and of the payload are
    checked. A truncated file or a CRC mismatch raises :class:`TFRecordError`
    naming the file, the record number and the byte offset.
    """
    path = Path(path)
    with open(path, "rb", buffering=buffer_size) as fh:
        read = fh.read
        offset = 0
        index = 0
        while True:
            header = read(12)
            if not header:
                return
            if len(header) < 12:
                raise TFRecordError(
                    f"{path}: truncated record header at byte {offset} (record {index})")
            length, length_crc = _HEADER.unpack(header)
            if verify and masked_crc32c(header[:8]) != length_crc:
                raise TFRecordError(
                    f"{path}: length CRC mismatch at byte {offset} (record {index}); "
                    "the file is corrupt or not a TFRecord file")
            data = read(length)
            footer = read(4)
            if len(data) < length or len(footer) < 4:
                raise TFRecordError(
                    f"{path}: truncated record at byte {offset} (record {index}): "
                    f"expected {length} payload bytes")
            if verify and masked_crc32c(data) != _U32.unpack(footer)[0]:
                raise TFRecordError(
                    f"{path}: data CRC mismatch at byte {offset} (record {index})")
            yield data
            offset += 16 + length
            index += 1


def looks_like_tfrecord(path: str | os.PathLike) -> bool:
    """True if the first record header of ``path`` carries a valid length CRC."""
    with open(path, "rb") as fh:
        header = fh.read(12)
    if len(header) < 12:
        return False
    return masked_crc32c(header[:8]) == _U32.unpack(header[8:])[0]


__all__ = ["TFRecordError", "masked_crc32c", "frame", "write_records", "iter_records",
           "looks_like_tfrecord"]
