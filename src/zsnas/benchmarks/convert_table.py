"""A CSV or Parquet table of architectures and metrics → HDF5.

NAS researchers often hold derived tables; this turns one into a benchmark
file. Columns (one row per architecture, or per trial with ``trial``):

- ``arch``: NB201 architecture string, **or** ``adjacency`` + ``ops``: NB101
  cell as JSON lists (``[[0,1,…],…]`` and ``["input", …, "output"]``; op
  labels ``conv3x3-bn-relu``/``conv1x1-bn-relu``/``maxpool3x3`` or their
  short forms ``conv3x3``/``conv1x1``). NB101 cells are pruned and hashed.
- ``index`` (optional): the benchmark's own architecture index, kept as the
  id; without it ids are 0, 1, … in order of first appearance.
- ``trial`` (optional): trial number (0, 1, …), one row per trial.
- metrics ``<split>_acc@<epochs>`` (split ∈ train, valid, test; percent) and
  ``train_time@<epochs>`` (seconds); at least one.
- ``params``, ``flops`` (optional; MFLOPs).

Empty cells are missing values (NaN). Any other column is an error, so a
misspelt metric is never dropped silently.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .convert_nb101 import _OP_CODE, ConversionError
from .provenance import provenance
from .schema import NB101_PAD, write_benchmark

METRIC_COLUMN = re.compile(r"^(?:(train|valid|test)_acc|(train_time))@(\d+)$")
_OP_ALIASES = {"conv3x3": "conv3x3-bn-relu", "conv1x1": "conv1x1-bn-relu"}


def read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".csv", ".tsv", ".txt"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    except Exception as exc:
        raise ConversionError(f"{path}: cannot read as {suffix[1:]} ({exc})") from None
    raise ConversionError(f"{path}: unknown table format {suffix!r} (expected .csv, .tsv "
                          "or .parquet)")


def _parse_columns(path, df, space):
    metric_cols = {}
    unknown = []
    for col in df.columns:
        m = METRIC_COLUMN.match(str(col))
        if m:
            split = f"{m.group(1)}_acc" if m.group(1) else "train_time"
            metric_cols[str(col)] = (split, int(m.group(3)))
        elif col not in ("arch", "adjacency", "ops", "index", "trial", "params", "flops"):
            unknown.append(str(col))
    if unknown:
        raise ConversionError(
            f"{path}: unrecognised column(s) {unknown}; expected arch | adjacency+ops, "
            "optional index, trial, params, flops, and metrics named "
            "<train|valid|test>_acc@<epochs> or train_time@<epochs>")
    if not metric_cols:
        raise ConversionError(f"{path}: no metric columns (e.g. valid_acc@12, test_acc@200)")
    has_arch = "arch" in df.columns
    has_cell = "adjacency" in df.columns or "ops" in df.columns
    if has_arch and has_cell:
        raise ConversionError(f"{path}: both 'arch' (NB201) and 'adjacency'/'ops' (NB101) "
                              "columns; keep one")
    if has_cell and not ("adjacency" in df.columns and "ops" in df.columns):
        raise ConversionError(f"{path}: NB101 tables need both 'adjacency' and 'ops' columns")
    detected = "nb201" if has_arch else "nb101" if has_cell else None
    if detected is None:
        raise ConversionError(f"{path}: no architecture column ('arch' for NB201, "
                              "'adjacency' + 'ops' for NB101)")
    if space is not None and space != detected:
        raise ConversionError(f"{path}: --space {space} but the columns describe {detected}")
    return detected, metric_cols


def _nb101_cell(row_no, adjacency, ops):
    from ..spaces.nb101 import ModelSpec
    try:
        matrix = json.loads(adjacency) if isinstance(adjacency, str) else adjacency
        labels = json.loads(ops) if isinstance(ops, str) else ops
        labels = [_OP_ALIASES.get(o, o) for o in labels]
        spec = ModelSpec(np.asarray(matrix, dtype=np.int64), list(labels))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"malformed NB101 cell ({exc})") from None
    if not spec.is_valid():
        raise ValueError(f"cell {matrix} {labels} is outside the NAS-Bench-101 space "
                         "(no input→output path, >7 vertices, >9 edges or unknown op)")
    return spec


def convert_table(source: str | os.PathLike, out: str | os.PathLike, *, space: str | None = None,
                  synthetic: bool = False) -> Path:
    """Convert a CSV/Parquet table to the HDF5 schema (see the module docstring)."""
    path = Path(source)
    if not path.is_file():
        raise ConversionError(f"{path}: no such file")
    df = read_table(path)
    if len(df) == 0:
        raise ConversionError(f"{path}: the table has no rows")
    space, metric_cols = _parse_columns(path, df, space)

    # ---- architectures -> ids
    keys, encodings = [], {}
    for row_no, rec in enumerate(df.itertuples(index=False)):
        rec = rec._asdict()
        try:
            if space == "nb201":
                from ..spaces.nb201 import parse_arch
                arch = rec["arch"]
                if not isinstance(arch, str):
                    raise ValueError(f"arch {arch!r} is not a string")
                ops = parse_arch(arch)
                key = ops
                enc = (ops,)
            else:
                spec = _nb101_cell(row_no, rec["adjacency"], rec["ops"])
                key = spec.hash_spec()
                enc = (spec,)
        except ValueError as exc:
            raise ConversionError(f"{path}: row {row_no + 2}: {exc}") from None
        keys.append(key)
        encodings.setdefault(key, enc)
    if "index" in df.columns:
        index = df["index"]
        if index.isna().any() or not np.all(np.asarray(index) == np.round(index)):
            raise ConversionError(f"{path}: column 'index' must hold integers")
        id_of = {}
        for key, i in zip(keys, index.astype(np.int64)):
            if id_of.setdefault(key, int(i)) != int(i):
                raise ConversionError(f"{path}: architecture {key} has two indices "
                                      f"({id_of[key]} and {int(i)})")
        if len(set(id_of.values())) != len(id_of):
            raise ConversionError(f"{path}: one index is used by two architectures")
    else:
        id_of = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    ids = sorted(id_of.values())
    row_of_id = {i: r for r, i in enumerate(ids)}
    key_of_row = {row_of_id[i]: k for k, i in id_of.items()}
    n = len(ids)
    arch_row = np.array([row_of_id[id_of[k]] for k in keys], dtype=np.int64)

    # ---- trials
    if "trial" in df.columns:
        trial = df["trial"]
        if trial.isna().any() or not np.all(np.asarray(trial) == np.round(trial)) \
                or (trial < 0).any():
            raise ConversionError(f"{path}: column 'trial' must hold integers >= 0")
        trial = np.asarray(trial, dtype=np.int64)
    else:
        trial = np.zeros(len(df), dtype=np.int64)
    seen = set()
    for r, t, row_no in zip(arch_row, trial, range(len(df))):
        if (r, t) in seen:
            what = f"trial {t} of architecture" if "trial" in df.columns else "architecture"
            raise ConversionError(f"{path}: row {row_no + 2}: {what} id {ids[r]} appears "
                                  "twice (add a 'trial' column for repeated measurements)")
        seen.add((r, t))
    n_trials = int(trial.max()) + 1

    # ---- metrics
    metrics: dict[int, dict] = {}
    for col, (split, epochs) in metric_cols.items():
        try:
            values = pd.to_numeric(df[col], errors="raise").to_numpy(dtype=np.float64)
        except (ValueError, TypeError):
            raise ConversionError(f"{path}: column {col!r} is not numeric") from None
        block = metrics.setdefault(epochs, {})
        arr = np.full((n, n_trials), np.nan)
        arr[arch_row, trial] = values
        block[split] = arr
    for epochs, block in metrics.items():
        for split in ("train_acc", "valid_acc", "test_acc", "train_time"):
            block.setdefault(split, np.full((n, n_trials), np.nan))

    def per_arch(col, fill, dtype):
        out = np.full(n, fill, dtype=dtype)
        if col in df.columns:
            vals = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
            ok = ~np.isnan(vals)
            out[arch_row[ok]] = np.round(vals[ok]) if dtype == np.int64 else vals[ok]
        return out

    archs = {"id": np.array(ids, dtype=np.int64), "params": per_arch("params", -1, np.int64),
             "flops": per_arch("flops", np.nan, np.float64)}
    if space == "nb201":
        from ..spaces.nb201 import arch_str
        ops = np.array([encodings[key_of_row[r]][0] for r in range(n)], dtype=np.uint8)
        archs["ops"] = ops
        archs["arch_str"] = [arch_str(tuple(int(o) for o in row)) for row in ops]
    else:
        hashes, nv = [], np.zeros(n, dtype=np.uint8)
        adjacency = np.zeros((n, 7, 7), dtype=np.uint8)
        opcodes = np.full((n, 7), NB101_PAD, dtype=np.int8)
        for r in range(n):
            spec = encodings[key_of_row[r]][0]
            v = len(spec.ops)
            hashes.append(spec.hash_spec())
            nv[r] = v
            adjacency[r, :v, :v] = np.asarray(spec.matrix)
            opcodes[r, :v] = [_OP_CODE[o] for o in spec.ops]
        archs.update(hash=np.array(hashes, dtype="S32"), num_vertices=nv,
                     adjacency=adjacency, ops=opcodes)
    attrs = provenance(path, f"table-{path.suffix.lower().lstrip('.')}",
                       "zsnas.benchmarks.convert_table", synthetic=synthetic)
    metric_attrs = {e: {"trial_labels": np.arange(n_trials)} for e in metrics}
    return write_benchmark(out, space=space, archs=archs, metrics=metrics, attrs=attrs,
                           metric_attrs=metric_attrs)
