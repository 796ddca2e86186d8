"""Adam (with AMSGrad) and AdamW: running averages of the gradient and of its square, bias-corrected (PyTorch's).

    g_t  = grad + weight_decay * w          (Adam's L2 penalty; AdamW instead shrinks w <- w (1 - lr weight_decay))
    m_t  = beta1 * m_{t-1} + (1 - beta1) * g_t
    v_t  = beta2 * v_{t-1} + (1 - beta2) * g_t^2
    amsgrad:  v_t^max = max(v_{t-1}^max, v_t), used in place of v_t below
    w   <- w - lr / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor

from .optimizer import Optimizer, ParamGroup, Params, add_weight_decay, lerp_


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False)``.

    ``decoupled_weight_decay=True`` makes it AdamW.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
            decoupled_weight_decay=decoupled_weight_decay,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _check(self, group: ParamGroup) -> None:
        self._require_nonnegative(group, "lr", "eps", "weight_decay")
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"{type(self).__name__}: betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            self._require_in(f"betas[{i}]", beta, 0.0, 1.0, closed=False)

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        lr, weight_decay = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.numpy())
            state["exp_avg_sq"] = np.zeros_like(p.numpy())
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.numpy())
        state["step"] += 1
        step = state["step"]
        decayed, work = self._work_arrays(p, 2)
        if group["decoupled_weight_decay"]:
            p.mul_(1 - lr * weight_decay)
            g = grad
        else:
            g = add_weight_decay(grad, p.numpy(), weight_decay, out=decayed)

        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        lerp_(exp_avg, g, 1 - beta1, work)
        exp_avg_sq *= beta2
        np.multiply(g, g, out=work)
        work *= 1 - beta2
        exp_avg_sq += work
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            exp_avg_sq = state["max_exp_avg_sq"]

        step_size = lr / (1 - beta1**step)
        np.sqrt(exp_avg_sq, out=work)
        work /= (1 - beta2**step) ** 0.5
        work += group["eps"]
        np.divide(exp_avg, work, out=work)
        work *= step_size
        p.sub_(work)


class AdamW(Adam):
    """``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False)``.

    Adam with decoupled weight decay: the weights shrink by ``lr * weight_decay`` of themselves each step instead
    of the penalty's gradient passing through the adaptive scaling.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)
