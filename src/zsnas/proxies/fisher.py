"""fisher (Theis et al., "Faster gaze prediction with dense networks and Fisher pruning", 2018;
Turner et al., "BlockSwap", ICLR 2020; as a NAS proxy: Abdelfattah et al., ICLR 2021, foresight).

Per Conv2d/Linear layer with output z (before the following BN/ReLU) and
L = mean cross-entropy (train mode)::

    g_nk = Σ_{spatial} z[n,k,·] · ∂L/∂z[n,k,·]         (Linear: z[n,k]·∂L/∂z[n,k])
    F_k  = 0.5 · mean_n g_nk²                            (foresight's 0.5 factor)
    fisher = Σ_layers Σ_k |F_k| · (#weights of output channel k)

The last factor reproduces foresight's broadcast of the per-channel value to
the full weight shape (C_in/groups·kh·kw entries, or in_features) before
summing (SPEC §1.4).  Layers that receive no gradient contribute 0.

Hooks: see :class:`zsnas.proxies.forward_pass.ChannelFisherRecorder` -- a
tensor hook on the output of every ``nn.Conv2d`` / ``nn.Linear`` module, set
from a module forward hook, live only during the cross-entropy backward of the
shared pass.  In NB201 these are the stem conv, the conv of every
ReLU→Conv→BN edge, the reduction blocks' two 3×3 convs and 1×1 downsample
conv, and the classifier; in NB101 the conv of every Conv→BN→ReLU (incl. the
1×1 input projections) and the classifier.  Higher = better on NB201.
"""
from __future__ import annotations

from .registry import register


@register("fisher", group="forward", needs=("fisher",), higher_is_better=True, version="1")
def fisher(state) -> float:
    """fisher = Σ_l Σ_k |0.5·mean_n(Σ_hw z·∂L/∂z)²|·fan_k over Conv2d/Linear outputs (foresight, ICLR 2021)."""
    total = 0.0
    for layer, f_k in zip(state.layers, state.fisher):
        per_channel = layer.weight[0].numel()  # weights of one output channel
        total += float((f_k.abs() * per_channel).sum())
    return total
