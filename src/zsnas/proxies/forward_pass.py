"""The instrumented forward pass shared by the gradient-based proxies.

One fresh train-mode copy of the network (BN uses batch statistics) runs
*one* forward on the batch; from that single forward the pass derives, on
request (``needs``), everything the ``group="forward"`` proxies read:

``weight_grads``   ``g = ∂L/∂W`` for every Conv2d/Linear weight, L = mean
                   cross-entropy of the logits (grad_norm, snip, grasp's g).
``fisher``         per output channel ``F_k = 0.5·mean_n(Σ_hw z·∂L/∂z)²``,
                   hooked on the output z of every Conv2d/Linear during the
                   same cross-entropy backward (fisher; see :mod:`.fisher`).
``hessian_grad``   ``H·g`` (GraSP): the cross-entropy backward is taken with
                   ``create_graph=True``, then ``z = Σ g.detach()⊙∂L/∂W`` is
                   differentiated once more.
``input_jacobian`` ``J = ∂(Σ_c logits_c)/∂x`` (jacob_cov), a second backward
                   (of ones through the logits, as foresight) w.r.t. a clone of
                   the input that requires grad.
``relu_codes``     NASWOT's kernel ``K = Σ_relu c cᵀ + (1−c)(1−c)ᵀ`` of the
                   binary codes ``c = [input of ReLU > 0]``, accumulated by
                   forward hooks on every ReLU module.

Why sharing is exact (foresight runs each measure on its own copy with its own
forward, SPEC §1.0): every copy starts from the same weights and sees the same
batch, and a train-mode forward is a deterministic function of (weights,
batch) -- BN normalises with batch statistics, so the running-statistics
update of an earlier forward changes nothing -- hence each measure's forward
yields the same activations and logits.  Requesting gradients only for the
weights (``torch.autograd.grad``) or only for the input computes the same
values as a full ``backward()``; hooks observe tensors without altering them.
GraSP's two forwards (pass 1 for ``g``, pass 2 with ``create_graph``) are the
same computation, so both are this one forward, and ``g`` is the detached
``create_graph`` gradient.  The first-order values of a ``create_graph``
backward are produced by the same kernels as a plain backward.
:func:`zsnas.proxies.shared.score_network` with ``shared=False`` runs one copy
and one pass per proxy, and the tests check that both paths agree.

A stage that raises (e.g. the double backward running out of memory) records
its error for the needs it serves; the other stages still run.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .common import scored_layers

__all__ = ["ForwardState", "run_forward_pass", "STAGES", "stages_for", "ChannelFisherRecorder",
           "ReluKernelRecorder"]

_CE_NEEDS = frozenset({"weight_grads", "fisher", "hessian_grad"})
#: Stages of the pass in execution order, with the needs each one serves.
STAGES: dict[str, frozenset[str]] = {
    "forward": frozenset({"weight_grads", "fisher", "hessian_grad", "input_jacobian", "relu_codes"}),
    "ce_backward": _CE_NEEDS,
    "hessian": frozenset({"hessian_grad"}),
    "jacobian": frozenset({"input_jacobian"}),
}


def stages_for(needs) -> list[str]:
    """Stages whose work a proxy with these ``needs`` uses (for splitting wall time)."""
    needs = set(needs)
    return [stage for stage, served in STAGES.items() if needs & served]


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class ChannelFisherRecorder:
    """Per-channel Fisher statistics of every Conv2d/Linear output (foresight ``fisher``, mode 'channel').

    Hook placement: a forward hook on each ``nn.Conv2d`` / ``nn.Linear``
    module registers a tensor hook on that module's *output* z (the
    convolution / linear result, before any following BN or ReLU -- in NB201
    the conv inside ReLU→Conv→BN, the reduction blocks' convs incl. the 1×1
    downsample conv, the stem conv and the classifier; in NB101 the conv of
    every Conv-BN-ReLU incl. the 1×1 projections, and the classifier).  The
    tensor hook receives ∂L/∂z and adds, per output channel k,
    ``0.5 · mean_n(g_nk²)`` with ``g_nk = Σ_{spatial} z·∂L/∂z`` (Linear: no
    spatial sum).  This replaces foresight's forward override that routes z
    through a hooked ``nn.Identity`` (SPEC §1.4); the value seen is the same
    ∂L/∂z.  Unlike foresight, a module called several times per forward adds
    one term per call (foresight would fail); our networks call each once.
    """

    def __init__(self, layers: list[nn.Module]):
        self.values: list[torch.Tensor | None] = [None] * len(layers)
        self._tensor_handles: list = []
        self._module_handles = [layer.register_forward_hook(self._forward_hook(i))
                                for i, layer in enumerate(layers)]

    def _forward_hook(self, i: int):
        def hook(module: nn.Module, inputs, out) -> None:
            if not (torch.is_tensor(out) and out.requires_grad):
                return
            act = out.detach()

            def on_grad(grad: torch.Tensor) -> None:
                g = grad.detach()
                with torch.no_grad():
                    if act.dim() > 2:
                        g_nk = (act * g).sum(dim=tuple(range(2, act.dim())))
                    else:
                        g_nk = act * g
                    del_k = g_nk.pow(2).mean(0).mul(0.5)
                    self.values[i] = del_k if self.values[i] is None else self.values[i] + del_k

            self._tensor_handles.append(out.register_hook(on_grad))

        return hook

    def remove(self) -> None:
        """Detach all hooks (forward hooks and the pending tensor hooks)."""
        for h in self._module_handles + self._tensor_handles:
            h.remove()
        self._module_handles, self._tensor_handles = [], []


class ReluKernelRecorder:
    """NASWOT kernel (Mellor et al., ICML 2021): forward hooks on every ReLU module.

    For each call, the ReLU's input a is flattened per sample, ``c = (a > 0)``
    and ``c cᵀ + (1−c)(1−c)ᵀ`` (N×N, float64: the number of units on which two
    samples' codes agree) is added to ``kernel``.  Modules are matched like
    the reference (``'ReLU'`` in the class name).  NASWOT only counts ReLUs
    reached by a preceding backward; in NB201/NB101 every ReLU lies on a path
    to the logits, so all ReLUs that fire count.
    """

    def __init__(self, model: nn.Module):
        self.kernel: torch.Tensor | None = None
        self._handles = [m.register_forward_hook(self._hook) for m in model.modules()
                         if "ReLU" in type(m).__name__]

    def _hook(self, module: nn.Module, inputs, out) -> None:
        a = inputs[0] if isinstance(inputs, tuple) else inputs
        with torch.no_grad():
            # With s = 2c − 1 ∈ {±1}: c cᵀ + (1−c)(1−c)ᵀ = (D + s sᵀ) / 2 -- one matmul
            # instead of two.  s sᵀ holds integers |·| ≤ D, exact in float32 for D < 2**24.
            flat = a.detach().reshape(a.shape[0], -1)
            s = (flat > 0).to(torch.float32).mul_(2.0).sub_(1.0)
            k = (s @ s.T).to(torch.float64).add_(flat.shape[1]).mul_(0.5)
            self.kernel = k if self.kernel is None else self.kernel + k

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []


@dataclass
class ForwardState:
    """What one instrumented forward pass produced (read by ``group="forward"`` proxies).

    ``layers`` are the copy's Conv2d/Linear modules (:func:`scored_layers`
    order); per-layer lists are aligned with it, and a layer that received no
    gradient gets zeros.  ``errors`` maps a need to the error of the stage
    that should have produced it; ``seconds`` maps a stage to its wall time.
    """

    model: nn.Module
    layers: list[nn.Module]
    x: torch.Tensor
    y: torch.Tensor
    logits: torch.Tensor | None = None
    loss: float | None = None
    weight_grads: list[torch.Tensor] | None = None
    fisher: list[torch.Tensor] | None = None
    hessian_grad: list[torch.Tensor] | None = None
    input_jacobian: torch.Tensor | None = None
    relu_kernel: torch.Tensor | None = None
    errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def _zeros_for_none(grads, weights) -> list[torch.Tensor]:
    return [torch.zeros_like(w) if g is None else g.detach() for g, w in zip(grads, weights)]


def run_forward_pass(net: nn.Module, x: torch.Tensor, y: torch.Tensor, needs,
                     sync=None) -> ForwardState:
    """Run the shared pass on ``net`` (a fresh copy -- it is instrumented and left dirty).

    ``needs`` is a subset of :data:`zsnas.proxies.registry.NEEDS`.  Stages run
    in the order forward → cross-entropy backward (with the fisher hooks live)
    → Hessian-gradient product → input Jacobian; each is skipped when nothing
    needs it.  Exceptions are caught per stage and recorded in ``errors``.
    ``sync``, if given, is called before each stage's clock is read (e.g.
    ``torch.cuda.synchronize``, so that ``seconds`` are the stages' device time
    in a benchmark; the scoring engine passes none and never waits).
    """
    needs = frozenset(needs)

    def clock() -> float:
        if sync is not None:
            sync()
        return time.perf_counter()
    layers = scored_layers(net)
    weights = [layer.weight for layer in layers]
    state = ForwardState(model=net, layers=layers, x=x, y=y)
    want_ce = bool(needs & _CE_NEEDS)
    want_hess = "hessian_grad" in needs
    want_jac = "input_jacobian" in needs

    def fail(stage_needs, exc) -> None:
        for n in stage_needs & needs:
            state.errors.setdefault(n, _error(exc))

    fisher_rec = ChannelFisherRecorder(layers) if "fisher" in needs else None
    relu_rec = ReluKernelRecorder(net) if "relu_codes" in needs else None
    xin = x.detach().clone().requires_grad_(True) if want_jac else x.detach()

    # -- stage 1: the forward -------------------------------------------------------
    t0 = clock()
    try:
        with torch.set_grad_enabled(want_ce or want_jac):
            logits = net(xin)
            loss = F.cross_entropy(logits, y) if want_ce else None
        state.logits = logits.detach()
        state.loss = None if loss is None else float(loss.detach())
        if relu_rec is not None:
            state.relu_kernel = relu_rec.kernel
    except Exception as exc:  # noqa: BLE001 - recorded, never raised
        fail(STAGES["forward"], exc)
        if fisher_rec is not None:
            fisher_rec.remove()
        return state
    finally:
        if relu_rec is not None:
            relu_rec.remove()
        state.seconds["forward"] = clock() - t0

    # -- stage 2: cross-entropy backward (weights only; fisher hooks fire here) ----
    grads_f = None
    if want_ce:
        t0 = clock()
        try:
            grads_f = torch.autograd.grad(loss, weights, allow_unused=True,
                                          retain_graph=want_hess or want_jac, create_graph=want_hess)
            state.weight_grads = _zeros_for_none(grads_f, weights)
            if fisher_rec is not None:
                state.fisher = [torch.zeros(w.shape[0], dtype=w.dtype, device=w.device) if v is None
                                else v for v, w in zip(fisher_rec.values, weights)]
        except Exception as exc:  # noqa: BLE001
            fail(_CE_NEEDS, exc)
            grads_f = None
        finally:
            if fisher_rec is not None:
                fisher_rec.remove()  # must not fire in the later backwards
            state.seconds["ce_backward"] = clock() - t0
    del loss

    # -- stage 3: Hessian-gradient product (GraSP) --------------------------------
    if want_hess and grads_f is not None:
        t0 = clock()
        try:
            z = None
            for g_det, g_f in zip(state.weight_grads, grads_f):
                if g_f is not None and g_f.requires_grad:
                    term = (g_det * g_f).sum()
                    z = term if z is None else z + term
            if z is None:  # no second-order path at all: H·g = 0
                state.hessian_grad = [torch.zeros_like(w) for w in weights]
            else:
                hg = torch.autograd.grad(z, weights, allow_unused=True, retain_graph=want_jac)
                state.hessian_grad = _zeros_for_none(hg, weights)
        except Exception as exc:  # noqa: BLE001
            fail(STAGES["hessian"], exc)
        finally:
            state.seconds["hessian"] = clock() - t0
    grads_f = None

    # -- stage 4: input Jacobian (backward of ones through the logits) ------------
    if want_jac:
        t0 = clock()
        try:
            (jac,) = torch.autograd.grad(logits, xin, grad_outputs=torch.ones_like(logits))
            state.input_jacobian = jac.detach()
        except Exception as exc:  # noqa: BLE001
            fail(STAGES["jacobian"], exc)
        finally:
            state.seconds["jacobian"] = clock() - t0
    return state
