"""A synthetic NATS-Bench size-space (sss) "simple" archive in the real format.

Layout (as the API's ``NATSsize(path, fast_mode=True)`` reads it and AutoDL's
``exps/NATS-Bench/sss-collect.py`` writes it)::

    NATS-sss-v1_0-50262-simple/
        meta.pickle.pbz2      {'meta_archs': [channel strings], 'total_archs': n,
                               'arch2infos': None, 'evaluated_indexes': set()}
        000000.pickle.pbz2    OrderedDict {'01': ArchResults, '12': ..., '90': ...}
        ...

Each ArchResults dict is ``{'arch_index', 'arch_str' (the channel string),
'all_results': {(dataset, seed): ResultsCount-dict}, 'dataset_seed', 'clear_net_done'}``
for the four NATS datasets; each ResultsCount's ``arch_config`` is
``{'name': 'infer.shape.tiny', 'channels', 'arch_str', 'genotype', 'class_num'}``
(``sss-collect.py``). ``params`` (millions) and ``flop`` (MFLOPs) are the network's true
values (:func:`zsnas.networks.nats_sss.params_flops`, on 32x32 or ImageNet16's 16x16
input, with the dataset's head). The seed sets (hp 01 and 12: 777; hp 90: 777, 888,
999) are this writer's choice -- the converter takes whatever a file holds. Accuracies
and times are synthetic (:mod:`zsnas.synthetic.accuracy_model`): wider layers score
higher. Meta carries ``zsnas_synthetic=True``, so converted files are flagged.
"""
from __future__ import annotations

import bz2
import os
import pickle
import tarfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ..spaces.nats_sss import CANDIDATES, CELL, NUM_ARCHS, channel_str, channels_of
from .accuracy_model import accuracy_curves, rng_for

ROOT_NAME = "NATS-sss-v1_0-50262-simple"
HPS = ("01", "12", "90")
DATASETS = {"cifar10-valid": 10, "cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}
SEEDS = {"01": [777], "12": [777], "90": [777, 888, 999]}
SYNTHETIC_KEY = "zsnas_synthetic"
CEILING = {"cifar10-valid": 90.5, "cifar10": 93.5, "cifar100": 70.5, "ImageNet16-120": 45.0}
INPUT_SIDE = {"cifar10-valid": 32, "cifar10": 32, "cifar100": 32, "ImageNet16-120": 16}


def _eval_sets(dataset: str) -> tuple[str, ...]:
    if dataset == "cifar10-valid":
        return ("x-valid", "ori-test")
    if dataset == "cifar10":
        return ("ori-test",)
    return ("x-valid", "x-test", "ori-test")


def quality(channels) -> float:
    """Synthetic quality in [0.3, 1]: the mean of the layers' widths (later layers weigh more)."""
    weights = np.array([1.0, 1.0, 1.5, 1.5, 2.0])
    frac = (np.array(channels, dtype=float) / CANDIDATES[-1]) ** 0.5
    return float(0.3 + 0.7 * (weights * frac).sum() / weights.sum())


def results_count(index: int, channels, hp: str, dataset: str, seed: int, seed_base: int) -> dict:
    from ..networks.nats_sss import params_flops
    epochs = int(hp)
    rng = rng_for(seed_base, index, epochs, list(DATASETS).index(dataset), seed)
    q = quality(channels)
    classes = DATASETS[dataset]
    params, mflops = params_flops(channels, 8, classes, INPUT_SIDE[dataset])
    per_epoch = 2.0 + 30.0 * params / 1e6 * (0.5 if dataset == "cifar10-valid" else 1.0)
    ep = np.arange(1, epochs + 1)
    train = accuracy_curves(q, ep, max(epochs, 12), min(CEILING[dataset] + 6, 99.9), rng,
                            0.3).tolist()
    arch = channel_str(channels)
    res = {
        "name": dataset,
        "net_state_dict": None,
        "train_acc1es": dict(enumerate(train)),
        "train_acc5es": {e: min(99.9, a + 30.0) for e, a in enumerate(train)},
        "train_losses": {e: 2.3 * (1.0 - a / 100.0) for e, a in enumerate(train)},
        "train_times": OrderedDict((e, per_epoch) for e in range(epochs)),
        "arch_config": {"name": "infer.shape.tiny", "channels": arch, "arch_str": arch,
                        "genotype": CELL, "class_num": classes},
        "params": np.float64(params / 1e6),
        "flop": mflops,
        "seed": f"{seed:04d}",
        "epochs": epochs,
        "latency": [np.float64(0.005 + 0.02 * q)],
        "eval_names": [], "eval_acc1es": {}, "eval_times": {}, "eval_losses": {},
    }
    for name in _eval_sets(dataset):
        res["eval_names"].append(name)
        accs = accuracy_curves(q, ep, max(epochs, 12), CEILING[dataset], rng, 0.4).tolist()
        for e, acc in enumerate(accs):
            res["eval_times"][f"{name}@{e}"] = per_epoch / 5.0
            res["eval_acc1es"][f"{name}@{e}"] = acc
            res["eval_losses"][f"{name}@{e}"] = 2.3 * (1.0 - acc / 100.0)
    return res


def arch_results(index: int, channels, hp: str, seed_base: int = 0) -> dict:
    """One ArchResults dict (hp '01', '12' or '90') of architecture ``index``."""
    all_results = {(d, s): results_count(index, channels, hp, d, s, seed_base)
                   for d in DATASETS for s in SEEDS[hp]}
    return {"arch_index": index, "arch_str": channel_str(channels), "all_results": all_results,
            "dataset_seed": {d: sorted(SEEDS[hp]) for d in DATASETS}, "clear_net_done": True}


def _write_pbz2(path: Path, obj) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(bz2.compress(pickle.dumps(obj, protocol=4), 9))
    os.replace(tmp, path)


def write_sss_archive(folder: str | os.PathLike, n_archs: int | None = None, *, seed: int = 0,
                      tar: bool = False, workers: int = 1) -> Path:
    """Write ``folder/NATS-sss-v1_0-50262-simple`` with architectures 0 .. n-1 (default all
    32,768) in the benchmark's index order; ``meta_archs`` lists the written ones. With
    ``tar`` also pack it as ``folder/NATS-sss-v1_0-50262-simple.tar`` and return that.
    ``workers`` is accepted for the CLI's sake; files are written in order."""
    n = NUM_ARCHS if n_archs is None else int(n_archs)
    if not 1 <= n <= NUM_ARCHS:
        raise ValueError(f"n_archs must be in 1..{NUM_ARCHS}, got {n}")
    root = Path(folder) / ROOT_NAME
    root.mkdir(parents=True, exist_ok=True)
    order = [channels_of(i) for i in range(n)]
    _write_pbz2(root / "meta.pickle.pbz2",
                {"meta_archs": [channel_str(c) for c in order], "total_archs": n,
                 "arch2infos": None, "evaluated_indexes": set(), SYNTHETIC_KEY: True})
    for i, chans in enumerate(order):
        path = root / f"{i:06d}.pickle.pbz2"
        if not path.exists():
            _write_pbz2(path, OrderedDict((hp, arch_results(i, chans, hp, seed)) for hp in HPS))
    if not tar:
        return root
    tar_path = Path(folder) / f"{ROOT_NAME}.tar"
    tmp = tar_path.with_name(f".{tar_path.name}.tmp")
    with tarfile.open(tmp, "w") as tf:
        tf.add(root, arcname=root.name)
    os.replace(tmp, tar_path)
    return tar_path


__all__ = ["HPS", "ROOT_NAME", "SEEDS", "arch_results", "write_sss_archive"]
