"""Registry of proxies: adding a proxy is one decorated function.

Every proxy is a :class:`ProxySpec` in :data:`PROXIES`, keyed by name.  The
``group`` says which computation the proxy consumes, and therefore what the
scoring engine (:func:`zsnas.proxies.shared.score_network`) must run for it:

``"forward"``
    The instrumented forward pass of :mod:`zsnas.proxies.forward_pass` on a
    fresh train-mode copy of the network and the batch.  ``needs`` lists the
    quantities the proxy reads from the resulting
    :class:`~zsnas.proxies.forward_pass.ForwardState`: ``"weight_grads"``
    (∂L/∂W of every Conv2d/Linear weight, L = mean cross-entropy),
    ``"fisher"`` (per-channel activation·gradient statistics, hooked during
    that same backward), ``"hessian_grad"`` (H·g, GraSP), ``"input_jacobian"``
    (∂Σ logits/∂x) and ``"relu_codes"`` (NASWOT kernel).  The function is
    ``fn(state) -> float``.  With ``shared=True`` all requested forward-group
    proxies read one pass that computes the union of their needs.
``"own"``
    The proxy runs its own passes: ``fn(model_copy, x, y) -> float`` gets a
    private fresh copy of the network it may modify freely (synflow).
``"static"``
    Cheap, read-only: ``fn(model, x, y, arch_seed) -> float`` gets the
    caller's network itself and must not modify it (params, flops, random).

Example -- a new proxy is one function and one line::

    @register("grad_l1", group="forward", needs=("weight_grads",), version="1")
    def grad_l1(state):
        "Σ_l ‖∂L/∂W_l‖₁ over conv/linear weights."
        return sum(float(g.abs().sum()) for g in state.weight_grads)

``version`` is part of the proxy-cache key: bump it whenever a proxy's code
changes its values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

__all__ = [
    "ProxySpec",
    "PROXIES",
    "SIX",
    "BASELINES",
    "NEWER",
    "GROUPS",
    "NEEDS",
    "register",
    "unregister",
    "resolve",
]

#: Computations a proxy can be attached to (see module docstring).
GROUPS = ("forward", "own", "static")
#: Quantities the shared forward pass can provide.
NEEDS = ("weight_grads", "fisher", "hessian_grad", "input_jacobian", "relu_codes")

#: The six zero-cost proxies of Abdelfattah et al., ICLR 2021 (foresight order).
SIX: tuple[str, ...] = ("grad_norm", "snip", "grasp", "fisher", "jacob_cov", "synflow")
#: Baselines / controls.
BASELINES: tuple[str, ...] = ("params", "flops", "nwot", "random")

#: The proxies researchers compare against today: NAS-Bench-Suite-Zero's (Krishnakumar et
#: al., NeurIPS 2022) beyond the six and nwot/params/flops, and the strongest recent ones.
NEWER: tuple[str, ...] = ("l2_norm", "plain", "epe_nas", "zen", "zico", "meco", "swap",
                          "te_nas_ntk", "te_nas_lr", "az_expressivity", "az_progressivity",
                          "az_trainability")

_ALIASES: dict[str, tuple[str, ...]] = {"all": SIX, "six": SIX, "baselines": BASELINES,
                                        "newer": NEWER}


@dataclass(frozen=True)
class ProxySpec:
    """One registered proxy.

    Attributes:
        name: registry key (also the cache column name).
        fn: the scoring function; its signature depends on ``group``.
        group: ``"forward"``, ``"own"`` or ``"static"`` (module docstring).
        needs: for ``group="forward"``, the :data:`NEEDS` it reads.
        higher_is_better: sign convention of the raw value (SPEC §1.7).
        version: code version string, part of the cache key.
        doc: the function's docstring (formula and paper).
    """

    name: str
    fn: Callable[..., float]
    group: str
    needs: tuple[str, ...] = ()
    higher_is_better: bool = True
    version: str = "1"
    doc: str = field(default="", compare=False)


#: All registered proxies by name (insertion order = registration order).
PROXIES: dict[str, ProxySpec] = {}


def register(
    name: str,
    *,
    group: str,
    needs: str | Iterable[str] = (),
    higher_is_better: bool = True,
    version: str = "1",
    replace: bool = False,
) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Decorator adding ``fn`` to :data:`PROXIES` under ``name``; returns ``fn`` unchanged.

    ``needs`` is one need or a sequence of them (``group="forward"`` only).
    Registering an existing name raises unless ``replace=True``.
    """
    needs = (needs,) if isinstance(needs, str) else tuple(needs)
    if group not in GROUPS:
        raise ValueError(f"register({name!r}): unknown group {group!r}; known: {', '.join(GROUPS)}")
    bad = [n for n in needs if n not in NEEDS]
    if bad:
        raise ValueError(f"register({name!r}): unknown needs {bad}; known: {', '.join(NEEDS)}")
    if group == "forward" and not needs:
        raise ValueError(f"register({name!r}): a 'forward' proxy must declare its needs")
    if group != "forward" and needs:
        raise ValueError(f"register({name!r}): needs only apply to group 'forward'")
    if name in _ALIASES or "," in name or not name.strip():
        raise ValueError(f"register: invalid proxy name {name!r}")

    def deco(fn: Callable[..., float]) -> Callable[..., float]:
        if name in PROXIES and not replace:
            raise ValueError(f"proxy {name!r} is already registered")
        PROXIES[name] = ProxySpec(
            name=name,
            fn=fn,
            group=group,
            needs=needs,
            higher_is_better=higher_is_better,
            version=str(version),
            doc=(fn.__doc__ or "").strip(),
        )
        return fn

    return deco


def unregister(name: str) -> ProxySpec:
    """Remove and return a registered proxy (KeyError if absent)."""
    return PROXIES.pop(name)


def resolve(names: str | Iterable[str]) -> list[str]:
    """Expand a proxy selection into a list of registered names (order kept, duplicates dropped).

    ``names`` is a string or a list of strings; each item may be a comma
    separated list.  ``"all"`` (or ``"six"``) means :data:`SIX`,
    ``"baselines"`` means :data:`BASELINES`, ``"newer"`` :data:`NEWER`.  Unknown names raise
    :class:`ValueError` naming them and listing the known proxies.
    """
    items = [names] if isinstance(names, str) else list(names)
    out: list[str] = []
    unknown: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"proxy names must be strings, got {item!r}")
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            expanded = _ALIASES.get(part.lower(), (part,))
            for name in expanded:
                if name not in PROXIES:
                    unknown.append(name)
                elif name not in out:
                    out.append(name)
    if unknown:
        known = ", ".join(PROXIES)
        raise ValueError(
            f"unknown proxy name(s): {', '.join(unknown)}; known: {known} "
            f"(aliases: {', '.join(_ALIASES)})"
        )
    if not out:
        raise ValueError("no proxy selected")
    return out
