"""QuickProp (Fahlman): Newton's method for each weight on its own, the second derivative estimated by a secant.

With Delta w_{t-1} the weight's last step and g_{t-1}, g_t its derivatives before and after that step, the secant
through the two derivatives estimates the second derivative, and the step goes to the minimum of that parabola:

    c_t      = (g_t - g_{t-1}) / Delta w_{t-1}
    Delta w_t = -g_t / c_t,   at most mu * |Delta w_{t-1}| in size (the maximum growth factor)
    w       <- w + Delta w_t

Where the estimate is undefined (the first step, a weight that did not move, or c_t <= 0, so that the parabola has
no minimum) the weight takes a plain gradient step, Delta w_t = -lr * g_t.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor

from .optimizer import Optimizer, ParamGroup, Params


class QuickProp(Optimizer):
    """``QuickProp(params, lr=0.01, mu=1.75)``: ``lr`` for gradient steps, ``mu`` the maximum growth factor."""

    def __init__(self, params: Params, lr: float = 0.01, mu: float = 1.75) -> None:
        super().__init__(params, dict(lr=lr, mu=mu))

    def _check(self, group: ParamGroup) -> None:
        self._require_nonnegative(group, "lr")
        self._require_number("mu", group["mu"])
        if not group["mu"] > 0:
            raise ValueError(f"QuickProp: invalid mu={group['mu']!r}, expected mu > 0")

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        if not state:
            state["step"] = 0
            state["prev_grad"] = np.zeros_like(p.numpy())
            state["prev_step"] = np.zeros_like(p.numpy())
        state["step"] += 1
        prev_grad, prev_step = state["prev_grad"], state["prev_step"]
        secant, step, limit = self._work_arrays(p, 3)

        np.subtract(grad, prev_grad, out=secant)
        moved = prev_step != 0
        np.divide(secant, prev_step, out=secant, where=moved)
        defined = moved & (secant > 0)

        # the step taken is -step: a gradient step lr * g, or where the estimate is defined the secant step g / c
        np.multiply(grad, group["lr"], out=step)
        np.divide(grad, secant, out=step, where=defined)
        np.abs(prev_step, out=limit)
        limit *= group["mu"]
        np.minimum(step, limit, out=step, where=defined)
        np.negative(limit, out=limit)
        np.maximum(step, limit, out=step, where=defined)

        p.sub_(step)
        np.negative(step, out=prev_step)
        np.copyto(prev_grad, grad)
