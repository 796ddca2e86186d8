"""AdaDelta: a step whose units are those of the weights, the ratio of two running RMS values (PyTorch's).

    g_t  = grad + weight_decay * w
    v_t  = rho * v_{t-1} + (1 - rho) * g_t^2
    d_t  = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t
    u_t  = rho * u_{t-1} + (1 - rho) * d_t^2
    w   <- w - lr * d_t
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor

from .optimizer import Optimizer, ParamGroup, Params, add_weight_decay


class Adadelta(Optimizer):
    """``Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0)``."""

    def __init__(
        self, params: Params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _check(self, group: ParamGroup) -> None:
        self._require_nonnegative(group, "lr", "eps", "weight_decay")
        self._require_in("rho", group["rho"], 0.0, 1.0, closed=True)

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        rho, eps = group["rho"], group["eps"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.numpy())
            state["acc_delta"] = np.zeros_like(p.numpy())
        state["step"] += 1
        decayed, work, delta = self._work_arrays(p, 3)
        g = add_weight_decay(grad, p.numpy(), group["weight_decay"], out=decayed)

        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        np.multiply(g, g, out=work)
        work *= 1 - rho
        square_avg += work
        np.add(square_avg, eps, out=work)
        np.sqrt(work, out=work)  # sqrt(v_t + eps)
        np.add(acc_delta, eps, out=delta)
        np.sqrt(delta, out=delta)
        delta /= work
        delta *= g
        acc_delta *= rho
        np.multiply(delta, delta, out=work)
        work *= 1 - rho
        acc_delta += work
        delta *= group["lr"]
        p.sub_(delta)
