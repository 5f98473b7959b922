"""The one HDF5 schema every benchmark is converted to (schema version 2).

Layout (``n`` architectures, ``T`` trials; every array is in memory order of
the ``/archs/id`` column, which is sorted ascending)::

    /                         attrs: format="zsnas-benchmark", schema_version=2,
                                     space (a registered search space), dataset="cifar10",
                                     budgets (epoch budgets present), synthetic (bool),
                                     source_file, source_checksum ("sha256:<hex>" …),
                                     source_format, converter, converter_version,
                                     zsnas_version, code_fingerprint (of the converter,
                                     zsnas.codedeps), content_checksum (below)
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
    /metrics/<E>/ori_test_acc float64 (n, T)  optional: top-1 % on a second test set; NB201
                                             cifar100 / ImageNet16-120: ori-test (the
                                             whole test set, x-valid + x-test; the
                                             API's valtest-accuracy) while test_acc is
                                             x-test

Accuracies are stored in percent for both spaces (NB101's fractions ×100).
Files are written to a temporary name in the target folder and renamed into
place, with HDF5 object time stamps off, so the same input gives the same bytes.

Integrity (schema 2): every dataset carries a ``sha256`` attribute, the digest
of its content (:func:`dataset_digest`), and the root's ``content_checksum``
is the digest of all of them; readers verify both on open (a flipped bit is an
error naming the file and the dataset). The writer refuses values outside
their physical range: accuracies outside [0, 100] %, times outside
[0, :data:`MAX_SECONDS`] s, negative parameter counts or FLOPs.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import hashlib

import h5py
import numpy as np

from .. import __version__ as ZSNAS_VERSION
from ..errors import InputError

FORMAT = "zsnas-benchmark"
SCHEMA_VERSION = 2
#: The largest training / evaluation time accepted (s): 10^7 s = 116 days for one
#: training of one architecture; a corrupted time (e.g. a bit flip: 6.3e10 s) is refused.
MAX_SECONDS = 1e7
SPLITS = ("train_acc", "valid_acc", "test_acc", "train_time")
OPTIONAL_METRICS = ("eval_time", "ori_test_acc")
NB101_PAD = -3


class SchemaError(InputError):
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


def dataset_digest(data) -> str:
    """``sha256:<hex>`` of an array's content as stored: dtype, shape and bytes
    (variable-length strings: their UTF-8 bytes, each terminated by a NUL)."""
    arr = np.asarray(data)
    h = hashlib.sha256()
    if arr.dtype == object:
        h.update(f"str{arr.shape}".encode())
        for v in arr.reshape(-1):
            h.update((v if isinstance(v, bytes) else str(v).encode("utf-8")) + b"\0")
    else:
        arr = np.ascontiguousarray(arr)
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(arr.tobytes())
    return "sha256:" + h.hexdigest()


def write_dataset(group, name, data, **kw):
    """Create a dataset without time stamps and record the digest of what was stored."""
    ds = group.create_dataset(name, data=data, track_times=False, **kw)
    ds.attrs["sha256"] = dataset_digest(ds[()])
    return ds


def content_checksum(f: h5py.File) -> str:
    """Digest over every dataset's recorded ``sha256`` (sorted by path)."""
    h = hashlib.sha256()
    names: list[str] = []
    f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    for name in sorted(names):
        h.update(f"{name}={f[name].attrs.get('sha256', '')}\n".encode())
    return "sha256:" + h.hexdigest()


def seal(f: h5py.File) -> None:
    """Write the root ``content_checksum`` (after every dataset is written)."""
    f.attrs["content_checksum"] = content_checksum(f)


def read_verified(f: h5py.File, name: str, path) -> np.ndarray:
    """Read dataset ``name`` and check it against its recorded digest."""
    from ..errors import InputError
    if name not in f:
        raise InputError(f"{path}: missing dataset /{name}")
    ds = f[name]
    if not isinstance(ds, h5py.Dataset):
        raise InputError(f"{path}: /{name} is not a dataset")
    data = ds[()]
    recorded = ds.attrs.get("sha256")
    if isinstance(recorded, bytes):
        recorded = recorded.decode()
    if recorded is None:
        raise InputError(f"{path}: dataset /{name} has no sha256 attribute (written by an "
                         "older zsnas or another tool)")
    if dataset_digest(data) != recorded:
        raise InputError(f"{path}: dataset /{name} is corrupted (its content does not match "
                         "the checksum recorded when it was written)")
    return data


def verify_sealed(f: h5py.File, path) -> None:
    """Check the root ``content_checksum`` against the datasets' digests (cheap: it
    hashes the recorded digests; :func:`read_verified` checks each content)."""
    from ..errors import InputError
    recorded = f.attrs.get("content_checksum")
    if isinstance(recorded, bytes):
        recorded = recorded.decode()
    if recorded is None:
        raise InputError(f"{path}: no content_checksum attribute (written by an older zsnas or "
                         "another tool)")
    if content_checksum(f) != recorded:
        raise InputError(f"{path}: datasets were added, removed or altered after the file was "
                         "written (content_checksum mismatch)")


def check_physical(label: str, ids, archs: dict, metrics: dict) -> None:
    """Refuse values outside their physical range (accuracies, times, params, FLOPs)."""
    from ..errors import ConversionError

    def fail(what, mask, values, bounds):
        row = np.argwhere(mask)[0]
        value = values[tuple(row)]
        trial = f", trial {int(row[1])}" if len(row) > 1 else ""
        raise ConversionError(f"{label}: {what} of architecture {int(ids[row[0]])}{trial} is "
                              f"{float(value):.6g}, outside {bounds}")

    for epochs, splits in metrics.items():
        for split, data in splits.items():
            arr = np.asarray(data, dtype=np.float64)
            if split.endswith("_acc"):
                bad = ~np.isnan(arr) & ~((arr >= 0) & (arr <= 100))
                if bad.any():
                    fail(f"{split} at {epochs} epochs", bad, arr, "[0, 100] %")
            else:
                bad = ~np.isnan(arr) & ~((arr >= 0) & (arr <= MAX_SECONDS))
                if bad.any():
                    fail(f"{split} at {epochs} epochs", bad, arr, f"[0, {MAX_SECONDS:g}] s")
    params = np.asarray(archs.get("params", []))
    if params.size and np.any(params < -1):
        fail("params", params < -1, params, "[0, ∞) (-1 = unknown)")
    flops = np.asarray(archs.get("flops", []), dtype=np.float64)
    bad = ~np.isnan(flops) & ~((flops >= 0) & np.isfinite(flops))
    if bad.any():
        fail("flops", bad, flops, "[0, ∞) MFLOPs")


def write_benchmark(path: str | os.PathLike, *, space: str, archs: dict, metrics: dict,
                    attrs: dict, metric_attrs: dict | None = None) -> Path:
    """Write a benchmark file atomically.

    ``archs``: column name → array (see the module docstring); ``id`` must be
    present and sorted ascending without duplicates. ``metrics``: epochs →
    {split: (n, T) array}. ``attrs``: provenance attributes of the root group.
    ``metric_attrs``: epochs → extra attributes of that budget's group. Values
    outside their physical range raise :class:`~zsnas.errors.ConversionError`
    naming the source, the metric and the architecture.
    """
    from ..codedeps import converter_fingerprint
    from ..spaces import get_space
    get_space(space)            # raises for an unknown space
    ids = np.asarray(archs["id"], dtype=np.int64)
    if ids.ndim != 1 or (ids.size > 1 and np.any(np.diff(ids) <= 0)):
        raise ValueError("archs['id'] must be 1-D, ascending and unique")
    n = ids.size
    check_physical(str(attrs.get("source_file", path)), ids, archs, metrics)
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
            if "code_fingerprint" not in attrs and attrs.get("converter"):
                f.attrs["code_fingerprint"] = converter_fingerprint(str(attrs["converter"]),
                                                                    space)
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
                    write_dataset(g, name, np.array(list(data), dtype=object),
                                  dtype=h5py.string_dtype("utf-8"))
                else:
                    write_dataset(g, name, data)
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
                    write_dataset(grp, split, arr)
                grp.attrs["epochs"] = int(epochs)
                grp.attrs["trials"] = int(trials)
                for key, value in sorted(((metric_attrs or {}).get(epochs) or {}).items()):
                    grp.attrs[key] = value
            seal(f)
    return path


def open_readonly(path: Path) -> h5py.File:
    """Open an HDF5 file for reading; a missing or non-HDF5 file raises an error
    naming it (:class:`~zsnas.errors.InputMissingError` / :class:`SchemaError`)."""
    from ..errors import InputMissingError
    path = Path(path)
    if not path.exists():
        raise InputMissingError(f"{path}: no such file")
    if path.is_dir():
        raise SchemaError(f"{path}: is a folder, expected an HDF5 file")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise SchemaError(f"{path}: cannot open as HDF5 ({exc})") from None


def decoded_attrs(obj) -> dict:
    """An HDF5 object's attributes with byte strings decoded."""
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in obj.attrs.items()}


#: Root attributes every benchmark file must carry.
REQUIRED_ATTRS = ("format", "schema_version", "space", "budgets", "content_checksum")


def check_file(f: h5py.File, path) -> None:
    """Raise :class:`SchemaError` unless ``f`` is a benchmark file of this schema."""
    from ..spaces import is_space
    if f.attrs.get("format") != FORMAT:
        raise SchemaError(f"{path}: not a zsnas benchmark file (attribute format="
                          f"{f.attrs.get('format')!r}, expected {FORMAT!r})")
    try:
        version = int(f.attrs.get("schema_version", -1))
    except (TypeError, ValueError):
        version = -1
    if version != SCHEMA_VERSION:
        raise SchemaError(f"{path}: schema version {f.attrs.get('schema_version')}, this zsnas "
                          f"reads {SCHEMA_VERSION}; convert the source again")
    for key in REQUIRED_ATTRS:
        if key not in f.attrs:
            raise SchemaError(f"{path}: missing root attribute {key!r}")
    space = f.attrs.get("space")
    space = space.decode() if isinstance(space, bytes) else space
    if not is_space(space):
        raise SchemaError(f"{path}: unknown space {space!r}")
    for name in ("archs/id", "archs/params", "archs/flops", "metrics"):
        if name not in f:
            raise SchemaError(f"{path}: missing /{name}")


def describe_file(path) -> str:
    """One line about a benchmark file (for the ``convert`` command's output)."""
    with open_readonly(Path(path)) as f:
        a = decoded_attrs(f)
    flags = [k for k in ("synthetic",) if a.get(k)]
    if "complete" in a and not a["complete"]:
        flags.append("incomplete")
    return (f"{path}: {a.get('space')} benchmark, {int(a.get('n_archs', 0)):,} architectures, "
            f"budgets {list(map(int, a.get('budgets', [])))}"
            + (f" ({', '.join(flags)})" if flags else ""))
