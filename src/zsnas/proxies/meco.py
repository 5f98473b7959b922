"""``meco``: Jiang et al., "MeCo: Zero-Shot NAS with One Data and Single Forward Pass via
Minimum Eigenvalue of Correlation", NeurIPS 2023 (reference: HamsterMimi/MeCo, the
``meco`` measure of ``correlation/NAS_Bench_201.py`` / ``correlation/foresight/pruners/
measures/meco.py``).

One train-mode forward of ONE sample (the first of the batch, ``x[:1]``) through the
network at its own initial weights, with a forward hook on every module
(``net.modules()``, like the reference's ``named_modules()``: the root network, every
container that is called -- Sequential, cell, block -- and every leaf).  For each hooked
call with output z (1 × C × …)::

    F   = z[0] reshaped to C × (H·W)          (rows = channels, columns = positions)
    R   = corrcoef(F)                          (C × C channel correlation)
    R[nan] = 0,  R[±inf] = 0
    λ   = min eigenvalue of R

    meco = Σ_calls λ          (calls whose λ is NaN or ±inf are dropped)

Outputs without spatial extent (the pooled C×1×1 map, the logits, the classifier) give
one observation per row, so R is all NaN → 0 and they add λ = 0, as in the reference;
so do the ``none`` (zero) ops.  Higher = better.

**Which sample.**  The paper's NAS-Bench-201 script (``correlation/NAS_Bench_201.py``)
forwards a data loader batch of size 1 -- one real image -- so BN (train mode)
normalises each channel over that image's positions; we take ``x[:1]`` in both spaces.
The repository also has (a) a search-time variant (``zero-cost-nas/…/meco.py``) that
forwards the whole batch and reads sample 0 under whole-batch BN statistics, and (b) the
``correlation/foresight`` measure used by its NB101 script, which replaces the input by
one Gaussian 1×3×64×64 image; we follow the NB201 script in both spaces.

**Modules counted.**  Every module that runs counts once per call, so a tensor that is
the output of several nested modules counts several times (e.g. the BN inside a
Sequential and the Sequential itself) -- the reference's rule.  The score therefore
depends on the module tree: foresight's NB201 model (the reference's) wraps ops in
extra modules (ReLUConvBN → ``op`` Sequential → BN counts its output 3×, ours 2×;
pooling and the stem have one more wrapper there; its cell stacks are Sequentials),
so our values are not numerically those of the reference network, only the same rule
applied to our networks.  Outputs that are not tensors, or whose z[0] is a scalar
(the reference would raise there and score NaN), are skipped; a one-channel output
gives R = [[1]], λ = 1 (the reference's ``eig`` would raise on its 0-d R).

**Eigenvalues.**  The reference calls ``torch.linalg.eig`` and takes the smallest real
part; R is real symmetric, so its eigenvalues are real and ``torch.linalg.eigvalsh``
gives the same minimum up to rounding.  We compute R and λ in float64 (the reference
uses the network's float32), batching the matrices of equal size into one
``eigvalsh`` call; a batch that fails to converge is redone one matrix at a time, a
failing matrix giving NaN (dropped).

Cost: one forward of one sample, no backward; one C×C eigen-decomposition per hooked
call.
"""
from __future__ import annotations

from collections import defaultdict

import torch
from torch import nn

from .registry import register

__all__ = ["channel_correlation", "meco", "min_eigenvalues"]


def channel_correlation(z: torch.Tensor) -> torch.Tensor | None:
    """R = corrcoef(z[0] as C × rest), float64, NaN/±inf entries set to 0.

    None when the call adds nothing: a non-tensor output, a scalar z[0], or one column
    (R would be all NaN, hence 0, with λ = 0).
    """
    if not torch.is_tensor(z) or z.dim() < 2:
        return None
    fea = z[0].detach().to(torch.float64).reshape(z.shape[1], -1)
    if fea.shape[1] < 2:  # one observation per row: R is all NaN -> 0, λ = 0
        return None
    corr = torch.atleast_2d(torch.corrcoef(fea))
    return torch.nan_to_num(corr, nan=0.0, posinf=0.0, neginf=0.0)


def _min_eig(stack: torch.Tensor) -> torch.Tensor:
    try:
        return torch.linalg.eigvalsh(stack).min(dim=-1).values
    except RuntimeError:  # no convergence: redo one by one, failures give NaN
        out = torch.full(stack.shape[:1], float("nan"), dtype=stack.dtype, device=stack.device)
        for i, mat in enumerate(stack):
            try:
                out[i] = torch.linalg.eigvalsh(mat).min()
            except RuntimeError:
                pass
        return out


def min_eigenvalues(corrs: list[torch.Tensor]) -> torch.Tensor:
    """Smallest eigenvalue of each symmetric matrix in ``corrs`` (one batched call per size)."""
    if not corrs:
        return torch.zeros(0, dtype=torch.float64)
    by_size: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(corrs):
        by_size[c.shape[0]].append(i)
    out = torch.empty(len(corrs), dtype=corrs[0].dtype, device=corrs[0].device)
    for idx in by_size.values():
        out[idx] = _min_eig(torch.stack([corrs[i] for i in idx]))
    return out


@register("meco", group="own", higher_is_better=True, version="1")
def meco(net, x, y) -> float:
    """meco = Σ_modules λ_min(corrcoef of the channels of the module's output for one sample).

    MeCo (Jiang et al., NeurIPS 2023; HamsterMimi/MeCo NB201 script): every module hooked, one
    train-mode forward of x[:1], NaN/inf correlations → 0, NaN/inf eigenvalues dropped.
    """
    corrs: list[torch.Tensor] = []

    def hook(module: nn.Module, inputs, out) -> None:
        corr = channel_correlation(out)
        if corr is not None:
            corrs.append(corr)

    handles = [m.register_forward_hook(hook) for m in net.modules()]
    try:
        net.train()
        with torch.no_grad():
            net(x[:1])
    finally:
        for h in handles:
            h.remove()
    lam = min_eigenvalues(corrs)
    lam = lam[torch.isfinite(lam)]
    return float(lam.sum())
