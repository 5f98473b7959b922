"""Extract the compact per-architecture table from NB201 / NATS ``ArchResults`` dicts.

Both NATS-Bench tss (``{index:06d}.pickle.pbz2``) and NAS-Bench-201 ``.pth``
files hold, per architecture and per training schedule ``hp`` ('12' or
'200'), an ``ArchResults`` dict ``{'arch_index', 'arch_str', 'dataset_seed',
'all_results': {(dataset, seed): ResultsCount-dict}}`` (Dong & Yang, ICLR
2020; Dong et al., TPAMI 2021) for the four NATS datasets ``cifar10-valid``,
``cifar10``, ``cifar100`` and ``ImageNet16-120``.

The dicts are read through the official API's own classes
(``nats_bench.api_utils.ArchResults.create_from_state_dict`` and, per seed,
``ResultsCount.get_train`` / ``get_eval`` — the code ``get_more_info(index,
dataset, hp=hp, is_random=seed)`` runs), so every number is what the API
returns. One benchmark file per dataset (:data:`DATASETS`); per trial = per
training seed; ``E`` = the schedule's epochs, read at the last epoch ``E-1``:

``cifar10`` (GEA's setting):

- ``train_acc``  : ``cifar10-valid`` train accuracy
- ``valid_acc``  : ``cifar10-valid`` ``x-valid`` (the 25k held-out half of the
  official training set)
- ``test_acc``   : ``cifar10`` ``ori-test`` (the model trained on all 50k images,
  tested on the official 10k test set: the accuracy NB201 papers and GEA report)
- ``train_time`` : ``cifar10-valid`` train-all-time (Σ ``train_times[0..E-1]``)
- ``eval_time``  : ``cifar10-valid`` x-valid valid-per-time (Σ ``eval_times``
  ``x-valid@0..E-1`` / E; GEA's simulated time is train_time + eval_time)

``cifar100`` and ``ImageNet16-120`` (everything from that dataset's own runs):

- ``train_acc``    : train accuracy
- ``valid_acc``    : ``x-valid`` (one half of the dataset's test set; the fitness)
- ``test_acc``     : ``x-test`` (the other half; ``get_more_info``'s test-accuracy)
- ``ori_test_acc`` : ``ori-test`` (the whole test set = x-valid + x-test;
  ``get_more_info``'s valtest-accuracy)
- ``train_time``   : train-all-time; ``eval_time``: x-valid valid-per-time

Trials are the sorted union of the seeds of the datasets involved at that
``hp``; a seed one dataset lacks is NaN there (e.g. hp 12 ``cifar10`` has seed
111 only, ``cifar10-valid`` 111 and 777). An evaluation set missing at the
last epoch is NaN (``get_more_info`` omits that group); a missing train
accuracy is an error. The fitness dataset (``cifar10-valid`` for cifar10, else
the dataset itself) must be present at both schedules; ``cifar10`` runs may be
absent at one (NB201 v1_0 has 12-epoch results for ``cifar10-valid`` only).

``params`` / ``flops``: ``get_cost_info(index, dataset)`` (hp '12'; the mean
over seeds, or seed 888's value where seeds disagree — the API's legacy fix)
of the dataset's own results (``cifar10`` for cifar10): the 100 / 120-class
heads and ImageNet16's 16x16 input change them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, UsageError

HPS = ("12", "200")
VALID_DATASET = "cifar10-valid"
TEST_DATASET = "cifar10"
NAN = math.nan
#: The datasets a NB201 benchmark file can be converted for (our names).
DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
BASE_SPLITS = ("train_acc", "valid_acc", "test_acc", "train_time", "eval_time")


class ResultsError(InputError):
    """An ArchResults dict that does not have the documented structure."""


@dataclass(frozen=True)
class _Plan:
    fit: str                       # NATS dataset of train / x-valid / times
    test: tuple[str, str]          # (NATS dataset, eval set) of test_acc
    ori: tuple[str, str] | None    # (NATS dataset, eval set) of ori_test_acc
    cost: tuple[str, ...]          # datasets params / flops are read from (first present)

    @property
    def splits(self) -> tuple[str, ...]:
        return BASE_SPLITS + (("ori_test_acc",) if self.ori else ())

    @property
    def datasets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([self.fit, self.test[0]] + ([self.ori[0]] if self.ori else [])))


_PLANS = {
    "cifar10": _Plan(VALID_DATASET, (TEST_DATASET, "ori-test"), None,
                     (TEST_DATASET, VALID_DATASET)),
    **{d: _Plan(d, (d, "x-test"), (d, "ori-test"), (d,)) for d in ("cifar100", "ImageNet16-120")},
}


def check_dataset(dataset: str) -> str:
    """``dataset`` if it is one of :data:`DATASETS`, else a :class:`UsageError`."""
    if dataset not in _PLANS:
        raise UsageError(f"unknown NAS-Bench-201 dataset {dataset!r}; known: "
                         f"{', '.join(DATASETS)}")
    return dataset


def splits_of(dataset: str) -> tuple[str, ...]:
    """The ``/metrics/<E>/`` splits written for ``dataset``."""
    return _PLANS[check_dataset(dataset)].splits


def _archresults(hp: str, ar):
    """The API's ArchResults object of one hp's dict (checked for the documented keys)."""
    from nats_bench.api_utils import ArchResults
    if not isinstance(ar, dict):
        raise ResultsError(f"hp {hp}: expected an ArchResults dict, got {type(ar).__name__}")
    for key in ("arch_index", "arch_str", "all_results", "dataset_seed"):
        if key not in ar:
            raise ResultsError(f"hp {hp}: ArchResults lacks {key!r}")
    if not isinstance(ar["all_results"], dict) or not isinstance(ar["dataset_seed"], dict):
        raise ResultsError(f"hp {hp}: ArchResults 'all_results' / 'dataset_seed' are not dicts")
    try:
        return ArchResults.create_from_state_dict(ar)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ResultsError(f"hp {hp}: malformed ArchResults ({exc})") from None


def _seeds(obj, where: str, dataset: str, required: bool) -> list[int]:
    seeds = obj.dataset_seed.get(dataset)
    if not seeds:
        if required:
            present = ", ".join(sorted(d for d, s in obj.dataset_seed.items() if s)) or "none"
            raise ResultsError(f"{where}: no {dataset!r} results (present: {present})")
        return []
    try:
        seeds = sorted(int(s) for s in seeds)
    except (TypeError, ValueError):
        raise ResultsError(f"{where}: malformed dataset_seed[{dataset!r}] {seeds!r}") from None
    for s in seeds:
        if (dataset, s) not in obj.all_results:
            raise ResultsError(f"{where}: dataset_seed lists {dataset!r} seed {s} but "
                               f"all_results has no ({dataset!r}, {s})")
    return seeds


def _eval(result, setname: str) -> tuple[float, float]:
    """(accuracy, per-epoch time) of ``setname`` at the last epoch, NaN where the API
    has none (``get_more_info`` omits the group)."""
    if result is None:
        return NAN, NAN
    try:
        info = result.get_eval(setname, None)
        acc = float(info["accuracy"])
        all_time = info["all_time"]
        per = NAN if all_time is None else float(all_time / (info["iepoch"] + 1))
    except (KeyError, ValueError, TypeError, AttributeError):
        return NAN, NAN
    return acc, per


def _costs(obj, dataset: str) -> tuple[float, float]:
    """(params in millions, MFLOPs) as ``ArchResults.get_compute_costs(dataset)``
    computes them (mean over seeds; where seeds disagree, seed 888's value — the
    API's legacy fix — or, without seed 888 where the API raises, the first seed's)."""
    seeds = obj.dataset_seed[dataset]
    results = [obj.all_results[(dataset, s)] for s in seeds]

    def fix(raw):
        if len(raw) > 1 and len({f"{x:.5f}" for x in raw}) > 1:
            return [raw[seeds.index(888)]] if 888 in seeds else raw[:1]
        return raw

    flops = fix([r.flop for r in results])
    params = fix([r.params for r in results])
    return float(sum(params) / len(params)), float(sum(flops) / len(flops))


def _nb201_ops(arch_str):
    from ..spaces.nb201 import parse_arch
    try:
        return parse_arch(arch_str)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ResultsError(f"architecture outside the NAS-Bench-201 space: {exc}") from None


def extract(info_by_hp: dict, dataset: str = "cifar10", *, hps=HPS, cost_hps=None,
            key: str = "ops", encode=_nb201_ops) -> dict:
    """Compact record of one architecture from ``{hp: ArchResults dict}`` for ``dataset``.

    Returns ``{"arch_str", "index", key, "params", "flops", "dataset",
    hp: {"seeds", split: [per-seed value]}}`` with the splits of
    :func:`splits_of`.  ``hps``: the schedules every file must hold (NB201/tss: 12, 200;
    NATS sss: 01, 12, 90); ``cost_hps``: where params / FLOPs are read, in order
    (default ``hps``); ``encode(arch_str)`` -> the space's encoding stored under ``key``
    (raises ResultsError outside the space).  Used for both NATS spaces.
    """
    plan = _PLANS[check_dataset(dataset)]
    out: dict = {"dataset": dataset}
    objs = {}
    for hp in hps:
        if hp not in info_by_hp:
            raise ResultsError(f"no results for the {hp}-epoch schedule (keys: "
                               f"{sorted(map(str, info_by_hp))})")
        obj = objs[hp] = _archresults(hp, info_by_hp[hp])
        if "arch_str" not in out:
            try:
                out["index"] = int(obj.arch_index)
            except (TypeError, ValueError):
                raise ResultsError(f"hp {hp}: malformed arch_index {obj.arch_index!r}") from None
            out["arch_str"] = obj.arch_str
            out[key] = encode(out["arch_str"])
        if obj.arch_str != out["arch_str"]:
            raise ResultsError(f"hp {hp}: arch_str {obj.arch_str!r} differs from "
                               f"{out['arch_str']!r}")
        where = f"architecture {out['index']}, {hp}-epoch schedule"
        seeds_of = {d: _seeds(obj, where, d, required=(d == plan.fit)) for d in plan.datasets}
        seeds = sorted(set().union(*seeds_of.values()))
        rec = {"seeds": seeds, **{k: [] for k in plan.splits}}
        res = obj.all_results
        for seed in seeds:
            fit = res.get((plan.fit, seed)) if seed in seeds_of[plan.fit] else None
            if fit is not None:
                try:
                    train = fit.get_train(None)
                    rec["train_acc"].append(float(train["accuracy"]))
                    rec["train_time"].append(NAN if train["all_time"] is None
                                             else float(train["all_time"]))
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    raise ResultsError(f"{where}, {plan.fit} seed {seed}: no train accuracy at "
                                       f"the last epoch (ResultsCount lacks or has a malformed "
                                       f"{exc})") from None
                valid, per = _eval(fit, "x-valid")
                rec["valid_acc"].append(valid)
                rec["eval_time"].append(per)
            else:
                for k in ("train_acc", "valid_acc", "train_time", "eval_time"):
                    rec[k].append(NAN)
            for split, pair in (("test_acc", plan.test), ("ori_test_acc", plan.ori)):
                if pair is None:
                    continue
                d, setname = pair
                r = res.get((d, seed)) if seed in seeds_of[d] else None
                rec[split].append(_eval(r, setname)[0])
        out[hp] = rec
    for hp in (hps if cost_hps is None else cost_hps):
        for d in plan.cost:
            if objs[hp].dataset_seed.get(d):
                try:
                    params, flops = _costs(objs[hp], d)
                except (TypeError, ValueError, AttributeError) as exc:
                    raise ResultsError(f"architecture {out['index']}, {hp}-epoch schedule, "
                                       f"{d}: malformed 'params' / 'flop' ({exc})") from None
                out["params"], out["flops"] = int(round(params * 1e6)), flops
                break
        if "params" in out:
            break
    out.setdefault("params", -1)
    out.setdefault("flops", NAN)
    return out


def _descriptions(dataset: str, hp: str) -> dict[str, str]:
    last = int(hp) - 1
    if dataset == "cifar10":
        return {
            "train_acc": f"{VALID_DATASET} train top-1 % at epoch {last}",
            "valid_acc": f"{VALID_DATASET} x-valid top-1 % at epoch {last}",
            "test_acc": f"{TEST_DATASET} (trained on 50k) ori-test top-1 % at epoch {last}",
            "train_time": f"{VALID_DATASET} train-all-time (s) over {hp} epochs",
            "eval_time": f"{VALID_DATASET} x-valid per-epoch evaluation time (s)",
        }
    return {
        "train_acc": f"{dataset} train top-1 % at epoch {last}",
        "valid_acc": f"{dataset} x-valid (one half of the test set) top-1 % at epoch {last}",
        "test_acc": f"{dataset} x-test (the other half of the test set) top-1 % at epoch {last}",
        "ori_test_acc": f"{dataset} ori-test (the whole test set, x-valid + x-test) top-1 % "
                        f"at epoch {last}",
        "train_time": f"{dataset} train-all-time (s) over {hp} epochs",
        "eval_time": f"{dataset} x-valid per-epoch evaluation time (s)",
    }


def assemble(records: list[dict], dataset: str = "cifar10") -> tuple[dict, dict, dict]:
    """Stack compact records (sorted by index) into schema ``archs`` / ``metrics``."""
    splits = splits_of(dataset)
    for r in records:
        if r.get("dataset", "cifar10") != dataset:
            raise ValueError(f"record of architecture {r['index']} was extracted for "
                             f"{r.get('dataset')!r}, not {dataset!r}")
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
        block = {k: np.full((n, len(seeds)), np.nan) for k in splits}
        for i, r in enumerate(records):
            rec = r[hp]
            cols = [col[s] for s in rec["seeds"]]
            for k in block:
                block[k][i, cols] = rec[k]
        metrics[int(hp)] = block
        metric_attrs[int(hp)] = {"trial_labels": np.array(seeds, dtype=np.int64),
                                 **_descriptions(dataset, hp)}
    return archs, metrics, metric_attrs
