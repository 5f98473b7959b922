"""Fitness, reported accuracy and simulated training time (SPEC §5.5).

Fitness (what the search selects on; one "training")
    Validation accuracy (%) after ``fitness_budget`` = 12 epochs of **one
    trial drawn with the run's RNG** (GEA's ``is_random=True`` /
    ``api.query(spec, epochs=12)``), or the mean over trials
    (``fitness_trial="mean"``). The same rule for every space and dataset
    (the dataset's validation split: CIFAR-10 ``x-valid`` of the
    ``cifar10-valid`` runs, CIFAR-100 / ImageNet16-120 their ``x-valid``).

Reported accuracy (what a run reports for its final pick; ``report=``)
    The space's variants (:class:`zsnas.spaces.base.Accuracy`), the first that
    applies to the benchmark's dataset the default: NB201 ``nb201-200-mean``
    (test accuracy after 200 epochs, mean over trials: CIFAR-10 ``ori-test``,
    GEA's ``get_metrics('cifar10', 'ori-test')``; CIFAR-100 / ImageNet16-120
    ``x-test``) and ``nb201-ori-test-200-mean``; NB101 ``nb101-108-mean`` (the
    customary, unbiased number) and ``nb101-max`` (GEA's: maximum over all
    budgets and trials, biased upwards). Every variant is written to the
    run's ``final`` record (``accuracies``), whichever is the headline.

Simulated training time of one training (seconds)
    The space's ``time_rule`` (NB201: train + eval time of the fitness trial,
    :func:`zsnas.spaces.nb201_evolution.simulated_train_time`; NB101: GEA's
    scaled time of the maximum, :func:`zsnas.spaces.nb101_evolution.simulated_train_time`).
    A benchmark that stores no training time at all (e.g. a table from a
    paper) gives unknown (NaN) times.
"""
from __future__ import annotations

import warnings
import weakref

import numpy as np

from ..benchmarks.store import MissingMetricError
from ..errors import UsageError

FITNESS_TRIALS = ("random", "mean")

# Per-benchmark tables derived once and shared by every run in the process.
_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _table(bench, key, make):
    per_bench = _TABLES.setdefault(bench, {})
    if key not in per_bench:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN rows → NaN
            per_bench[key] = make()
    return per_bench[key]


class Evaluator:
    """Look-ups of fitness, reported accuracy and simulated time on one benchmark."""

    def __init__(self, bench, *, fitness_budget: int = 12, fitness_trial: str = "random",
                 report: str | None = None):
        from ..spaces import get_space
        self.space_info = get_space(bench.space)
        self.rule = self.space_info.report(report, bench.dataset)
        if fitness_trial not in FITNESS_TRIALS:
            raise UsageError(f"unknown fitness trial {fitness_trial!r}; expected one of "
                             f"{FITNESS_TRIALS}")
        self.bench = bench
        self.space = bench.space
        self.fitness_budget = int(fitness_budget)
        self.fitness_trial = fitness_trial
        self.report_name = self.rule.name
        self.final_budget = bench.budgets[-1]
        # hot path of every training: the raw (n, T) table and per-row trial counts
        self._values = bench.metric("valid_acc", self.fitness_budget)
        self._counts = _table(bench, ("count", self.fitness_budget),
                              lambda: (~np.isnan(self._values)).sum(axis=1))
        self._trials = self._values.shape[1]
        ids = np.asarray(bench.ids, dtype=np.int64)
        self._identity = bool(ids.size and ids[0] == 0 and ids[-1] == ids.size - 1)
        self._ids = ids

    # ----------------------------------------------------------------- fitness
    def _row(self, arch_id: int) -> int:
        if self._identity and 0 <= arch_id < self._ids.size:
            return arch_id
        row = int(np.searchsorted(self._ids, arch_id))
        if row >= self._ids.size or self._ids[row] != arch_id:
            return int(self.bench.rows(arch_id))      # raises UnknownArchitectureError
        return row

    def train(self, arch_id: int, rng: np.random.Generator) -> tuple[float, int]:
        """(fitness, trial index used or -1 for the mean) of one simulated training.

        Same rule as ``bench.fitness`` (a trial drawn uniformly among the measured
        ones, or the mean over them), on the raw table to avoid per-call overhead."""
        arch_id = int(arch_id)
        row = self._row(arch_id)
        count = self._counts[row]
        if count == 0:    # raises MissingMetricError naming the architecture
            self.bench.fitness(arch_id, rng, budget=self.fitness_budget, trial="mean")
        values = self._values[row]
        if self.fitness_trial == "mean":
            return float(np.nanmean(values)), -1
        if count == self._trials:
            col = int(rng.integers(0, count))
        else:
            col = int(np.flatnonzero(~np.isnan(values))[rng.integers(0, count)])
        return float(values[col]), col

    # ---------------------------------------------------------------- accuracy
    def _report_table(self, rule) -> np.ndarray:
        bench = self.bench
        if rule.reduce == "max-over-budgets":
            return _table(bench, ("max", rule.split), lambda: np.nanmax(np.concatenate(
                [bench.metric(rule.split, b) for b in bench.budgets], axis=1), axis=1))
        if rule.reduce == "mean":
            budget = self.final_budget if rule.budget is None else rule.budget
            return _table(bench, ("mean", rule.split, budget),
                          lambda: np.nanmean(bench.metric(rule.split, budget), axis=1))
        raise ValueError(f"unknown accuracy reduction {rule.reduce!r}")

    def report(self, ids, rule=None) -> np.ndarray:
        """Reported accuracy (%) of ``ids`` (vectorised) under :attr:`report_name`."""
        rule = self.rule if rule is None else rule
        ids = np.atleast_1d(np.asarray(ids, dtype=np.int64))
        if ids.size == 0:
            return np.zeros(0)
        out = self._report_table(rule)[self.bench.rows(ids)]
        if np.any(np.isnan(out)):
            bad = np.unique(ids[np.isnan(out)])[:10].tolist()
            raise MissingMetricError(f"{self.bench.path}: {rule.name} ({rule.split}) is missing "
                                     f"for architecture id(s) {bad}")
        return out

    def accuracies(self, arch_id: int) -> dict:
        """Every reported-accuracy variant of one architecture (name → % or None)."""
        out = {}
        for name in self.space_info.report_names(self.bench.dataset):
            try:
                out[name] = float(self.report([arch_id], self.space_info.report(name))[0])
            except MissingMetricError:
                out[name] = None
        return out

    # -------------------------------------------------------------------- time
    @property
    def time_known(self) -> bool:
        """False when the benchmark stores no training time at all (e.g. a table from
        a paper): simulated times are then unknown (NaN)."""
        return _table(self.bench, "time_known", lambda: any(
            np.any(~np.isnan(self.bench.metric("train_time", b))) for b in self.bench.budgets))

    def train_times(self, ids, trials) -> np.ndarray:
        """Simulated training seconds of the trainings ``(ids[i], trials[i])`` (the
        space's time rule); all NaN when the benchmark stores no training times."""
        ids = np.asarray(ids, dtype=np.int64)
        trials = np.asarray(trials, dtype=np.int64)
        if ids.size == 0:
            return np.zeros(0)
        if not self.time_known:
            return np.full(ids.size, np.nan)
        out = np.asarray(self.space_info.simulated_time(self, ids, trials), dtype=np.float64)
        bad = np.isnan(out)
        if np.any(bad):
            raise MissingMetricError(f"{self.bench.path}: training time missing for architecture "
                                     f"id(s) {np.unique(ids[bad])[:10].tolist()}")
        return out


__all__ = ["FITNESS_TRIALS", "Evaluator"]
