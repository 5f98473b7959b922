"""Scoring entry point for one architecture: :func:`score_network`.

Semantics follow foresight's ``find_measures`` (SPEC §1.0): every proxy
starts from the same initial weights (each works on a fresh train-mode copy of
the caller's network, never on the network itself) and the same batch.

``shared=True`` (default) runs each kind of computation once:

* all requested ``group="forward"`` proxies -- grad_norm, snip, fisher, grasp,
  jacob_cov, nwot -- read ONE instrumented forward of one copy
  (:func:`zsnas.proxies.forward_pass.run_forward_pass`): one cross-entropy
  backward for the weight gradients (fisher's output hooks live during it;
  with ``create_graph`` when grasp is requested), then grasp's double backward
  and jacob_cov's backward of ones w.r.t. the input, all on the same graph;
* ``group="own"`` proxies (synflow) get a private copy each;
* ``group="static"`` proxies (params, flops, random) read the caller's network.

``shared=False`` is the plain reference loop: one fresh copy and one pass per
proxy.  Both give the same values (tests check rtol 1e-5).

Timing: ``seconds`` is the wall time of the proxy.  A stage of a shared pass
(copy + forward, CE backward, Hessian product, input Jacobian) is split evenly
among the proxies that use it; each proxy's own reduction is added to it.
"""
from __future__ import annotations

import math
import time
from typing import Iterable, NamedTuple

import torch
from torch import nn

from .common import fresh_copy
from .forward_pass import run_forward_pass, stages_for
from .registry import PROXIES, ProxySpec, resolve

__all__ = ["ProxyResult", "score_network"]


class ProxyResult(NamedTuple):
    """One proxy's outcome: ``value`` (NaN if it failed or is undefined), wall ``seconds``,
    and ``error`` = ``"ExceptionType: message"`` if it raised, else None."""

    value: float
    seconds: float
    error: str | None = None


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _call(fn, *args) -> tuple[float, float, str | None]:
    t0 = time.perf_counter()
    try:
        value, err = float(fn(*args)), None
    except Exception as exc:  # noqa: BLE001 - a failing proxy never aborts the others
        value, err = math.nan, _error(exc)
    return value, time.perf_counter() - t0, err


def _forward_group(model: nn.Module, x, y, specs: list[ProxySpec],
                   consume: bool = False) -> dict[str, ProxyResult]:
    """One copy (or, with ``consume``, the model itself) + one instrumented forward
    for ``specs``; results per proxy."""
    t0 = time.perf_counter()
    try:
        net = fresh_copy(model) if not consume else _prepare_in_place(model)
    except Exception as exc:  # noqa: BLE001
        secs = (time.perf_counter() - t0) / len(specs)
        return {s.name: ProxyResult(math.nan, secs, _error(exc)) for s in specs}
    copy_seconds = time.perf_counter() - t0

    needs = frozenset(n for s in specs for n in s.needs)
    state = run_forward_pass(net, x, y, needs)
    stage_seconds = dict(state.seconds)
    stage_seconds["forward"] = stage_seconds.get("forward", 0.0) + copy_seconds
    users = {stage: sum(stage in stages_for(s.needs) for s in specs) for stage in stage_seconds}

    out: dict[str, ProxyResult] = {}
    for spec in specs:
        share = sum(stage_seconds[st] / users[st] for st in stages_for(spec.needs)
                    if st in stage_seconds and users[st])
        failed = [state.errors[n] for n in spec.needs if n in state.errors]
        if failed:
            out[spec.name] = ProxyResult(math.nan, share, failed[0])
            continue
        value, secs, err = _call(spec.fn, state)
        out[spec.name] = ProxyResult(value, share + secs, err)
    return out


def _prepare_in_place(model: nn.Module) -> nn.Module:
    """What :func:`fresh_copy` does, without the copy (for a model the caller discards)."""
    model.train()
    for p in model.parameters():
        p.requires_grad_(True)
        p.grad = None
    return model


def _own(model: nn.Module, x, y, spec: ProxySpec) -> ProxyResult:
    t0 = time.perf_counter()
    try:
        net = fresh_copy(model)
    except Exception as exc:  # noqa: BLE001
        return ProxyResult(math.nan, time.perf_counter() - t0, _error(exc))
    copy_seconds = time.perf_counter() - t0
    value, secs, err = _call(spec.fn, net, x, y)
    return ProxyResult(value, copy_seconds + secs, err)


def score_network(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    names: str | Iterable[str],
    *,
    arch_seed: int,
    shared: bool = True,
    consume: bool = False,
) -> dict[str, ProxyResult]:
    """Score one architecture with the proxies ``names`` (see :func:`~zsnas.proxies.registry.resolve`).

    Args:
        model: the network at its initial weights; logits-only forward.  Its
            weights, buffers and train/eval mode are left unchanged.
        x, y: one batch (inputs and integer labels) on the model's device.
        names: proxy selection, e.g. ``"all"``, ``"baselines"``,
            ``"snip,synflow"`` or a list.
        arch_seed: seed of the ``random`` control (ignored by the others).
        shared: compute shared work once (True) or run the reference loop,
            one fresh copy and pass per proxy (False).
        consume: the caller discards ``model`` afterwards (the scoring engine
            builds one per architecture): with ``shared``, the forward group
            runs on ``model`` itself instead of a deep copy, after every other
            proxy has read or copied the untouched weights. Same values, one
            copy fewer; ``model``'s gradients and BN statistics are then changed.

    Returns:
        ``{name: ProxyResult(value, seconds, error)}`` in the resolved order.
        A proxy that raised gets ``value=nan`` and ``error="Type: message"``;
        a non-finite value that is the proxy's true outcome (jacob_cov of a
        degenerate network) has ``error=None``.
    """
    selected = resolve(names)
    specs = [PROXIES[n] for n in selected]
    results: dict[str, ProxyResult] = {}
    was_training = model.training
    try:
        with torch.enable_grad():
            for spec in specs:
                if spec.group == "static":
                    value, secs, err = _call(spec.fn, model, x, y, arch_seed)
                    results[spec.name] = ProxyResult(value, secs, err)
            for spec in specs:
                if spec.group == "own":
                    results[spec.name] = _own(model, x, y, spec)
            forward_specs = [s for s in specs if s.group == "forward"]
            if forward_specs:
                batches = [forward_specs] if shared else [[s] for s in forward_specs]
                for batch in batches:
                    results.update(_forward_group(model, x, y, batch,
                                                  consume=consume and shared))
    finally:
        model.train(was_training)
    return {name: results[name] for name in selected}
