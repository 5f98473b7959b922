"""A search space and a dataset added from this file alone (nothing under src/ changes):
registered, converted to the benchmark schema, scored, searched and analysed.

The toy space: a cell is (kernel, depth) with kernel ∈ {1, 3, 5} and depth ∈ {1, 2, 3} —
nine architectures; its network is `depth` conv-BN-ReLU layers of `width` channels with
that kernel, global average pooling and a linear head. The toy dataset: 8×8 RGB images of
3 classes in one .npz file.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from zsnas.datasets import Dataset, register as register_dataset, unregister as unregister_dataset
from zsnas.spaces import SearchSpace, SpaceAdapter, register as register_space, unregister
from zsnas.spaces.base import Accuracy, new_stats

KERNELS, DEPTHS = (1, 3, 5), (1, 2, 3)
CELLS = [(k, d) for k in KERNELS for d in DEPTHS]


# ------------------------------------------------------------------ the toy space
def encode(cell) -> str:
    return f"k{cell[0]}-d{cell[1]}"


def parse(text: str):
    try:
        k, d = text.split("-")
        cell = (int(k[1:]), int(d[1:]))
    except (ValueError, IndexError, AttributeError):
        raise ValueError(f"{text!r} is not a toy cell 'k<kernel>-d<depth>'") from None
    if cell[0] not in KERNELS or cell[1] not in DEPTHS or not text.startswith("k"):
        raise ValueError(f"{text!r} is outside the toy space")
    return cell


class ToyArchs:
    columns = ("kernel", "depth")

    def __init__(self, group, n):
        self.kernel, self.depth = group["kernel"][()], group["depth"][()]

    def arch(self, row):
        return int(self.kernel[row]), int(self.depth[row])

    def encoding(self, row):
        return encode(self.arch(row))

    def keys(self, ids):
        return {encode((int(k), int(d))): int(i)
                for k, d, i in zip(self.kernel, self.depth, ids)}

    @staticmethod
    def key(encoding):
        return encoding


def build(cell, width, num_classes):
    import torch.nn as nn
    kernel, depth = cell
    layers, c_in = [], 3
    for _ in range(depth):
        layers += [nn.Conv2d(c_in, width, kernel, padding=kernel // 2, bias=False),
                   nn.BatchNorm2d(width), nn.ReLU()]
        c_in = width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(width, num_classes))


class ToyAdapter(SpaceAdapter):
    """Mutation: one of kernel or depth moves to another allowed value."""

    def mutate(self, arch_id, rng, stats=None):
        stats = new_stats() if stats is None else stats
        k, d = self.bench.arch(arch_id)
        if rng.random() < 0.5:
            k = int(rng.choice([v for v in KERNELS if v != k]))
        else:
            d = int(rng.choice([v for v in DEPTHS if v != d]))
        return self.bench.id_of(encode((k, d)))


def train_time(evaluator, ids, trials):
    return evaluator.bench.metric("train_time", evaluator.fitness_budget)[
        evaluator.bench.rows(ids), trials]


def load_toy8(path, split="train"):
    with np.load(path) as f:
        return f[f"{split}_x"], f[f"{split}_y"].astype(np.int64)


HERE = __name__


@pytest.fixture
def toy(tmp_path):
    space = register_space(SearchSpace(
        name="toy", label="Toy space", size=len(CELLS), datasets=("toy8",), budgets=(12, 200),
        converters=(), read_archs=ToyArchs, check_encoding=parse, parse_spec=parse,
        describe=lambda c: {"arch": encode(c)}, format_line=lambda i: i["arch"],
        table_columns=("toy_arch",), table_arch=lambda row: (parse(row["toy_arch"]),) * 2,
        archs_columns=lambda cells: {"kernel": np.array([c[0] for c in cells], np.uint8),
                                     "depth": np.array([c[1] for c in cells], np.uint8)},
        reports=(Accuracy("toy-200-mean", "test_acc", 200, "mean"),),
        time_rule=f"{HERE}:train_time", network=f"{HERE}:build", network_name="toy-cnn",
        default_width=4, evolution=f"{HERE}:ToyAdapter", mutations=("step",), module=HERE))
    dataset = register_dataset(Dataset(
        name="toy8", label="Toy-8", num_classes=3, image_size=8,
        normalisations={"plain": ((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))},
        default_normalisation="plain", reader=f"{HERE}:load_toy8", crop_padding=1,
        source=None, where="written by the test", synthetic=None, module=HERE))
    rng = np.random.default_rng(0)
    data = tmp_path / "toy8.npz"
    np.savez(data, train_x=rng.integers(0, 256, (40, 3, 8, 8), dtype=np.uint8),
             train_y=rng.integers(0, 3, 40))
    yield space, dataset, data
    unregister("toy")
    unregister_dataset("toy8")


def toy_benchmark(path: Path) -> Path:
    """A benchmark file of the toy space on toy8, through the package's own writer."""
    from zsnas.benchmarks.schema import write_benchmark
    from zsnas.spaces import get_space
    rng = np.random.default_rng(1)
    n = len(CELLS)
    quality = np.array([(k * d) / 15 for k, d in CELLS])
    metrics = {}
    for budget, trials in ((12, 2), (200, 3)):
        acc = 40 + 50 * quality[:, None] * (budget / 200) ** 0.3 + rng.normal(0, 1, (n, trials))
        metrics[budget] = {"train_acc": acc + 5, "valid_acc": acc, "test_acc": acc - 1,
                           "train_time": np.full((n, trials), 10.0 * budget)}
    archs = {"id": np.arange(n), "params": np.full(n, -1), "flops": np.full(n, np.nan),
             **get_space("toy").archs_columns(CELLS)}
    return write_benchmark(path, space="toy", archs=archs, metrics=metrics,
                           attrs={"dataset": "toy8", "source_file": "toy", "synthetic": True,
                                  "source_checksum": "sha256:toy"})


def test_a_space_and_a_dataset_from_a_test_file(toy, tmp_path):
    from zsnas.analysis.report import analyse
    from zsnas.benchmarks.store import Benchmark
    from zsnas.codedeps import stage_modules
    from zsnas.scoring.cache import ProxyCache
    from zsnas.scoring.data import BatchSettings
    from zsnas.scoring.engine import ScoreJob, score_shard
    from zsnas.search.report import write_json
    from zsnas.search.run import run_search

    _, _, data = toy
    bench = Benchmark(toy_benchmark(tmp_path / "toy.h5"))
    assert bench.space == "toy" and bench.dataset == "toy8" and bench.encoding(4) == "k3-d2"
    # score: the toy network on the toy dataset, its 3-class head and 8x8 images
    cache = ProxyCache(score_shard(ScoreJob(
        benchmark=bench.path, data=data, out=tmp_path / "scores.h5",
        proxies=["snip", "synflow", "params"], batch=BatchSettings(batch_size=8),
        progress=False)))
    assert cache.settings["num_classes"] == 3 and cache.settings["image_size"] == 8
    assert cache.settings["batch"]["normalisation"] == "plain"
    assert (cache.all_scores("params")[2] == 0).all()
    params = cache.all_scores("params")[1]
    assert params[CELLS.index((5, 3))] > params[CELLS.index((1, 1))]
    # this file is part of the score stage's code (a plug-in outside the package)
    assert HERE in stage_modules("score", space="toy", proxies=["snip"], dataset="toy8")
    # search: GEA guided by snip, and random search
    runs = []
    for seed in range(3):
        for strategy, proxy in (("gea", "snip"), ("random", None)):
            rec = run_search(bench, cache, strategy=strategy, proxy=proxy, seed=seed, P=2, S=2,
                             C=4, cycles=3)
            runs.append(write_json(rec, tmp_path / "runs" / f"{strategy}-{seed}.json"))
    rec = json.loads(runs[0].read_text())
    assert rec["settings"]["space"] == "toy" and rec["settings"]["dataset"] == "toy8"
    assert rec["settings"]["report"] == "toy-200-mean" and rec["n_trainings"] == 5
    parse(rec["final"]["encoding"])
    # analyse: Table 1, curves, statistics, counts, quality for the toy benchmark
    written = analyse([tmp_path / "runs"], tmp_path / "analysis", cache=[cache.path],
                      benchmark=[bench.path])
    table1 = written["table1.md"].read_text()
    assert "Toy space / Toy-8" in table1 and "snip" in table1 and "random" in table1
    quality = written["quality.csv"].read_text()
    assert "toy/toy8" in quality and "synflow" in quality


def test_a_dataset_added_to_an_existing_space(tmp_path):
    """A plug-in dataset declared for nb201 is accepted by nb201's checks and converted from
    a table of its numbers."""
    import pandas as pd

    from zsnas.benchmarks.convert_table import convert_table
    from zsnas.benchmarks.store import Benchmark
    from zsnas.spaces import add_dataset, get_space, register as register_space
    original = get_space("nb201")
    register_dataset(Dataset(
        name="toy8", label="Toy-8", num_classes=3, image_size=8,
        normalisations={"plain": ((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))},
        default_normalisation="plain", reader=f"{HERE}:load_toy8", crop_padding=1,
        source=None, where="written by the test", synthetic=None, module=HERE))
    try:
        add_dataset("nb201", "toy8")
        assert get_space("nb201").check_dataset("toy8") == "toy8"
        src = tmp_path / "t.csv"
        pd.DataFrame({"arch": ["|none~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|"],
                      "valid_acc@12": [50.0], "test_acc@200": [60.0]}).to_csv(src, index=False)
        bench = Benchmark(convert_table(src, tmp_path / "t.h5", dataset="toy8"))
        assert bench.dataset == "toy8" and bench.space == "nb201"
    finally:
        register_space(original, replace=True)
        unregister_dataset("toy8")
    with pytest.raises(ValueError, match="has no dataset 'toy8'"):
        get_space("nb201").check_dataset("toy8")
