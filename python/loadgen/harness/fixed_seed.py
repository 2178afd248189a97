"""Seeded random weights for the embedded defaults' fixed-seed CNNs (needs torch).

The benchmarks' ``make_fixed_seed_model`` functions start the same way:
``he_init_`` draws every ``Conv2d`` weight from N(0, 2 / fan) in module order
from one generator (biases 0, BatchNorm affine 1 and 0), and
``calibrate_batchnorm_`` measures the BatchNorm statistics on the
calibration images. What follows (the heads, the logits' scale and bias) is
each model's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import torch
from torch import nn


def he_init_(net: nn.Module, gen: torch.Generator, fan: Literal["in", "out"] = "in") -> None:
    """He-normal ``Conv2d`` weights, drawn from ``gen`` in ``net.modules()`` order,
    with the fan-in (per group) or the fan-out; conv biases 0; ``BatchNorm2d``
    weights 1 and biases 0. Call under ``torch.no_grad()``."""
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1]
            n = m.in_channels // m.groups * k if fan == "in" else m.out_channels * k
            m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / n) ** 0.5)
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.fill_(1.0)
            m.bias.zero_()


def calibrate_batchnorm_(net: nn.Module, forward: Callable[[], Any]) -> None:
    """``BatchNorm2d`` running statistics set to those of what ``forward()``
    feeds them (a cumulative average, in train mode); ``net`` is left in eval
    mode with the default momentum. Call under ``torch.no_grad()``."""
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    net.train()
    forward()
    net.eval()
    for m in bns:
        m.momentum = 0.1
