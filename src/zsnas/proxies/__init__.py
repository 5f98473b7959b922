"""Zero-cost proxies (foresight reference semantics, SPEC §1) and baselines.

One module per proxy, each registering itself in :data:`PROXIES`
(:mod:`.registry`): the six of Abdelfattah et al., "Zero-Cost Proxies for
Lightweight NAS" (ICLR 2021) -- :mod:`.grad_norm`, :mod:`.snip`, :mod:`.grasp`,
:mod:`.fisher`, :mod:`.jacob_cov`, :mod:`.synflow` -- and the baselines
:mod:`.params`, :mod:`.flops`, :mod:`.nwot`, :mod:`.random_score`.
:func:`score_network` (:mod:`.shared`) scores one network with any selection,
sharing passes between proxies.

The proxy modules are imported by name (:data:`PROXY_MODULES`) when this
package is imported, so that a scoring job's code fingerprint
(:mod:`zsnas.codedeps`) holds the modules of its own proxies only.
"""
from __future__ import annotations

import importlib

from .registry import BASELINES, PROXIES, SIX, ProxySpec, register, resolve, unregister

#: The proxy modules that ship with zsnas (registration order = SIX, then BASELINES).
PROXY_MODULES = ("grad_norm", "snip", "grasp", "fisher", "jacob_cov", "synflow", "params",
                 "flops", "nwot", "random_score")
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
]
