"""The NATS-Bench size-space network, its encoding and its params / FLOPs.

Public test vector: NATS-Bench's notebook ``notebooks/create-query-sss.ipynb`` (D-X-Y/
NATS-Bench) prints ``api.get_cost_info(12, 'cifar10')`` = params 0.067378 (M), flops
7.991706 (MFLOPs); index 12 is ``8:8:8:16:40`` in AutoDL's ``traverse_net`` order.
"""
import itertools

import numpy as np
import pytest
import torch
from torch import nn

from zsnas.networks.flops import count_flops, count_params, params_and_flops
from zsnas.networks.nats_sss import FactorizedReduce1, SizeCell, build, params_flops
from zsnas.spaces import get_space
from zsnas.spaces.nats_sss import (CANDIDATES, NUM_ARCHS, all_channels, channel_str,
                                   channels_of, index_of, parse_channels)


def traverse_net(candidates, n):
    """AutoDL ``exps/NATS-Bench/sss-collect.py``'s order, rewritten from its description:
    nested loops over the layers, the last layer innermost."""
    nets = [""]
    for _ in range(n):
        nets = [str(c) if net == "" else f"{net}:{c}" for net in nets for c in candidates]
    return nets


def test_index_order_is_traverse_net():
    order = traverse_net(CANDIDATES, 5)
    assert len(order) == NUM_ARCHS == 32768
    assert [channel_str(c) for c in all_channels()] == order
    for i in (0, 1, 7, 8, 12, 668, 4095, 32767):
        assert channel_str(channels_of(i)) == order[i] and index_of(channels_of(i)) == i
    assert channels_of(12) == (8, 8, 8, 16, 40)
    assert channels_of(32767) == (64,) * 5


def test_public_cost_vector_index_12():
    net = build(channels_of(12), 8, 10)
    assert count_params(net) == 67378
    assert count_flops(net) == pytest.approx(7.991706, abs=1e-9)
    assert params_flops("8:8:8:16:40") == (67378, pytest.approx(7.991706, abs=1e-9))
    sp = get_space("nats-sss")
    params, mflops = params_and_flops(sp, parse_channels("8:8:8:16:40"), 8, 10, 32)
    assert (params, round(mflops, 6)) == (67378, 7.991706)


@pytest.mark.parametrize("classes,side", [(10, 32), (100, 32), (120, 16)])
def test_params_flops_equal_building_and_counting(classes, side):
    rng = np.random.default_rng(0)
    picks = [channels_of(int(i)) for i in rng.integers(0, NUM_ARCHS, 6)]
    picks += [(8,) * 5, (64,) * 5, (64, 8, 64, 8, 64), (8, 64, 8, 64, 8)]
    for chans in picks:
        for width in (8, 3):
            net = build(chans, width, classes)
            got = params_flops(chans, width, classes, side)
            assert got[0] == count_params(net), (chans, width)
            assert got[1] == pytest.approx(count_flops(net, (1, 3, side, side)), abs=1e-9)


def test_structure_and_forward():
    net = build("16:32:24:64:48", 8, 10)
    kinds = [type(m).__name__ for m in net.cells]
    assert kinds == ["SizeCell", "ResNetBasicblock", "SizeCell", "ResNetBasicblock", "SizeCell"]
    # skip_connect (edge 0->3) is the identity between equal widths, else a 1x1 conv + BN
    assert isinstance(net.cells[0].edges[3], nn.Identity)
    assert isinstance(net.cells[2].edges[3], FactorizedReduce1)      # 32 -> 24
    assert isinstance(net.cells[4].edges[3], FactorizedReduce1)      # 64 -> 48
    assert net.cells[4].edges[0][1].in_channels == 64 and net.cells[4].edges[2][1].in_channels == 48
    assert net.classifier.in_features == 48
    x = torch.randn(2, 3, 32, 32)
    seen = []
    hooks = [b.register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape)))
             for b in net.feature_blocks()]
    assert net(x).shape == (2, 10)
    for h in hooks:
        h.remove()
    assert seen == [(2, 16, 32, 32), (2, 16, 32, 32), (2, 32, 16, 16), (2, 24, 16, 16),
                    (2, 64, 8, 8), (2, 48, 8, 8), (2, 48, 8, 8)]
    # width scales every layer: width 4 halves the channels
    half = build("16:32:24:64:48", 4, 10)
    assert half.classifier.in_features == 24 and half.stem[0].out_channels == 8


def test_deterministic_init():
    torch.manual_seed(3)
    a = build("8:16:24:32:40", 8, 10)
    torch.manual_seed(3)
    b = build("8:16:24:32:40", 8, 10)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


@pytest.mark.parametrize("text,match", [
    ("8:16:24:32", "5 channel counts"), ("8:16:24:32:40:48", "5 channel counts"),
    ("8:16:24:32:41", "not allowed"), ("8:16:24:32:072", "not allowed|leading zeros"),
    ("8:16: 24:32:40", "5 channel counts"), ("8;16;24;32;40", "5 channel counts"),
    ("", "5 channel counts"), ("08:16:24:32:40", "leading zeros"),
])
def test_parse_errors(text, match):
    with pytest.raises(ValueError, match=match):
        parse_channels(text)


def test_parse_round_trip():
    for chans in itertools.islice(all_channels(), 0, 32768, 997):
        assert parse_channels(channel_str(chans)) == chans
    with pytest.raises(ValueError):
        build((8, 8, 8, 8, 7), 8, 10)
    with pytest.raises(ValueError):
        SizeCell((9, 0, 0, 0, 0, 0), 8, 8)
