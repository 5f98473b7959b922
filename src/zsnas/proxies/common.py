"""Helpers shared by the proxies: which layers count, and per-measure copies (SPEC §1.0)."""
from __future__ import annotations

import copy

import torch
from torch import nn

__all__ = [
    "FIXED_SEED",
    "bypass_batchnorm",
    "feature_blocks",
    "fixed_generator",
    "fresh_copy",
    "gaussian_init_",
    "scored_layers",
    "sum_per_layer",
]

#: Seed of the random inputs some proxies draw (Zen-NAS's Gaussian images, ...): the same
#: draw for every architecture, like the one fixed minibatch of the data proxies.
FIXED_SEED = 0


def scored_layers(model: nn.Module) -> list[nn.Module]:
    """Every ``nn.Conv2d`` and ``nn.Linear`` of ``model`` in ``modules()`` order.

    Only their ``.weight`` is scored (foresight ``get_layer_metric_array``, SPEC §1.0 item 5):
    biases and BN affine parameters never count.
    """
    return [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def fresh_copy(model: nn.Module) -> nn.Module:
    """Deep copy in train mode with every parameter requiring grad (foresight ``copynet`` + ``.train()``).

    Each measure works on such a copy of the same original network, so all
    proxies start from identical weights and the caller's model (weights,
    BN running statistics, mode) is never touched.
    """
    net = copy.deepcopy(model)
    net.train()
    for p in net.parameters():
        p.requires_grad_(True)
        p.grad = None
    return net


def _identity_forward(x: torch.Tensor) -> torch.Tensor:
    return x


def bypass_batchnorm(model: nn.Module) -> nn.Module:
    """Replace the forward of every BatchNorm1d/2d/3d by the identity, in place (foresight ``bn=False``).

    This is foresight's generic ``copynet(bn=False)`` path (SPEC §1.0 item 3,
    §1.6): *all* BN layers are disabled, including those in NB201's residual
    reduction blocks (which foresight's own NB201 rebuild leaves active).
    """
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.forward = _identity_forward
    return model


def sum_per_layer(tensors) -> float:
    """``Σ_layers Σ_elements t`` (foresight ``sum_arr``): each layer summed in its dtype, totalled in Python."""
    total = 0.0
    for t in tensors:
        total += float(t.sum())
    return total


def feature_blocks(model: nn.Module) -> list[nn.Module]:
    """The network's successive feature-map modules (its ``feature_blocks()``), the last one
    giving the map before global average pooling.

    Each space's network defines the method (NB201: stem, cells, ``lastact``; NB101:
    ``layers``' children).  A network without it raises ``TypeError`` naming its class,
    which the scoring engine records as that proxy's error.
    """
    fn = getattr(model, "feature_blocks", None)
    if fn is None:
        raise TypeError(f"{type(model).__name__} defines no feature_blocks(); proxies that read "
                        "intermediate feature maps need it")
    return list(fn())


def fixed_generator(device) -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with :data:`FIXED_SEED` (deterministic inputs)."""
    return torch.Generator(device=device).manual_seed(FIXED_SEED)


def gaussian_init_(net: nn.Module, generator: torch.Generator) -> nn.Module:
    """ZenNAS / NASLib / SWAP ``network_weight_gaussian_init``, drawing from ``generator``, in place.

    Conv2d / Linear: weight ~ N(0, 1), bias = 0; BatchNorm2d / GroupNorm with affine
    parameters: weight = 1, bias = 0.  Draws follow ``net.modules()`` order.
    """
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.normal_(0.0, 1.0, generator=generator)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                if m.weight is not None:
                    m.weight.fill_(1.0)
                if m.bias is not None:
                    m.bias.zero_()
    return net
