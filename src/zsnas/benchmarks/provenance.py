"""Provenance of a converted file: which source, its checksum, which converter."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

CONVERTER_VERSION = "1"


def sha256_of(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """``sha256:<hex>`` of a file, or of a folder (over sorted relative names and
    contents of every file beneath it, reported as ``sha256-tree:<hex>``)."""
    path = Path(path)
    h = hashlib.sha256()
    if path.is_dir():
        for sub in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(str(sub.relative_to(path)).encode() + b"\0")
            with open(sub, "rb") as fh:
                while block := fh.read(chunk):
                    h.update(block)
        return "sha256-tree:" + h.hexdigest()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return "sha256:" + h.hexdigest()


def provenance(source: str | os.PathLike, source_format: str, converter: str,
               synthetic: bool = False, checksum: str | None = None) -> dict:
    """Root attributes recording where a benchmark file came from."""
    source = Path(source)
    return {
        "source_file": source.name,
        "source_checksum": checksum or sha256_of(source),
        "source_format": source_format,
        "converter": converter,
        "converter_version": CONVERTER_VERSION,
        "synthetic": bool(synthetic),
    }
