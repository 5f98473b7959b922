"""Zero-cost proxies (foresight reference semantics, SPEC §1) and baselines.

One module per proxy, each registering itself in :data:`PROXIES`
(:mod:`.registry`): the six of Abdelfattah et al., "Zero-Cost Proxies for
Lightweight NAS" (ICLR 2021) -- :mod:`.grad_norm`, :mod:`.snip`, :mod:`.grasp`,
:mod:`.fisher`, :mod:`.jacob_cov`, :mod:`.synflow` -- and the baselines
:mod:`.params`, :mod:`.flops`, :mod:`.nwot`, :mod:`.random_score`; and the newer ones
(:data:`NEWER`): NAS-Bench-Suite-Zero's :mod:`.l2_norm`, :mod:`.plain`, :mod:`.epe_nas`,
:mod:`.zen`, and :mod:`.zico`, :mod:`.meco`, :mod:`.swap`, TE-NAS's two components
(:mod:`.te_nas_ntk`, :mod:`.te_nas_lr`) and AZ-NAS's three (:mod:`.az_expressivity`,
:mod:`.az_progressivity`, :mod:`.az_trainability`; helpers in :mod:`.az_nas`).  Their
rank combinations (TE-NAS, AZ-NAS) and the vote are ensembles over the cache
(:mod:`zsnas.scoring.ensembles`).
:func:`score_network` (:mod:`.shared`) scores one network with any selection,
sharing passes between proxies.

The proxy modules are imported by name (:data:`PROXY_MODULES`) when this
package is imported, so that a scoring job's code fingerprint
(:mod:`zsnas.codedeps`) holds the modules of its own proxies only.
"""
from __future__ import annotations

import importlib

from .registry import BASELINES, NEWER, PROXIES, SIX, ProxySpec, register, resolve, unregister

#: The proxy modules that ship with zsnas (registration order = SIX, then BASELINES).
PROXY_MODULES = ("grad_norm", "snip", "grasp", "fisher", "jacob_cov", "synflow", "params",
                 "flops", "nwot", "random_score", "l2_norm", "plain", "epe_nas", "zen", "zico",
                 "meco", "swap", "te_nas_ntk", "te_nas_lr", "az_expressivity",
                 "az_progressivity", "az_trainability")
for _name in PROXY_MODULES:
    importlib.import_module(f"{__name__}.{_name}")

from .shared import ProxyResult, score_network  # noqa: E402

__all__ = [
    "score_network",
    "ProxyResult",
    "resolve",
    "register",
    "unregister",
    "PROXIES",
    "PROXY_MODULES",
    "ProxySpec",
    "SIX",
    "BASELINES",
    "NEWER",
]
