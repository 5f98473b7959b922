"""Tests of the NAS-Bench-101 cell space (SPEC §3, Appendix A.1 item 3)."""

import json

import numpy as np
import pytest

from zsnas.spaces.nb101 import (
    INPUT,
    MAX_EDGES,
    MAX_VERTICES,
    NUM_ARCHS,
    OPS,
    OUTPUT,
    ModelSpec,
    graph_hash,
    prune,
)
from zsnas.spaces.nb101_evolution import mutate_gea, mutate_paper, random_spec

C3, C1, MP = OPS

# SPEC §3.3: README "Inception-like" query cell and the isomorph stored in the dataset.
INCEPTION_MATRIX = [
    [0, 1, 1, 1, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 0],
]
INCEPTION_OPS = [INPUT, C1, C3, C3, C3, MP, OUTPUT]
STORED_MATRIX = [
    [0, 1, 1, 1, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 0],
]
STORED_OPS = [INPUT, C3, C1, MP, C3, C3, OUTPUT]
INCEPTION_HASH = "28cfc7874f6d200472e1a9dcd8650aa0"


def chain(n_interior, op=C3):
    n = n_interior + 2
    return np.eye(n, k=1, dtype=int), [INPUT] + [op] * n_interior + [OUTPUT]


def topological_relabel(spec, rng):
    """Isomorph of a pruned spec: vertices renumbered along a random topological order."""
    m = spec.matrix
    n = len(m)
    indeg = m.sum(axis=0).tolist()
    ready, order = [0], []
    while ready:
        v = ready.pop(int(rng.integers(len(ready))))
        order.append(v)
        for w in range(n):
            if m[v, w]:
                indeg[w] -= 1
                if indeg[w] == 0:
                    ready.append(w)
    assert order[0] == 0 and order[-1] == n - 1 and len(order) == n
    new = m[np.ix_(order, order)]
    assert not np.tril(new).any()
    return ModelSpec(new, [spec.ops[i] for i in order]), order


def test_constants():
    assert OPS == ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
    assert (MAX_VERTICES, MAX_EDGES, NUM_ARCHS) == (7, 9, 423624)


# ---------------------------------------------------------------- hash


@pytest.mark.parametrize(
    "matrix, ops, expected",
    [
        ([[0, 1], [0, 0]], [INPUT, OUTPUT], "043721b9c7fe8c5fad811d47d83132ec"),
        (*chain(1), "b49ac8c578b4561d79ac7087988f1c61"),
        (*chain(5), "b3bc0991ac661443a583796ce582f11f"),
        (INCEPTION_MATRIX, INCEPTION_OPS, INCEPTION_HASH),
        (STORED_MATRIX, STORED_OPS, INCEPTION_HASH),
    ],
)
def test_hash_vectors(matrix, ops, expected):
    assert ModelSpec(matrix, ops).hash_spec() == expected


def test_graph_hash_function_matches_spec_hash():
    labels = [-1] + [OPS.index(o) for o in STORED_OPS[1:-1]] + [-2]
    assert graph_hash(STORED_MATRIX, labels) == INCEPTION_HASH
    assert graph_hash(np.array(STORED_MATRIX), labels) == INCEPTION_HASH
    assert graph_hash([[0, 1], [0, 0]], [-1, -2]) == "043721b9c7fe8c5fad811d47d83132ec"


def _reference_hash(matrix, labels):
    """Literal transcription of the SPEC §3.3 pseudo-code (nasbench ``hash_module``)."""
    import hashlib

    matrix = np.asarray(matrix)
    n = matrix.shape[0]
    in_d = np.sum(matrix, axis=0).tolist()
    out_d = np.sum(matrix, axis=1).tolist()
    h = [hashlib.md5(str(t).encode("utf-8")).hexdigest() for t in zip(out_d, in_d, labels)]
    for _ in range(n):
        new = []
        for v in range(n):
            ins = [h[w] for w in range(n) if matrix[w, v]]
            outs = [h[w] for w in range(n) if matrix[v, w]]
            text = "".join(sorted(ins)) + "|" + "".join(sorted(outs)) + "|" + h[v]
            new.append(hashlib.md5(text.encode("utf-8")).hexdigest())
        h = new
    return hashlib.md5(str(sorted(h)).encode("utf-8")).hexdigest()


def test_fast_hash_matches_literal_transcription():
    rng = np.random.default_rng(0)
    for _ in range(300):
        spec = random_spec(rng)
        labels = [-1] + [OPS.index(o) for o in spec.ops[1:-1]] + [-2]
        assert spec.hash_spec() == _reference_hash(spec.matrix, labels)


def test_hash_distinguishes_ops_and_edges():
    m, ops = chain(2)
    h = ModelSpec(m, ops).hash_spec()
    assert ModelSpec(m, [INPUT, C3, C1, OUTPUT]).hash_spec() != h
    m2 = m.copy()
    m2[0, 3] = 1
    assert ModelSpec(m2, ops).hash_spec() != h


def test_hash_is_invariant_under_topological_relabelling():
    rng = np.random.default_rng(123)
    changed = tested = 0
    while tested < 150:
        spec = random_spec(rng)
        if len(spec.matrix) < 5:  # small cells have few topological orders
            continue
        tested += 1
        iso, order = topological_relabel(spec, rng)
        changed += order != sorted(order)
        assert iso.is_valid()
        assert iso.hash_spec() == spec.hash_spec()
    assert changed >= 30  # the relabelling actually permuted many cells


def test_hash_of_unpruned_equals_hash_of_pruned():
    m, ops = chain(2)
    big = np.zeros((5, 5), dtype=int)
    big[:4, :4] = m
    big = big[[0, 1, 2, 4, 3]][:, [0, 1, 2, 4, 3]]  # extra vertex 3 is isolated
    spec = ModelSpec(big, [INPUT, C3, C3, MP, OUTPUT])
    assert spec.hash_spec() == ModelSpec(m, ops).hash_spec()


def test_hash_of_invalid_spec_raises():
    with pytest.raises(ValueError):
        ModelSpec([[0, 0], [0, 0]], [INPUT, OUTPUT]).hash_spec()


# ---------------------------------------------------------------- pruning


def test_pruning_removes_vertices_off_every_path_and_keeps_order():
    # 0->1->4 (output), 0->2 (dead end), 3->4 (unreachable from input)
    m = np.zeros((5, 5), dtype=int)
    m[0, 1] = m[1, 4] = m[0, 2] = m[3, 4] = 1
    ops = [INPUT, C1, MP, C3, OUTPUT]
    spec = ModelSpec(m, ops)
    assert spec.valid_spec and spec.is_valid()
    np.testing.assert_array_equal(spec.matrix, [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    assert spec.ops == [INPUT, C1, OUTPUT]
    np.testing.assert_array_equal(spec.original_matrix, m)
    assert spec.original_ops == ops
    pm, pops = prune(m, ops)
    np.testing.assert_array_equal(pm, spec.matrix)
    assert pops == spec.ops


def test_pruning_keeps_relative_order():
    # vertex 2 is a dead end; kept vertices 1 and 3 keep their order.
    m = np.zeros((5, 5), dtype=int)
    m[0, 1] = m[1, 3] = m[3, 4] = m[1, 2] = 1
    spec = ModelSpec(m, [INPUT, C1, MP, C3, OUTPUT])
    assert spec.ops == [INPUT, C1, C3, OUTPUT]
    np.testing.assert_array_equal(spec.matrix, np.eye(4, k=1, dtype=int))


def test_no_path_is_invalid():
    m = np.zeros((4, 4), dtype=int)
    m[0, 1] = m[2, 3] = 1
    ops = [INPUT, C3, C3, OUTPUT]
    spec = ModelSpec(m, ops)
    assert not spec.valid_spec and not spec.is_valid()
    assert spec.matrix is None and spec.ops is None
    assert prune(m, ops) is None


# ---------------------------------------------------------------- validity


def test_edges_counted_after_pruning():
    # 10 edges before pruning, vertex 5 is a dead end carrying 2 of them.
    m = np.triu(np.ones((7, 7), dtype=int), 1)
    m[:, 5] = 0
    m[5, :] = 0
    m[0, 5] = m[1, 5] = 1
    # keep 8 edges among {0,1,2,3,4,6}
    m[0, 2] = m[0, 3] = m[0, 4] = m[1, 3] = m[1, 4] = m[2, 6] = m[3, 6] = 0
    ops = [INPUT, C3, C3, C1, MP, C3, OUTPUT]
    assert m.sum() == 10
    spec = ModelSpec(m, ops)
    assert spec.matrix.sum() == 8
    assert spec.is_valid()


def test_too_many_edges():
    m = np.triu(np.ones((5, 5), dtype=int), 1)  # 10 edges, all on paths
    spec = ModelSpec(m, [INPUT, C3, C3, C3, OUTPUT])
    assert spec.valid_spec and not spec.is_valid()
    assert "edges" in spec.check()
    spec.hash_spec()  # hashes fine, as in nasbench (just not in the dataset)


def test_too_many_vertices():
    m, ops = chain(6)  # 8 vertices
    spec = ModelSpec(m, ops)
    assert not spec.is_valid() and "vertices" in spec.check()
    assert ModelSpec(*chain(5)).is_valid()


@pytest.mark.parametrize(
    "ops",
    [
        [INPUT, "conv5x5", OUTPUT],
        [OUTPUT, C3, OUTPUT],
        [INPUT, C3, INPUT],
        [INPUT, INPUT, OUTPUT],
    ],
)
def test_bad_op_labels(ops):
    m, _ = chain(1)
    assert not ModelSpec(m, ops).is_valid()


def test_bad_op_label_hash_raises():
    m, _ = chain(1)
    with pytest.raises(ValueError):
        ModelSpec(m, [INPUT, "conv5x5", OUTPUT]).hash_spec()


def test_non_upper_triangular_and_non_binary_are_invalid():
    m, ops = chain(2)
    lower = m.copy()
    lower[2, 1] = 1
    assert not ModelSpec(lower, ops).is_valid()
    diag = m.copy()
    diag[1, 1] = 1
    assert not ModelSpec(diag, ops).is_valid()
    two = m.copy()
    two[0, 1] = 2
    spec = ModelSpec(two, ops)
    assert not spec.is_valid() and not spec.valid_spec


@pytest.mark.parametrize(
    "matrix, ops",
    [
        ([[0, 1, 0], [0, 0, 1]], [INPUT, C3, OUTPUT]),  # not square
        ([[0, 1], [0]], [INPUT, OUTPUT]),  # ragged
        ([0, 1], [INPUT, OUTPUT]),  # 1-D
        ([[0, 1], [0, 0]], [INPUT, C3, OUTPUT]),  # ops length mismatch
    ],
)
def test_malformed_input_raises(matrix, ops):
    with pytest.raises(ValueError):
        ModelSpec(matrix, ops)


# ---------------------------------------------------------------- json


def test_json_round_trip():
    spec = ModelSpec(INCEPTION_MATRIX, INCEPTION_OPS)
    obj = spec.to_json()
    assert set(obj) == {"adjacency", "ops"}
    back = ModelSpec.from_json(obj)
    assert back.hash_spec() == spec.hash_spec()
    np.testing.assert_array_equal(back.matrix, spec.matrix)
    assert back.ops == spec.ops
    back2 = ModelSpec.from_json(json.dumps(obj))
    assert back2.to_json() == obj


def test_to_json_is_pruned():
    m = np.zeros((4, 4), dtype=int)
    m[0, 1] = m[1, 3] = m[0, 2] = 1  # vertex 2 dead end
    obj = ModelSpec(m, [INPUT, C3, C1, OUTPUT]).to_json()
    assert obj == {"adjacency": [[0, 1, 0], [0, 0, 1], [0, 0, 0]], "ops": [INPUT, C3, OUTPUT]}


# ---------------------------------------------------------------- sampling / mutation


def test_random_spec_valid_and_deterministic():
    a = [random_spec(np.random.default_rng(7)).hash_spec() for _ in range(2)]
    assert a[0] == a[1]
    rng1, rng2 = np.random.default_rng(11), np.random.default_rng(11)
    s1 = [random_spec(rng1) for _ in range(300)]
    s2 = [random_spec(rng2) for _ in range(300)]
    assert [s.hash_spec() for s in s1] == [s.hash_spec() for s in s2]
    assert all(s.is_valid() for s in s1)
    assert all(s.original_matrix.shape == (7, 7) for s in s1)
    assert len({s.hash_spec() for s in s1}) > 100  # the sampler favours small cells


def test_mutate_paper_valid_distinct_deterministic():
    rng = np.random.default_rng(3)
    parents = [random_spec(rng) for _ in range(100)]
    children = []
    for p in parents:
        c = mutate_paper(p, rng)
        assert c.is_valid()
        assert c.hash_spec() != p.hash_spec()
        children.append(c.hash_spec())
    rng = np.random.default_rng(3)
    parents2 = [random_spec(rng) for _ in range(100)]
    assert children == [mutate_paper(p, rng).hash_spec() for p in parents2]


def test_mutate_paper_gives_up_without_distinct_child():
    spec = ModelSpec([[0, 1], [0, 0]], [INPUT, OUTPUT])
    with pytest.raises(RuntimeError):
        mutate_paper(spec, np.random.default_rng(0), max_tries=50)


def _single_flip_children(spec):
    out = set()
    n = len(spec.matrix)
    for i in range(n):
        for j in range(i + 1, n):
            m = spec.matrix.copy()
            m[i, j] = 1 - m[i, j]
            c = ModelSpec(m, spec.ops)
            if c.is_valid() and c.hash_spec() != spec.hash_spec():
                out.add(c.hash_spec())
    return out


def test_mutate_gea_any_member():
    rng = np.random.default_rng(5)
    for _ in range(100):
        parent = random_spec(rng)
        child = mutate_gea(parent, rng, lambda h: True)
        if child is None:  # only possible if no flip gives a distinct valid cell
            assert not _single_flip_children(parent)
            continue
        assert child.is_valid()
        assert child.hash_spec() != parent.hash_spec()
        assert child.hash_spec() in _single_flip_children(parent)
        # ops never change, vertex count never grows
        assert len(child.matrix) <= len(parent.matrix)
        assert child.original_ops == parent.ops
        assert int(np.abs(child.original_matrix - parent.matrix).sum()) == 1


def test_mutate_gea_restricted_membership():
    rng = np.random.default_rng(9)
    parent = ModelSpec(STORED_MATRIX, STORED_OPS)
    candidates = sorted(_single_flip_children(parent))
    assert len(candidates) > 3
    allowed = {candidates[0], candidates[-1]}
    seen = set()
    for _ in range(30):
        child = mutate_gea(parent, rng, allowed.__contains__)
        assert child is not None and child.hash_spec() in allowed
        seen.add(child.hash_spec())
    assert seen == allowed  # the shuffle reaches both members


def test_mutate_gea_none_when_no_member():
    rng = np.random.default_rng(1)
    parent = random_spec(rng)
    assert mutate_gea(parent, rng, lambda h: False) is None


def test_mutate_gea_deterministic():
    parent = ModelSpec(STORED_MATRIX, STORED_OPS)
    a = [mutate_gea(parent, np.random.default_rng(s), lambda h: True).hash_spec() for s in range(5)]
    b = [mutate_gea(parent, np.random.default_rng(s), lambda h: True).hash_spec() for s in range(5)]
    assert a == b
