"""Tests of the NAS-Bench-201 cell space (zsnas.spaces.nb201; SPEC §2.1, §2.2, §2.6, A.1)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from zsnas.spaces import nb201, nb201_evolution

DATA = Path(__file__).resolve().parents[2] / "shared" / "reference" / "data"
META = DATA / "nb201_meta_archs.json"

ARCH_0 = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
ARCH_9930 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
SKIP, C1, C3, POOL, NONE = 1, 2, 3, 4, 0


@pytest.fixture(scope="module")
def meta_archs() -> list[str]:
    if not META.is_file():
        pytest.skip(f"reference data not found at {META} (needs ../shared/reference/data next to the repo)")
    return json.loads(META.read_text())


def test_constants():
    assert nb201.OPS == ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
    assert nb201.EDGES == ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
    assert nb201.NUM_EDGES == 6 and nb201.NUM_ARCHS == 15625
    np.testing.assert_allclose(nb201_evolution.EDGE_PROBS_GEA, [1 / 3, 1 / 6, 1 / 6, 1 / 9, 1 / 9, 1 / 9])
    assert nb201_evolution.EDGE_PROBS_GEA.sum() == pytest.approx(1.0)


def test_parse_known_strings():
    assert nb201.parse_arch(ARCH_0) == (POOL, C1, SKIP, C1, SKIP, SKIP)
    # SPEC A.1 item 2 (edge order (0->1),(0->2),(1->2),(0->3),(1->3),(2->3)).
    assert nb201.parse_arch(ARCH_9930) == (C3, C3, C3, SKIP, C3, C3)
    assert nb201.arch_str((C3, C3, C3, SKIP, C3, C3)) == ARCH_9930


def test_round_trip_all_op_tuples():
    strings = set()
    for ops in itertools.product(range(5), repeat=6):
        s = nb201.arch_str(ops)
        assert nb201.parse_arch(s) == ops
        strings.add(s)
    assert len(strings) == nb201.NUM_ARCHS


def test_meta_archs_round_trip(meta_archs):
    assert len(meta_archs) == nb201.NUM_ARCHS
    parsed = [nb201.parse_arch(s) for s in meta_archs]
    assert all(nb201.arch_str(ops) == s for ops, s in zip(parsed, meta_archs))
    assert len(set(parsed)) == nb201.NUM_ARCHS  # every op tuple exactly once
    assert meta_archs[0] == ARCH_0
    assert parsed[9930] == (C3, C3, C3, SKIP, C3, C3)  # SPEC A.1 item 2
    assert parsed[1462] == (C3,) * 6
    assert parsed[1651] == (NONE,) * 6
    assert parsed[1835] == (SKIP,) * 6


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "|nor_conv_3x3~0|",  # one group only
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|",  # two groups
        ARCH_9930 + "+|none~0|",  # four groups
        ARCH_9930.replace("nor_conv_3x3~1|+|skip", "nor_conv_3x3~1|nor_conv_3x3~2|+|skip"),  # 3 tokens in node 2
        ARCH_9930.replace("skip_connect", "conv_5x5"),  # unknown op
        ARCH_9930.replace("skip_connect~0", "skip_connect~1"),  # wrong source node
        ARCH_9930.replace("skip_connect~0", "skip_connect"),  # missing ~src
        ARCH_9930.replace("skip_connect~0", "skip_connect~0~1"),
        ARCH_9930[1:],  # missing leading '|'
        ARCH_9930.replace("|+|", "+"),
        " " + ARCH_9930,
    ],
)
def test_bad_strings_raise(bad):
    with pytest.raises(ValueError, match="arch string"):
        nb201.parse_arch(bad)


def test_bad_ops_raise():
    for bad in [(0,) * 5, (0,) * 7, (0, 0, 0, 0, 0, 5), (-1, 0, 0, 0, 0, 0)]:
        with pytest.raises(ValueError):
            nb201.arch_str(bad)
    with pytest.raises(ValueError):
        nb201.parse_arch(None)  # type: ignore[arg-type]


def test_to_matrix():
    m = nb201.to_matrix(nb201.parse_arch(ARCH_0))
    assert m.shape == (4, 4)
    expected = np.zeros((4, 4), dtype=int)
    expected[1, 0], expected[2, 0], expected[2, 1] = POOL, C1, SKIP
    expected[3, 0], expected[3, 1], expected[3, 2] = C1, SKIP, SKIP
    np.testing.assert_array_equal(m, expected)


def test_is_connected():
    assert not nb201.is_connected((NONE,) * 6)
    assert nb201.is_connected((NONE, NONE, NONE, SKIP, NONE, NONE))  # direct 0->3
    assert nb201.is_connected((C3, NONE, NONE, NONE, C3, NONE))  # 0->1->3
    assert nb201.is_connected((C3, NONE, POOL, NONE, NONE, C1))  # 0->1->2->3
    assert not nb201.is_connected((C3, C3, C3, NONE, NONE, NONE))  # nothing into 3
    assert not nb201.is_connected((NONE, NONE, C3, NONE, C3, C3))  # nothing out of 0
    # Brute force against reachability via the adjacency matrix.
    n_conn = 0
    for ops in itertools.product(range(5), repeat=6):
        adj = (nb201.to_matrix(ops).T > 0).astype(int)  # adj[i, j] = edge i->j present
        reach = np.linalg.matrix_power(adj + np.eye(4, dtype=int), 3)
        assert nb201.is_connected(ops) == bool(reach[0, 3] > 0)
        n_conn += nb201.is_connected(ops)
    assert 0 < n_conn < nb201.NUM_ARCHS


def test_random_ops_uniform_and_deterministic():
    a = [nb201_evolution.random_ops(np.random.default_rng(7)) for _ in range(3)]
    assert a[0] == a[1] == a[2]
    rng = np.random.default_rng(0)
    draws = np.array([nb201_evolution.random_ops(rng) for _ in range(20000)])
    assert draws.shape == (20000, 6) and draws.min() == 0 and draws.max() == 4
    freqs = np.bincount(draws.ravel(), minlength=5) / draws.size
    np.testing.assert_allclose(freqs, 0.2, atol=0.01)


def _changed_edges(rng, edges, n, parent_rng):
    counts = np.zeros(6)
    op_counts = np.zeros(5)
    for parent in map(tuple, parent_rng.integers(0, 5, size=(n, 6)).tolist()):
        child = nb201_evolution.mutate(parent, rng, edges=edges)
        assert len(child) == 6 and all(0 <= o < 5 for o in child)
        diff = [k for k in range(6) if child[k] != parent[k]]
        assert len(diff) == 1
        counts[diff[0]] += 1
        op_counts[child[diff[0]]] += 1
    return counts / n, op_counts / n


def test_mutate_gea_edge_frequencies():
    freqs, op_freqs = _changed_edges(np.random.default_rng(1), "gea", 60000, np.random.default_rng(2))
    np.testing.assert_allclose(freqs, nb201_evolution.EDGE_PROBS_GEA, atol=0.01)
    np.testing.assert_allclose(op_freqs, 0.2, atol=0.01)  # new op uniform over the other 4


def test_mutate_uniform_edge_frequencies():
    freqs, _ = _changed_edges(np.random.default_rng(3), "uniform", 60000, np.random.default_rng(4))
    np.testing.assert_allclose(freqs, 1 / 6, atol=0.01)


def test_mutate_new_op_uniform_over_others():
    rng = np.random.default_rng(5)
    parent = (C3,) * 6
    new_ops = np.zeros(5)
    for _ in range(20000):
        child = nb201_evolution.mutate(parent, rng, edges="uniform")
        new_ops[[c for c in child if c != C3][0]] += 1
    assert new_ops[C3] == 0
    np.testing.assert_allclose(np.delete(new_ops, C3) / 20000, 0.25, atol=0.015)


def test_mutate_deterministic_and_validates():
    parent = nb201.parse_arch(ARCH_0)
    for edges in ("gea", "uniform"):
        a = [nb201_evolution.mutate(parent, np.random.default_rng(11), edges=edges) for _ in range(3)]
        assert a[0] == a[1] == a[2]
        r1, r2 = np.random.default_rng(12), np.random.default_rng(12)
        assert [nb201_evolution.mutate(parent, r1, edges) for _ in range(50)] == [nb201_evolution.mutate(parent, r2, edges) for _ in range(50)]
    with pytest.raises(ValueError, match="edge scheme"):
        nb201_evolution.mutate(parent, np.random.default_rng(0), edges="naslib")
    with pytest.raises(ValueError):
        nb201_evolution.mutate((0, 1, 2), np.random.default_rng(0))
