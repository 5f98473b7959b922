"""NAS-Bench-201 sources → HDF5: the NATS-Bench tss "simple" archive and the NB201 ``.pth``.

- NATS simple archive (``NATS-tss-v1_0-3ffb9-simple/`` or its ``.tar``):
  ``meta.pickle.pbz2`` gives ``meta_archs`` (index = position); each
  ``{index:06d}.pickle.pbz2`` (or ``{index}.pickle.pbz2``) is a bz2 pickle
  ``{'12': ArchResults, '200': ArchResults}``. Files are decompressed and
  unpickled in a process pool (bz2 is the cost: ≈ 8–18 ms per file; reading
  one dataset through the API's ``ArchResults`` adds ≈ 0.6–1 ms).
- NB201 ``.pth`` (v1_0 / v1_1): a ``torch.save``d dict ``{'meta_archs',
  'arch2infos': {index: {'less': ArchResults, 'full': ArchResults}},
  'evaluated_indexes'}``; ``less`` is hp '12' and ``full`` hp '200'.

Both end in :func:`zsnas.benchmarks.nb201_results.extract` (read through the
official ``nats_bench`` API's ``ArchResults``) and one writer. One output file
per dataset (``dataset``: ``cifar10``, ``cifar100`` or ``ImageNet16-120``; the
root attribute ``dataset`` records it); a source whose results lack the
requested dataset (NB201 v1_0's 12-epoch results hold ``cifar10-valid`` only)
is a :class:`~zsnas.errors.ConversionError` naming the file, the architecture
and the dataset / schedule missing, and nothing is written.
"""
from __future__ import annotations

import bz2
import os
import pickle
import re
import tarfile
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from ..errors import ConversionError
from .nb201_results import ResultsError, assemble, check_dataset, extract
from .provenance import provenance
from .schema import write_benchmark

SYNTHETIC_KEY = "zsnas_synthetic"  # set by zsnas.synthetic.nb201
_ARCH_FILE = re.compile(r"(?:^|/)(\d+)\.pickle\.pbz2$")


def _load_pbz2(data: bytes, name: str):
    try:
        return pickle.loads(bz2.decompress(data))
    except (OSError, EOFError, ValueError, pickle.UnpicklingError) as exc:
        raise ConversionError(f"{name}: not a bz2-compressed pickle ({exc})") from None


def _extract_one(item: tuple[str, bytes], dataset: str = "cifar10") -> dict:
    name, data = item
    info = _load_pbz2(data, name)
    if not isinstance(info, dict):
        raise ConversionError(f"{name}: expected a dict keyed by hp ('12', '200'), "
                              f"got {type(info).__name__}")
    try:
        return extract(info, dataset)
    except ResultsError as exc:
        raise ConversionError(f"{name}: {exc}") from None


class _NatsSource:
    """Uniform access to the archive's members, from a folder or a tar file (any NATS
    "simple" archive: meta.pickle.pbz2 plus one ``<index>.pickle.pbz2`` per architecture;
    ``WHAT`` names the archive in errors)."""

    WHAT = "a NATS tss simple archive"

    def __init__(self, path: Path):
        self.path = path
        if path.is_dir():
            metas = sorted(path.rglob("meta.pickle.pbz2"))
            if not metas:
                raise ConversionError(f"{path}: no meta.pickle.pbz2 (not {self.WHAT} folder)")
            self.root = metas[0].parent
            self.tar = None
        elif path.is_file() and tarfile.is_tarfile(path):
            try:
                self.tar = tarfile.open(path, "r:*")
                self.members = {m.name: m for m in self.tar.getmembers() if m.isfile()}
            except (tarfile.TarError, EOFError, OSError) as exc:
                raise ConversionError(f"{path}: damaged or truncated tar archive ({exc})") \
                    from None
            meta = [n for n in self.members if n.endswith("meta.pickle.pbz2")]
            if not meta:
                raise ConversionError(f"{path}: tar has no meta.pickle.pbz2 (not {self.WHAT})")
            self.meta_name = meta[0]
        elif path.exists():
            raise ConversionError(f"{path}: unknown format (expected {self.WHAT} folder or "
                                  "its .tar)")
        else:
            raise ConversionError(f"{path}: no such file or folder")

    @property
    def meta_member(self) -> str:
        return "meta.pickle.pbz2" if self.tar is None else self.meta_name

    def meta(self) -> bytes:
        return self.read(self.meta_member)

    def arch_files(self) -> dict[int, str]:
        names = (str(p.relative_to(self.root)) for p in self.root.iterdir()) \
            if self.tar is None else self.members
        found = {}
        for name in names:
            m = _ARCH_FILE.search(name)
            if m:
                found[int(m.group(1))] = name
        return found

    def read(self, name: str) -> bytes:
        if self.tar is None:
            return (self.root / name).read_bytes()
        member = self.members[name]
        try:
            data = self.tar.extractfile(member).read()
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise ConversionError(f"{self.path}: member {name} cannot be read: damaged or "
                                  f"truncated tar archive ({exc})") from None
        if len(data) != member.size:
            raise ConversionError(f"{self.path}: member {name} is cut short ({len(data)} of "
                                  f"{member.size} bytes): truncated tar archive")
        return data

    def label(self, name: str) -> str:
        return str(self.root / name) if self.tar is None else f"{self.path}:{name}"


def _check_index(records, meta_archs, label):
    for rec in records:
        i = rec["index"]
        if i >= len(meta_archs) or meta_archs[i] != rec["arch_str"]:
            raise ConversionError(f"{label}: architecture {i} is {rec['arch_str']!r} but "
                                  "meta_archs disagrees")


def convert_nats(source: str | os.PathLike, out: str | os.PathLike, *, dataset: str = "cifar10",
                 workers: int | None = None, synthetic: bool = False, progress: bool = True,
                 allow_missing: bool = False) -> Path:
    """Convert a NATS-Bench tss simple archive (folder or .tar) to HDF5 for ``dataset``
    (``cifar10``, ``cifar100`` or ``ImageNet16-120``; an unknown name is a
    :class:`~zsnas.errors.UsageError`).

    Every architecture of ``meta_archs`` must have its file unless
    ``allow_missing`` (then the present subset is converted and the file's
    ``complete`` attribute is False).
    """
    from tqdm import tqdm

    check_dataset(dataset)
    path = Path(source)
    src = _NatsSource(path)
    meta = _load_pbz2(src.meta(), src.label("meta.pickle.pbz2"))
    if not isinstance(meta, dict) or not isinstance(meta.get("meta_archs"), list):
        raise ConversionError(f"{src.label('meta.pickle.pbz2')}: no 'meta_archs' list")
    meta_archs = meta["meta_archs"]
    synthetic = synthetic or bool(meta.get(SYNTHETIC_KEY, False))
    files = src.arch_files()
    missing = [i for i in range(len(meta_archs)) if i not in files]
    if missing and not allow_missing:
        raise ConversionError(f"{path}: {len(missing)} of {len(meta_archs)} architecture "
                              f"files missing (first: {missing[:5]})")
    present = [i for i in range(len(meta_archs)) if i in files]
    if not present:
        raise ConversionError(f"{path}: no architecture files ({{index:06d}}.pickle.pbz2)")
    workers = workers or min(os.cpu_count() or 1, 8)
    bar = tqdm(total=len(present), unit="arch", desc=f"convert {path.name} ({dataset})",
               disable=not progress, mininterval=1.0)
    records = []
    pool = ProcessPoolExecutor(workers) if workers > 1 else None
    try:
        # bounded batches: at most `batch` compressed files in memory at once
        batch = 1024
        for start in range(0, len(present), batch):
            items = [(src.label(files[i]), src.read(files[i])) for i in present[start:start + batch]]
            one = partial(_extract_one, dataset=dataset)
            mapped = pool.map(one, items, chunksize=32) if pool else map(one, items)
            for rec in mapped:
                records.append(rec)
                bar.update()
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
        bar.close()
    _check_index(records, meta_archs, path)
    records.sort(key=lambda r: r["index"])
    archs, metrics, metric_attrs = assemble(records, dataset)
    attrs = provenance(path, "nats-tss-simple", "zsnas.benchmarks.convert_nb201.convert_nats",
                       synthetic=synthetic)
    attrs["dataset"] = dataset
    attrs["complete"] = not missing
    return write_benchmark(out, space="nb201", archs=archs, metrics=metrics, attrs=attrs,
                           metric_attrs=metric_attrs)


def convert_nb201_pth(source: str | os.PathLike, out: str | os.PathLike, *,
                      dataset: str = "cifar10", synthetic: bool = False,
                      progress: bool = True) -> Path:
    """Convert a NAS-Bench-201 ``.pth`` (v1_0 or v1_1) to HDF5 for ``dataset``
    (``cifar10``, ``cifar100`` or ``ImageNet16-120``; v1_0 converts for
    ``cifar10`` only: its 12-epoch results hold ``cifar10-valid`` alone).

    Needs ``torch.load(weights_only=False)`` (the file is a pickle of builtin
    containers): only load files you trust. The real v1_1 file takes minutes
    and several GB of RAM to load; the conversion is done once.
    """
    import torch
    from tqdm import tqdm

    check_dataset(dataset)
    path = Path(source)
    if not path.is_file():
        raise ConversionError(f"{path}: no such file")
    try:
        data = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for non-torch files
        raise ConversionError(f"{path}: not a torch-saved NAS-Bench-201 file ({exc})") from None
    if not isinstance(data, dict) or "meta_archs" not in data or "arch2infos" not in data:
        raise ConversionError(f"{path}: expected a dict with 'meta_archs' and 'arch2infos'")
    meta_archs = data["meta_archs"]
    infos = data["arch2infos"]
    synthetic = synthetic or bool(data.get(SYNTHETIC_KEY, False))
    records = []
    for i in tqdm(range(len(meta_archs)), unit="arch", desc=f"convert {path.name} ({dataset})",
                  disable=not progress, mininterval=1.0):
        if i not in infos:
            raise ConversionError(f"{path}: arch2infos lacks architecture {i}")
        entry = infos[i]
        try:
            records.append(extract({"12": entry["less"], "200": entry["full"]}, dataset))
        except (KeyError, TypeError) as exc:
            raise ConversionError(f"{path}: arch2infos[{i}] lacks {exc}") from None
        except ResultsError as exc:
            msg = str(exc)
            where = "" if msg.startswith(f"architecture {i},") else f"arch2infos[{i}]: "
            raise ConversionError(f"{path}: {where}{msg}") from None
    _check_index(records, meta_archs, path)
    archs, metrics, metric_attrs = assemble(records, dataset)
    attrs = provenance(path, "nb201-pth", "zsnas.benchmarks.convert_nb201.convert_nb201_pth",
                       synthetic=synthetic)
    attrs["dataset"] = dataset
    return write_benchmark(out, space="nb201", archs=archs, metrics=metrics, attrs=attrs,
                           metric_attrs=metric_attrs)


