"""Extract the compact per-architecture table from NB201 / NATS ``ArchResults`` dicts.

Both NATS-Bench tss (``{index:06d}.pickle.pbz2``) and NAS-Bench-201 ``.pth``
files hold, per architecture and per training schedule ``hp`` ('12' or
'200'), an ``ArchResults`` dict ``{'arch_index', 'arch_str', 'dataset_seed',
'all_results': {(dataset, seed): ResultsCount-dict}}`` (Dong & Yang, ICLR
2020; Dong et al., TPAMI 2021). Read as the NB201 API's ``get_more_info`` /
``get_metrics`` read them (SPEC §4b), per trial = per training seed:

- ``train_acc``  : ``cifar10-valid`` ``train_acc1es[E-1]``
- ``valid_acc``  : ``cifar10-valid`` ``eval_acc1es['x-valid@{E-1}']``
  (the 25k held-out half of the official training set)
- ``test_acc``   : ``cifar10`` ``eval_acc1es['ori-test@{E-1}']`` (the model
  trained on all 50k images, tested on the official 10k test set: the
  accuracy NB201 papers and GEA report)
- ``train_time`` : ``cifar10-valid`` Σ ``train_times[0..E-1]`` (train-all-time)
- ``eval_time``  : ``cifar10-valid`` Σ ``eval_times['x-valid@e']`` / E
  (valid-per-time; GEA's simulated time is train_time + eval_time)

Trials are the sorted union of the seeds of both datasets at that ``hp``; a
seed one dataset lacks is NaN there (e.g. hp 12 ``cifar10`` has seed 111 only).
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import InputError

HPS = ("12", "200")
VALID_DATASET = "cifar10-valid"
TEST_DATASET = "cifar10"
NAN = math.nan


class ResultsError(InputError):
    """An ArchResults dict that does not have the documented structure."""


def _seeds(arch_results: dict) -> list[int]:
    try:
        per = arch_results["dataset_seed"]
        return sorted(set(per.get(VALID_DATASET, [])) | set(per.get(TEST_DATASET, [])))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ResultsError(f"ArchResults lacks 'dataset_seed' ({exc!r})") from None


def extract(info_by_hp: dict) -> dict:
    """Compact record of one architecture from ``{hp: ArchResults}``.

    Returns ``{"arch_str", "index", "params", "flops", hp: {"seeds", field: [per-seed]}}``.
    """
    out: dict = {}
    for hp in HPS:
        if hp not in info_by_hp:
            raise ResultsError(f"no results for the {hp}-epoch schedule (keys: "
                               f"{sorted(map(str, info_by_hp))})")
        ar = info_by_hp[hp]
        try:
            all_results = ar["all_results"]
            out.setdefault("arch_str", ar["arch_str"])
            out.setdefault("index", int(ar["arch_index"]))
        except (KeyError, TypeError) as exc:
            raise ResultsError(f"hp {hp}: ArchResults lacks {exc}") from None
        if "ops" not in out:
            from ..spaces.nb201 import parse_arch
            try:
                out["ops"] = parse_arch(out["arch_str"])
            except ValueError as exc:
                raise ResultsError(f"architecture outside the NAS-Bench-201 space: {exc}") \
                    from None
        if ar["arch_str"] != out["arch_str"]:
            raise ResultsError(f"hp {hp}: arch_str {ar['arch_str']!r} differs from "
                               f"{out['arch_str']!r}")
        seeds = _seeds(ar)
        rec = {"seeds": seeds, "train_acc": [], "valid_acc": [], "test_acc": [],
               "train_time": [], "eval_time": []}
        for seed in seeds:
            v = all_results.get((VALID_DATASET, seed))
            t = all_results.get((TEST_DATASET, seed))
            try:
                if v is not None:
                    last = int(v["epochs"]) - 1
                    rec["train_acc"].append(float(v["train_acc1es"][last]))
                    rec["valid_acc"].append(float(v["eval_acc1es"].get(f"x-valid@{last}", NAN)))
                    rec["train_time"].append(float(sum(v["train_times"][e]
                                                       for e in range(last + 1))))
                    times = v["eval_times"]
                    if all(f"x-valid@{e}" in times for e in range(last + 1)):
                        rec["eval_time"].append(float(sum(times[f"x-valid@{e}"]
                                                          for e in range(last + 1)) / (last + 1)))
                    else:
                        rec["eval_time"].append(NAN)
                else:
                    for k in ("train_acc", "valid_acc", "train_time", "eval_time"):
                        rec[k].append(NAN)
                if t is not None:
                    last_t = int(t["epochs"]) - 1
                    rec["test_acc"].append(float(t["eval_acc1es"].get(f"ori-test@{last_t}", NAN)))
                else:
                    rec["test_acc"].append(NAN)
                src = t if t is not None else v
                if src is not None and "params" not in out:
                    out["params"] = int(round(float(src["params"]) * 1e6))
                    out["flops"] = float(src["flop"])
            except (KeyError, TypeError, ValueError) as exc:
                raise ResultsError(f"hp {hp}, seed {seed}: ResultsCount lacks or has a "
                                   f"malformed {exc}") from None
        out[hp] = rec
    out.setdefault("params", -1)
    out.setdefault("flops", NAN)
    return out


def assemble(records: list[dict]) -> tuple[dict, dict, dict]:
    """Stack compact records (sorted by index) into schema ``archs`` / ``metrics``."""
    n = len(records)
    archs = {"id": np.array([r["index"] for r in records], dtype=np.int64),
             "params": np.array([r["params"] for r in records], dtype=np.int64),
             "flops": np.array([r["flops"] for r in records], dtype=np.float64),
             "ops": np.zeros((n, 6), dtype=np.uint8),
             "arch_str": [r["arch_str"] for r in records]}
    for i, r in enumerate(records):
        archs["ops"][i] = r["ops"]
    metrics, metric_attrs = {}, {}
    for hp in HPS:
        seeds = sorted({s for r in records for s in r[hp]["seeds"]})
        col = {s: j for j, s in enumerate(seeds)}
        block = {k: np.full((n, len(seeds)), np.nan)
                 for k in ("train_acc", "valid_acc", "test_acc", "train_time", "eval_time")}
        for i, r in enumerate(records):
            rec = r[hp]
            cols = [col[s] for s in rec["seeds"]]
            for k in block:
                block[k][i, cols] = rec[k]
        metrics[int(hp)] = block
        metric_attrs[int(hp)] = {
            "trial_labels": np.array(seeds, dtype=np.int64),
            "train_acc": f"{VALID_DATASET} train top-1 % at epoch {int(hp) - 1}",
            "valid_acc": f"{VALID_DATASET} x-valid top-1 % at epoch {int(hp) - 1}",
            "test_acc": f"{TEST_DATASET} (trained on 50k) ori-test top-1 % at epoch {int(hp) - 1}",
            "train_time": f"{VALID_DATASET} train-all-time (s) over {hp} epochs",
            "eval_time": f"{VALID_DATASET} x-valid per-epoch evaluation time (s)",
        }
    return archs, metrics, metric_attrs
