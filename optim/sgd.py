"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay (PyTorch's SGD).

    g_t = grad + weight_decay * w
    b_t = g_t                                   on the first step
    b_t = momentum * b_{t-1} + (1 - dampening) * g_t      later
    d_t = g_t + momentum * b_t   (nesterov)   or   b_t   (momentum)   or   g_t   (momentum = 0)
    w  <- w - lr * d_t
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor

from .optimizer import Optimizer, ParamGroup, Params, add_weight_decay


class SGD(Optimizer):
    """``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False)``, PyTorch's defaults."""

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def _check(self, group: ParamGroup) -> None:
        self._require_nonnegative(group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires a momentum and zero dampening, "
                f"got momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        momentum, dampening = group["momentum"], group["dampening"]
        decayed, work = self._work_arrays(p, 2)
        g = add_weight_decay(grad, p.numpy(), group["weight_decay"], out=decayed)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                np.multiply(g, 1 - dampening, out=work)
                buf += work
            if group["nesterov"]:
                np.multiply(buf, momentum, out=work)
                work += g
                g = work
            else:
                g = buf
        np.multiply(g, group["lr"], out=work)
        p.sub_(work)
