"""NATS-Bench size search space ("sss"; Dong, Liu, Musial & Gabrys, "NATS-Bench:
Benchmarking NAS Algorithms for Architecture Topology and Size", TPAMI 2021).

Registered as ``nats-sss`` (registry, config ``benchmarks: [nats-sss/cifar10]``, file
names and run records; the names of ``spaces/base.py``'s registry and of
``config/schema.yaml``'s ``SPACE/DATASET`` pattern ``^[a-z][a-z0-9_-]*`` allow the dash).

The 32,768 = 8^5 architectures share one cell -- NB201's
``|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|``
(tss index 9930, the best on CIFAR-100 validation; AutoDL ``exps/NATS-Bench/main-sss.py``)
-- and differ in the channel count of each of their five layers (cell, reduction,
cell, reduction, cell; one cell per stage), each one of ``CANDIDATES`` = 8, 16, …, 64
(``nats_bench.search_space_info('nats-bench', 'sss')``: ``candidates=[8, …, 64],
num_layers=5``).

Encoding: the benchmark's architecture string, the five counts joined by ``:``,
e.g. ``"8:16:24:32:40"`` (``arch_config['channels']``). The index order of the NATS
files is AutoDL's ``traverse_net(candidates, 5)`` (``main-sss.py`` / ``sss-collect.py``):
nested loops with the last layer varying fastest, i.e.
``itertools.product(CANDIDATES, repeat=5)``; index = Σ ``k_i · 8^(4-i)`` with
``k_i = c_i / 8 - 1`` (:func:`index_of`). The converter reads the order from the
file's ``meta_archs`` and checks it against this rule.

Sampling and mutation live in :mod:`.nats_sss_evolution`, the network in
:mod:`zsnas.networks.nats_sss`; this module holds the encoding and registers the space.
"""
from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np

from .base import Accuracy, SearchSpace, register

NAME = "nats-sss"
#: The allowed channel counts of a layer (NATS ``search_space_info``).
CANDIDATES: tuple[int, ...] = (8, 16, 24, 32, 40, 48, 56, 64)
NUM_LAYERS = 5
NUM_ARCHS = len(CANDIDATES) ** NUM_LAYERS  # 32,768
#: The channel unit: every candidate is a multiple of it (the network's default width).
UNIT = 8
#: Which of the five layers are stride-2 ResNet reduction blocks (the others are cells).
REDUCTIONS: tuple[bool, ...] = (False, True, False, True, False)
#: The fixed cell of every sss network (NB201 arch string, tss index 9930).
CELL = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
        "nor_conv_3x3~2|")

_POS = {c: i for i, c in enumerate(CANDIDATES)}


def check_channels(channels: Sequence[int]) -> tuple[int, ...]:
    """``channels`` as a tuple of 5 allowed counts, else ValueError naming it."""
    try:
        out = tuple(int(c) for c in channels)
        if any(isinstance(c, bool) or int(c) != c for c in channels):
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"channels must be {NUM_LAYERS} integers, got {channels!r}") from None
    if len(out) != NUM_LAYERS:
        raise ValueError(f"channels must have {NUM_LAYERS} entries, got {len(out)}: "
                         f"{channels!r}")
    bad = [c for c in out if c not in _POS]
    if bad:
        raise ValueError(f"channel count(s) {bad} of {channels!r} not allowed; each layer has "
                         f"one of {', '.join(map(str, CANDIDATES))}")
    return out


def parse_channels(text: str) -> tuple[int, ...]:
    """Parse ``"8:16:24:32:40"`` strictly (five ``:``-separated allowed counts, digits
    only, no spaces)."""
    if not isinstance(text, str):
        raise ValueError(f"a NATS-sss architecture must be a string like '8:16:24:32:40', "
                         f"got {type(text).__name__}: {text!r}")
    parts = text.split(":")
    if len(parts) != NUM_LAYERS or not all(p.isdigit() and p.isascii() for p in parts):
        raise ValueError(f"bad NATS-sss architecture {text!r}: expected {NUM_LAYERS} channel "
                         "counts joined by ':' (e.g. '8:16:24:32:40')")
    chans = tuple(int(p) for p in parts)
    if any(p != str(c) for p, c in zip(parts, chans)):
        raise ValueError(f"bad NATS-sss architecture {text!r}: leading zeros")
    try:
        return check_channels(chans)
    except ValueError as exc:
        raise ValueError(f"bad NATS-sss architecture {text!r}: {exc}") from None


def channel_str(channels: Sequence[int]) -> str:
    """The benchmark's string of 5 channel counts (inverse of :func:`parse_channels`)."""
    return ":".join(map(str, check_channels(channels)))


def index_of(channels: Sequence[int]) -> int:
    """The NATS-sss index of ``channels`` (``traverse_net`` order, module docstring)."""
    index = 0
    for c in check_channels(channels):
        index = index * len(CANDIDATES) + _POS[c]
    return index


def channels_of(index: int) -> tuple[int, ...]:
    """Inverse of :func:`index_of`."""
    index = int(index)
    if not 0 <= index < NUM_ARCHS:
        raise ValueError(f"NATS-sss index {index} outside 0..{NUM_ARCHS - 1}")
    digits = []
    for _ in range(NUM_LAYERS):
        index, k = divmod(index, len(CANDIDATES))
        digits.append(CANDIDATES[k])
    return tuple(reversed(digits))


def all_channels() -> list[tuple[int, ...]]:
    """Every architecture in index order (``itertools.product(CANDIDATES, repeat=5)``)."""
    return list(itertools.product(CANDIDATES, repeat=NUM_LAYERS))


# --------------------------------------------------------------------------
# The benchmark file's /archs columns, and the registered space
# --------------------------------------------------------------------------

class SSSArchs:
    """The ``/archs`` columns of a NATS-sss benchmark file: ``channels`` uint8 (n, 5),
    the five layers' channel counts, and ``arch_str`` (utf-8, ``"8:16:24:32:40"``), both
    in ``/archs/id`` order."""

    columns = ("channels", "arch_str")

    def __init__(self, group, n: int):
        self.rows = group["channels"][()]
        self.strings = [s.decode() if isinstance(s, bytes) else str(s)
                        for s in group["arch_str"][()]]
        if self.rows.shape != (n, NUM_LAYERS) or len(self.strings) != n:
            raise ValueError(f"/archs/channels has shape {self.rows.shape} and /archs/arch_str "
                             f"{len(self.strings)} rows; expected ({n}, {NUM_LAYERS}) and {n}")

    def encoding(self, row: int) -> str:
        return self.strings[row]

    def arch_str(self, row: int) -> str:
        return self.strings[row]

    def channels(self, row: int) -> tuple[int, ...]:
        return tuple(int(c) for c in self.rows[row])

    def arch(self, row: int) -> tuple[int, ...]:
        """The network builder's input: the tuple of 5 channel counts."""
        return self.channels(row)

    def keys(self, ids) -> dict:
        """Every encoding form -> id (channel string and channel tuple)."""
        index = {s: int(i) for s, i in zip(self.strings, ids)}
        index.update({tuple(int(c) for c in ch): int(i) for ch, i in zip(self.rows, ids)})
        return index

    @staticmethod
    def key(encoding):
        if isinstance(encoding, (list, tuple, np.ndarray)):
            return tuple(int(c) for c in encoding)
        return encoding


def check_encoding(text: str) -> None:
    """Raise ValueError unless ``text`` is a NATS-sss channel string."""
    parse_channels(text)


def describe(channels) -> dict:
    """What ``zsnas arch`` prints of an architecture (besides size and FLOPs)."""
    chans = check_channels(channels)
    return {"arch": channel_str(chans), "channels": list(chans), "index": index_of(chans)}


def format_line(info: dict) -> str:
    return (f"{info['arch']}\tindex={info['index']}\tparams={info['params']}"
            f"\tmflops={info['mflops']}")


def table_arch(row: dict):
    """``convert table``: the ``channels`` column (``"8:16:24:32:40"``) -> (key, channels)."""
    value = row["channels"]
    if not isinstance(value, str):
        raise ValueError(f"channels {value!r} is not a string like '8:16:24:32:40'")
    chans = parse_channels(value.strip())
    return chans, chans


def archs_columns(archs: list) -> dict:
    """The ``/archs`` columns of a list of channel tuples (in id order)."""
    rows = np.array([check_channels(a) for a in archs], dtype=np.uint8).reshape(-1, NUM_LAYERS)
    return {"channels": rows, "arch_str": [channel_str(r) for r in rows.tolist()]}


SPACE = register(SearchSpace(
    name=NAME, label="NATS-Bench size space", size=NUM_ARCHS,
    datasets=("cifar10", "cifar100", "ImageNet16-120"), budgets=(1, 12, 90),
    converters=("nats-sss", "table"),
    read_archs=SSSArchs, check_encoding=check_encoding, parse_spec=parse_channels,
    describe=describe, format_line=format_line,
    table_columns=("channels",), table_arch=table_arch, archs_columns=archs_columns,
    reports=(Accuracy("nats-sss-90-mean", "test_acc", 90, "mean",
                      "test accuracy after 90 epochs, mean over trials (CIFAR-10: ori-test of "
                      "the model trained on all 50k; CIFAR-100 / ImageNet16-120: x-test)"),
             Accuracy("nats-sss-ori-test-90-mean", "ori_test_acc", 90, "mean",
                      "CIFAR-100 / ImageNet16-120: ori-test (x-valid + x-test) after 90 "
                      "epochs, mean over trials")),
    dataset_reports={"cifar10": ("nats-sss-90-mean",)},
    time_rule="zsnas.spaces.nb201_evolution:simulated_train_time",   # the tss rule
    network="zsnas.networks.nats_sss:build",
    params_flops="zsnas.networks.nats_sss:params_flops", network_name="nats-sss-infer-shape-tiny",
    default_width=UNIT, min_width=1,
    evolution="zsnas.spaces.nats_sss_evolution:SSSAdapter", mutations=("gea",),
    module=__name__))

__all__ = ["CANDIDATES", "CELL", "NAME", "NUM_ARCHS", "NUM_LAYERS", "REDUCTIONS", "SPACE",
           "SSSArchs", "UNIT", "all_channels", "channel_str", "channels_of", "check_channels",
           "index_of", "parse_channels"]
