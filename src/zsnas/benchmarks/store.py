"""Query API over a converted benchmark file (the GA's view of a benchmark).

All look-ups are vectorised over arrays of architecture ids and O(1) per id:
ids map to rows by identity when the file holds ids ``0..n-1`` and by a
binary search of the sorted id column otherwise; encodings map to ids through
dictionaries built once (NB201 arch string / op tuple; NB101 module hash).

Conventions (see :mod:`zsnas.benchmarks.schema`): accuracies in percent,
times in seconds, missing measurements NaN. A query that lands on a missing
measurement raises :class:`MissingMetricError` naming the file, the metric
and the architectures, instead of returning NaN.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import UsageError, ZsnasError
from ..spaces import get_space
from .schema import (OPTIONAL_METRICS, SPLITS, SchemaError, check_file, decoded_attrs,
                     open_readonly, read_verified, verify_sealed)

METRICS = SPLITS + OPTIONAL_METRICS


class MissingMetricError(ZsnasError, LookupError):
    """The requested measurement is not in the benchmark file."""


class UnknownArchitectureError(ZsnasError, KeyError):
    """An id or encoding that the benchmark file does not contain."""

    def __str__(self):  # KeyError quotes its message; keep it readable
        return str(self.args[0])


class Benchmark:
    """A benchmark file loaded into memory.

    >>> bench = Benchmark("results/benchmarks/nb201.h5")      # doctest: +SKIP
    >>> bench.fitness([0, 11], rng, budget=12)                # one random trial each
    >>> bench.accuracy([0, 11], budget=200, split="test")     # mean over trials
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        with open_readonly(self.path) as f:
            check_file(f, self.path)
            self.attrs = decoded_attrs(f)
            self.space: str = str(self.attrs["space"])
            self.space_info = get_space(self.space)
            try:
                self.ids = read_verified(f, "archs/id", self.path)
                n = self.ids.size
                if self.ids.ndim != 1 or (n > 1 and np.any(np.diff(self.ids) <= 0)):
                    raise SchemaError(f"{self.path}: /archs/id is not 1-D and strictly "
                                      "ascending")
                self.params = read_verified(f, "archs/params", self.path)
                self.flops = read_verified(f, "archs/flops", self.path)
                for name, arr in (("params", self.params), ("flops", self.flops)):
                    if arr.shape != (n,):
                        raise SchemaError(f"{self.path}: /archs/{name} has shape {arr.shape}, "
                                          f"expected ({n},)")
                archs = f["archs"]
                for column in self.space_info.read_archs.columns:
                    read_verified(f, f"archs/{column}", self.path)
                try:
                    self.table = self.space_info.read_archs(archs, n)
                except (KeyError, ValueError, TypeError) as exc:
                    raise SchemaError(f"{self.path}: {exc}") from None
                self._metrics: dict[int, dict[str, np.ndarray]] = {}
                self._trial_labels: dict[int, list] = {}
                budgets = [int(b) for b in self.attrs["budgets"]]
                for name, grp in f["metrics"].items():
                    epochs = int(name)
                    block = {k: read_verified(f, f"metrics/{name}/{k}", self.path)
                             for k in grp.keys()}
                    for split in SPLITS:
                        if split not in block:
                            raise SchemaError(f"{self.path}: missing /metrics/{name}/{split}")
                    trials = block["train_acc"].shape[1] if block["train_acc"].ndim == 2 else -1
                    for k, arr in block.items():
                        if arr.shape != (n, trials):
                            raise SchemaError(f"{self.path}: /metrics/{name}/{k} has shape "
                                              f"{arr.shape}, expected ({n}, T) like train_acc")
                    self._metrics[epochs] = block
                    labels = grp.attrs.get("trial_labels")
                    self._trial_labels[epochs] = (list(labels) if labels is not None
                                                  else list(range(trials)))
                if sorted(self._metrics) != sorted(budgets):
                    raise SchemaError(f"{self.path}: attribute budgets={budgets} but /metrics "
                                      f"holds {sorted(self._metrics)}")
                verify_sealed(f, self.path)     # nothing added, removed or altered
            except (KeyError, ValueError) as exc:
                if isinstance(exc, ZsnasError):
                    raise
                raise SchemaError(f"{self.path}: malformed benchmark file ({exc})") from None
        self.n = int(self.ids.size)
        self._identity = bool(self.n == 0 or (self.ids[0] == 0 and self.ids[-1] == self.n - 1))
        self._index: dict | None = None

    @property
    def content_checksum(self) -> str:
        """Digest of the file's content (every dataset), recorded at write time."""
        return str(self.attrs["content_checksum"])

    # ------------------------------------------------------------------ basics
    @property
    def budgets(self) -> list[int]:
        """Epoch budgets present, ascending."""
        return sorted(self._metrics)

    @property
    def dataset(self) -> str:
        """The dataset the benchmark's numbers are for (``cifar10``, ``cifar100``, …)."""
        return str(self.attrs.get("dataset", "cifar10"))

    @property
    def synthetic(self) -> bool:
        return bool(self.attrs.get("synthetic", False))

    def trials(self, budget: int) -> int:
        return self._budget(budget)["train_acc"].shape[1]

    def trial_labels(self, budget: int) -> list:
        self._budget(budget)
        return self._trial_labels[budget]

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return (f"Benchmark({str(self.path)!r}, space={self.space!r}, n={self.n}, "
                f"budgets={self.budgets}{', synthetic' if self.synthetic else ''})")

    def rows(self, ids) -> np.ndarray:
        """Rows of ``ids`` (array-like of int); raises for ids not in the file."""
        ids = np.asarray(ids, dtype=np.int64)
        if self._identity:
            bad = (ids < 0) | (ids >= self.n)
            rows = ids
        else:
            rows = np.searchsorted(self.ids, ids)
            rows = np.minimum(rows, max(self.n - 1, 0))
            bad = self.ids[rows] != ids if self.n else np.ones(ids.shape, bool)
        if np.any(bad):
            missing = np.unique(ids[bad])[:10].tolist()
            raise UnknownArchitectureError(
                f"{self.path}: architecture id(s) {missing} not in this benchmark "
                f"({self.n} architectures)")
        return rows

    def _budget(self, budget: int) -> dict[str, np.ndarray]:
        try:
            return self._metrics[int(budget)]
        except KeyError:
            raise MissingMetricError(
                f"{self.path}: no {budget}-epoch budget (budgets present: {self.budgets})"
            ) from None

    def metric(self, name: str, budget: int) -> np.ndarray:
        """The raw (n, T) array of ``name`` (train_acc, valid_acc, test_acc,
        train_time, eval_time) at ``budget`` epochs, NaN where missing."""
        if name not in METRICS:
            raise UsageError(f"unknown metric {name!r}; expected one of {METRICS}")
        group = self._budget(budget)
        if name not in group:
            raise MissingMetricError(f"{self.path}: {name} is not stored for budget {budget}")
        return group[name]

    # ------------------------------------------------------------- selections
    def _select(self, name, budget, ids, trial, rng):
        values = self.metric(name, budget)[self.rows(ids)]
        if values.ndim == 1:
            values = values[None]
        present = ~np.isnan(values)
        if isinstance(trial, str):
            if trial == "random":
                if rng is None:
                    raise ValueError("trial='random' needs an rng (numpy Generator)")
                counts = present.sum(axis=1)
                self._require(counts > 0, name, budget, ids)
                pick = rng.integers(0, np.maximum(counts, 1))
                cols = np.argmax(np.cumsum(present, axis=1) > pick[:, None], axis=1)
                return values[np.arange(len(values)), cols], cols
            if trial in ("mean", "max", "min"):
                self._require(present.any(axis=1), name, budget, ids)
                reducer = {"mean": np.nanmean, "max": np.nanmax, "min": np.nanmin}[trial]
                return reducer(values, axis=1), None
            raise ValueError(f"unknown trial selection {trial!r}; "
                             "expected 'random', 'mean', 'max', 'min' or trial indices")
        cols = np.broadcast_to(np.asarray(trial, dtype=np.int64), (len(values),))
        if np.any((cols < 0) | (cols >= values.shape[1])):
            raise ValueError(f"trial index out of range 0..{values.shape[1] - 1}")
        out = values[np.arange(len(values)), cols]
        self._require(~np.isnan(out), name, budget, ids)
        return out, cols

    def _require(self, ok, name, budget, ids):
        if not np.all(ok):
            bad = np.atleast_1d(np.asarray(ids))[~np.asarray(ok)]
            raise MissingMetricError(
                f"{self.path}: {name} at {budget} epochs is missing for architecture id(s) "
                f"{np.unique(bad)[:10].tolist()}")

    def query(self, ids, name: str, budget: int, trial="mean", rng=None,
              return_trials: bool = False):
        """Vectorised look-up of ``name`` at ``budget`` for ``ids``.

        ``trial``: ``"mean"`` / ``"max"`` / ``"min"`` over the measured trials,
        ``"random"`` (one measured trial per id drawn uniformly with ``rng``, as
        the NB101 API's ``query`` and NB201's ``is_random=True`` do), or an int /
        int array of trial indices. With ``return_trials`` also returns the
        trial index used per id (None for reductions).
        """
        scalar = np.ndim(ids) == 0
        values, cols = self._select(name, budget, np.atleast_1d(ids), trial, rng)
        if scalar:
            values = values[0]
            cols = None if cols is None else cols[0]
        return (values, cols) if return_trials else values

    def fitness(self, ids, rng=None, *, budget: int = 12, split: str = "valid",
                trial="random", return_trials: bool = False):
        """GEA's fitness: ``split`` accuracy (%) after ``budget`` epochs, of one
        randomly drawn trial (default) or the trial mean (``trial="mean"``)."""
        return self.query(ids, f"{split}_acc", budget, trial, rng, return_trials)

    def accuracy(self, ids, *, budget: int | None = None, split: str = "test",
                 trial="mean", rng=None):
        """Accuracy (%) on ``split`` after ``budget`` epochs (default: the largest
        budget), reduced over trials (default mean, the customary report)."""
        budget = self.budgets[-1] if budget is None else budget
        return self.query(ids, f"{split}_acc", budget, trial, rng)

    def max_accuracy(self, ids, *, split: str = "test", return_where: bool = False):
        """Maximum of ``split`` accuracy over all budgets and trials (GEA's NB101
        report, SPEC §5.5). With ``return_where`` also the (budget, trial) of the
        first maximum in (budget ascending, trial) order."""
        scalar = np.ndim(ids) == 0
        rows = self.rows(np.atleast_1d(ids))
        stacked = np.concatenate([self.metric(f"{split}_acc", b)[rows] for b in self.budgets],
                                 axis=1)
        self._require(~np.all(np.isnan(stacked), axis=1), f"{split}_acc", "any", ids)
        best = np.nanargmax(stacked, axis=1)
        values = stacked[np.arange(len(rows)), best]
        if return_where:
            sizes = [self.trials(b) for b in self.budgets]
            edges = np.cumsum([0] + sizes)
            b_idx = np.searchsorted(edges, best, side="right") - 1
            where = [(self.budgets[b], int(c - edges[b])) for b, c in zip(b_idx, best)]
            return (values[0], where[0]) if scalar else (values, where)
        return values[0] if scalar else values

    def train_time(self, ids, *, budget: int = 12, trial="mean", rng=None):
        """Training time (s) at ``budget`` epochs."""
        return self.query(ids, "train_time", budget, trial, rng)

    # -------------------------------------------------------------- encodings
    def _table_method(self, name: str):
        method = getattr(self.table, name, None)
        if method is None:
            raise TypeError(f"{self.path} holds {self.space} architectures, which have no "
                            f"{name}")
        return method

    def arch(self, arch_id: int):
        """The space's architecture object of ``arch_id`` (the network builder's input)."""
        return self.table.arch(int(self.rows(arch_id)))

    def encoding(self, arch_id: int) -> str:
        """The space's canonical text encoding of ``arch_id`` (NB201 arch string, NB101
        module hash)."""
        return self.table.encoding(int(self.rows(arch_id)))

    def arch_str(self, arch_id: int) -> str:
        """NB201 architecture string of ``arch_id``."""
        return self._table_method("arch_str")(int(self.rows(arch_id)))

    def ops(self, arch_id: int):
        """NB201: tuple of 6 op ids. NB101: list of op labels of the pruned cell."""
        return self._table_method("ops")(int(self.rows(arch_id)))

    def module_hash(self, arch_id: int) -> str:
        """NB101 module hash of ``arch_id``."""
        return self._table_method("module_hash")(int(self.rows(arch_id)))

    def spec(self, arch_id: int):
        """NB101 pruned ``(adjacency, ops)`` of ``arch_id``."""
        return self._table_method("spec")(int(self.rows(arch_id)))

    def _encoding_index(self) -> dict:
        if self._index is None:
            self._index = self.table.keys(self.ids)
        return self._index

    def contains(self, encoding) -> bool:
        """True if the encoding (any form the space's table knows) is present."""
        try:
            return self.table.key(encoding) in self._encoding_index()
        except TypeError:
            return False

    def id_of(self, encoding) -> int:
        """Id of an encoding: NB201 arch string or op tuple, NB101 module hash."""
        try:
            return self._encoding_index()[self.table.key(encoding)]
        except (KeyError, TypeError):
            raise UnknownArchitectureError(
                f"{self.path}: architecture {encoding!r} is not in this benchmark") from None

    def ids_of(self, encodings) -> np.ndarray:
        """Vectorised :meth:`id_of`."""
        return np.array([self.id_of(e) for e in encodings], dtype=np.int64)


__all__ = ["Benchmark", "MissingMetricError", "UnknownArchitectureError"]
