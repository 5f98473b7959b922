"""``te_nas_lr``: the linear-region half of TE-NAS -- Chen, Gong & Wang, "Neural
Architecture Search on ImageNet in Four GPU Hours: A Theoretically Inspired
Perspective", ICLR 2021 (reference: VITA-Group/TENAS,
``lib/procedures/linear_region_counter.py`` ``Linear_Region_Collector`` /
``LinearRegionCount``, built in ``prune_tenas.py`` as
``Linear_Region_Collector(input_size=(1000, 1, 3, 3), sample_batch=3)``).

The number of linear regions of the ReLU network that a set of inputs falls into,
counted as the number of distinct activation patterns::

    for each of LR_BATCHES = 3 batches of LR_SAMPLES = 1000 inputs u
        (u ~ N(0, 1) from fixed_generator, of shape (1, 3, 3) on the space's thin
        network, or (C_in, 4, 4) on the network itself; see "Network" below):
        one train-mode forward under no_grad; for every nn.ReLU module whose input is a
        4-D map, the code c = [ReLU output > 0] flattened per sample
    pattern(u) = concatenation of all codes of u        (one 0/1 row per input)
    te_nas_lr = number of distinct rows among the 3000 patterns

Higher = better (TE-NAS keeps operators whose removal would lose linear regions).

**Counting.**  The reference computes ``Σ_n 1/#{m : pattern_m = pattern_n}`` from the
Hamming distances ``A(1−A)ᵀ + (1−A)Aᵀ`` (a half-precision matmul; its positive integer
sums never round to 0, so it counts exactly); that is the number of distinct rows,
which we count directly (rows bit-packed, ``numpy.unique``).  Modules are matched as in
the reference (``isinstance(m, nn.ReLU)``, 4-D input only, the hook reading the ReLU's
output); a ReLU called several times adds one code per call.  A network without such a
ReLU is linear on its whole input space: 1 region (the reference would fail).

**BN mode.**  As the reference (``network_thin.train()`` under ``torch.no_grad``): BN
normalises each batch of 1000 inputs with its own statistics.

**Inputs.**  The reference feeds real training images: a random 3×3 crop of one randomly
chosen channel (``RandomCrop(3)`` + ``RandChannel(1)``).  We draw standard Gaussian
inputs from :func:`~zsnas.proxies.common.fixed_generator` -- the same inputs for every
architecture, as AZ-NAS's NAS-Bench-201 port of TE-NAS also feeds ``torch.randn`` --
in ``x.dtype`` on ``x.device``; only x's channel count is used.

**Network.**  The reference counts on a *rebuilt thin network*: one NAS-Bench-201
search cell with C = 1 channel, no stem, no reduction block (``model_config_thin``:
``C=1, N=1, depth=1, use_stem=False``), fed the 1-channel 3×3 crops.  Where the space's
network provides it (``linear_region_network(seed)``: NB201, this architecture's cell at
C = 1 followed by the final BN + ReLU, weights from the constructors' initialisation
seeded with :data:`~zsnas.proxies.common.FIXED_SEED`) we count on that thin network with
(1, 3, 3) Gaussian inputs, as the reference.

**The fallback: the deviation.**  A thin rebuild cannot be made for every space (an
NB101 cell cannot be built at C = 1: its output channels are split among the vertices),
so there we count on the received network itself, at its own width, depth and
initial weights, and keep the reference's sample count and (nearly) its input size:
(C_in, 4, 4) instead of 1×3×3 -- the stem needs x's C_in channels, and 4×4 is the
smallest side that both spaces downsample as designed (NB201's reduction block would
broadcast a 1×1 shortcut onto a 2×2 residual at 3×3; NB101's second max-pool would
leave nothing).  Consequence: the full-width network has far more ReLU units than the
thin cell (NB201 C=16: about 600-14,000 per input, against at most 117 in the thin
supernet cell, 63 for a single-path one), so almost every input gets its own pattern
and the count saturates at 3000 for most architectures; it mainly separates the
degenerate ones.  (AZ-NAS's per-architecture NB201 port of TE-NAS counts on the full
network with one Gaussian batch of the data's size, and so saturates at the batch size.)  The reference's thin-network
initialisation (``init_model(..., init + "_fanin")``) is a no-op with the launcher's
``init = 'kaiming_normal'`` (the key never matches), so it uses the constructor's
initialisation; we use the network's own initial weights.

Cost: 3 no-grad forwards of 1000 inputs (NB201: through one 1-channel cell on 3×3;
else the network on 4×4, about the pixels of 47 32×32 images), and a sort of 3000
bit-packed rows.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .common import FIXED_SEED, fixed_generator
from .registry import register

__all__ = [
    "LR_BATCHES",
    "LR_SAMPLES",
    "LR_SIZE",
    "count_distinct_rows",
    "lr_inputs",
    "relu_patterns",
    "te_nas_lr",
]

#: Batches of inputs (the reference's ``sample_batch``).
LR_BATCHES = 3
#: Inputs per batch (the reference's ``input_size[0]``).
LR_SAMPLES = 1000
#: Spatial side of each input (reference: 3; see the module docstring).
LR_SIZE = 4


def relu_patterns(net: nn.Module, inputs: torch.Tensor) -> np.ndarray:
    """Bit-packed activation patterns (n × ⌈D/8⌉ uint8) of one no-grad forward of ``inputs``:
    ``[output > 0]`` of every ``nn.ReLU`` call whose input is 4-D, concatenated per sample."""
    codes: list[np.ndarray] = []

    def hook(module, inp, out):
        if isinstance(inp, tuple) and inp and inp[0].dim() == 4:
            codes.append((out.detach().reshape(out.shape[0], -1) > 0).cpu().numpy())

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.ReLU)]
    try:
        with torch.no_grad():
            net(inputs)
    finally:
        for h in handles:
            h.remove()
    n = inputs.shape[0]
    if not codes:
        return np.zeros((n, 0), dtype=np.uint8)
    return np.packbits(np.concatenate(codes, axis=1), axis=1)


def count_distinct_rows(rows: np.ndarray) -> int:
    """Number of distinct rows of a 2-D array (1 for rows of width 0, 0 for no rows)."""
    if rows.shape[0] == 0:
        return 0
    if rows.shape[1] == 0:
        return 1
    return int(np.unique(np.ascontiguousarray(rows), axis=0).shape[0])


def lr_inputs(x: torch.Tensor, batches: int = LR_BATCHES, samples: int = LR_SAMPLES,
              size: int = LR_SIZE) -> list[torch.Tensor]:
    """The fixed Gaussian input batches (``batches`` × (samples, C_in, size, size))."""
    gen = fixed_generator(x.device)
    return [torch.randn((samples, x.shape[1], size, size), generator=gen, dtype=x.dtype,
                        device=x.device) for _ in range(batches)]


#: Spatial side of the inputs of a thin network (the reference's 1×3×3 crops).
THIN_SIZE = 3


@register("te_nas_lr", group="own", higher_is_better=True, version="1")
def te_nas_lr(net, x, y) -> float:
    """te_nas_lr = #distinct ReLU activation patterns of 3×1000 Gaussian inputs, train-mode
    BN per batch, on the space's thin network (1×3×3 inputs) where it has one, else on the
    network itself ((C_in, 4, 4) inputs) (TE-NAS, Chen et al., ICLR 2021; higher = better)."""
    thin = getattr(net, "linear_region_network", None)
    if thin is not None:
        net = thin(FIXED_SEED).to(device=x.device, dtype=x.dtype)
        probe = x[:, :1]
        size = THIN_SIZE
    else:
        probe, size = x, LR_SIZE
    net.train()
    patterns = np.concatenate([relu_patterns(net, u) for u in lr_inputs(probe, size=size)],
                              axis=0)
    return float(count_distinct_rows(patterns))
