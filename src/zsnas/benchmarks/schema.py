"""The one HDF5 schema both benchmarks are converted to (schema version 1).

Layout (``n`` architectures, ``T`` trials; every array is in memory order of
the ``/archs/id`` column, which is sorted ascending)::

    /                         attrs: format="zsnas-benchmark", schema_version=1,
                                     space ("nb201" | "nb101"), dataset="cifar10",
                                     budgets (epoch budgets present), synthetic (bool),
                                     source_file, source_checksum ("sha256:<hex>" …),
                                     source_format, converter, converter_version,
                                     zsnas_version
    /archs/id                 int64 (n,)     architecture id: the benchmark's own
                                             index (NB201 ``meta_archs`` position;
                                             NB101 position of the hash in file order)
    /archs/params             int64 (n,)     trainable parameters (-1 = unknown)
    /archs/flops              float64 (n,)   MFLOPs (NaN = unknown)
    NB201 only:
    /archs/ops                uint8 (n, 6)   op ids (zsnas.spaces.nb201.OPS) in edge order
                                             (0→1),(0→2),(1→2),(0→3),(1→3),(2→3)
    /archs/arch_str           utf-8 str (n,) the NB201 architecture string
    NB101 only:
    /archs/hash               |S32 (n,)      module hash (the dataset key)
    /archs/num_vertices       uint8 (n,)     V of the pruned cell (2..7)
    /archs/adjacency          uint8 (n,7,7)  pruned adjacency, top-left V×V, zero padded
    /archs/ops                int8 (n, 7)    hash labels: -1 input, -2 output,
                                             0/1/2 = conv3x3-bn-relu/conv1x1-bn-relu/
                                             maxpool3x3, -3 padding
    /metrics/<E>/             one group per epoch budget E (NB201: 12, 200;
                              NB101: 4, 12, 36, 108); attrs: epochs, trials (T),
                              trial_labels (e.g. the training seeds), and a
                              description of each split for this source
    /metrics/<E>/train_acc    float64 (n, T)  top-1 %, NaN = not measured
    /metrics/<E>/valid_acc    float64 (n, T)
    /metrics/<E>/test_acc     float64 (n, T)
    /metrics/<E>/train_time   float64 (n, T)  seconds of training
    /metrics/<E>/eval_time    float64 (n, T)  optional: seconds of one validation pass

Accuracies are stored in percent for both spaces (NB101's fractions ×100).
Files are written to a temporary name in the target folder and renamed into
place, with HDF5 object time stamps off, so the same input gives the same bytes.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np

from .. import __version__ as ZSNAS_VERSION

FORMAT = "zsnas-benchmark"
SCHEMA_VERSION = 1
SPACES = ("nb201", "nb101")
SPLITS = ("train_acc", "valid_acc", "test_acc", "train_time")
OPTIONAL_METRICS = ("eval_time",)
NB101_PAD = -3


class SchemaError(ValueError):
    """A file that is not a benchmark file of this schema (names the file)."""


@contextmanager
def atomic_path(final: str | os.PathLike, suffix: str = ".tmp"):
    """Yield a temporary path next to ``final``; rename it onto ``final`` on success.

    On any exception the temporary file is removed and ``final`` is untouched,
    so a failed run never leaves a partial output under the final name.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=suffix, dir=final.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
    try:
        yield Path(tmp)
        os.replace(tmp, final)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _ds(group, name, data, **kw):
    return group.create_dataset(name, data=data, track_times=False, **kw)


def write_benchmark(path: str | os.PathLike, *, space: str, archs: dict, metrics: dict,
                    attrs: dict, metric_attrs: dict | None = None) -> Path:
    """Write a benchmark file atomically.

    ``archs``: column name → array (see the module docstring); ``id`` must be
    present and sorted ascending without duplicates. ``metrics``: epochs →
    {split: (n, T) array}. ``attrs``: provenance attributes of the root group.
    ``metric_attrs``: epochs → extra attributes of that budget's group.
    """
    if space not in SPACES:
        raise ValueError(f"unknown space {space!r}; expected one of {SPACES}")
    ids = np.asarray(archs["id"], dtype=np.int64)
    if ids.ndim != 1 or (ids.size > 1 and np.any(np.diff(ids) <= 0)):
        raise ValueError("archs['id'] must be 1-D, ascending and unique")
    n = ids.size
    path = Path(path)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w", track_order=False) as f:
            f.attrs["format"] = FORMAT
            f.attrs["schema_version"] = SCHEMA_VERSION
            f.attrs["space"] = space
            f.attrs["dataset"] = attrs.get("dataset", "cifar10")
            f.attrs["n_archs"] = n
            f.attrs["budgets"] = np.array(sorted(int(e) for e in metrics), dtype=np.int64)
            f.attrs["synthetic"] = bool(attrs.get("synthetic", False))
            f.attrs["zsnas_version"] = ZSNAS_VERSION
            for key, value in sorted(attrs.items()):
                if key in ("dataset", "synthetic"):
                    continue
                f.attrs[key] = value
            g = f.create_group("archs")
            for name, data in archs.items():
                data = np.asarray(data) if name != "arch_str" else data
                if len(data) != n:
                    raise ValueError(f"archs[{name!r}] has {len(data)} rows, expected {n}")
                if name == "arch_str":
                    _ds(g, name, np.array(list(data), dtype=object),
                        dtype=h5py.string_dtype("utf-8"))
                else:
                    _ds(g, name, data)
            m = f.create_group("metrics")
            for epochs in sorted(metrics):
                splits = metrics[epochs]
                grp = m.create_group(str(int(epochs)))
                trials = None
                for split in SPLITS + OPTIONAL_METRICS:
                    if split not in splits:
                        if split in SPLITS:
                            raise ValueError(f"metrics[{epochs}] lacks {split!r}")
                        continue
                    arr = np.asarray(splits[split], dtype=np.float64)
                    if arr.ndim != 2 or arr.shape[0] != n:
                        raise ValueError(f"metrics[{epochs}][{split!r}] must be (n, T)")
                    trials = arr.shape[1] if trials is None else trials
                    if arr.shape[1] != trials:
                        raise ValueError(f"metrics[{epochs}] splits disagree on the trial count")
                    _ds(grp, split, arr)
                grp.attrs["epochs"] = int(epochs)
                grp.attrs["trials"] = int(trials)
                for key, value in sorted(((metric_attrs or {}).get(epochs) or {}).items()):
                    grp.attrs[key] = value
    return path


def open_readonly(path: Path) -> h5py.File:
    """Open an HDF5 file for reading; a missing or non-HDF5 file raises
    FileNotFoundError naming it."""
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise FileNotFoundError(f"{path}: cannot open as HDF5 ({exc})") from None


def decoded_attrs(obj) -> dict:
    """An HDF5 object's attributes with byte strings decoded."""
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in obj.attrs.items()}


def check_file(f: h5py.File, path) -> None:
    """Raise :class:`SchemaError` unless ``f`` is a benchmark file of this schema."""
    if f.attrs.get("format") != FORMAT:
        raise SchemaError(f"{path}: not a zsnas benchmark file (attribute format="
                          f"{f.attrs.get('format')!r}, expected {FORMAT!r})")
    version = int(f.attrs.get("schema_version", -1))
    if version != SCHEMA_VERSION:
        raise SchemaError(f"{path}: schema version {version}, this zsnas reads "
                          f"{SCHEMA_VERSION}; convert the source again")
    if f.attrs.get("space") not in SPACES:
        raise SchemaError(f"{path}: unknown space {f.attrs.get('space')!r}")
    for name in ("archs/id", "archs/params", "archs/flops", "metrics"):
        if name not in f:
            raise SchemaError(f"{path}: missing /{name}")
