"""Zero-cost proxies (foresight reference semantics, SPEC §1) and baselines.

The six proxies of Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS"
(ICLR 2021) -- :mod:`.grad_norm`, :mod:`.snip`, :mod:`.grasp`, :mod:`.fisher`,
:mod:`.jacob_cov`, :mod:`.synflow` -- and the baselines of :mod:`.baselines`
(params, flops, nwot, random), registered in :data:`PROXIES`
(:mod:`.registry`).  :func:`score_network` (:mod:`.shared`) scores one
network with any selection, sharing passes between proxies.
"""
from __future__ import annotations

from .registry import BASELINES, PROXIES, SIX, ProxySpec, register, resolve, unregister

# Importing the proxy modules registers them (registration order = SIX, then BASELINES).
from . import grad_norm, snip, grasp, fisher, jacob_cov, synflow, baselines  # noqa: E402,F401
from .shared import ProxyResult, score_network  # noqa: E402

__all__ = [
    "score_network",
    "ProxyResult",
    "resolve",
    "register",
    "unregister",
    "PROXIES",
    "ProxySpec",
    "SIX",
    "BASELINES",
]
