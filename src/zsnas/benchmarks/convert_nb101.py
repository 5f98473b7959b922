"""NAS-Bench-101 tfrecord → HDF5 (schema :mod:`zsnas.benchmarks.schema`).

Streams ``nasbench_full.tfrecord`` (or ``nasbench_only108.tfrecord``) record by
record, verifying each masked CRC-32C, decoding the JSON row and the base64
``ModelMetrics`` protobuf (:mod:`zsnas.benchmarks.nb101_record`). As in the
NB101 API (Ying et al. 2019, ``nasbench/api.py``) the first row of a hash fixes
its adjacency, operations and parameter count, and every row appends one trial
(in file order) to that hash's budget; the ``final_*`` (last) evaluation gives
train / validation / test accuracy (stored ×100, in percent) and training time.

Memory is bounded by the output (≈ 200 MB for the full file): rows are
accumulated in growable numpy arrays, never as Python objects per trial.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..errors import ConversionError
from . import nb101_record as rec
from .provenance import provenance
from ..spaces.nb101 import OP_CODES
from .schema import NB101_PAD, write_benchmark
from .tfrecord import TFRecordError, iter_records, looks_like_tfrecord

BUDGETS = (4, 12, 36, 108)
TRIALS = 3
_FIELDS = 4  # train_acc, valid_acc, test_acc, train_time
_SYNTHETIC_MARK = b"synthetic:zsnas"  # checkpoint_path written by zsnas.synthetic.nb101
_OP_CODE = OP_CODES


class _Growable:
    """Arrays that double their first axis when full."""

    def __init__(self, capacity: int):
        self.n = 0
        self.capacity = capacity
        self.values = np.full((capacity, len(BUDGETS), TRIALS, _FIELDS), np.nan)
        self.counts = np.zeros((capacity, len(BUDGETS)), dtype=np.int8)
        self.adjacency = np.zeros((capacity, 7, 7), dtype=np.uint8)
        self.ops = np.full((capacity, 7), NB101_PAD, dtype=np.int8)
        self.nv = np.zeros(capacity, dtype=np.uint8)
        self.params = np.full(capacity, -1, dtype=np.int64)

    def add(self) -> int:
        if self.n == self.capacity:
            self.capacity *= 2
            for name in ("values", "counts", "adjacency", "ops", "nv", "params"):
                old = getattr(self, name)
                fill = {"values": np.nan, "ops": NB101_PAD, "params": -1}.get(name, 0)
                new = np.full((self.capacity,) + old.shape[1:], fill, dtype=old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        self.n += 1
        return self.n - 1


def _parse_spec(adjacency: str, operations: str) -> tuple[np.ndarray, list[int]]:
    """Check the stored (pruned) cell and return (V×V matrix, op codes)."""
    v = int(round(len(adjacency) ** 0.5))
    if v * v != len(adjacency) or not 2 <= v <= 7 or set(adjacency) - {"0", "1"}:
        raise ValueError(f"adjacency {adjacency!r} is not a '0'/'1' string of V*V "
                         "characters with 2 <= V <= 7")
    matrix = np.frombuffer(adjacency.encode(), dtype=np.uint8).reshape(v, v) - ord("0")
    if np.any(np.tril(matrix)):
        raise ValueError(f"adjacency {adjacency!r} is not strictly upper-triangular")
    if int(matrix.sum()) > 9:
        raise ValueError(f"cell has {int(matrix.sum())} edges (NAS-Bench-101 allows 9)")
    ops = operations.split(",")
    if len(ops) != v:
        raise ValueError(f"{len(ops)} operations for a {v}-vertex cell")
    if ops[0] != "input" or ops[-1] != "output" or \
            any(o not in _OP_CODE or o in ("input", "output") for o in ops[1:-1]):
        raise ValueError(f"operations {operations!r} are not input, "
                         "conv3x3-bn-relu|conv1x1-bn-relu|maxpool3x3 …, output")
    return matrix, [_OP_CODE[o] for o in ops]


def convert_nb101(source: str | os.PathLike, out: str | os.PathLike, *, verify_crc: bool = True,
                  verify_hashes: bool = False, synthetic: bool = False,
                  progress: bool = True, expected_archs: int | None = None,
                  allow_missing: bool = False, dataset: str = "cifar10") -> Path:
    """Convert an NB101 tfrecord file to the HDF5 schema; returns ``out``.

    ``verify_hashes`` recomputes every module hash from its cell (SPEC §3.3)
    and fails on a mismatch (≈ 30 s extra on the full file). Any malformed
    record stops the conversion with :class:`ConversionError` naming the file
    and the record; ``out`` is then left untouched.

    Completeness: the source must hold ``expected_archs`` architectures
    (default: the whole space, 423,624; a synthetic source states its own count
    in its mark, ``synthetic:zsnas:archs=N``), each with all
    :data:`TRIALS` trials at every budget present (a file cut at a record
    boundary fails here, naming what is missing) — unless ``allow_missing``,
    which converts what is there and marks the file ``complete=False``.
    """
    source = Path(source)
    if dataset != "cifar10":
        from ..errors import UsageError
        raise UsageError(f"--dataset {dataset}: NAS-Bench-101 was trained on cifar10 only")
    if not source.is_file():
        raise ConversionError(f"{source}: no such file")
    if not looks_like_tfrecord(source):
        raise ConversionError(f"{source}: not a TFRecord file (bad first record header)")
    from tqdm import tqdm

    acc = _Growable(1024)
    index: dict[str, int] = {}
    budget_index = {b: i for i, b in enumerate(BUDGETS)}
    hasher = None
    if verify_hashes:
        from ..spaces.nb101 import graph_hash
        hasher = graph_hash
    size = source.stat().st_size
    bar = tqdm(total=size, unit="B", unit_scale=True, desc=f"convert {source.name}",
               disable=not progress, mininterval=1.0)
    values = acc.values
    counts = acc.counts
    record_no = -1
    done_bytes = 0
    try:
        for record_no, payload in enumerate(iter_records(source, verify=verify_crc)):
            done_bytes += len(payload) + 16
            if record_no % 20000 == 0:
                bar.update(done_bytes - bar.n)
            module_hash, epochs, adjacency, operations, metrics = rec.decode_record(payload)
            b = budget_index.get(epochs)
            if b is None:
                raise rec.RecordError(f"epoch budget {epochs} is not one of {BUDGETS}")
            evals, params, _ = rec.decode_model_metrics(metrics)
            if record_no == 0 and _SYNTHETIC_MARK in metrics:
                synthetic = True
                found = re.search(rb"synthetic:zsnas:archs=(\d+)", metrics)
                if found and expected_archs is None:
                    expected_archs = int(found.group(1))
            if not evals:
                raise rec.RecordError("ModelMetrics has no evaluation_data")
            row = index.get(module_hash)
            if row is None:
                try:
                    matrix, codes = _parse_spec(adjacency, operations)
                except ValueError as exc:
                    raise rec.RecordError(f"architecture {module_hash} outside the "
                                          f"NAS-Bench-101 space: {exc}") from None
                if hasher is not None:
                    labels = codes  # -1 input, -2 output, op indices: the hash labels
                    actual = hasher(matrix, labels)
                    if actual != module_hash:
                        raise rec.RecordError(f"stored hash {module_hash} but the cell hashes "
                                              f"to {actual}")
                row = acc.add()
                if acc.values is not values:
                    values, counts = acc.values, acc.counts
                v = len(codes)
                index[module_hash] = row
                acc.nv[row] = v
                acc.adjacency[row, :v, :v] = matrix
                acc.ops[row, :v] = codes
                acc.params[row] = params
            t = counts[row, b]
            if t >= TRIALS:
                raise rec.RecordError(f"more than {TRIALS} trials of {module_hash} at "
                                      f"{epochs} epochs")
            counts[row, b] = t + 1
            final = evals[-1]
            values[row, b, t] = (final[2] * 100.0, final[3] * 100.0, final[4] * 100.0, final[1])
    except TFRecordError as exc:
        raise ConversionError(str(exc)) from None
    except rec.RecordError as exc:
        raise ConversionError(f"{source}: record {record_no}: {exc}") from None
    finally:
        bar.update(size - bar.n)
        bar.close()
    n = acc.n
    if n == 0:
        raise ConversionError(f"{source}: no records")
    present = [b for i, b in enumerate(BUDGETS) if counts[:n, i].any()]
    expected_archs = 423_624 if expected_archs is None else int(expected_archs)
    short = counts[:n][:, [budget_index[b] for b in present]] < TRIALS
    complete = n == expected_archs and not short.any()
    if not complete and not allow_missing:
        if n != expected_archs:
            what = f"{n:,} of the {expected_archs:,} architectures"
        else:
            row, col = np.argwhere(short)[0]
            what = (f"{int(short.sum())} (architecture, budget) entries with fewer than "
                    f"{TRIALS} trials (first: {list(index)[row]} at {present[col]} epochs)")
        raise ConversionError(f"{source}: incomplete NAS-Bench-101 source: {what} "
                              "(truncated file?); pass --allow-missing to convert it anyway")
    metrics = {}
    for budget in present:
        i = budget_index[budget]
        block = values[:n, i]
        metrics[budget] = {"train_acc": block[..., 0], "valid_acc": block[..., 1],
                           "test_acc": block[..., 2], "train_time": block[..., 3]}
    hashes = np.array(list(index), dtype="S32")  # dict order == row order
    attrs = provenance(source, "nb101-tfrecord", "zsnas.benchmarks.convert_nb101",
                       synthetic=synthetic)
    attrs["expected_archs"] = expected_archs
    attrs["complete"] = bool(complete)
    desc = {"train_acc": "final_train_accuracy x100 (fixed 10k train images)",
            "valid_acc": "final_validation_accuracy x100 (10k held-out train images)",
            "test_acc": "final_test_accuracy x100 (CIFAR-10 test set)",
            "train_time": "final_training_time (s)"}
    metric_attrs = {b: {"trial_labels": np.arange(TRIALS), **desc} for b in present}
    return write_benchmark(out, space="nb101", archs={
        "id": np.arange(n, dtype=np.int64), "params": acc.params[:n].copy(),
        "flops": np.full(n, np.nan), "hash": hashes, "num_vertices": acc.nv[:n].copy(),
        "adjacency": acc.adjacency[:n].copy(), "ops": acc.ops[:n].copy()},
        metrics=metrics, attrs=attrs, metric_attrs=metric_attrs)
