"""RMSprop: steps scaled by a running root-mean-square of the gradient; optional momentum and centring (PyTorch's).

    g_t = grad + weight_decay * w
    v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2
    centred:  m_t = alpha * m_{t-1} + (1 - alpha) * g_t,   r_t = sqrt(v_t - m_t^2) + eps
    else:     r_t = sqrt(v_t) + eps
    momentum > 0:  b_t = momentum * b_{t-1} + g_t / r_t,   w <- w - lr * b_t
    else:          w <- w - lr * g_t / r_t
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor

from .optimizer import Optimizer, ParamGroup, Params, add_weight_decay, lerp_


class RMSprop(Optimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False)``."""

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def _check(self, group: ParamGroup) -> None:
        self._require_nonnegative(group, "lr", "alpha", "eps", "weight_decay", "momentum")

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        alpha = group["alpha"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.numpy())
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p.numpy())
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.numpy())
        state["step"] += 1
        decayed, work = self._work_arrays(p, 2)
        g = add_weight_decay(grad, p.numpy(), group["weight_decay"], out=decayed)

        square_avg = state["square_avg"]
        square_avg *= alpha
        np.multiply(g, g, out=work)
        work *= 1 - alpha
        square_avg += work
        if group["centered"]:
            grad_avg = state["grad_avg"]
            lerp_(grad_avg, g, 1 - alpha, work)
            np.multiply(grad_avg, grad_avg, out=work)
            np.subtract(square_avg, work, out=work)
            np.sqrt(work, out=work)
        else:
            np.sqrt(square_avg, out=work)
        work += group["eps"]

        np.divide(g, work, out=work)
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += work
            np.multiply(buf, group["lr"], out=work)
        else:
            work *= group["lr"]
        p.sub_(work)
