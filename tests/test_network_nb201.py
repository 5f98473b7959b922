"""Tests of the NAS-Bench-201 network builder and the FLOPs counter (SPEC §2.3, A.1 item 1)."""

from __future__ import annotations

import bz2
import pickle
from pathlib import Path

import pytest
import torch
from torch import nn

from zsnas.networks.flops import count_flops, count_params
from zsnas.networks.nb201 import build_nb201
from zsnas.spaces import nb201

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "reference" / "data" / "nats_tss_samples"

ARCHS = {
    0: "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
    11: "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|",
    284: "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|none~0|nor_conv_1x1~1|none~2|",
    1651: "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
}
# (index, num_classes) -> benchmark params field x 1e6 (SPEC §2.3).
PARAMS = {
    (0, 10): 129_306, (11, 10): 802_426, (284, 10): 101_306,
    (0, 100): 135_156, (11, 100): 808_276, (284, 100): 107_156,
}
# index -> benchmark flop field (MFLOPs, CIFAR-10).
FLOPS = {0: 15.64737, 11: 113.95137, 284: 11.71521}


@pytest.mark.parametrize("index,num_classes", sorted(PARAMS))
def test_param_counts(index, num_classes):
    net = build_nb201(ARCHS[index], num_classes=num_classes)
    assert count_params(net) == PARAMS[(index, num_classes)]
    assert net.num_classes == num_classes


@pytest.mark.parametrize("index", sorted(FLOPS))
def test_flops(index):
    net = build_nb201(ARCHS[index])
    assert count_flops(net) == pytest.approx(FLOPS[index], abs=1e-5)
    assert count_flops(net, (3, 3, 32, 32)) == pytest.approx(FLOPS[index], abs=1e-5)  # per image
    assert net.training  # mode restored


@pytest.mark.parametrize("index", [0, 11, 284])
def test_against_nats_sample_files(index):
    path = SAMPLES / f"{index:06d}.pickle.pbz2"
    if not path.is_file():
        pytest.skip(f"NATS sample file not found at {path}")
    with bz2.BZ2File(path) as f:
        record = pickle.load(f)["200"]
    assert record["arch_str"] == ARCHS[index]
    setting = {"cifar10-valid": (10, 32), "cifar10": (10, 32), "cifar100": (100, 32), "ImageNet16-120": (120, 16)}
    stored = {setting[d]: (r["params"], r["flop"]) for (d, _seed), r in record["all_results"].items()}
    assert len(stored) == 3
    for (num_classes, hw), (params, flop) in stored.items():
        net = build_nb201(ARCHS[index], num_classes=num_classes)
        assert count_params(net) / 1e6 == pytest.approx(params, abs=1e-9)
        assert count_flops(net, (1, 3, hw, hw)) == pytest.approx(flop, abs=1e-5)


def test_build_from_ops_equals_build_from_string():
    ops = nb201.parse_arch(ARCHS[11])
    a, b = build_nb201(ops), build_nb201(ARCHS[11])
    assert [n for n, _ in a.named_parameters()] == [n for n, _ in b.named_parameters()]
    assert a.arch_str == ARCHS[11]
    with pytest.raises(ValueError):
        build_nb201("|nor_conv_3x3~0|")
    with pytest.raises(ValueError):
        build_nb201((0, 1, 2, 3, 4, 5))


def test_structure():
    net = build_nb201(ARCHS[0])
    assert len(net.cells) == 17  # 5 cells, reduction, 5 cells, reduction, 5 cells
    names = {n for n, _ in net.named_modules()}
    assert {"stem", "cells", "lastact", "classifier", "cells.5.downsample", "cells.0.edges.0"} <= names
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(m.affine and m.track_running_stats for m in bns)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert all(m.bias is None for m in convs)
    pools = [m for m in net.cells[0].modules() if isinstance(m, nn.AvgPool2d)]
    assert len(pools) == 1 and pools[0].count_include_pad is False


def test_forward_shape():
    torch.manual_seed(0)
    net = build_nb201(ARCHS[11])
    out = net(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 10) and torch.isfinite(out).all()
    out.sum().backward()
    net100 = build_nb201(ARCHS[0], num_classes=100).eval()
    assert net100(torch.randn(2, 3, 32, 32)).shape == (2, 100)


@pytest.mark.parametrize("train", [True, False])
def test_disconnected_cell_ignores_input(train):
    assert not nb201.is_connected(nb201.parse_arch(ARCHS[1651]))
    net = build_nb201(ARCHS[1651]).train(train)
    gen = torch.Generator().manual_seed(0)
    x1, x2 = torch.randn(2, 3, 32, 32, generator=gen), 5 * torch.randn(2, 3, 32, 32, generator=gen)
    with torch.no_grad():
        y1, y2 = net(x1), net(x2)
    assert y1.shape == (2, 10)
    assert torch.isfinite(y1).all()
    torch.testing.assert_close(y1, y2, rtol=0, atol=0)


def test_count_flops_generic_module():
    # Conv 3->8 k3 pad1 on 8x8 with bias: 8*8*8*3*9 + 8*8*8; pool/BN/ReLU free; Linear 8*4*4 -> 5 with bias.
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, padding=1, groups=4, bias=False),
        nn.Flatten(), nn.Linear(8 * 4 * 4, 5),
    )
    expected = (8 * 8 * 8 * 3 * 9 + 8 * 8 * 8) + (4 * 4 * 8 * 8 * 9 / 4) + (128 * 5 + 5)
    assert count_flops(model, (1, 3, 8, 8)) == pytest.approx(expected / 1e6, rel=1e-12)
    assert count_flops(model, (4, 3, 8, 8)) == pytest.approx(expected / 1e6, rel=1e-12)
    assert count_params(model) == (3 * 8 * 9 + 8) + 16 + (8 * 2 * 9) + (128 * 5 + 5)
