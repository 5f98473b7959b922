"""Tests of the NAS-Bench-101 PyTorch builder (SPEC §3.4, Appendix A.1 item 4)."""

import numpy as np
import pytest
import torch

from zsnas.networks.nb101 import build_nb101, compute_vertex_channels
from zsnas.spaces.nb101 import INPUT, OPS, OUTPUT, ModelSpec
from zsnas.spaces.nb101_evolution import random_spec

C3, C1, MP = OPS

STORED_MATRIX = np.array(
    [
        [0, 1, 1, 1, 1, 0, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 1, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0],
    ]
)
STORED_OPS = [INPUT, C3, C1, MP, C3, C3, OUTPUT]
INCEPTION_MATRIX = np.array(
    [
        [0, 1, 1, 1, 0, 1, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1, 0, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0],
    ]
)
INCEPTION_OPS = [INPUT, C1, C3, C3, C3, MP, OUTPUT]


def n_params(net):
    return sum(p.numel() for p in net.parameters())


def test_vertex_channels_vectors():
    assert compute_vertex_channels(128, 128, STORED_MATRIX) == [128, 32, 32, 32, 32, 32, 128]
    assert compute_vertex_channels(128, 256, STORED_MATRIX) == [128, 64, 64, 64, 64, 64, 256]


def test_vertex_channels_remainder_and_backward_pass():
    # 0->1->2->4, 0->3->4, 1->4: vertices 1, 2, 3 all feed the output, 128 = 43 + 43 + 42
    m = np.zeros((5, 5), dtype=int)
    m[0, 1] = m[1, 2] = m[2, 4] = m[0, 3] = m[3, 4] = m[1, 4] = 1
    assert compute_vertex_channels(16, 128, m) == [16, 43, 43, 42, 128]
    # vertex 1 only feeds vertex 2 (not output): it takes max over its successors
    m = np.zeros((5, 5), dtype=int)
    m[0, 1] = m[1, 2] = m[2, 4] = m[1, 3] = m[3, 4] = 1
    assert compute_vertex_channels(16, 9, m) == [16, 5, 5, 4, 9]
    assert compute_vertex_channels(7, 11, np.array([[0, 1], [0, 0]])) == [7, 11]


def test_param_count_inception():
    # SPEC §3.3: trainable_parameters of the stored Inception isomorph = 2,694,282.
    assert n_params(build_nb101(ModelSpec(STORED_MATRIX, STORED_OPS))) == 2_694_282
    assert n_params(build_nb101(INCEPTION_MATRIX, INCEPTION_OPS)) == 2_694_282


def test_matrix_and_spec_inputs_agree():
    spec = ModelSpec(STORED_MATRIX, STORED_OPS)
    a = build_nb101(spec, stem_channels=16)
    b = build_nb101(STORED_MATRIX, STORED_OPS, stem_channels=16)
    assert [(k, v.shape) for k, v in a.state_dict().items()] == [
        (k, v.shape) for k, v in b.state_dict().items()
    ]


def test_structure_and_names():
    net = build_nb101(STORED_MATRIX, STORED_OPS, stem_channels=16)
    names = dict(net.named_modules())
    for key in [
        "layers.stem",
        "layers.stack0_module0",
        "layers.stack1_downsample",
        "layers.stack2_module2",
        "layers.stack1_module0.projections.v1",
        "layers.stack1_module0.vertex_ops.v3",
        "classifier",
    ]:
        assert key in names
    assert names["layers.stack1_module0"].vertex_channels == [16, 8, 8, 8, 8, 8, 32]
    assert names["layers.stack2_module1"].vertex_channels == [64, 16, 16, 16, 16, 16, 64]
    assert isinstance(names["layers.stack0_module0.vertex_ops.v3"], torch.nn.MaxPool2d)
    assert names["layers.stem.conv"].bias is None
    assert names["classifier"].bias is not None
    assert names["classifier"].out_features == 10


def test_forward_shape():
    torch.manual_seed(0)
    net = build_nb101(STORED_MATRIX, STORED_OPS, stem_channels=16)
    out = net(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 10)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize(
    "matrix, ops",
    [
        ([[0, 1], [0, 0]], [INPUT, OUTPUT]),  # projection only
        ([[0, 1, 1], [0, 0, 1], [0, 0, 0]], [INPUT, MP, OUTPUT]),  # concat + added projection
        # 3 output feeders: 16/3 does not divide -> truncation between vertices 1 and 2
        (
            [[0, 1, 0, 1, 0], [0, 0, 1, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]],
            [INPUT, C3, C1, MP, OUTPUT],
        ),
    ],
)
def test_forward_edge_cases(matrix, ops):
    net = build_nb101(matrix, ops, stem_channels=16, num_classes=3)
    net.eval()
    with torch.no_grad():
        assert net(torch.randn(2, 3, 32, 32)).shape == (2, 3)


def test_forward_random_specs_and_backward():
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    x = torch.randn(2, 3, 32, 32)
    for _ in range(3):
        net = build_nb101(random_spec(rng), stem_channels=16, num_stacks=2, modules_per_stack=1)
        out = net(x)
        assert out.shape == (2, 10)
        out.sum().backward()
        assert net.layers.stem.conv.weight.grad is not None


def test_invalid_inputs_raise():
    with pytest.raises(ValueError):
        build_nb101([[0, 0], [0, 0]], [INPUT, OUTPUT])
    with pytest.raises(ValueError):
        build_nb101(STORED_MATRIX)  # ops missing
    with pytest.raises(ValueError):
        build_nb101([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [INPUT, "conv5x5", OUTPUT])


def test_init_follows_foresight():
    torch.manual_seed(0)
    net = build_nb101(STORED_MATRIX, STORED_OPS, stem_channels=16)
    bn = net.layers.stem.bn
    assert torch.all(bn.weight == 1) and torch.all(bn.bias == 0)
    assert torch.all(net.classifier.bias == 0)
    assert abs(net.classifier.weight.std().item() - 0.01) < 0.003
    w = net.layers.stack2_module0.vertex_ops.v1.conv.weight  # 3x3, 16 out channels
    assert abs(w.std().item() - (2.0 / (9 * 16)) ** 0.5) < 0.03
