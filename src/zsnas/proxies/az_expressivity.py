"""``az_expressivity``: s^E of AZ-NAS -- Lee & Ham, "AZ-NAS: Assembling Zero-Cost Proxies
for Network Architecture Search", CVPR 2024 (reference: cvlab-yonsei/AZ-NAS,
``NB201/ZeroShotProxy/compute_az_nas_score.py``, ``info['expressivity']``).

On a private copy, Kaiming-normal (fan-in) re-initialised from ``fixed_generator``, one
train-mode forward of a Gaussian batch of x's shape; for every block feature f_l (the
stem and every cell / reduction block; NB201's final ``lastact`` excluded)::

    F   = f_l as (B·H·W) × C, centred;  Σ = FᵀF / (B·H·W);  p = eig(Σ) / Σ eig(Σ)
    e_l = Σ_k −p_k·log(p_k + 1e-8)
    az_expressivity = Σ_l e_l          (NaN → −inf, as the reference)

Higher = better (the isotropy of the feature distributions).  Zero features (an NB201
cell with no input→output path) give −inf.  All details -- the blocks, the draws, the
float64 eigen-decomposition, the deviations -- are in :mod:`zsnas.proxies.az_nas`.

Cost: one no-grad forward of the batch, one C×C ``eigvalsh`` per block.
"""
from __future__ import annotations

from .az_nas import az_components
from .registry import register


@register("az_expressivity", group="own", higher_is_better=True, version="1")
def az_expressivity(net, x, y) -> float:
    """s^E = Σ_blocks entropy of the normalised channel-covariance spectrum (AZ-NAS, CVPR 2024)."""
    return az_components(net, x, ("expressivity",))["expressivity"]
