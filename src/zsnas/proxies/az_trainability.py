"""``az_trainability``: s^T of AZ-NAS -- Lee & Ham, "AZ-NAS: Assembling Zero-Cost Proxies
for Network Architecture Search", CVPR 2024 (reference: cvlab-yonsei/AZ-NAS,
``NB201/ZeroShotProxy/compute_az_nas_score.py``, ``info['trainability']``).

Same re-initialisation, Gaussian input and train-mode forward as
:mod:`.az_expressivity`, with autograd; then for every pair of consecutive block
features (f_{l−1} → f_l), from the last pair to the first::

    g_out ~ Rademacher (±1) of f_l's shape           (from fixed_generator)
    g_in  = (∂f_l/∂f_{l−1})ᵀ g_out                     (backward through block l only)
    g_in == g_out exactly (identity block)  →  score_l = −inf
    otherwise, if the side shrank by r: g_in ← PixelUnshuffle(r)(g_in)
    M     = G_inᵀ G_out / (B·H·W)        (per-position rows: C_in·r² × C_out)
    σ     = σ_max(M),   score_l = −σ − 1/(σ + 1e-6) + 2
    az_trainability = mean_l score_l                   (NaN → −inf, as the reference)

A random-projection estimate of the spectral norm of the block Jacobian; the score is
≤ 0, best (0) when σ = 1.  Higher = better.  The paper states s^T in terms of the
spectral norm σ of each block's Jacobian (−σ − 1/σ + 2) estimated with random
projections; we follow the reference's estimator: σ_max of the channel × channel
matrix M = mean over positions and samples of g_in g_outᵀ, with 1/(σ + 1e-6) for 1/σ,
identity blocks scored −inf.  An NB201 cell
with no input→output path gives σ = 0 (score −1e6 + 2) for the pairs it enters, a
finite value.  Details and deviations: :mod:`zsnas.proxies.az_nas`.

Cost: one forward with autograd, one backward through each block (≈ one input-gradient
backward of the network; no weight gradients), one small SVD per block pair.
"""
from __future__ import annotations

from .az_nas import az_components
from .registry import register


@register("az_trainability", group="own", higher_is_better=True, version="1")
def az_trainability(net, x, y) -> float:
    """s^T = mean over block pairs of −σ − 1/(σ+1e-6) + 2, σ = σ_max(E[g_in g_outᵀ]) (AZ-NAS, CVPR 2024)."""
    return az_components(net, x, ("trainability",))["trainability"]
