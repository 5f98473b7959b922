"""NATS-Bench size space (sss) "simple" archive -> HDF5 (space ``nats-sss``).

Format facts relied on (NATS-Bench, Dong et al., TPAMI 2021; the public API
``nats_bench/api_size.py`` + ``api_utils.py`` v1.8, which reads the archive, and
AutoDL's ``exps/NATS-Bench/sss-collect.py``, which wrote it):

- ``NATS-sss-v1_0-50262-simple/`` (or its ``.tar``) holds ``meta.pickle.pbz2`` and one
  ``{index:06d}.pickle.pbz2`` per architecture (the API also accepts ``{index}.pickle.pbz2``);
  every file is a bz2-compressed pickle of builtin containers and numpy scalars.
- meta: ``{'meta_archs': [32,768 channel strings], 'total_archs': 32768, 'arch2infos':
  None, 'evaluated_indexes': set()}``; the index of an architecture is its position in
  ``meta_archs``, which ``sss-collect.py`` builds with ``traverse_net([8, …, 64], 5)``
  (last layer fastest; :func:`zsnas.spaces.nats_sss.index_of`) -- checked here, a
  mismatch is an error naming the file.
- per index: ``OrderedDict {'01': ArchResults, '12': ArchResults, '90': ArchResults}``
  (the hp tags: the number of training epochs, the LR annealed to 0 over them;
  ``NATSsize._full_train_epochs = 90``); each ArchResults dict is ``{'arch_index',
  'arch_str' (the channel string), 'dataset_seed', 'all_results': {(dataset, seed):
  ResultsCount dict}}`` over ``cifar10-valid``, ``cifar10``, ``cifar100`` and
  ``ImageNet16-120``, exactly as in the tss archive; the ResultsCount ``arch_config`` is
  ``{'name': 'infer.shape.tiny', 'channels', 'genotype', 'class_num', ...}``.
- eval sets: ``cifar10-valid``: ``x-valid`` (the held-out 25k of the training set) and
  ``ori-test``; ``cifar10``: ``ori-test``; ``cifar100`` / ``ImageNet16-120``: ``x-valid``,
  ``x-test`` (the two halves of the test set) and ``ori-test`` (the whole test set)
  (``main-sss.py``'s loaders; ``NATSsize.get_more_info``).

The dicts are read through the API's own ``ArchResults`` / ``ResultsCount``
(:mod:`zsnas.benchmarks.nb201_results`' readers), so every number is what
``get_more_info(index, dataset, hp=hp, is_random=seed)`` and ``get_cost_info`` return.
One output file per dataset with the tss conventions: budgets 1, 12, 90 (hp 01, 12,
90), per trial = per training seed, read at the last epoch:

- cifar10: ``train_acc`` / ``valid_acc`` (x-valid) / ``train_time`` / ``eval_time`` of
  ``cifar10-valid``, ``test_acc`` = ``cifar10`` ``ori-test`` (trained on all 50k);
- cifar100, ImageNet16-120: train / ``x-valid`` / ``x-test`` (``test_acc``) / ``ori-test``
  (``ori_test_acc``) and times of the dataset's own runs;
- ``train_time`` = train-all-time, ``eval_time`` = x-valid valid-per-time (the API's
  ``simulate_train_eval`` time is their sum);
- ``params`` / ``flops``: ``get_cost_info(index, dataset)`` of hp '12' (else '90', '01')
  of the dataset's own results (``cifar10`` for cifar10), parameters x 1e6 rounded.

A missing file, a damaged pickle or an architecture outside the space is a
:class:`~zsnas.errors.ConversionError` naming the file; files are written atomically
(:func:`zsnas.benchmarks.schema.write_benchmark`).
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

from ..errors import ConversionError
from .convert_nb201 import _load_pbz2, _NatsSource
from .nb201_results import _PLANS, ResultsError, check_dataset
from .nb201_results import extract as _extract
from .provenance import provenance
from .schema import write_benchmark

HPS = ("01", "12", "90")
COST_HPS = ("12", "90", "01")
SYNTHETIC_KEY = "zsnas_synthetic"
SPACE = "nats-sss"
_WHAT = "a NATS-Bench sss simple archive"


class _Source(_NatsSource):
    """The sss archive's members, from a folder or a tar file (the tss reader)."""

    WHAT = _WHAT


def _channels(arch_str):
    from ..spaces.nats_sss import parse_channels
    try:
        return parse_channels(arch_str)
    except ValueError as exc:
        raise ResultsError(f"architecture outside the NATS size space: {exc}") from None


def extract(info_by_hp: dict, dataset: str = "cifar10") -> dict:
    """Compact record of one architecture from ``{hp: ArchResults dict}`` for ``dataset``:
    ``{"index", "arch_str", "channels", "params", "flops", "dataset", hp: {"seeds",
    split: [per-seed value]}}`` -- :func:`~zsnas.benchmarks.nb201_results.extract` with the
    sss schedules (01, 12, 90; costs read from 12, then 90, then 01)."""
    return _extract(info_by_hp, dataset, hps=HPS, cost_hps=COST_HPS, key="channels",
                    encode=_channels)


def _extract_one(item: tuple[str, bytes], dataset: str = "cifar10") -> dict:
    name, data = item
    info = _load_pbz2(data, name)
    if not isinstance(info, dict):
        raise ConversionError(f"{name}: expected a dict keyed by hp ('01', '12', '90'), "
                              f"got {type(info).__name__}")
    try:
        return extract(info, dataset)
    except ResultsError as exc:
        raise ConversionError(f"{name}: {exc}") from None


def _descriptions(dataset: str, hp: str) -> dict[str, str]:
    last, fit = int(hp) - 1, ("cifar10-valid" if dataset == "cifar10" else dataset)
    out = {"train_acc": f"{fit} train top-1 % at epoch {last}",
           "valid_acc": f"{fit} x-valid top-1 % at epoch {last}",
           "train_time": f"{fit} train-all-time (s) over {int(hp)} epochs",
           "eval_time": f"{fit} x-valid per-epoch evaluation time (s)"}
    if dataset == "cifar10":
        out["test_acc"] = f"cifar10 (trained on 50k) ori-test top-1 % at epoch {last}"
    else:
        out["test_acc"] = f"{dataset} x-test (half of the test set) top-1 % at epoch {last}"
        out["ori_test_acc"] = f"{dataset} ori-test (the whole test set) top-1 % at epoch {last}"
    return out


def assemble(records: list[dict], dataset: str) -> tuple[dict, dict, dict]:
    """Stack compact records (sorted by index) into schema ``archs`` / ``metrics``."""
    from ..spaces.nats_sss import archs_columns
    splits = _PLANS[dataset].splits
    n = len(records)
    archs = {"id": np.array([r["index"] for r in records], dtype=np.int64),
             "params": np.array([r["params"] for r in records], dtype=np.int64),
             "flops": np.array([r["flops"] for r in records], dtype=np.float64),
             **archs_columns([r["channels"] for r in records])}
    metrics, metric_attrs = {}, {}
    for hp in HPS:
        seeds = sorted({s for r in records for s in r[hp]["seeds"]})
        col = {s: j for j, s in enumerate(seeds)}
        block = {k: np.full((n, len(seeds)), np.nan) for k in splits}
        for i, r in enumerate(records):
            cols = [col[s] for s in r[hp]["seeds"]]
            for k in block:
                block[k][i, cols] = r[hp][k]
        metrics[int(hp)] = block
        metric_attrs[int(hp)] = {"trial_labels": np.array(seeds, dtype=np.int64),
                                 **_descriptions(dataset, hp)}
    return archs, metrics, metric_attrs


def convert_nats_sss(source: str | os.PathLike, out: str | os.PathLike, *,
                     dataset: str = "cifar10", workers: int | None = None,
                     synthetic: bool = False, progress: bool = True,
                     allow_missing: bool = False) -> Path:
    """Convert a NATS-Bench sss simple archive (folder or .tar) to HDF5 for ``dataset``
    (``cifar10``, ``cifar100`` or ``ImageNet16-120``). Every architecture of
    ``meta_archs`` must have its file unless ``allow_missing`` (then the present subset
    is converted and the file's ``complete`` attribute is False)."""
    from tqdm import tqdm

    from ..spaces.nats_sss import NUM_ARCHS, channel_str, channels_of
    check_dataset(dataset)
    path = Path(source)
    src = _Source(path)
    meta_label = src.label(src.meta_member)
    meta = _load_pbz2(src.meta(), meta_label)
    if not isinstance(meta, dict) or not isinstance(meta.get("meta_archs"), list):
        raise ConversionError(f"{meta_label}: no 'meta_archs' list")
    meta_archs = meta["meta_archs"]
    if len(meta_archs) > NUM_ARCHS:
        raise ConversionError(f"{meta_label}: {len(meta_archs)} architectures, the NATS size "
                              f"space has {NUM_ARCHS}")
    for i, arch in enumerate(meta_archs):
        if arch != channel_str(channels_of(i)):
            raise ConversionError(f"{meta_label}: meta_archs[{i}] is {arch!r}, but index {i} "
                                  f"of the NATS size space is {channel_str(channels_of(i))!r} "
                                  "(traverse_net order)")
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
        batch = 1024
        one = partial(_extract_one, dataset=dataset)
        for start in range(0, len(present), batch):
            items = [(src.label(files[i]), src.read(files[i])) for i in present[start:start + batch]]
            for rec in (pool.map(one, items, chunksize=32) if pool else map(one, items)):
                records.append(rec)
                bar.update()
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
        bar.close()
    for i, rec in zip(present, records):
        if rec["index"] != i or rec["arch_str"] != meta_archs[i]:
            raise ConversionError(f"{src.label(files[i])}: architecture {rec['index']} "
                                  f"{rec['arch_str']!r}, but meta_archs[{i}] is "
                                  f"{meta_archs[i]!r}")
    archs, metrics, metric_attrs = assemble(records, dataset)
    attrs = provenance(path, "nats-sss-simple",
                       "zsnas.benchmarks.convert_nats_sss.convert_nats_sss", synthetic=synthetic)
    attrs["dataset"] = dataset
    attrs["complete"] = not missing and len(meta_archs) == NUM_ARCHS
    return write_benchmark(out, space=SPACE, archs=archs, metrics=metrics, attrs=attrs,
                           metric_attrs=metric_attrs)


__all__ = ["HPS", "convert_nats_sss", "extract"]
