"""Small benchmark networks and a batch shared by the proxy tests (test_proxies*.py)."""
from __future__ import annotations

import torch

from zsnas.networks.nb101 import build_nb101
from zsnas.networks.nb201 import build_nb201

#: An NB201 cell with no input→output path (every proxy must score it, not crash).
NONE_ARCH = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
#: An NB201 cell with every kind of op.
MIXED_ARCH = ("|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|"
              "nor_conv_3x3~1|skip_connect~2|")


def nb201_net(arch, seed=1):
    """NB201 network of ``arch`` at C = 4, one cell per stage, weights from ``seed``."""
    torch.manual_seed(seed)
    return build_nb201(arch, C=4, N=1)


def nb101_net():
    """A small NB101 network (stem 4, two stacks of one module) with every op kind."""
    torch.manual_seed(2)
    matrix = [[0, 1, 1, 0, 0, 1, 0],
              [0, 0, 0, 1, 0, 0, 0],
              [0, 0, 0, 1, 1, 0, 0],
              [0, 0, 0, 0, 0, 0, 1],
              [0, 0, 0, 0, 0, 1, 1],
              [0, 0, 0, 0, 0, 0, 1],
              [0, 0, 0, 0, 0, 0, 0]]
    ops = ["input", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3", "conv3x3-bn-relu",
           "conv1x1-bn-relu", "output"]
    return build_nb101(matrix, ops, stem_channels=4, num_stacks=2, modules_per_stack=1)


def batch(seed=3, n=8, hw=16, dtype=torch.float32):
    """A seeded random batch: (n, 3, hw, hw) images and 10-class labels."""
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, 3, hw, hw, generator=g, dtype=dtype),
            torch.randint(0, 10, (n,), generator=g))
