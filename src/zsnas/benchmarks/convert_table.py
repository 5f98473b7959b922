"""A CSV or Parquet table of architectures and metrics → HDF5.

NAS researchers often hold derived tables; this turns one into a benchmark
file of one (space, dataset). Columns (one row per architecture, or per trial
with ``trial``):

- the space's architecture columns (its ``table_columns``; the space is the
  one whose columns are present): NB201 ``arch`` (an architecture string);
  NB101 ``adjacency`` + ``ops`` (JSON lists ``[[0,1,…],…]`` and ``["input",
  …, "output"]``; op labels ``conv3x3-bn-relu``/``conv1x1-bn-relu``/
  ``maxpool3x3`` or ``conv3x3``/``conv1x1``; pruned and hashed, so isomorphic
  rows are one architecture).
- ``index`` (optional): the benchmark's own architecture index, kept as the
  id; without it ids are 0, 1, … in order of first appearance.
- ``trial`` (optional): trial number (0, 1, …), one row per trial.
- metrics ``<split>_acc@<epochs>`` (split ∈ train, valid, test, ori_test;
  percent) and ``train_time@<epochs>`` (seconds); at least one.
- ``params``, ``flops`` (optional; MFLOPs).

``dataset`` names the dataset the numbers are for (default CIFAR-10); it must
be one the space's benchmark has.

Empty cells are missing values (NaN). Any other column is an error, so a
misspelt metric is never dropped silently.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConversionError
from .provenance import provenance
from .schema import MAX_SECONDS, write_benchmark

#: The largest id, trial number or parameter count a table may hold (int64).
MAX_ID = 2**63 - 1024

METRIC_COLUMN = re.compile(r"^(?:(train|valid|test|ori_test)_acc|(train_time))@(\d+)$")
_OTHER_COLUMNS = ("index", "trial", "params", "flops")


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


def _row_label(path: Path, k: int) -> str:
    """Where row ``k`` (0-based, data rows) is: a CSV line number, or a Parquet row."""
    return f"line {k + 2}" if path.suffix.lower() in (".csv", ".tsv", ".txt") else f"row {k}"


def _cell(value) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _num(value, none: str) -> str:
    if value is None:
        return none
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e6 else f"{value:.6g}"


def numeric_column(path: Path, df: pd.DataFrame, col: str, *, integer: bool = False,
                   low: float | None = None, high: float | None = None,
                   allow_empty: bool = True, unit: str = "") -> np.ndarray:
    """Column ``col`` as float64 (NaN = empty cell), refusing — with the column and
    the row named — text that is not a number, non-integers where ``integer``, and
    values outside [``low``, ``high``] (infinities included). An integer column
    without empty cells that pandas read as integers is returned exactly (int64)."""
    raw = df[col]
    if integer and not allow_empty and pd.api.types.is_integer_dtype(raw.dtype):
        ints = raw.to_numpy(dtype=np.int64)
        bad = np.zeros(ints.shape, bool)
        if low is not None:
            bad |= ints < low
        if high is not None:
            bad |= ints > high
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ConversionError(f"{path}: column {col!r}, {_row_label(path, k)}: value "
                                  f"{_cell(raw.iloc[k])} is outside [{_num(low, '-inf')}, "
                                  f"{_num(high, 'inf')}]")
        return ints
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    empty = raw.isna().to_numpy() | raw.astype(str).str.strip().eq("").to_numpy()
    checks = [(np.isnan(values) & ~empty, "is not a number")]
    if not allow_empty:
        checks.append((empty, "is empty"))
    ok = ~np.isnan(values)
    if integer:
        checks.append((ok & np.isfinite(values) & (values != np.round(values)),
                       "is not an integer"))
    bounds = f"[{_num(low, '-inf')}, {_num(high, 'inf')}]"
    out_of_range = ok & ~np.isfinite(values)
    if low is not None:
        out_of_range |= ok & (values < low)
    if high is not None:
        out_of_range |= ok & (values > high)
    checks.append((out_of_range, f"is outside {bounds}{unit}"))
    for mask, what in checks:
        if mask.any():
            k = int(np.flatnonzero(mask)[0])
            raise ConversionError(f"{path}: column {col!r}, {_row_label(path, k)}: value "
                                  f"{_cell(raw.iloc[k])} {what}")
    return values


def _parse_columns(path, df, space):
    from ..spaces import get_space, space_names
    spaces = [get_space(s) for s in space_names()]
    arch_columns = {c for s in spaces for c in s.table_columns}
    metric_cols = {}
    unknown = []
    owner: dict[tuple, str] = {}
    for col in df.columns:
        m = METRIC_COLUMN.match(str(col))
        if m:
            split = f"{m.group(1)}_acc" if m.group(1) else "train_time"
            key = (split, int(m.group(3)))
            if key in owner:
                raise ConversionError(f"{path}: columns {owner[key]!r} and {str(col)!r} both "
                                      f"give {split} at {key[1]} epochs; keep one")
            owner[key] = str(col)
            metric_cols[str(col)] = key
        elif col not in arch_columns and col not in _OTHER_COLUMNS:
            unknown.append(str(col))
    names = " | ".join("+".join(s.table_columns) for s in spaces)
    if unknown:
        raise ConversionError(
            f"{path}: unrecognised column(s) {unknown}; expected {names}, optional index, "
            "trial, params, flops, and metrics named <train|valid|test|ori_test>_acc@<epochs> "
            "or train_time@<epochs>")
    if not metric_cols:
        raise ConversionError(f"{path}: no metric columns (e.g. valid_acc@12, test_acc@200)")
    present = [s for s in spaces if all(c in df.columns for c in s.table_columns)]
    partial = [s for s in spaces if s not in present and any(c in df.columns
                                                              for c in s.table_columns)]
    if len(present) > 1:
        raise ConversionError(f"{path}: columns of several spaces "
                              f"({', '.join(s.name for s in present)}); keep one")
    if not present:
        if partial:
            s = partial[0]
            raise ConversionError(f"{path}: {s.name} tables need all of the columns "
                                  f"{list(s.table_columns)}")
        raise ConversionError(f"{path}: no architecture column ({names})")
    detected = present[0]
    if space is not None and space != detected.name:
        raise ConversionError(f"{path}: --space {space} but the columns describe {detected.name}")
    return detected, metric_cols


def convert_table(source: str | os.PathLike, out: str | os.PathLike, *, space: str | None = None,
                  dataset: str = "cifar10", synthetic: bool = False) -> Path:
    """Convert a CSV/Parquet table to the HDF5 schema (see the module docstring)."""
    path = Path(source)
    if not path.is_file():
        raise ConversionError(f"{path}: no such file")
    df = read_table(path)
    if len(df) == 0:
        raise ConversionError(f"{path}: the table has no rows")
    space, metric_cols = _parse_columns(path, df, space)
    space.check_dataset(dataset)

    # ---- architectures -> ids
    keys, encodings = [], {}
    columns = list(df.columns)
    for row_no, values in enumerate(df.itertuples(index=False, name=None)):
        rec = dict(zip(columns, values))
        try:
            key, arch = space.table_arch(rec)
        except ValueError as exc:
            raise ConversionError(f"{path}: {_row_label(path, row_no)}: {exc}") from None
        keys.append(key)
        encodings.setdefault(key, arch)
    if "index" in df.columns:
        index = numeric_column(path, df, "index", integer=True, low=0, high=MAX_ID,
                               allow_empty=False)
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
        labels = numeric_column(path, df, "trial", integer=True, low=0, high=MAX_ID,
                                allow_empty=False).astype(np.int64)
    else:
        labels = np.zeros(len(df), dtype=np.int64)
    # trials are the distinct trial numbers, in order (memory: n x distinct, whatever the values)
    trial_labels, trial = np.unique(labels, return_inverse=True)
    seen = set()
    for r, t, row_no in zip(arch_row, trial, range(len(df))):
        if (r, t) in seen:
            what = (f"trial {trial_labels[t]} of architecture" if "trial" in df.columns
                    else "architecture")
            raise ConversionError(f"{path}: {_row_label(path, row_no)}: {what} id {ids[r]} "
                                  "appears twice (add a 'trial' column for repeated "
                                  "measurements)")
        seen.add((r, t))
    n_trials = int(trial_labels.size)

    # ---- metrics
    metrics: dict[int, dict] = {}
    for col, (split, epochs) in metric_cols.items():
        if split == "train_time":
            values = numeric_column(path, df, col, low=0, high=MAX_SECONDS, unit=" s")
        else:
            values = numeric_column(path, df, col, low=0, high=100, unit=" %")
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
            vals = numeric_column(path, df, col, integer=dtype == np.int64, low=0,
                                  high=MAX_ID if dtype == np.int64 else None)
            ok = ~np.isnan(vals)
            out[arch_row[ok]] = vals[ok]
        return out

    archs = {"id": np.array(ids, dtype=np.int64), "params": per_arch("params", -1, np.int64),
             "flops": per_arch("flops", np.nan, np.float64),
             **space.archs_columns([encodings[key_of_row[r]] for r in range(n)])}
    attrs = provenance(path, f"table-{path.suffix.lower().lstrip('.')}",
                       "zsnas.benchmarks.convert_table", synthetic=synthetic)
    metric_attrs = {e: {"trial_labels": trial_labels} for e in metrics}
    attrs["dataset"] = dataset
    return write_benchmark(out, space=space.name, archs=archs, metrics=metrics, attrs=attrs,
                           metric_attrs=metric_attrs)
