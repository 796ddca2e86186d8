"""AdaGrad: each weight's step is scaled by the root of the sum of all its squared gradients so far (PyTorch's).

    g_t   = grad + weight_decay * w
    lr_t  = lr / (1 + (t - 1) * lr_decay)
    s_t   = s_{t-1} + g_t^2                     (s_0 = initial_accumulator_value)
    w    <- w - lr_t * g_t / (sqrt(s_t) + eps)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor

from .optimizer import Optimizer, ParamGroup, Params, add_weight_decay


class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10)``."""

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        defaults = dict(
            lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, initial_accumulator_value=initial_accumulator_value, eps=eps
        )
        super().__init__(params, defaults)

    def _check(self, group: ParamGroup) -> None:
        self._require_nonnegative(group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p.numpy(), group["initial_accumulator_value"])
        state["step"] += 1
        decayed, work = self._work_arrays(p, 2)
        g = add_weight_decay(grad, p.numpy(), group["weight_decay"], out=decayed)
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        np.multiply(g, g, out=work)
        state["sum"] += work
        np.sqrt(state["sum"], out=work)
        work += group["eps"]
        np.divide(g, work, out=work)
        work *= lr
        p.sub_(work)
