"""zico (Li, Yang, Bhardwaj & Marculescu, "ZiCo: Zero-shot NAS via Inverse Coefficient of
Variation on Gradients", ICLR 2023; reference: SLDGroup/ZiCo ``ZeroShotProxy/compute_zico.py``).

The batch is split into S = 2 parts (part s = samples ``s·N//S … (s+1)·N//S − 1``,
the NASLib / foresight ``split_data`` rule; the reference instead takes its
``--maxbatch 2`` first loader batches).  For each part, one train-mode forward
(BN normalises with *that part's* statistics), mean cross-entropy, one
backward gives the weight gradients g_s of every Conv2d/Linear layer.  Then,
per layer l and per weight entry θ, across the S parts::

    μ_θ = mean_s |g_s,θ|,     σ_θ = std_s g_s,θ   (population std, ``np.std``, ddof = 0)
    r_l = Σ_{θ ∈ l, σ_θ ≠ 0} μ_θ / σ_θ
    zico = Σ_{l : r_l ≠ 0} log r_l

Layers with r_l = 0 (every entry has zero spread, e.g. a layer that gets no
gradient) are skipped, as in the reference (``if tmpsum == 0: pass``).  With
S = 2, μ/σ = (|g₁|+|g₂|)/|g₁−g₂| ≥ 1 for every counted entry, so each counted
layer adds log r_l ≥ 0 and zico ≥ 0; an NB201 cell with no input→output path
(all weight gradients 0) scores exactly 0.0, the minimum.  A non-finite
gradient makes σ or μ non-finite; such entries are not "zero-std", the
reference keeps them, and the score becomes NaN (returned, never raised).  A
batch with fewer than S samples cannot be split and scores NaN.

**Per-part gradients (a choice between reference versions).**  The copy of
``compute_zico.py`` read for this port (SLDGroup/ZiCo commit bbabe28) calls
``loss.backward()`` for each batch *without* ``zero_grad`` in between, so its
second recorded "gradient" is the accumulated g₁+g₂; the paper's definition
(mean and variance of the gradient across batches) and the later copies of
this function (with ``network.zero_grad()`` per batch, also when one batch is
chunked) use independent per-part gradients.  We register the per-part
version; :func:`zico_score` ``(..., cumulative=True)`` reproduces the
accumulating variant but is not registered.

Other reference semantics kept: only ``.weight`` of Conv2d/Linear counts
(no biases, no BN); natural log; the sum (not the mean) over layers; train
mode.  Statistics are computed in float64 on the scoring device instead of
float32 numpy (last digits only).

Group ``own``: its two half-batch passes are not the shared full-batch pass.
Cost: 2 forwards + 2 backwards on N/2 samples each (≈ one full-batch forward
+ backward).  Higher = better (the reference ranks by the maximum).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .common import scored_layers
from .registry import register

#: Number of batch parts whose gradients are compared.
SPLITS = 2


def zico_score(grads_per_part, cumulative: bool = False) -> float:
    """ZiCo from per-part gradients: ``grads_per_part[s][l]`` = part s's gradient of layer l.

    ``cumulative=True`` first replaces part s's gradients by the running sum over parts
    0..s (the reference copy without ``zero_grad``).
    """
    parts = [list(p) for p in grads_per_part]
    if len(parts) < 2:
        raise ValueError("zico needs the gradients of at least 2 batch parts")
    n_layers = len(parts[0])
    if any(len(p) != n_layers for p in parts):
        raise ValueError("zico: every part must give one gradient per layer")
    if n_layers == 0:
        return 0.0
    sums = []
    for layer in range(n_layers):
        g = torch.stack([p[layer].detach().reshape(-1).to(torch.float64) for p in parts])  # S × n
        if cumulative:
            g = g.cumsum(dim=0)
        std = g.std(dim=0, unbiased=False)
        mean_abs = g.abs().mean(dim=0)
        nonzero = std != 0  # NaN counts as non-zero, like np.nonzero
        ratio = torch.where(nonzero, mean_abs / torch.where(nonzero, std, torch.ones_like(std)),
                            torch.zeros_like(std))
        sums.append(ratio.sum())
    total = 0.0
    for r in torch.stack(sums).cpu().tolist():  # one transfer
        if r != 0:
            total += math.log(r) if r > 0 else math.nan
    return float(total)


@register("zico", group="own", higher_is_better=True, version="1")
def zico(net, x, y) -> float:
    """zico = Σ_l log Σ_{σ≠0} mean_s|g_s| / std_s g_s over 2 half-batch CE gradients of the
    Conv2d/Linear weights (Li et al., ICLR 2023; SLDGroup/ZiCo, per-part gradients)."""
    n = int(x.shape[0])
    if n < SPLITS:
        return math.nan
    weights = [layer.weight for layer in scored_layers(net)]
    if not weights:
        return 0.0
    parts = []
    for s in range(SPLITS):
        lo, hi = s * n // SPLITS, (s + 1) * n // SPLITS
        loss = F.cross_entropy(net(x[lo:hi]), y[lo:hi])
        grads = torch.autograd.grad(loss, weights, allow_unused=True)
        parts.append([torch.zeros_like(w) if g is None else g for w, g in zip(weights, grads)])
    return zico_score(parts)
