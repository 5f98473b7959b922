"""``az_progressivity``: s^P of AZ-NAS -- Lee & Ham, "AZ-NAS: Assembling Zero-Cost Proxies
for Network Architecture Search", CVPR 2024 (reference: cvlab-yonsei/AZ-NAS,
``NB201/ZeroShotProxy/compute_az_nas_score.py``, ``info['progressivity']``).

With the per-block spectral entropies e_0 … e_{L−1} of :mod:`.az_expressivity` (same
re-initialisation, Gaussian input and train-mode forward)::

    az_progressivity = min_{l=1..L−1} (e_l − e_{l−1})      (NaN → −inf, as the reference)

Higher = better (expressivity should grow from block to block; the worst step counts).
Zero features (an NB201 cell with no input→output path) give −inf; fewer than two blocks
give NaN.  Details and deviations: :mod:`zsnas.proxies.az_nas`.

Cost: one no-grad forward of the batch, one C×C ``eigvalsh`` per block.
"""
from __future__ import annotations

from .az_nas import az_components
from .registry import register


@register("az_progressivity", group="own", higher_is_better=True, version="1")
def az_progressivity(net, x, y) -> float:
    """s^P = min over consecutive blocks of the increase of the spectral entropy (AZ-NAS, CVPR 2024)."""
    return az_components(net, x, ("progressivity",))["progressivity"]
