"""PyTorch builder of the NATS-Bench size-space (``sss``) benchmark network.

Reproduces AutoDL's ``DynamicShapeTinyNet`` (``xautodl/models/shape_infers/
InferTinyCellNet.py``; config ``name='infer.shape.tiny'``, built by
``get_cell_based_tiny_net``), the network trained for every NATS-sss entry
(Dong et al., "NATS-Bench", TPAMI 2021; AutoDL ``exps/NATS-Bench/main-sss.py``).
Facts relied on (read from that public code):

* ``channels`` = 5 layer widths ``(c0, …, c4)``; ``len(channels) % 3 == 2`` and
  ``N = len(channels) // 3 = 1`` cell per stage; the layers are
  cell, reduction, cell, reduction, cell (``layer_reductions = [F]*N + [T] + [F]*N
  + [T] + [F]*N``) with layer ``i`` producing ``channels[i]`` channels.
* stem: Conv3x3(3, c0, pad 1, bias=False) -> BN(c0) (no ReLU).
* every cell is NB201's ``InferCell(genotype, C_in, C_out, stride=1)`` of the fixed
  genotype (:data:`zsnas.spaces.nats_sss.CELL`, the NB201 cell of index 9930):
  an edge leaving node 0 is ``OPS[op](C_in, C_out, 1)``, every other edge
  ``OPS[op](C_out, C_out, 1)``; ``skip_connect`` is the identity when C_in == C_out,
  else ``FactorizedReduce(C_in, C_out, stride=1)`` = Conv1x1(C_in, C_out, bias=False)
  -> BN(C_out) (no ReLU on the stride-1 path); ``nor_conv_kxk`` = ReLU -> Conv(C_in,
  C_out) -> BN; all BN affine with running statistics.
* a reduction is ``ResNetBasicblock(c_prev, c_curr, stride=2)``: ReLU-Conv3x3(s2)-BN,
  ReLU-Conv3x3-BN, shortcut AvgPool2d(2, 2) -> Conv1x1 (no BN)
  (:class:`zsnas.networks.nb201.ResNetBasicblock`).
* head: BN(c4) -> ReLU -> global average pooling -> Linear(c4, classes) with bias.

``forward`` returns the logits only (AutoDL returns ``(features, logits)``).

``width``: the space's network part takes a width like every space; here it is the
number of channels a channel-count unit of 8 becomes: layer ``i`` gets
``channels[i] // 8 * width`` channels, so ``width = 8`` (the default) is the benchmark
network exactly and another width scales every layer uniformly.

Parameter counts and FLOPs (:func:`params_flops`) follow NATS' ``get_model_infos``
(AutoDL ``utils/flop_benchmark.py``): parameters = every parameter (conv weights, BN
gamma / beta, classifier weight + bias), stored in millions; FLOPs = conv and linear
multiply-accumulates per image, in millions (pooling, BN, ReLU and additions free;
:mod:`zsnas.networks.flops`). Test vector (public): NATS-Bench's own notebook
``notebooks/create-query-sss.ipynb`` prints ``api.get_cost_info(12, 'cifar10')`` =
``params 0.067378, flops 7.991706``; index 12 is ``8:8:8:16:40`` and this builder gives
67,378 parameters and 7.991706 MFLOPs for it (tests/test_nats_sss_network.py).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from zsnas.spaces import nats_sss as space
from zsnas.spaces import nb201 as cells

from .nb201 import ReLUConvBN, ResNetBasicblock, Zero

__all__ = ["FactorizedReduce1", "SizeCell", "NATSSizeNetwork", "build", "params_flops",
           "layer_channels"]


class FactorizedReduce1(nn.Module):
    """AutoDL ``FactorizedReduce`` at stride 1: Conv1x1(C_in, C_out, bias=False) -> BN
    (no ReLU; the benchmark's ``skip_connect`` between different widths)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 1, stride=1, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=True, track_running_stats=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


class _ZeroResize(nn.Module):
    """AutoDL ``Zero`` with C_in != C_out: zeros of C_out channels."""

    def __init__(self, c_out: int):
        super().__init__()
        self.c_out = c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = list(x.shape)
        shape[1] = self.c_out
        return x.new_zeros(shape)


class _Pool(nn.Module):
    """AutoDL ``POOLING`` (avg): ReLU-Conv1x1-BN first when C_in != C_out."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.preprocess = ReLUConvBN(c_in, c_out, 1, 1, 0) if c_in != c_out else None
        self.op = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(self.preprocess(x) if self.preprocess is not None else x)


def make_op(name: str, c_in: int, c_out: int) -> nn.Module:
    """One cell edge from ``c_in`` to ``c_out`` channels at stride 1 (AutoDL ``OPS``)."""
    if name == "nor_conv_3x3":
        return ReLUConvBN(c_in, c_out, 3, 1, 1)
    if name == "nor_conv_1x1":
        return ReLUConvBN(c_in, c_out, 1, 1, 0)
    if name == "skip_connect":
        return nn.Identity() if c_in == c_out else FactorizedReduce1(c_in, c_out)
    if name == "none":
        return Zero() if c_in == c_out else _ZeroResize(c_out)
    if name == "avg_pool_3x3":
        return _Pool(c_in, c_out)
    raise ValueError(f"unknown NB201 op {name!r}")


class SizeCell(nn.Module):
    """NB201 ``InferCell(genotype, C_in, C_out, 1)``: edges out of node 0 map C_in -> C_out,
    the others C_out -> C_out; ``node_j = sum_{i<j} op_{i->j}(node_i)``; output node 3."""

    def __init__(self, ops: Sequence[int], c_in: int, c_out: int):
        super().__init__()
        self.ops, self.c_in, self.c_out = cells._check_ops(ops), c_in, c_out
        self.edges = nn.ModuleList(
            make_op(cells.OPS[op], c_in if src == 0 else c_out, c_out)
            for op, (src, _) in zip(self.ops, cells.EDGES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for node in range(1, cells.NUM_NODES):
            terms = [self.edges[k](nodes[src]) for k, (src, dst) in enumerate(cells.EDGES)
                     if dst == node]
            nodes.append(sum(terms[1:], terms[0]))
        return nodes[-1]

    def extra_repr(self) -> str:
        return f"c_in={self.c_in}, c_out={self.c_out}, cell={cells.arch_str(self.ops)!r}"


def layer_channels(channels: Sequence[int], width: int = space.UNIT) -> tuple[int, ...]:
    """The layers' channel counts at ``width`` (``channels[i] // 8 * width``)."""
    chans = space.check_channels(channels)
    return tuple(c // space.UNIT * int(width) for c in chans)


class NATSSizeNetwork(nn.Module):
    """AutoDL ``DynamicShapeTinyNet`` of the NATS-sss cell (see the module docstring)."""

    def __init__(self, channels: Sequence[int], width: int = space.UNIT, num_classes: int = 10):
        super().__init__()
        self.channels = space.check_channels(channels)
        self.width, self.num_classes = int(width), int(num_classes)
        chans = layer_channels(self.channels, self.width)
        ops = cells.parse_arch(space.CELL)
        self.stem = nn.Sequential(nn.Conv2d(3, chans[0], kernel_size=3, padding=1, bias=False),
                                  nn.BatchNorm2d(chans[0]))
        layers: list[nn.Module] = []
        c_prev = chans[0]
        for c, reduction in zip(chans, space.REDUCTIONS):
            layers.append(ResNetBasicblock(c_prev, c, 2) if reduction else SizeCell(ops, c_prev, c))
            c_prev = c
        self.cells = nn.ModuleList(layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, self.num_classes)

    def feature_blocks(self) -> list[nn.Module]:
        """The modules whose outputs are the successive feature maps: the stem, the five
        layers (cells and reduction blocks) and ``lastact`` (the map before pooling)."""
        return [self.stem, *self.cells, self.lastact]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for layer in self.cells:
            x = layer(x)
        x = self.lastact(x)
        return self.classifier(self.global_pooling(x).flatten(1))


def build(channels, width: int = space.UNIT, num_classes: int = 10) -> NATSSizeNetwork:
    """The space's network part: the benchmark network of ``channels`` (a tuple of 5
    channel counts or the string ``"8:16:24:32:40"``) at ``width`` (8 = as benchmarked)."""
    if isinstance(channels, str):
        channels = space.parse_channels(channels)
    if isinstance(width, bool) or int(width) != width or int(width) < 1:
        raise ValueError(f"width must be an integer >= 1, got {width!r}")
    return NATSSizeNetwork(channels, int(width), int(num_classes))


def _conv(c_in: int, c_out: int, k: int, stride: int, pad: int, side: int,
          bn: bool = True) -> tuple[int, int, int]:
    """(params, MACs per image, output side) of a bias-free Conv2d (+ BN's gamma, beta)."""
    out = (side + 2 * pad - k) // stride + 1
    return k * k * c_in * c_out + (2 * c_out if bn else 0), k * k * c_in * c_out * out * out, out


def _cell_cost(ops, c_in: int, c_out: int, side: int) -> tuple[int, int]:
    params = macs = 0
    for op, (src, _) in zip(ops, cells.EDGES):
        name, ci = cells.OPS[op], (c_in if src == 0 else c_out)
        if name in ("nor_conv_3x3", "nor_conv_1x1"):
            k = 3 if name == "nor_conv_3x3" else 1
            p, m, _ = _conv(ci, c_out, k, 1, k // 2, side)
        elif ci != c_out and name in ("skip_connect", "avg_pool_3x3"):
            p, m, _ = _conv(ci, c_out, 1, 1, 0, side)   # FactorizedReduce / POOLING's 1x1
        else:
            p = m = 0
        params, macs = params + p, macs + m
    return params, macs


def params_flops(channels, width: int = space.UNIT, num_classes: int = 10,
                 image_size: int = 32) -> tuple[int, float]:
    """(parameters, MFLOPs per image) of ``build(channels, width, num_classes)`` from the
    encoding, without building it (NATS ``get_model_infos`` convention, module docstring):

    stem 27·c0 + 2·c0 params, 27·c0·s² MACs at side s; a cell C_in -> C_out at side s:
    Conv3x3 edges 9·ci·C_out (+2·C_out BN) params and 9·ci·C_out·s² MACs with ci = C_in
    for the two edges leaving node 0, else C_out; ``skip_connect`` 0 when C_in == C_out,
    else the 1x1 ci·C_out (+2·C_out) and ci·C_out·s²; a reduction C_in -> C_out from side
    s to s' = s/2: 9·C_in·C_out + 9·C_out² + 4·C_out params and (9·C_in·C_out +
    9·C_out²)·s'² MACs, plus the shortcut's 1x1 C_in·C_out params, C_in·C_out·s'² MACs;
    last BN 2·c4; Linear c4·classes + classes params and MACs (bias counted as a MAC,
    as AutoDL's hook does).  Tests check it against the built network.
    """
    if isinstance(channels, str):
        channels = space.parse_channels(channels)
    chans = layer_channels(channels, width)
    ops = cells.parse_arch(space.CELL)
    params, macs, side = _conv(3, chans[0], 3, 1, 1, int(image_size))
    c_prev = chans[0]
    for c, reduction in zip(chans, space.REDUCTIONS):
        if reduction:
            pa, ma, out = _conv(c_prev, c, 3, 2, 1, side)
            pb, mb, _ = _conv(c, c, 3, 1, 1, out)
            pd, md, _ = _conv(c_prev, c, 1, 1, 0, side // 2, bn=False)
            params, macs, side = params + pa + pb + pd, macs + ma + mb + md, out
        else:
            p, m = _cell_cost(ops, c_prev, c, side)
            params, macs = params + p, macs + m
        c_prev = c
    params += 2 * c_prev + c_prev * num_classes + num_classes
    macs += c_prev * num_classes + num_classes
    return int(params), macs / 1e6
