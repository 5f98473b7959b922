"""CSV / Parquet tables → HDF5."""
import json

import numpy as np
import pandas as pd
import pytest

from zsnas.errors import ConversionError
from zsnas.benchmarks.convert_table import convert_table
from zsnas.benchmarks.store import Benchmark, MissingMetricError
from zsnas.spaces.nb101 import ModelSpec

A0 = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
A11 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|"
A284 = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|none~0|nor_conv_1x1~1|none~2|"

CHAIN = {"adjacency": [[0, 1, 0], [0, 0, 1], [0, 0, 0]], "ops": ["input", "conv3x3", "output"]}
# a dangling vertex 2 (no path to output) is pruned away: same cell as CHAIN
CHAIN_DANGLING = {"adjacency": [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]],
                  "ops": ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]}
POOL = {"adjacency": [[0, 1, 1], [0, 0, 1], [0, 0, 0]], "ops": ["input", "maxpool3x3", "output"]}


def nb201_frame():
    return pd.DataFrame({
        "index": [11, 11, 0, 284],
        "trial": [0, 1, 0, 0],
        "arch": [A11, A11, A0, A284],
        "valid_acc@12": [62.58, 63.976, 64.016, 71.708],
        "test_acc@200": [91.79, 91.76, 85.62, np.nan],
        "train_time@12": [149.5, 149.5, 86.6, 58.5],
        "params": [802426, 802426, 129306, 101306],
    })


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_nb201_table(tmp_path, suffix):
    src = tmp_path / f"t{suffix}"
    df = nb201_frame()
    df.to_csv(src, index=False) if suffix == ".csv" else df.to_parquet(src)
    b = Benchmark(convert_table(src, tmp_path / "t.h5"))
    assert b.space == "nb201" and b.ids.tolist() == [0, 11, 284]
    assert b.arch_str(11) == A11 and b.id_of(A284) == 284
    np.testing.assert_array_equal(b.metric("valid_acc", 12), [[64.016, np.nan], [62.58, 63.976],
                                                               [71.708, np.nan]])
    assert b.accuracy(11, budget=200) == pytest.approx((91.79 + 91.76) / 2)
    assert b.params.tolist() == [129306, 802426, 101306]
    assert np.isnan(b.flops).all()
    # random trial draws only land on measured trials
    rng = np.random.default_rng(0)
    draws = b.fitness(np.array([0] * 50), rng)
    assert set(draws.tolist()) == {64.016}
    with pytest.raises(MissingMetricError, match=r"test_acc at 200 epochs is missing.*\[284\]"):
        b.accuracy([0, 284], budget=200)
    with pytest.raises(MissingMetricError, match="train_acc"):
        b.query(0, "train_acc", 12)
    with pytest.raises(MissingMetricError, match="no 36-epoch budget"):
        b.fitness(0, rng, budget=36)


def test_nb101_table_prunes_and_hashes(tmp_path):
    df = pd.DataFrame({"adjacency": [json.dumps(c["adjacency"]) for c in (CHAIN, POOL)],
                       "ops": [json.dumps(c["ops"]) for c in (CHAIN, POOL)],
                       "valid_acc@12": [80.0, 70.0], "test_acc@108": [90.0, 85.0]})
    src = tmp_path / "nb101.csv"
    df.to_csv(src, index=False)
    b = Benchmark(convert_table(src, tmp_path / "o.h5", space="nb101"))
    h = ModelSpec(CHAIN["adjacency"], ["input", "conv3x3-bn-relu", "output"]).hash_spec()
    assert b.module_hash(0) == h == "b49ac8c578b4561d79ac7087988f1c61"
    assert b.spec(0)[1] == ["input", "conv3x3-bn-relu", "output"]
    assert b.accuracy(1, budget=108) == 85.0


def test_isomorphic_rows_are_one_architecture(tmp_path):
    df = pd.DataFrame({"adjacency": [json.dumps(c["adjacency"]) for c in (CHAIN, CHAIN_DANGLING)],
                       "ops": [json.dumps(c["ops"]) for c in (CHAIN, CHAIN_DANGLING)],
                       "trial": [0, 1], "valid_acc@12": [80.0, 81.0]})
    src = tmp_path / "iso.csv"
    df.to_csv(src, index=False)
    b = Benchmark(convert_table(src, tmp_path / "o.h5"))
    assert b.n == 1 and b.metric("valid_acc", 12).tolist() == [[80.0, 81.0]]
    df.drop(columns="trial").to_csv(src, index=False)
    with pytest.raises(ConversionError, match="line 3: architecture id 0 appears twice"):
        convert_table(src, tmp_path / "o2.h5")


@pytest.mark.parametrize("change,match", [
    (lambda d: d.rename(columns={"valid_acc@12": "val_acc@12"}), r"unrecognised column.*val_acc@12"),
    (lambda d: d.drop(columns=["arch"]), "no architecture column"),
    (lambda d: d.drop(columns=["valid_acc@12", "test_acc@200", "train_time@12"]),
     "no metric columns"),
    (lambda d: d.assign(arch=[A11, A11, "|conv~0|", A284]), r"line 4: bad NB201 arch string"),
    (lambda d: d.assign(**{"valid_acc@12": ["x", 1, 2, 3]}), "column 'valid_acc@12', line 2: value 'x' is not a number"),
    (lambda d: d.assign(index=[11, 12, 0, 284]), "two indices"),
    (lambda d: d.assign(index=[11, 11, 0, 0]), "one index is used by two architectures"),
    (lambda d: d.assign(trial=[0, 0, 0, 0]), "line 3: trial 0 of architecture id 11 appears twice"),
    (lambda d: d.assign(trial=[0, -1, 0, 0]), "column 'trial', line 3: value -1 is outside"),
])
def test_bad_tables(tmp_path, change, match):
    src = tmp_path / "bad.csv"
    change(nb201_frame()).to_csv(src, index=False)
    out = tmp_path / "out.h5"
    with pytest.raises(ConversionError, match=match) as err:
        convert_table(src, out)
    assert str(src) in str(err.value) and not out.exists()


def test_bad_nb101_cells(tmp_path):
    ten_edges = np.triu(np.ones((6, 6), int), 1).tolist()
    for adjacency, ops, match in [
        (ten_edges, ["input"] + ["conv3x3"] * 4 + ["output"], "outside the NAS-Bench-101 space"),
        ([[0, 0], [0, 0]], ["input", "output"], "outside"),
        ([[0, 1], [0, 0]], ["input", "conv3x3", "output"], "malformed NB101 cell"),
        ("[[0, 1], [0", ["input", "output"], "malformed NB101 cell"),
    ]:
        df = pd.DataFrame({"adjacency": [json.dumps(adjacency) if not isinstance(adjacency, str)
                                         else adjacency], "ops": [json.dumps(ops)],
                           "valid_acc@12": [1.0]})
        src = tmp_path / "c.csv"
        df.to_csv(src, index=False)
        with pytest.raises(ConversionError, match=match):
            convert_table(src, tmp_path / "o.h5")


def test_space_mismatch_and_format(tmp_path):
    src = tmp_path / "t.csv"
    nb201_frame().to_csv(src, index=False)
    with pytest.raises(ConversionError, match="--space nb101 but the columns describe nb201"):
        convert_table(src, tmp_path / "o.h5", space="nb101")
    other = tmp_path / "t.xlsx"
    other.write_bytes(b"x")
    with pytest.raises(ConversionError, match="unknown table format"):
        convert_table(other, tmp_path / "o.h5")
