"""``zen``: Lin et al., "Zen-NAS: A Zero-Shot NAS for High-Performance Image Recognition",
ICCV 2021 -- the Zen-score, as computed by NASLib's NAS-Bench-Suite-Zero measure
(``naslib/predictors/pruners/measures/zen.py``, itself a copy of idstcv/ZenNAS
``ZeroShotProxy/compute_zen_score.py``).

On a private copy of the network::

    1. Gaussian re-initialisation: every Conv2d and Linear weight ~ N(0, 1), their
       biases 0; every BatchNorm2d / GroupNorm weight 1, bias 0 (affine-less ones
       skipped, as NASLib does).
    2. a, b ~ N(0, 1) of the batch's shape (the data themselves are not used),
       x_mix = a + γ·b with γ = 1e-2.
    3. f(·) = the feature map before global average pooling (the output of
       ``feature_blocks(net)[-1]``, read by a forward hook; NASLib's
       ``forward_before_global_avg_pool`` hooks the input of the pooling, the same
       tensor), from two train-mode forwards: f(a), then f(x_mix).
    4. Δ = mean_n Σ_{c,h,w} |f(a) − f(x_mix)|            (an L1 norm per sample)
    5. zen = log Δ + Σ_{BatchNorm2d} log sqrt(mean_c running_var)

**BN mode.**  The reference scores the network in train mode (NASLib's prunable copy
calls ``.train()``; ZenNAS scores freshly built models), so BN normalises with batch
statistics, and both forwards update the running statistics with the layer's own
momentum (PyTorch's default 0.1 in the reference models and in both of our networks;
we do not change it).  The BN term therefore reads, per layer,
``running_var = (1−m)²·1 + (1−m)·m·v_a + m·v_mix`` (v = unbiased batch variance per
channel, m = 0.1).  We reset every BN's running statistics before the two forwards,
which is what a freshly built network (the reference's case) has; the value is thus
independent of any statistics the caller's network accumulated.  BN layers without
running statistics (``track_running_stats=False``) have no ``running_var`` and are
skipped (the reference would fail on them); our networks have none.

**Paper vs reference.**  The paper writes the score as log E‖f(x) − f(x+γε)‖_F +
Σ log σ̄_BN, a Frobenius norm with E over draws; the reference (followed here) takes
the per-sample L1 norm (sum of absolute values over C·H·W) averaged over the batch,
and one draw (``repeat=1``, NASLib's default and ZenNAS's search setting; ZenNAS's
stand-alone script averages 32 draws).

**Randomness.**  All draws come from :func:`~zsnas.proxies.common.fixed_generator`
in the reference's order: the weights in ``modules()`` order, then a, then b.  The
inputs are created in ``x.dtype`` on ``x.device``.

**Degenerate networks.**  An NB201 cell with no input→output path makes f(·) ≡ 0, so
Δ = 0 and zen = log 0 = −inf, returned as the value (not an error); a zero
``running_var`` mean likewise gives −inf.  Higher = better.

Cost: two forwards of the batch, no backward, under ``torch.no_grad``.
"""
from __future__ import annotations

import torch
from torch import nn

from .common import feature_blocks, fixed_generator, gaussian_init_
from .registry import register

__all__ = ["GAMMA", "zen"]

#: Mixing coefficient γ of the perturbed input (reference default ``mixup_gamma=1e-2``).
GAMMA = 1e-2



@register("zen", group="own", higher_is_better=True, version="1")
def zen(net, x, y) -> float:
    """zen = log mean_n‖f(a) − f(a+γb)‖₁ + Σ_BN log sqrt(mean running_var), N(0,1) weights and inputs.

    Zen-NAS (Lin et al., ICCV 2021) as NASLib's NAS-Bench-Suite-Zero ``zen`` measure: f is the
    pre-global-pooling map, γ = 1e-2, train-mode BN (momentum 0.1 running statistics, reset
    first), one draw from the fixed generator.  −inf for a network whose map is constant.
    """
    block = feature_blocks(net)[-1]
    gen = fixed_generator(x.device)
    gaussian_init_(net, gen)
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        if bn.track_running_stats:
            bn.reset_running_stats()
    net.train()

    a = torch.randn(x.shape, generator=gen, dtype=x.dtype, device=x.device)
    b = torch.randn(x.shape, generator=gen, dtype=x.dtype, device=x.device)
    mixed = a + GAMMA * b

    feats: list[torch.Tensor] = []
    handle = block.register_forward_hook(lambda module, inputs, out: feats.append(out.detach()))
    try:
        with torch.no_grad():
            net(a)
            net(mixed)
    finally:
        handle.remove()
    if len(feats) != 2:
        raise RuntimeError(f"zen: the last feature block ran {len(feats)} times in two forwards")
    f_a, f_mix = feats
    with torch.no_grad():
        dims = tuple(range(1, f_a.dim()))
        delta = (f_a - f_mix).abs().sum(dim=dims).mean()
        score = float(torch.log(delta))
        for bn in bns:
            if bn.running_var is not None:
                score += float(torch.log(torch.sqrt(bn.running_var.mean())))
    return score
