"""PyTorch network of NAS-Bench-101 (Ying et al., ICML 2019), SPEC §3.4.

Port of the TF reference (``nasbench/lib/model_builder.py``), following the
PyTorch ports used by foresight / GEA:

- stem: conv3x3-bn-relu, 3 -> ``stem_channels``;
- ``num_stacks`` stacks of ``modules_per_stack`` cells; before every stack
  but the first, ``MaxPool2d(2, 2)`` and the target channel count doubles (the
  first cell of such a stack receives the un-doubled channels);
- global average pool over H, W, then ``Linear(C, num_classes)`` with bias.

``conv-bn-relu`` = ``Conv2d`` (no bias, 'same' padding, stride 1) ->
``BatchNorm2d`` (PyTorch defaults: momentum 0.1, eps 1e-5) -> ``ReLU``.
Weights get foresight's NB101 init (SPEC §1.0): conv ~ N(0, sqrt(2 / (k*k*C_out))),
BN gamma 1 / beta 0, linear ~ N(0, 0.01) with bias 0 (drawn from torch's
global RNG; seed it with ``torch.manual_seed``).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Sequence

import torch
from torch import nn

from zsnas.spaces.nb101 import OPS, ModelSpec

__all__ = ["compute_vertex_channels", "build_nb101", "NB101Network", "NB101Cell", "ConvBnRelu"]


def compute_vertex_channels(c_in: int, c_out: int, matrix) -> list[int]:
    """Channel count of every vertex of a cell (``model_builder.compute_vertex_channels``).

    Rule (SPEC §3.4), for a pruned V x V matrix M:

    - ``c[0] = c_in``, ``c[V-1] = c_out``; stop if V == 2;
    - ``k = sum(M[v, V-1] for v in 1..V-2)`` (interior sources of the output);
      every interior vertex feeding the output gets ``c_out // k`` channels,
      the first ``c_out % k`` of them (in vertex order) one more, so that the
      concatenation at the output has exactly ``c_out`` channels;
    - for ``v = V-3 .. 1`` not feeding the output:
      ``c[v] = max(c[dst])`` over its interior successors ``dst``.

    Channels never increase along interior edges (a vertex input is truncated
    to its own width, a difference of at most 1).
    """
    rows = [[int(x) for x in r] for r in (matrix.tolist() if hasattr(matrix, "tolist") else matrix)]
    n = len(rows)
    channels = [0] * n
    channels[0] = c_in
    channels[n - 1] = c_out
    if n == 2:
        return channels
    k = sum(rows[v][n - 1] for v in range(1, n - 1))
    if k == 0:
        raise ValueError("compute_vertex_channels: no interior vertex feeds the output (prune first)")
    base, rem = divmod(c_out, k)
    for v in range(1, n - 1):
        if rows[v][n - 1]:
            channels[v] = base + (1 if rem > 0 else 0)
            rem -= 1
    for v in range(n - 3, 0, -1):
        if not rows[v][n - 1]:
            for dst in range(v + 1, n - 1):
                if rows[v][dst]:
                    channels[v] = max(channels[v], channels[dst])
        if channels[v] <= 0:
            raise ValueError(f"compute_vertex_channels: vertex {v} got no channels (prune first)")
    # Sanity checks of the TF reference.
    assert sum(channels[v] for v in range(1, n - 1) if rows[v][n - 1]) == c_out
    for v in range(1, n - 1):
        for dst in range(v + 1, n - 1):
            if rows[v][dst]:
                assert channels[v] >= channels[dst]
    return channels


class ConvBnRelu(nn.Sequential):
    """Conv2d (no bias, 'same' padding, stride 1) -> BatchNorm2d -> ReLU."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int):
        super().__init__(
            OrderedDict(
                conv=nn.Conv2d(c_in, c_out, kernel_size, stride=1, padding=kernel_size // 2, bias=False),
                bn=nn.BatchNorm2d(c_out),
                relu=nn.ReLU(inplace=False),
            )
        )


def _vertex_op(op: str, channels: int) -> nn.Module:
    if op == OPS[0]:
        return ConvBnRelu(channels, channels, 3)
    if op == OPS[1]:
        return ConvBnRelu(channels, channels, 1)
    if op == OPS[2]:
        return nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
    raise ValueError(f"unknown NB101 op {op!r}; allowed: {OPS}")


def _truncate(x: torch.Tensor, channels: int) -> torch.Tensor:
    """Drop trailing channels so that ``x`` has ``channels`` (differs by at most 1)."""
    have = x.shape[1]
    if have == channels:
        return x
    if have < channels or have - channels > 1:
        raise ValueError(f"cannot truncate {have} channels to {channels}")
    return x[:, :channels]


class NB101Cell(nn.Module):
    """One NB101 module (cell) for a pruned spec, SPEC §3.4.

    Interior vertex t receives the sum of (a) the outputs of interior
    predecessors, each truncated to ``c[t]`` channels, and (b) if ``M[0, t]``
    a 1x1 conv-bn-relu projection of the cell input ``c_in -> c[t]``; then
    applies its op.  The output vertex concatenates (in vertex order) the
    interior vertices that feed it and, if ``M[0, V-1]``, adds a 1x1
    projection ``c_in -> c_out`` (which alone is the output when no interior
    vertex feeds it).

    Submodules: ``projections["v<t>"]`` / ``projections["output"]`` and
    ``vertex_ops["v<t>"]``.
    """

    def __init__(self, matrix, ops: Sequence[str], c_in: int, c_out: int):
        super().__init__()
        self.adjacency = [[int(x) for x in r] for r in matrix.tolist()]
        self.op_labels = list(ops)
        n = len(self.adjacency)
        self.num_vertices = n
        self.vertex_channels = compute_vertex_channels(c_in, c_out, self.adjacency)
        self.projections = nn.ModuleDict()
        self.vertex_ops = nn.ModuleDict()
        for t in range(1, n - 1):
            if self.adjacency[0][t]:
                self.projections[f"v{t}"] = ConvBnRelu(c_in, self.vertex_channels[t], 1)
            self.vertex_ops[f"v{t}"] = _vertex_op(ops[t], self.vertex_channels[t])
        if self.adjacency[0][n - 1]:
            self.projections["output"] = ConvBnRelu(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m, n, c = self.adjacency, self.num_vertices, self.vertex_channels
        outputs: list[torch.Tensor | None] = [x] + [None] * (n - 1)
        for t in range(1, n - 1):
            fan_in = [_truncate(outputs[src], c[t]) for src in range(1, t) if m[src][t]]
            if m[0][t]:
                fan_in.append(self.projections[f"v{t}"](x))
            vertex_input = fan_in[0]
            for extra in fan_in[1:]:
                vertex_input = vertex_input + extra
            outputs[t] = self.vertex_ops[f"v{t}"](vertex_input)
        concat = [outputs[t] for t in range(1, n - 1) if m[t][n - 1]]
        if not concat:
            return self.projections["output"](x)
        out = concat[0] if len(concat) == 1 else torch.cat(concat, dim=1)
        if m[0][n - 1]:
            out = out + self.projections["output"](x)
        return out

    def extra_repr(self) -> str:
        return f"ops={self.op_labels}, vertex_channels={self.vertex_channels}"


class NB101Network(nn.Module):
    """NB101 network: stem, stacks of identical cells, GAP, linear classifier.

    Submodules: ``layers`` (an ``nn.Sequential`` named ``stem``,
    ``stack<s>_downsample``, ``stack<s>_module<m>``) and ``classifier``.
    """

    def __init__(
        self,
        spec: ModelSpec,
        stem_channels: int = 128,
        num_stacks: int = 3,
        modules_per_stack: int = 3,
        num_classes: int = 10,
    ):
        super().__init__()
        self.spec = spec
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["stem"] = ConvBnRelu(3, stem_channels, 3)
        c_in = c_out = stem_channels
        for s in range(num_stacks):
            if s > 0:
                layers[f"stack{s}_downsample"] = nn.MaxPool2d(kernel_size=2, stride=2)
                c_out *= 2
            for mod in range(modules_per_stack):
                layers[f"stack{s}_module{mod}"] = NB101Cell(spec.matrix, spec.ops, c_in, c_out)
                c_in = c_out
        self.layers = nn.Sequential(layers)
        self.classifier = nn.Linear(c_out, num_classes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """foresight / GEA NB101 init (SPEC §1.0)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan))
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def feature_blocks(self) -> list[nn.Module]:
        """The modules whose outputs are the successive feature maps: ``layers``' children in
        order (stem, cells, the downsampling max-pools); the last one's output is the map
        before global pooling.  Read by proxies through forward hooks (Zen-NAS, AZ-NAS, MeCo).
        """
        return list(self.layers.children())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.layers(x)
        out = out.mean(dim=(2, 3))
        return self.classifier(out)


def build_nb101(
    spec_or_matrix,
    ops: Sequence[str] | None = None,
    stem_channels: int = 128,
    num_stacks: int = 3,
    modules_per_stack: int = 3,
    num_classes: int = 10,
) -> nn.Module:
    """Build the NB101 network for a cell (SPEC §3.4).

    Args:
        spec_or_matrix: a :class:`ModelSpec`, or an adjacency matrix given
            together with ``ops`` (it is pruned via ``ModelSpec``; a pruned
            matrix is left unchanged).
        ops: op labels when a matrix is passed.
        stem_channels: stem width (128 in the dataset, 16 in GEA's scoring).
        num_stacks, modules_per_stack: 3 and 3 in NB101.
        num_classes: logits of the final linear layer.

    Returns:
        :class:`NB101Network`; ``forward(x)`` maps ``(B, 3, H, W)`` to logits
        ``(B, num_classes)``.
    """
    if isinstance(spec_or_matrix, ModelSpec):
        if ops is not None:
            raise ValueError("build_nb101: pass ops only together with a matrix")
        spec = spec_or_matrix
    else:
        if ops is None:
            raise ValueError("build_nb101: ops are required when a matrix is passed")
        spec = ModelSpec(spec_or_matrix, ops)
    if not spec.valid_spec:
        raise ValueError("build_nb101: spec has no input->output path")
    bad = [op for op in spec.ops[1:-1] if op not in OPS]
    if bad:
        raise ValueError(f"build_nb101: unknown ops {bad}; allowed: {OPS}")
    return NB101Network(spec, stem_channels, num_stacks, modules_per_stack, num_classes)


def build(arch, width: int, num_classes: int = 10) -> nn.Module:
    """The space's network part: ``build_nb101`` of a cell (a ModelSpec or an
    ``(adjacency, ops)`` pair) at stem channels ``width``."""
    if isinstance(arch, ModelSpec):
        return build_nb101(arch, stem_channels=width, num_classes=num_classes)
    matrix, ops = arch
    return build_nb101(matrix, ops, stem_channels=width, num_classes=num_classes)


def params_flops(arch, width: int, num_classes: int = 10, image_size: int = 32) -> tuple[int, float]:
    """(parameters, MFLOPs per image) of ``build(arch, width, num_classes)`` from the cell.

    The same numbers as counting the built network (:mod:`zsnas.networks.flops`),
    from :func:`compute_vertex_channels` alone: every conv-bn-relu of c_in → c_out
    channels and kernel k has k²·c_in·c_out + 2·c_out parameters and
    k²·c_in·c_out·s² MACs at side s (stride 1, 'same' padding); a cell has a 1×1
    projection per vertex fed by the input (and one to the output if M[0, V-1]),
    each interior vertex its op (max-pool free); the stem is a conv3x3 3 → width,
    each later stack halves s (max-pool) and doubles the channels; the classifier
    is Linear(c, classes) with bias.  Tests check it against the built network.
    """
    spec = arch if isinstance(arch, ModelSpec) else ModelSpec(*arch)
    if not spec.valid_spec:
        raise ValueError("nb101 params_flops: spec has no input->output path")
    rows = [[int(x) for x in r] for r in spec.matrix.tolist()]
    n = len(rows)

    def conv(c_in, c_out, k, side):
        return k * k * c_in * c_out + 2 * c_out, k * k * c_in * c_out * side * side

    side = int(image_size)
    params, macs = conv(3, width, 3, side)
    c_in = c_out = int(width)
    for s in range(3):
        if s > 0:
            side //= 2
            c_out *= 2
        for _ in range(3):
            ch = compute_vertex_channels(c_in, c_out, rows)
            for t in range(1, n - 1):
                if rows[0][t]:
                    p, m = conv(c_in, ch[t], 1, side)
                    params, macs = params + p, macs + m
                op = spec.ops[t]
                if op in (OPS[0], OPS[1]):
                    p, m = conv(ch[t], ch[t], 3 if op == OPS[0] else 1, side)
                    params, macs = params + p, macs + m
            if rows[0][n - 1]:
                p, m = conv(c_in, c_out, 1, side)
                params, macs = params + p, macs + m
            c_in = c_out
    params += c_out * num_classes + num_classes
    macs += c_out * num_classes + num_classes
    return int(params), macs / 1e6
