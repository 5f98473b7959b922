"""Shared computation of the AZ-NAS components (helper module; registers nothing).

Lee & Ham, "AZ-NAS: Assembling Zero-Cost Proxies for Network Architecture Search",
CVPR 2024.  Reference: cvlab-yonsei/AZ-NAS, ``NB201/ZeroShotProxy/compute_az_nas_score.py``
``compute_nas_score`` with the NAS-Bench-201 evaluation of ``NB201/tss_general.ipynb``
(``az_nas`` is not among its ``real_input_metrics``, so it is fed Gaussian inputs) and
the network's ``extract_cell_features`` (``NB201/custom/tss_model.py``).  The three
components registered as proxies -- :mod:`.az_expressivity` (s^E),
:mod:`.az_progressivity` (s^P), :mod:`.az_trainability` (s^T) -- call
:func:`az_components`; the fourth, complexity, is FLOPs (the ``flops`` proxy).  The
AZ-NAS score itself (Σ of log-normalised ranks over the candidate set) is a rank
ensemble computed elsewhere.

The procedure, on a private copy of the network::

    1. re-initialisation (reference ``init_model(model, 'kaiming_norm_fanin')``): every
       Conv2d / Linear weight ~ N(0, 2/fan_in) (``kaiming_normal_``, mode fan_in, ReLU
       gain), their biases 0; every affine BatchNorm2d / GroupNorm weight 1, bias 0;
    2. input u ~ N(0, 1) of x's shape (the data are not used);
    3. one train-mode forward (BN with batch statistics, as ``model.train()``), reading
       the block features f_0 … f_{L-1} with forward hooks (below);
    4. expressivity, per block: F = f_l as (B·H·W) × C, centred over the rows,
       Σ = FᵀF / (B·H·W), s = eigvalsh(Σ), p = s / Σs,
       e_l = Σ_k −p_k·log(p_k + 1e-8)                   (entropy of the spectrum)
       s^E = Σ_l e_l,     s^P = min_l (e_l − e_{l−1})   (l = 1 … L−1)
    5. trainability, for l = L−1 down to 1: g_out ∈ {±1} Rademacher of f_l's shape,
       g_in = (∂f_l/∂f_{l−1})ᵀ g_out  (one backward through block l alone);
       if g_in == g_out exactly (an identity block): score −inf; else, when the side
       shrank by a stride r, g_in ← PixelUnshuffle(r)(g_in); with G_in ((B·H·W) × C_in),
       G_out ((B·H·W) × C_out) the per-position rows,
       M = G_inᵀ G_out / (B·H·W),  σ = σ_max(M),  score_l = −σ − 1/(σ + 1e-6) + 2
       s^T = mean_l score_l                             (≤ 0, best at σ = 1)
    6. a NaN s^E / s^P / s^T is replaced by −inf (the reference's rule).

All three are higher-is-better.

**Which blocks.**  The reference's feature list is the stem's output followed by the
output of every entry of ``self.cells`` -- the NB201 cells and the two residual
reduction blocks -- but not ``lastact`` (its final BN-ReLU) nor anything after.  We
hook :func:`~zsnas.proxies.common.feature_blocks`: NB201's is
``[stem, *cells, lastact]``, so a trailing block that is the network's ``lastact`` is
dropped, giving exactly the reference's L = 3N + 3 features.  NB101's is its
``layers``' children -- the stem, every cell, and the two down-sampling max-pools --
all kept: they are the network's body in sequence, as ``stem + cells`` is NB201's
(AZ-NAS has no NB101 code; there a max-pool is the stage transition, where NB201 has
its reduction block).

**Randomness.**  The reference draws from torch's global RNG; we draw everything from
:func:`~zsnas.proxies.common.fixed_generator`, in the reference's order: the weights
(``modules()`` order, the order ``model.apply`` reaches the leaf modules), then u, then
the Rademacher vectors from the last block pair to the first.  Tensors are created in
``x.dtype`` on ``x.device``.  Each proxy repeats steps 1-3 on its own copy, so all three
see the same weights and features.

**Numerics.**  The reference computes Σ, its eigenvalues, M and its singular values in
the network's float32; we compute them in float64 from the recorded features / gradients
(agreement to float32 rounding; it removes the float32 cases where a rank-deficient Σ
gets eigenvalues below −1e-8·Σs, whose log makes the reference's s^E NaN, hence −inf).

**Degenerate networks.**  Zero features (an NB201 cell with no input→output path) give
Σ = 0, p = 0/0 = NaN, so s^E = s^P = −inf; zero input-gradients give σ = 0 and
score_l = −1e6 + 2, finite.  A block whose output does not depend on its input gets
g_in = 0 (the reference would fail).  Fewer than two blocks: s^P and s^T are NaN
(undefined; the reference would fail).

Cost: s^E and s^P: one forward under ``torch.no_grad`` and one C×C eigen-decomposition
per block.  s^T: one forward with autograd, then one backward through each block (in
total about one input-gradient backward of the network; no weight gradients) and one
SVD per block pair.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .common import feature_blocks, fixed_generator

__all__ = [
    "COMPONENTS",
    "az_blocks",
    "az_components",
    "az_input",
    "kaiming_fanin_init_",
    "spectral_entropy",
    "trainability_term",
]

#: The components :func:`az_components` can compute.
COMPONENTS = ("expressivity", "progressivity", "trainability")
_EPS_LOG = 1e-8
_EPS_SIGMA = 1e-6


def az_blocks(net: nn.Module) -> list[nn.Module]:
    """The modules whose outputs are the reference's feature list (module docstring)."""
    blocks = feature_blocks(net)
    last = getattr(net, "lastact", None)
    if len(blocks) > 1 and last is not None and blocks[-1] is last:
        blocks = blocks[:-1]
    return blocks


def kaiming_fanin_init_(net: nn.Module, generator: torch.Generator) -> nn.Module:
    """The reference's ``init_model(net, 'kaiming_norm_fanin')``, drawing from ``generator``."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu", generator=generator)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)) and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return net


def az_input(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """u ~ N(0, 1) of x's shape, dtype and device."""
    return torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)


def _rows(t: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) → (B·H·W, C) float64 (a (B, C) map is taken as H = W = 1)."""
    t = t.detach().to(torch.float64)
    if t.dim() == 2:
        return t
    if t.dim() != 4:
        raise ValueError(f"AZ-NAS needs 4-D block features, got shape {tuple(t.shape)}")
    return t.permute(0, 2, 3, 1).reshape(-1, t.shape[1])


def spectral_entropy(feature: torch.Tensor) -> float:
    """e = Σ −p·log(p + 1e-8), p = normalised eigenvalues of the channel covariance (NaN if undefined)."""
    rows = _rows(feature)
    rows = rows - rows.mean(dim=0, keepdim=True)
    sigma = rows.T @ rows / rows.shape[0]
    if not bool(torch.isfinite(sigma).all()):
        return math.nan
    try:
        s = torch.linalg.eigvalsh(sigma)
    except RuntimeError:  # failed to converge
        return math.nan
    p = s / s.sum()
    return float((-p * torch.log(p + _EPS_LOG)).sum())


def trainability_term(f_in: torch.Tensor, f_out: torch.Tensor, generator: torch.Generator) -> float:
    """score_l of one block pair (module docstring, step 5); draws g_out from ``generator``.

    Runs the backward of f_out → f_in without retaining the graph.
    """
    g_out = (torch.bernoulli(torch.full_like(f_out, 0.5), generator=generator) - 0.5) * 2
    g_in = None
    if f_out.requires_grad and f_in.requires_grad:
        (g_in,) = torch.autograd.grad(f_out, f_in, grad_outputs=g_out, retain_graph=False,
                                      allow_unused=True)
    if g_in is None:  # f_out does not depend on f_in
        g_in = torch.zeros_like(f_in)
    if g_out.shape == g_in.shape and bool(torch.equal(g_in, g_out)):
        return -math.inf
    if g_out.dim() == 4 and (g_out.shape[2] != g_in.shape[2] or g_out.shape[3] != g_in.shape[3]):
        g_in = F.pixel_unshuffle(g_in, int(g_in.shape[2] / g_out.shape[2]))
    rows_in, rows_out = _rows(g_in), _rows(g_out)
    mat = rows_in.T @ rows_out / rows_out.shape[0]
    sig = float(torch.linalg.svdvals(mat).max())
    return -sig - 1.0 / (sig + _EPS_SIGMA) + 2.0


def _nan_to_neg_inf(v: float) -> float:
    return -math.inf if math.isnan(v) else float(v)


def az_components(net: nn.Module, x: torch.Tensor, which=COMPONENTS) -> dict[str, float]:
    """The AZ-NAS components named in ``which`` (a subset of :data:`COMPONENTS`) of ``net``.

    ``net`` is modified (re-initialised, BN statistics updated): pass a private copy.
    Expressivity and progressivity need only a no-grad forward; trainability runs the
    forward with autograd and the block-wise backwards.
    """
    which = tuple(which)
    bad = [w for w in which if w not in COMPONENTS]
    if bad:
        raise ValueError(f"unknown AZ-NAS component(s) {bad}; known: {', '.join(COMPONENTS)}")
    want_grad = "trainability" in which
    want_expr = "expressivity" in which or "progressivity" in which

    gen = fixed_generator(x.device)
    kaiming_fanin_init_(net, gen)
    u = az_input(x, gen)
    blocks = az_blocks(net)
    feats: list[torch.Tensor | None] = [None] * len(blocks)
    entropies: list[float | None] = [None] * len(blocks)

    def make_hook(i: int):
        def hook(module, inp, out):
            if want_grad:
                feats[i] = out
            if want_expr:  # reduce at once: no copy of the map is kept
                entropies[i] = spectral_entropy(out)
        return hook

    handles = [b.register_forward_hook(make_hook(i)) for i, b in enumerate(blocks)]
    net.train()
    try:
        with torch.set_grad_enabled(want_grad):
            net(u)
    finally:
        for h in handles:
            h.remove()
    missing = [i for i in range(len(blocks)) if (feats if want_grad else entropies)[i] is None]
    if missing:
        raise RuntimeError(f"feature blocks {missing} were not called by the forward")

    out: dict[str, float] = {}
    if want_expr:
        e = np.asarray(entropies, dtype=np.float64)
        if "expressivity" in which:
            out["expressivity"] = _nan_to_neg_inf(float(np.sum(e)))
        if "progressivity" in which:
            out["progressivity"] = (_nan_to_neg_inf(float(np.min(np.diff(e)))) if len(e) > 1
                                    else math.nan)
    if want_grad:
        if len(feats) < 2:
            out["trainability"] = math.nan
        else:
            with torch.enable_grad():
                terms = [trainability_term(feats[i - 1], feats[i], gen)
                         for i in reversed(range(1, len(feats)))]
            out["trainability"] = _nan_to_neg_inf(float(np.mean(terms)))
    return {w: out[w] for w in which}
