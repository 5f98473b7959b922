"""Parameters and FLOPs from the encoding (the spaces' ``params_flops`` part) equal
counting the built network (:mod:`zsnas.networks.flops`), for every op / cell shape,
width, head and image size the pipeline uses."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from zsnas.networks import nb101 as net101
from zsnas.networks import nb201 as net201
from zsnas.networks.flops import count_flops, count_params, params_and_flops
from zsnas.spaces import get_space, nb101_evolution, nb201


def _counted(model, image_size):
    return count_params(model), count_flops(model, (1, 3, image_size, image_size))


def _assert_same(got, ref):
    assert got[0] == ref[0]
    assert got[1] == pytest.approx(ref[1], rel=1e-12, abs=1e-12)


NB201_CASES = [
    # every op on every edge once (each op at each position), and the two extremes
    *[tuple([op] * 6) for op in range(len(nb201.OPS))],
    *[tuple(op if e == k else 0 for e in range(6)) for k in range(6) for op in (2, 3)],
]


@pytest.mark.parametrize("ops", NB201_CASES)
@pytest.mark.parametrize("width,classes,image", [(16, 10, 32), (4, 100, 32), (3, 120, 16)])
def test_nb201_params_flops_match_built_network(ops, width, classes, image):
    got = net201.params_flops(ops, width, classes, image)
    _assert_same(got, _counted(net201.build(ops, width, classes), image))


def test_nb201_params_flops_match_the_benchmark_fields():
    """NB201's stored params / FLOPs of index 0 (CIFAR-10): 0.129306 M, 15.64737 MFLOPs."""
    a0 = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
    params, mflops = params_and_flops(get_space("nb201"), nb201.parse_arch(a0), 16, 10, 32)
    assert params == 129306
    assert round(mflops, 5) == 15.64737


def test_nb101_params_flops_match_built_network():
    rng = np.random.default_rng(7)
    specs = [nb101_evolution.random_spec(rng) for _ in range(25)]
    # the input -> output projection alone, and a cell whose output has 5 sources
    specs.append(net101.ModelSpec(np.array([[0, 1], [0, 0]]), ["input", "output"]))
    m = np.zeros((7, 7), dtype=int)
    m[0, 1:6] = 1
    m[1:6, 6] = 1
    m[0, 6] = 1
    specs.append(net101.ModelSpec(m, ["input"] + ["conv3x3-bn-relu"] * 5 + ["output"]))
    for spec, (width, classes, image) in zip(specs, itertools.cycle(
            [(16, 10, 32), (128, 10, 32), (7, 100, 32), (8, 120, 16)])):
        if not spec.valid_spec:
            continue
        got = net101.params_flops(spec, width, classes, image)
        _assert_same(got, _counted(net101.build(spec, width, classes), image))


def test_space_without_the_part_builds_and_counts():
    import dataclasses
    sp = dataclasses.replace(get_space("nb201"), params_flops=None)
    ops = (3, 2, 1, 4, 0, 3)
    _assert_same(params_and_flops(sp, ops, 5, 10, 32), net201.params_flops(ops, 5, 10, 32))
