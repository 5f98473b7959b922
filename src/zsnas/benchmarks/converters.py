"""The converters: one per source format, each producing one search space's benchmark file.

========== ====================================================== ======================
kind       source                                                  space
========== ====================================================== ======================
nb101      NAS-Bench-101 tfrecord (``nasbench_full.tfrecord``)     nb101
nats       NATS-Bench tss simple archive (folder or ``.tar``)     nb201
nb201-pth  NAS-Bench-201 ``.pth`` (v1_0 / v1_1)                    nb201
nats-sss   NATS-Bench sss simple archive (folder or ``.tar``)     nats-sss
table      CSV / Parquet table (README "Converting a table")       any (from the columns)
========== ====================================================== ======================

A converter is named here by reference (``"module:function"``) and imported
only when used, so a conversion's code fingerprint holds its own converter only.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError


@dataclass(frozen=True)
class Converter:
    kind: str
    ref: str                 # "module:function(source, out, *, dataset, **options) -> Path"
    space: str | None        # the space it produces (None: read from the source)
    description: str
    sources: tuple[str, ...] = ()   # the zsnas download names it converts


CONVERTERS = {c.kind: c for c in (
    Converter("nb101", "zsnas.benchmarks.convert_nb101:convert_nb101", "nb101",
              "NAS-Bench-101 tfrecord", ("nb101-full", "nb101-108")),
    Converter("nats", "zsnas.benchmarks.convert_nb201:convert_nats", "nb201",
              "NATS-Bench tss simple archive (folder or .tar)", ("nats-tss",)),
    Converter("nb201-pth", "zsnas.benchmarks.convert_nb201:convert_nb201_pth", "nb201",
              "NAS-Bench-201 .pth", ("nb201-v1_1", "nb201-v1_0")),
    Converter("nats-sss", "zsnas.benchmarks.convert_nats_sss:convert_nats_sss", "nats-sss",
              "NATS-Bench sss simple archive (folder or .tar)", ("nats-sss",)),
    Converter("table", "zsnas.benchmarks.convert_table:convert_table", None,
              "CSV/Parquet table"),
)}


def get_converter(kind: str) -> Converter:
    try:
        return CONVERTERS[kind]
    except KeyError:
        raise UsageError(f"unknown converter {kind!r}; known: {', '.join(CONVERTERS)}") from None


def converter_ref(kind_or_module: str) -> str:
    """The ``module:function`` of a converter kind (or the argument itself if it is
    already a dotted path, as recorded in a benchmark file's ``converter`` attribute)."""
    if kind_or_module in CONVERTERS:
        return CONVERTERS[kind_or_module].ref
    if kind_or_module and kind_or_module.startswith("zsnas."):
        return kind_or_module
    raise UsageError(f"unknown converter {kind_or_module!r}; known: {', '.join(CONVERTERS)}")


def run_converter(kind: str, source, out, **options):
    from ..spaces.base import resolve_ref
    return resolve_ref(get_converter(kind).ref)(source, out, **options)


__all__ = ["CONVERTERS", "Converter", "converter_ref", "get_converter", "run_converter"]
