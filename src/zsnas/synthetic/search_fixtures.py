"""Synthetic fixtures for the search tests and the search throughput benchmark.

Everything here is SYNTHETIC (flagged so in the files it writes): benchmarks
built through :func:`zsnas.benchmarks.convert_table.convert_table` from a
table whose numbers come from :mod:`zsnas.synthetic.accuracy_model`, and
proxy caches whose columns are the final accuracy plus noise of growing
strength. Not for experiments.

- :func:`nb201_table_benchmark`: all 15,625 NB201 cells (or the first ``n`` of
  them), 2 trials, budgets 12 and 200 (``valid_acc@12``, ``test_acc@200``,
  ``train_time@12``).
- :func:`nb101_table_benchmark`: ``n`` NB101 cells, closed under GEA's
  single-edge-flip mutation as far as possible (seed cells from the NB101
  paper sampler, then breadth-first flip neighbours), so that mutations
  mostly land in the fixture; 3 trials, budgets 4/12/36/108.
- :func:`synthetic_cache`: a proxy cache over a benchmark's ids.
"""
from __future__ import annotations

import itertools
import json
import os
from collections import deque
from pathlib import Path

import numpy as np

PROXIES = ("grad_norm", "snip", "grasp", "fisher", "jacob_cov", "synflow")


def nb201_table_benchmark(folder: str | os.PathLike, n: int | None = None, *, seed: int = 0,
                          name: str = "nb201-table.h5", subset=None) -> Path:
    """All cells in ``itertools.product(range(5), repeat=6)`` order (id = position),
    or the first ``n``, or the positions in ``subset`` (a partial benchmark)."""
    import pandas as pd

    from ..benchmarks.convert_table import convert_table
    from ..spaces.nb201 import arch_str, is_connected
    from .accuracy_model import nb201_quality

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cells = list(itertools.product(range(5), repeat=6))
    positions = np.arange(len(cells) if n is None else n) if subset is None \
        else np.unique(np.asarray(subset, dtype=np.int64))
    cells = [cells[i] for i in positions]
    rng = np.random.default_rng([seed, 201])
    quality = np.array([nb201_quality(c, is_connected(c)) for c in cells])
    trials = 2
    idx = np.repeat(np.arange(len(cells)), trials)
    q = quality[idx]
    strings = [arch_str(c) for c in cells]
    df = pd.DataFrame({
        "index": positions[idx], "arch": [strings[i] for i in idx],
        "trial": np.tile(np.arange(trials), len(cells)),
        "valid_acc@12": np.round(40 + 45 * q + rng.normal(0, 1.5, idx.size), 4),
        "test_acc@200": np.round(45 + 49 * q + rng.normal(0, 0.5, idx.size), 4),
        "train_time@12": np.round(100 + 200 * q, 3)})
    csv = folder / (Path(name).stem + ".csv")
    df.to_csv(csv, index=False)
    return convert_table(csv, folder / name, synthetic=True)


def closed_nb101_cells(n: int, seed: int = 0, n_seeds: int = 8) -> list:
    """``n`` distinct NB101 ModelSpecs: ``n_seeds`` sampled cells, then their
    single-edge-flip neighbours breadth first."""
    from ..spaces.nb101 import ModelSpec
    from ..spaces.nb101_evolution import random_spec

    rng = np.random.default_rng([seed, 101])
    cells: dict[str, object] = {}
    queue: deque = deque()
    while len(cells) < n:
        if not queue:
            spec = random_spec(rng)
            if spec.hash_spec() in cells:
                continue
            cells[spec.hash_spec()] = spec
            queue.append(spec)
            for _ in range(n_seeds - 1):
                s = random_spec(rng)
                if s.hash_spec() not in cells and len(cells) < n:
                    cells[s.hash_spec()] = s
                    queue.append(s)
            continue
        spec = queue.popleft()
        base = spec.matrix.tolist()
        m = len(base)
        coords = [(i, j) for i in range(m - 1) for j in range(i + 1, m)]
        for k in rng.permutation(len(coords)):
            i, j = coords[k]
            rows = [list(r) for r in base]
            rows[i][j] = 1 - rows[i][j]
            child = ModelSpec(rows, spec.ops)
            if child.is_valid() and child.hash_spec() not in cells:
                cells[child.hash_spec()] = child
                queue.append(child)
                if len(cells) >= n:
                    break
    return list(cells.values())[:n]


def nb101_table_benchmark(folder: str | os.PathLike, n: int, *, seed: int = 0,
                          name: str = "nb101-table.h5") -> Path:
    import pandas as pd

    from ..benchmarks.convert_table import convert_table
    from .accuracy_model import nb101_quality

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cells = closed_nb101_cells(n, seed)
    rng = np.random.default_rng([seed, 1011])
    trials = 3
    rows = []
    for index, spec in enumerate(cells):
        q = nb101_quality(spec.matrix, spec.ops)
        adjacency = json.dumps(spec.matrix.tolist())
        ops = json.dumps(spec.ops)
        for t in range(trials):
            row = {"index": index, "adjacency": adjacency, "ops": ops, "trial": t}
            for budget in (4, 12, 36, 108):
                level = 1 - np.exp(-budget / 30)
                row[f"valid_acc@{budget}"] = round(50 + 44 * q * level
                                                   + rng.normal(0, 1.0), 4)
                row[f"test_acc@{budget}"] = round(50 + 44 * q * level
                                                  + rng.normal(0, 1.0), 4)
                row[f"train_time@{budget}"] = round(budget * (20 + 60 * q)
                                                    * (1 + 0.02 * t), 3)
            rows.append(row)
    csv = folder / (Path(name).stem + ".csv")
    pd.DataFrame(rows).to_csv(csv, index=False)
    return convert_table(csv, folder / name, synthetic=True)


def synthetic_cache(bench, path: str | os.PathLike, *, proxies=PROXIES, seed: int = 0,
                    ids=None, nonfinite=(), pending=(), random_column: bool = False) -> Path:
    """A proxy cache over ``ids`` (default all of ``bench``): proxy k = reported
    accuracy + N(0, (2k+1)²) noise, 0.01·(k+1) s each; ids in ``nonfinite``
    get NaN (status 1) in every column, ids in ``pending`` status -1."""
    from ..scoring.cache import write_cache

    ids = np.asarray(bench.ids if ids is None else ids, dtype=np.int64)
    rng = np.random.default_rng([seed, 7])
    truth = (bench.accuracy(ids) if bench.space == "nb201"
             else bench.accuracy(ids, budget=108))
    proxies = list(proxies) + (["random"] if random_column else [])
    scores, seconds, status = {}, {}, {}
    bad = np.isin(ids, np.asarray(nonfinite, dtype=np.int64))
    wait = np.isin(ids, np.asarray(pending, dtype=np.int64))
    for k, p in enumerate(proxies):
        values = (rng.random(ids.size) if p == "random"
                  else truth + rng.normal(0, 2 * k + 1, ids.size))
        values[bad | wait] = np.nan
        scores[p] = values
        seconds[p] = np.full(ids.size, 0.01 * (k + 1))
        st = np.zeros(ids.size, dtype=np.int8)
        st[bad] = 1
        st[wait] = -1
        status[p] = st
    return write_cache(path, space=bench.space, ids=ids, proxies=proxies, scores=scores,
                       seconds=seconds, status=status,
                       settings={"synthetic": True, "seed": int(seed)},
                       attrs={"synthetic": True, "benchmark_file": bench.path.name,
                              "dataset": bench.dataset,
                              "benchmark_checksum": bench.content_checksum})


__all__ = [
    "PROXIES",
    "closed_nb101_cells",
    "nb101_table_benchmark",
    "nb201_table_benchmark",
    "synthetic_cache",
]
