"""PyTorch builder of the NAS-Bench-201 benchmark network.

Reproduces AutoDL's ``TinyNetwork`` with ``InferCell`` cells, i.e. the network
that was trained to produce the NAS-Bench-201 / NATS-Bench-tss numbers
(Dong & Yang, ICLR 2020; SPEC §2.3).  This is the benchmark-faithful variant:
each edge instantiates only its own op, and all BN layers are
``affine=True, track_running_stats=True`` with bias-free convolutions.  It is
*not* foresight's masked variant (SPEC §2.4).

Skeleton (C=16, N=5, 3x32x32 input)::

    stem      Conv3x3(3, C) -> BN
    cells     N x cell(C), ResBlock(C -> 2C, s2), N x cell(2C),
              ResBlock(2C -> 4C, s2), N x cell(4C)
    lastact   BN(4C) -> ReLU
    global_pooling + classifier: AdaptiveAvgPool2d(1) -> Linear(4C, classes)

The forward pass returns the logits only.  Parameter counts match the
benchmark's ``params`` field exactly (e.g. 129,306 for index 0 on CIFAR-10).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

import torch
from torch import nn

from zsnas.spaces import nb201 as space

__all__ = ["Zero", "ReLUConvBN", "ResNetBasicblock", "InferCell", "NB201Network", "build_nb201", "make_op"]


class Zero(nn.Module):
    """The ``none`` op: ``x * 0`` (keeps shape and graph connectivity, no params)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv2d(bias=False) -> BN(affine, running stats) (AutoDL ``ReLUConvBN``)."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int, padding: int):
        super().__init__(
            OrderedDict(
                relu=nn.ReLU(inplace=False),
                conv=nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=padding, bias=False),
                bn=nn.BatchNorm2d(c_out, affine=True, track_running_stats=True),
            )
        )


def make_op(op: int | str, channels: int) -> nn.Module:
    """Module of one NB201 cell edge (C_in = C_out = ``channels``, stride 1; SPEC §2.1)."""
    name = op if isinstance(op, str) else space.OPS[int(op)]
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1, 1, 0)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3, 1, 1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(f"unknown NB201 op {op!r}")


class ResNetBasicblock(nn.Module):
    """Reduction block between stages (AutoDL ``ResNetBasicblock``, stride 2).

    ``out = downsample(x) + conv_b(conv_a(x))`` with ``conv_a`` = ReLU-Conv3x3(s2)-BN,
    ``conv_b`` = ReLU-Conv3x3-BN, ``downsample`` = AvgPool2d(2, 2) -> Conv1x1 (no BN).
    """

    def __init__(self, c_in: int, c_out: int, stride: int = 2):
        super().__init__()
        if stride != 2:
            raise ValueError("the NB201 reduction block is only used with stride 2")
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class InferCell(nn.Module):
    """NB201 cell: ``node_j = sum_{i<j} op_{i->j}(node_i)``; output = node 3 (SPEC §2.2).

    ``self.edges[k]`` is the op of edge ``space.EDGES[k]``.
    """

    def __init__(self, ops: Sequence[int], channels: int):
        super().__init__()
        self.ops = tuple(ops)
        self.edges = nn.ModuleList(make_op(op, channels) for op in self.ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for node in range(1, space.NUM_NODES):
            terms = [self.edges[k](nodes[src]) for k, (src, dst) in enumerate(space.EDGES) if dst == node]
            nodes.append(sum(terms[1:], terms[0]))
        return nodes[-1]

    def extra_repr(self) -> str:
        return f"arch={space.arch_str(self.ops)!r}"


class NB201Network(nn.Module):
    """AutoDL ``TinyNetwork`` (SPEC §2.3); ``forward`` returns logits only."""

    def __init__(self, ops: Sequence[int], C: int = 16, N: int = 5, num_classes: int = 10):
        super().__init__()
        self.ops = tuple(ops)
        self.arch_str = space.arch_str(self.ops)
        self.C, self.N, self.num_classes = C, N, num_classes

        self.stem = nn.Sequential(
            nn.Conv2d(3, C, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(C),
        )
        cells: list[nn.Module] = []
        c_prev = C
        for stage, c in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:
                cells.append(ResNetBasicblock(c_prev, c, 2))
            cells.extend(InferCell(self.ops, c) for _ in range(N))
            c_prev = c
        self.cells = nn.ModuleList(cells)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def feature_blocks(self) -> list[nn.Module]:
        """The modules whose outputs are the successive feature maps: the stem, every cell
        and reduction block, and ``lastact`` (its output is the map before global pooling).

        Read by proxies that look at intermediate features (Zen-NAS, AZ-NAS, MeCo) through
        forward hooks; ``forward`` is unchanged.
        """
        return [self.stem, *self.cells, self.lastact]

    def linear_region_network(self, seed: int) -> nn.Module:
        """TE-NAS's thin network for counting linear regions (Chen et al., ICLR 2021;
        ``VITA-Group/TENAS`` ``prune_tenas.py``, ``model_config_thin``: C = 1, N = 1, no stem,
        no reduction block): this cell at one channel followed by the final BN + ReLU.

        Fed 1-channel 3×3 inputs.  Its weights come from the constructors' default
        initialisation, drawn inside ``torch.random.fork_rng`` from ``seed``, so the global
        RNG is left as it was and every call gives the same network (on the CPU; the
        caller moves it).
        """
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return nn.Sequential(InferCell(self.ops, 1), nn.BatchNorm2d(1), nn.ReLU(inplace=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        x = self.lastact(x)
        x = self.global_pooling(x).flatten(1)
        return self.classifier(x)


def build_nb201(ops: Sequence[int] | str, C: int = 16, N: int = 5, num_classes: int = 10) -> NB201Network:
    """Build the benchmark network for a cell given as 6 op ids (``EDGES`` order) or an arch string."""
    if isinstance(ops, str):
        ops = space.parse_arch(ops)
    else:
        ops = space.parse_arch(space.arch_str(ops))  # validates
    return NB201Network(ops, C=C, N=N, num_classes=num_classes)


def build(ops, width: int, num_classes: int = 10) -> NB201Network:
    """The space's network part: ``build_nb201`` of a cell (op tuple or arch string) at
    C = ``width``."""
    return build_nb201(ops, C=width, num_classes=num_classes)


def _conv(c_in: int, c_out: int, k: int, stride: int, pad: int, side: int,
          bn: bool = True) -> tuple[int, int, int]:
    """(params, MACs per image, output side) of a bias-free Conv2d (+ BN's gamma, beta)."""
    out = (side + 2 * pad - k) // stride + 1
    return k * k * c_in * c_out + (2 * c_out if bn else 0), k * k * c_in * c_out * out * out, out


def params_flops(ops: Sequence[int] | str, width: int, num_classes: int = 10,
         image_size: int = 32) -> tuple[int, float]:
    """(parameters, MFLOPs per image) of ``build(ops, width, num_classes)`` from the encoding.

    The same numbers as :func:`zsnas.networks.flops.count_params` and
    :func:`~zsnas.networks.flops.count_flops` on the built network (NB201
    convention: conv + linear multiply-accumulates, every edge's op counted,
    pooling / BN / ``none`` / skip free), without building it: per edge
    ``nor_conv_3x3`` = 9c² params + BN 2c and 9c²s² MACs at c channels and side
    s; ``nor_conv_1x1`` = c² + 2c, c²s²; stem Conv3x3(3, C)+BN; each reduction
    block ReLU-Conv3x3(s2)-BN, ReLU-Conv3x3-BN and AvgPool-Conv1x1;
    last BN(4C); Linear(4C, classes) with bias.  Tests check it against the
    built network.
    """
    ops = space.parse_arch(ops) if isinstance(ops, str) else space.parse_arch(space.arch_str(ops))
    C, N = int(width), 5
    params, macs, side = _conv(3, C, 3, 1, 1, int(image_size))
    c_prev = C
    for stage, c in enumerate((C, 2 * C, 4 * C)):
        if stage > 0:
            pa, ma, out = _conv(c_prev, c, 3, 2, 1, side)
            pb, mb, _ = _conv(c, c, 3, 1, 1, out)
            pool = side // 2
            pd, md, _ = _conv(c_prev, c, 1, 1, 0, pool, bn=False)
            params, macs, side = params + pa + pb + pd, macs + ma + mb + md, out
        for op in ops:
            name = space.OPS[op]
            if name in ("nor_conv_3x3", "nor_conv_1x1"):
                k = 3 if name == "nor_conv_3x3" else 1
                p, m, _ = _conv(c, c, k, 1, k // 2, side)
                params, macs = params + N * p, macs + N * m
        c_prev = c
    params += 2 * c_prev + c_prev * num_classes + num_classes
    macs += c_prev * num_classes + num_classes
    return int(params), macs / 1e6
