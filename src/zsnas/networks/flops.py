"""FLOPs and parameter counting with the NAS-Bench-201 / AutoDL convention.

NAS-Bench-201's ``flop`` field comes from AutoDL's ``get_model_infos``
(``flop_benchmark.py``; Dong & Yang, ICLR 2020).  Its convention, verified here
against the stored FLOPs of indices 0, 11 and 284 (15.64737, 113.95137,
11.71521 MFLOPs on CIFAR-10; also the CIFAR-100 and ImageNet16-120 values):

* only ``Conv`` and ``Linear`` modules count, as multiply-accumulates per image:
  conv = ``out_h * out_w * C_out * C_in * k_h * k_w / groups``
  (``+ out_h * out_w * C_out`` if it has a bias),
  linear = ``in * out`` (``+ out`` if it has a bias);
* pooling (incl. the reduction blocks' AvgPool and the global pooling),
  BatchNorm, ReLU, ``none`` (x*0), identity and the additions of the cell
  nodes count zero;
* every call of a module is counted (a module applied twice counts twice),
  and the total is divided by the batch size, reported in millions.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

__all__ = ["count_flops", "count_params", "params_and_flops"]


def _conv_flops(module: nn.modules.conv._ConvNd, out: torch.Tensor) -> float:
    """MACs of one conv call over the whole batch (AutoDL ``conv_flops_counter_hook``)."""
    positions = out.shape[0] * math.prod(out.shape[2:])  # batch * output spatial size
    per_position = math.prod(module.kernel_size) * module.in_channels * module.out_channels / module.groups
    flops = per_position * positions
    if module.bias is not None:
        flops += module.out_channels * positions
    return flops


def _linear_flops(module: nn.Linear, inp: torch.Tensor) -> float:
    """MACs of one linear call over the whole batch (AutoDL ``fc_flops_counter_hook``)."""
    rows = inp.numel() // module.in_features
    flops = rows * module.in_features * module.out_features
    if module.bias is not None:
        flops += rows * module.out_features
    return float(flops)


def count_flops(model: nn.Module, input_shape: Sequence[int] = (1, 3, 32, 32)) -> float:
    """MFLOPs per image of ``model`` on a zero input of ``input_shape`` (NB201 convention, see module doc).

    Runs one forward pass in eval mode under ``torch.no_grad`` with temporary
    forward hooks; the model's training mode is restored afterwards.  Works for
    any ``nn.Module`` built from conv / linear / pooling / BN layers.
    """
    total = 0.0

    def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.modules.conv._ConvNd):
            total += _conv_flops(module, output)
        elif isinstance(module, nn.Linear):
            total += _linear_flops(module, inputs[0])

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, (nn.modules.conv._ConvNd, nn.Linear))
    ]
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    dtype = first.dtype if first is not None and first.is_floating_point() else torch.float32
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(*input_shape, device=device, dtype=dtype))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return total / input_shape[0] / 1e6


def count_params(model: nn.Module) -> int:
    """Number of parameters (all ``model.parameters()``: weights, biases, BN gamma/beta).

    Equals the NB201 ``params`` field times 1e6 (SPEC §2.3).
    """
    return int(sum(p.numel() for p in model.parameters()))


def params_and_flops(space, arch, width: int, num_classes: int = 10,
                     image_size: int = 32) -> tuple[int, float]:
    """(parameters, MFLOPs per image) of ``space``'s network of ``arch`` (a
    :class:`~zsnas.spaces.base.SearchSpace`): from its ``params_flops`` part, counted
    from the encoding, when it has one; otherwise by building the network and counting
    (:func:`count_params`, :func:`count_flops`)."""
    if space.params_flops is not None:
        from ..spaces.base import resolve_ref
        params, mflops = resolve_ref(space.params_flops)(arch, int(width), int(num_classes),
                                                         int(image_size))
        return int(params), float(mflops)
    model = space.build(arch, width, num_classes).eval()
    return count_params(model), count_flops(model, (1, 3, image_size, image_size))
