"""The query API the GA calls: vectorised, O(1) id/encoding look-ups, clear errors."""
import h5py
import numpy as np
import pytest

from zsnas.benchmarks.schema import SchemaError, write_benchmark
from zsnas.benchmarks.store import Benchmark, MissingMetricError, UnknownArchitectureError


@pytest.fixture()
def sparse(tmp_path):
    """An NB201 file with non-contiguous ids and hand-set values."""
    from zsnas.spaces.nb201 import arch_str
    ops = np.array([[3] * 6, [1] * 6, [0] * 6], dtype=np.uint8)
    valid = np.array([[70.0, 72.0], [50.0, np.nan], [10.0, 10.0]])
    test = np.array([[90.0, 92.0, 91.0], [80.0, 81.0, np.nan], [10.0, 10.0, 10.0]])
    time12 = np.array([[100.0, 100.0], [20.0, np.nan], [5.0, 5.0]])
    nan2, nan3 = np.full((3, 2), np.nan), np.full((3, 3), np.nan)
    return write_benchmark(tmp_path / "s.h5", space="nb201", archs={
        "id": np.array([3, 10, 400]), "params": np.array([1, 2, 3]),
        "flops": np.array([1.0, 2.0, 3.0]), "ops": ops,
        "arch_str": [arch_str(tuple(o)) for o in ops]},
        metrics={12: {"train_acc": nan2, "valid_acc": valid, "test_acc": nan2,
                      "train_time": time12},
                 200: {"train_acc": nan3, "valid_acc": nan3, "test_acc": test,
                       "train_time": nan3}},
        attrs={"source_file": "hand", "source_checksum": "none"})


def test_rows_and_unknown_ids(sparse):
    b = Benchmark(sparse)
    assert b.rows([400, 3, 10]).tolist() == [2, 0, 1]
    with pytest.raises(UnknownArchitectureError, match=r"id\(s\) \[4, 401\] not in"):
        b.rows([3, 4, 401])


def test_reductions(sparse):
    b = Benchmark(sparse)
    np.testing.assert_allclose(b.accuracy([3, 10, 400], budget=200), [91.0, 80.5, 10.0])
    np.testing.assert_allclose(b.accuracy([3, 10], budget=200, trial="max"), [92.0, 81.0])
    assert b.accuracy(3, budget=200, trial=1) == 92.0
    with pytest.raises(MissingMetricError, match=r"test_acc at 200 epochs is missing.*\[10\]"):
        b.accuracy([3, 10], budget=200, trial=2)
    assert b.train_time(10, budget=12) == 20.0


def test_random_trial_is_uniform_over_measured_trials(sparse):
    b = Benchmark(sparse)
    rng = np.random.default_rng(1)
    ids = np.array([3] * 4000 + [10] * 1000)
    values, trials = b.fitness(ids, rng, return_trials=True)
    assert set(values[ids == 10].tolist()) == {50.0}           # trial 1 is NaN: never drawn
    share = np.mean(values[ids == 3] == 72.0)
    assert 0.46 < share < 0.54
    assert np.all(values[ids == 3] == np.where(trials[ids == 3] == 0, 70.0, 72.0))
    # the same seed gives the same draws; mean fitness is the trial mean
    again = b.fitness(ids, np.random.default_rng(1))
    np.testing.assert_array_equal(values, again)
    assert b.fitness(3, trial="mean") == 71.0
    with pytest.raises(ValueError, match="needs an rng"):
        b.fitness(3)


def test_encodings(sparse):
    b = Benchmark(sparse)
    assert b.ops(3) == (3,) * 6
    assert b.id_of(b.arch_str(400)) == 400 and b.id_of((1,) * 6) == 10
    assert b.contains([3] * 6) and not b.contains((2,) * 6)
    np.testing.assert_array_equal(b.ids_of([(0,) * 6, (3,) * 6]), [400, 3])
    with pytest.raises(UnknownArchitectureError, match="not in this benchmark"):
        b.id_of((2,) * 6)
    with pytest.raises(TypeError, match="holds nb201"):
        b.module_hash(3)


def test_nb101_queries(nb101_h5):
    b = Benchmark(nb101_h5)
    h = b.module_hash(7)
    assert b.id_of(h) == 7 and b.contains(h) and not b.contains("0" * 32)
    values, where = b.max_accuracy([0, 1, 2], return_where=True)
    for i, (budget, trial) in enumerate(where):
        assert values[i] == b.metric("test_acc", budget)[i, trial]
        assert values[i] == max(np.nanmax(b.metric("test_acc", e)[i]) for e in b.budgets)
    rng = np.random.default_rng(0)
    fit = b.fitness(np.arange(b.n), rng, budget=12)
    assert fit.shape == (b.n,)
    assert np.all(np.isin(fit[:, None], b.metric("valid_acc", 12)).any(axis=1))


def test_not_a_benchmark(tmp_path):
    p = tmp_path / "x.h5"
    with h5py.File(p, "w") as f:
        f["a"] = 1
    with pytest.raises(SchemaError, match=rf"{p}: not a zsnas benchmark file"):
        Benchmark(p)
    q = tmp_path / "y.h5"
    q.write_bytes(b"garbage")
    with pytest.raises(SchemaError, match="cannot open as HDF5"):
        Benchmark(q)
