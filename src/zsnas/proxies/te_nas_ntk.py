"""``te_nas_ntk``: the NTK half of TE-NAS -- Chen, Gong & Wang, "Neural Architecture Search
on ImageNet in Four GPU Hours: A Theoretically Inspired Perspective", ICLR 2021
(reference: VITA-Group/TENAS, ``lib/procedures/ntk.py`` ``get_ntk_n``, called from
``prune_tenas.py`` with ``train_mode=True, num_batch=1``).

On the network at its own initial weights, in train mode (BN normalises with the
statistics of the batch), one forward of the first ``NTK_BATCH`` = 72 samples of the
real batch x; then for every sample i::

    J_i  = ∂(Σ_c f(x)_{i,c}) / ∂θ          (θ = every parameter whose name contains
                                             "weight" and that receives a gradient)
    Θ    = J Jᵀ                             (n × n empirical NTK, Θ_ij = ⟨J_i, J_j⟩)
    te_nas_ntk = λ_max(Θ) / λ_min(Θ)        (condition number)

Lower = better (TE-NAS prunes the operator whose removal lowers the condition number
most; AZ-NAS's per-architecture port returns ``-cond`` as a higher-is-better score).

**What the reference differentiates.**  ``logit[i:i+1].backward(ones)``: the sum of
sample i's logits, back-propagated through the graph of the *whole* batch (so, with
train-mode BN, J_i also carries the dependence of sample i's logits on the other
samples through the batch statistics).  The parameters are those whose name contains
``"weight"`` -- conv and linear weights *and* the BN scale γ -- biases (BN β, the
classifier's bias) excluded; a parameter without a gradient (not on any path) is
skipped, as the reference skips ``W.grad is None``.

**Vectorised.**  The n backward passes are one ``torch.autograd.grad(...,
is_grads_batched=True)`` over the rows of the identity (vmap over the backward), in
chunks of ``NTK_CHUNK`` samples to bound memory (each chunk holds NTK_CHUNK copies of
the backward's activation gradients).  The tests check that this equals an explicit
loop of per-sample backwards.  The FLOPs are inherently those of n full-batch
backwards (train-mode BN couples the samples, so no per-sample shortcut applies):
80-150 s for NB201 C=16 with 64 samples of 32×32 on one CPU thread (the other proxies
here take 1-3 s); on a GPU the batched backward is what makes it affordable.

**Batch size.**  The TE-NAS launcher (``prune_launch.py``) uses 72 samples on
NAS-Bench-201 (14 / 24 on DARTS); we use ``x[:72]`` -- the whole batch when it has at
most 72 samples (NB201's default 64), the first 72 of a larger one (NB101's 256).

**Network and weights.**  TE-NAS computes the NTK on a pruning supernet (C=3, N=1) to
rank operators; scoring single architectures on the network itself at its own
initialisation follows AZ-NAS's NAS-Bench-201 port of TE-NAS
(``NB201/ZeroShotProxy/compute_te_nas_score.py``: the benchmark network, train mode, one
real batch).  ``prune_tenas.py`` calls ``init_model(net, init + "_fanout")`` before the
NTK, but with the launcher's ``init = 'kaiming_normal'`` the resulting
``'kaiming_normal_fanout'`` matches none of ``init_model``'s keys
(``'kaiming_norm_fanin'`` / ``'kaiming_norm_fanout'``), so the reference in fact keeps the
constructor's initialisation; we likewise re-initialise nothing (every proxy here starts
from the same initial weights).

**Numerics and degenerate networks.**  The reference forms Θ and its eigenvalues in the
network's float32 (``torch.symeig``); we accumulate Θ in float64 (layer by layer, so the
per-sample gradients stay in the network's dtype) and use ``eigvalsh``.  Θ is positive
semi-definite; when λ_min ≤ 0 (a singular NTK, where float32 rounding makes the
reference return a meaningless, possibly negative ratio) the value is +inf -- the
condition number of a singular matrix, the worst score.  A zero NTK (no parameter
receives any gradient, e.g. an NB201 cell with no input→output path: λ_max = λ_min = 0,
the reference's 0/0) or a non-finite one gives NaN, returned as the value.

Cost: one forward of ≤ 72 samples, then the equivalent of n (≤ 72) backwards.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .registry import register

__all__ = [
    "NTK_BATCH",
    "NTK_CHUNK",
    "condition_number",
    "ntk_gram",
    "ntk_parameters",
    "per_sample_logit_grads",
    "te_nas_ntk",
]

#: Samples of the batch used for the NTK (TE-NAS's NAS-Bench-201 batch size).
NTK_BATCH = 72
#: Samples whose backwards are batched together in one vmapped ``autograd.grad`` call.
NTK_CHUNK = 16


def ntk_parameters(net: nn.Module) -> list[nn.Parameter]:
    """The parameters the reference differentiates: every one whose name contains "weight"."""
    return [p for name, p in net.named_parameters() if "weight" in name]


def per_sample_logit_grads(net: nn.Module, x: torch.Tensor, params=None,
                           chunk: int = NTK_CHUNK) -> list[torch.Tensor]:
    """``J_i = ∂(Σ_c f(x)_{i,c})/∂θ`` for every sample i of one forward of ``x`` (in ``net``'s
    current mode), one tensor ``(n, *θ.shape)`` per parameter that receives a gradient.

    The n vector-Jacobian products (grad_outputs = rows of the identity) run as batched
    backwards of ``chunk`` rows each.  Parameters off every path are left out.
    """
    params = ntk_parameters(net) if params is None else list(params)
    with torch.enable_grad():
        logits = net(x)
        s = logits.reshape(logits.shape[0], -1).sum(dim=1)
        n = s.shape[0]
        if not params or not s.requires_grad:
            return []
        eye = torch.eye(n, dtype=s.dtype, device=s.device)
        parts: list[list[torch.Tensor] | None] = [[] for _ in params]
        chunk = max(1, int(chunk))
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            grads = torch.autograd.grad(s, params, grad_outputs=eye[start:stop],
                                        retain_graph=stop < n, allow_unused=True,
                                        is_grads_batched=True)
            for k, g in enumerate(grads):
                if g is None:
                    parts[k] = None
                elif parts[k] is not None:
                    parts[k].append(g.detach())
    return [torch.cat(p, dim=0) for p in parts if p]


def ntk_gram(grads: list[torch.Tensor]) -> torch.Tensor | None:
    """Θ = Σ_θ J_θ J_θᵀ in float64 (n × n); None when there is no gradient at all."""
    gram = None
    for g in grads:
        flat = g.reshape(g.shape[0], -1).to(torch.float64)
        term = flat @ flat.T
        gram = term if gram is None else gram + term
    return gram


def condition_number(gram: torch.Tensor | None) -> float:
    """λ_max/λ_min of a PSD matrix: +inf when λ_min ≤ 0 < λ_max, NaN when Θ is zero,
    missing or non-finite (module docstring)."""
    if gram is None or not bool(torch.isfinite(gram).all()):
        return math.nan
    try:
        lam = torch.linalg.eigvalsh(gram)
    except RuntimeError:  # failed to converge
        return math.nan
    lo, hi = float(lam[0]), float(lam[-1])
    if not hi > 0.0:
        return math.nan
    if not lo > 0.0:
        return math.inf
    return hi / lo


@register("te_nas_ntk", group="own", higher_is_better=False, version="1")
def te_nas_ntk(net, x, y) -> float:
    """te_nas_ntk = λ_max/λ_min of Θ = J Jᵀ, J_i = ∂Σ_c f(x)_{i,c}/∂θ over the "weight"
    parameters, train mode, x[:72] (TE-NAS, Chen et al., ICLR 2021; lower = better)."""
    net.train()
    grads = per_sample_logit_grads(net, x[:NTK_BATCH])
    return condition_number(ntk_gram(grads))
