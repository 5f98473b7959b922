"""``swap``: Peng et al., "SWAP-NAS: Sample-Wise Activation Patterns for Ultra-fast NAS",
ICLR 2024 (reference: pym1024/SWAP, ``src/metrics/swap.py`` and ``correlation.py``).

On a private copy of the network, re-initialised like the reference
(``network_weight_gaussian_init``: Conv2d/Linear weights ~ N(0, 1), biases 0,
BatchNorm2d/GroupNorm weight 1, bias 0), one train-mode forward of the first
``SAMPLES`` = 16 samples of the batch (the reference's ``--input_samples`` default)::

    A  = [ sign(out_r) flattened per sample  for every nn.ReLU call r whose input is 4-D ]
         -> an N × D matrix (N samples, D = all ReLU output units), entries in {0, 1}
    Aᵀ = D × N: row d is unit d's *sample-wise* activation pattern over the N samples
    swap = number of distinct rows of Aᵀ            (1 ≤ swap ≤ min(D, 2^N))

**What is hooked.**  Forward hooks on every ``nn.ReLU`` module (``isinstance``, as the
reference), reading the ReLU's *output* (ReLU outputs are ≥ 0, so the reference's
``sign`` is the code [output > 0]); calls whose input is not 4-D (e.g. a ReLU after a
Linear) are ignored, as in the reference.  (For a ReLU, [output > 0] = [input > 0],
so reading the ReLU's input would give the same codes.)  In NB201 these are the ReLUs
of every ReLU-Conv-BN op (cell edges, reduction blocks) and of ``lastact``; in NB101
those of every Conv-BN-ReLU (vertex ops and 1×1 projections).  A NaN activation is coded 0
(the reference's ``sign`` would keep NaN, and ``torch.unique`` would count each such
row apart); with finite activations the two agree.

**Counting.**  Each unit's N-bit pattern is packed into int64 words (62 samples per
word) inside the hook, so the N × D matrix is never stored; distinct patterns are
counted with ``torch.bincount`` (one word, N ≤ 20) or ``torch.unique(dim=0)`` --
the same count as the reference's ``torch.unique`` on the transposed sign matrix.

**Regularised SWAP.**  The paper also reports a regularised score,
``swap · exp(−(P − μ)² / σ)`` with P the parameter count in thousands (the reference's
``count_parameters`` = Σ numel / 1e3, "auxiliary" parameters excluded; note σ, not
2σ²).  The reference repository sets no μ, σ (its ``correlation.py`` runs
``regular=False``) and we could not pin the paper's NB201 values from a primary
source, so the registered ``swap`` is the *unregularised* SWAP-Score;
:func:`regular_factor` gives the factor for explicit μ, σ.

**Deviations.**  (1) ``correlation.py`` averages 32 re-initialisations (``--repeats
32``); the registered value uses one (:func:`swap_score` takes ``repeats``): the
pattern count of one draw, for 32× less work.  (2) The weights and nothing else are
drawn, from :func:`~zsnas.proxies.common.fixed_generator` (``modules()`` order), never
the global RNG.  (3) The batch comes from the caller (the reference: 16 CIFAR training
images); a batch of fewer than 16 samples is used whole.

**Saturation.**  With N samples the count is capped at 2^N; with 16 samples a
full-size NB201 network (C = 16, 5 cells per stage, 32×32 inputs) has ~10⁵–10⁶ ReLU
units, and a conv-heavy cell already reaches 65,337 of the 65,536 possible patterns
(measured), so the largest networks tie near the cap.  ``swap_score(samples=…)`` scores more samples
(one int64 word per 62 samples) if that matters.

Degenerate NB201 cell (no input→output path): the cells have no ReLU and every other
ReLU (reduction blocks, ``lastact``) sees zeros, so all patterns are 0…0: swap = 1.  Higher = better.

Cost: one forward of 16 samples, no backward.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .common import fixed_generator, gaussian_init_
from .registry import register

__all__ = [
    "BITS_PER_WORD",
    "SAMPLES",
    "count_unique_patterns",
    "pack_patterns",
    "regular_factor",
    "swap",
    "swap_score",
]

#: Samples of the batch used (reference ``correlation.py --input_samples`` default).
SAMPLES = 16
#: Samples packed per int64 word of a pattern (keeps every word non-negative).
BITS_PER_WORD = 62
_BINCOUNT_MAX_BITS = 20



def pack_patterns(active: torch.Tensor) -> torch.Tensor:
    """``active`` (N samples × D units, bool) → D × ⌈N/62⌉ int64: each unit's pattern as bits."""
    n = active.shape[0]
    words = []
    for start in range(0, n, BITS_PER_WORD):
        chunk = active[start:start + BITS_PER_WORD].to(torch.int64)
        shifts = torch.arange(chunk.shape[0], dtype=torch.int64, device=active.device)
        words.append((chunk << shifts[:, None]).sum(dim=0))
    return torch.stack(words, dim=1)


def count_unique_patterns(codes: torch.Tensor, n_samples: int, method: str = "auto") -> int:
    """Number of distinct rows of packed patterns ``codes`` (D × words int64).

    ``method``: ``"bincount"`` (one word of ≤ 20 bits), ``"unique"`` or ``"auto"``.
    """
    if codes.shape[0] == 0:
        return 0
    if method == "auto":
        method = "bincount" if n_samples <= _BINCOUNT_MAX_BITS else "unique"
    if method == "bincount":
        if codes.shape[1] != 1 or n_samples > _BINCOUNT_MAX_BITS:
            raise ValueError("bincount counting needs one word of at most 20 bits")
        return int(torch.count_nonzero(torch.bincount(codes[:, 0], minlength=1 << n_samples)))
    if codes.shape[1] == 1:
        return int(torch.unique(codes[:, 0]).numel())
    return int(torch.unique(codes, dim=0).shape[0])


def regular_factor(model: nn.Module, mu: float, sigma: float) -> float:
    """exp(−(P − μ)²/σ), P = Σ numel of the non-"auxiliary" parameters / 1e3 (reference formula)."""
    p = sum(v.numel() for name, v in model.named_parameters() if "auxiliary" not in name) / 1e3
    return math.exp(-((p - mu) ** 2) / sigma)


def _one_pass(net: nn.Module, inputs: torch.Tensor) -> int:
    n = inputs.shape[0]
    codes: list[torch.Tensor] = []

    def hook(module: nn.Module, args, out) -> None:
        if isinstance(args, tuple) and args and torch.is_tensor(args[0]) and args[0].dim() == 4:
            codes.append(pack_patterns(out.detach().reshape(n, -1) > 0))

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.ReLU)]
    try:
        with torch.no_grad():
            net(inputs)
    finally:
        for h in handles:
            h.remove()
    if not codes:  # the reference returns None here
        return 0
    return count_unique_patterns(torch.cat(codes, dim=0), n)


def swap_score(net: nn.Module, x: torch.Tensor, *, samples: int = SAMPLES, repeats: int = 1,
               mu: float | None = None, sigma: float | None = None) -> float:
    """SWAP-Score of ``net`` (modified in place: re-initialised, train mode) on ``x[:samples]``.

    ``repeats`` re-initialisations (successive draws of one fixed generator) are averaged,
    like ``correlation.py``; with ``mu`` and ``sigma`` the result is multiplied by
    :func:`regular_factor` (computed before the re-initialisation, as the reference).
    """
    factor = regular_factor(net, mu, sigma) if mu is not None and sigma is not None else 1.0
    gen = fixed_generator(x.device)
    inputs = x[:samples]
    net.train()
    total = 0
    for _ in range(repeats):
        gaussian_init_(net, gen)
        total += _one_pass(net, inputs)
    return total / repeats * factor


@register("swap", group="own", higher_is_better=True, version="1")
def swap(net, x, y) -> float:
    """swap = #distinct sample-wise patterns [ReLU output > 0] over units, N(0,1) weights, x[:16].

    SWAP-Score (Peng et al., ICLR 2024; pym1024/SWAP): ReLUs with 4-D inputs, train mode, one
    Gaussian re-initialisation from the fixed generator; unregularised.
    """
    return swap_score(net, x)
