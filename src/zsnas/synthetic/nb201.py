"""Synthetic NAS-Bench-201 sources in the real formats: NATS-Bench tss simple
archive (folder of bz2 pickles, optionally tarred) and the NB201 ``.pth``.

The per-architecture dicts reproduce the real key structure (SPEC §4b;
checked against the real sample files): ``{'12': ArchResults, '200':
ArchResults}``, each with ``all_results[(dataset, seed)]`` = a ResultsCount
dict (``train_acc1es``, ``eval_acc1es['x-valid@e']``, ``train_times``,
``params`` as a numpy float64, seeds as zero-padded strings, …) for the four
datasets and the real seed sets and epoch coverage. The numbers are
synthetic (:mod:`zsnas.synthetic.accuracy_model`).
"""
from __future__ import annotations

import bz2
import os
import pickle
import tarfile
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ..spaces.nb201 import OPS, arch_str, is_connected
from .accuracy_model import (accuracy_curves, nb201_flops, nb201_params, nb201_quality,
                             rng_for)

DATASETS = {"cifar10-valid": 10, "cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}
SEEDS = {"12": {"cifar10-valid": [111, 777], "cifar10": [111], "cifar100": [111],
                "ImageNet16-120": [111]},
         "200": {d: [777, 888, 999] for d in DATASETS}}
SYNTHETIC_KEY = "zsnas_synthetic"  # extra top-level key; converters flag the output synthetic
CEILING = {"cifar10-valid": 91.5, "cifar10": 94.4, "cifar100": 73.5, "ImageNet16-120": 47.0}
#: Input side (pixels): ImageNet16-120 is 16x16, the CIFARs 32x32.
INPUT_SIDE = {"cifar10-valid": 32, "cifar10": 32, "cifar100": 32, "ImageNet16-120": 16}


def dataset_flops(ops, dataset: str) -> float:
    """MFLOPs on ``dataset``: the convolutions scale with the input area (ImageNet16's
    16x16 input: 1/4 of CIFAR's), the classifier (64·C + C) with the class count C —
    as the real files have it (index 0: 15.64737 / 15.65322 / 3.91948 MFLOPs)."""
    classes = DATASETS[dataset]
    convs = nb201_flops(list(ops)) - (64 * 10 + 10) / 1e6
    return round(convs * (INPUT_SIDE[dataset] / 32) ** 2 + (64 * classes + classes) / 1e6, 5)


def _eval_sets(hp: str, dataset: str) -> dict[str, bool]:
    """Eval set name → whether accuracies exist at every epoch (else last only)."""
    if dataset == "cifar10-valid":
        return {"x-valid": True, "ori-test": hp == "12"}
    if dataset == "cifar10":
        return {"ori-test": True}
    return {"x-valid": hp == "12", "x-test": hp == "12", "ori-test": True}


def results_count(index: int, ops, hp: str, dataset: str, seed: int, seed_base: int) -> dict:
    epochs = int(hp)
    rng = rng_for(seed_base, index, epochs, list(DATASETS).index(dataset), seed)
    quality = nb201_quality(tuple(ops), is_connected(ops))
    classes = DATASETS[dataset]
    ceiling = CEILING[dataset]
    params = nb201_params(list(ops)) + 64 * (classes - 10) + (classes - 10)
    per_epoch_time = 3.0 + 40.0 * params / 1e6 * (0.5 if dataset == "cifar10-valid" else 1.0)
    ep = np.arange(1, epochs + 1)
    train = accuracy_curves(quality, ep, epochs, min(ceiling + 6, 99.9), rng, 0.3).tolist()
    train_acc = dict(enumerate(train))
    res = {
        "name": dataset,
        "train_acc1es": train_acc,
        "train_acc5es": ({e: min(99.9, a + 30.0) for e, a in train_acc.items()}
                         if hp == "12" else None),
        "train_losses": {e: 2.3 * (1.0 - a / 100.0) for e, a in train_acc.items()},
        "train_times": OrderedDict((e, per_epoch_time) for e in range(epochs)),
        "arch_config": {"channel": 16, "num_cells": 5, "arch_str": arch_str(ops),
                        "class_num": classes},
        "params": np.float64(params / 1e6),
        "flop": dataset_flops(ops, dataset),
        "seed": f"{seed:04d}",
        "epochs": epochs,
        "latency": [np.float64(0.01 + 0.02 * quality)],
        "eval_names": [],
        "eval_acc1es": {}, "eval_times": {}, "eval_losses": {},
        "net_state_dict": None,
    }
    for name, every in _eval_sets(hp, dataset).items():
        res["eval_names"].append(name)
        eval_time = per_epoch_time / 5.0
        accs = accuracy_curves(quality, ep if every else ep[-1:], epochs, ceiling, rng,
                               0.4).tolist()
        measured = range(epochs) if every else [epochs - 1]
        for e in range(epochs):
            res["eval_times"][f"{name}@{e}"] = eval_time
        for e, acc in zip(measured, accs):
            res["eval_acc1es"][f"{name}@{e}"] = acc
            res["eval_losses"][f"{name}@{e}"] = 2.3 * (1.0 - acc / 100.0)
    return res


def arch_results(index: int, ops, hp: str, seed_base: int = 0) -> dict:
    """One ArchResults dict (hp '12' or '200') for architecture ``index``."""
    all_results = {}
    for dataset in DATASETS:
        for seed in SEEDS[hp][dataset]:
            all_results[(dataset, seed)] = results_count(index, ops, hp, dataset, seed,
                                                         seed_base)
    return {"arch_index": index, "arch_str": arch_str(ops), "all_results": all_results,
            "dataset_seed": {d: sorted(SEEDS[hp][d]) for d in DATASETS},
            "clear_net_done": True}


def arch_order(seed: int = 0) -> list[tuple[int, ...]]:
    """A synthetic ``meta_archs`` order of all 5^6 cells: a seeded permutation (the
    real order is neither lexicographic nor generated — it comes from the file)."""
    import itertools
    cells = list(itertools.product(range(len(OPS)), repeat=6))
    perm = rng_for(seed, 201).permutation(len(cells))
    return [cells[i] for i in perm]


def _write_one(args):
    folder, index, ops, seed = args
    info = OrderedDict((hp, arch_results(index, ops, hp, seed)) for hp in ("12", "200"))
    data = bz2.compress(pickle.dumps(info, protocol=4), 9)
    tmp = Path(folder) / f".{index:06d}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, Path(folder) / f"{index:06d}.pickle.pbz2")


def write_nats_archive(folder: str | os.PathLike, n_archs: int | None = None, *, seed: int = 0,
                       tar: bool = False, workers: int = 1) -> Path:
    """Write a NATS tss simple archive folder ``folder/NATS-tss-v1_0-3ffb9-simple``
    holding the first ``n_archs`` (default all 15,625) of a synthetic arch order;
    with ``tar`` also pack it as ``folder/NATS-tss-v1_0-3ffb9-simple.tar`` and
    return that. ``meta_archs`` always lists all 15,625 strings when
    ``n_archs`` is None, else only the written ones."""
    order = arch_order(seed)
    n = len(order) if n_archs is None else int(n_archs)
    root = Path(folder) / "NATS-tss-v1_0-3ffb9-simple"
    root.mkdir(parents=True, exist_ok=True)
    meta = {"meta_archs": [arch_str(ops) for ops in order[:n]], "total_archs": n,
            "arch2infos": None, "evaluated_indexes": set(), SYNTHETIC_KEY: True}
    (root / "meta.pickle.pbz2").write_bytes(bz2.compress(pickle.dumps(meta, protocol=4), 9))
    jobs = [(str(root), i, order[i], seed) for i in range(n)
            if not (root / f"{i:06d}.pickle.pbz2").exists()]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_write_one, jobs, chunksize=16))
    else:
        for job in jobs:
            _write_one(job)
    if not tar:
        return root
    tar_path = Path(folder) / "NATS-tss-v1_0-3ffb9-simple.tar"
    with tarfile.open(tar_path, "w") as tf:
        tf.add(root, arcname=root.name)
    return tar_path


def write_nb201_pth(path: str | os.PathLike, n_archs: int = 20, *, seed: int = 0) -> Path:
    """Write a NAS-Bench-201 ``.pth`` (``torch.save`` of ``{'meta_archs',
    'arch2infos': {i: {'less', 'full'}}, 'evaluated_indexes'}``)."""
    import torch

    order = arch_order(seed)[:n_archs]
    data = {"meta_archs": [arch_str(ops) for ops in order],
            "arch2infos": {i: {"less": arch_results(i, ops, "12", seed),
                               "full": arch_results(i, ops, "200", seed)}
                           for i, ops in enumerate(order)},
            "evaluated_indexes": set(range(len(order))), SYNTHETIC_KEY: True}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(data, path)
    return path
