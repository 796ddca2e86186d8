"""Newton's method: w <- w - lr * (H + damping I)^{-1} g, with the gradient g and Hessian H from the engine.

The loss is fitted by its second-order Taylor expansion at w and the step goes to that quadratic's stationary point;
for a convex quadratic loss and lr = 1 this is the minimiser itself, in one step. The closure re-computes the loss
with recording on; ``ag.grad(..., create_graph=True)`` gives g as a graph, and one more reverse sweep per entry of g
gives the Hessian row by row. Damping (Levenberg-Marquardt's diagonal loading) keeps H + damping I invertible
where H is singular or indefinite.

All parameters of all groups form one vector w of n entries; each group's ``lr`` scales its part of the step and its
``damping`` is added on its part of the diagonal. The Hessian has n^2 entries and costs n reverse sweeps, so above
``Newton.max_params`` parameters the step refuses and suggests a Hessian-vector-product method instead.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from .optimizer import Optimizer, ParamGroup, Params


class Newton(Optimizer):
    """``Newton(params, lr=1.0, damping=0.0)``; ``step(closure)`` with a closure that returns the loss.

    The closure must not call ``backward()``: Newton differentiates the loss twice itself.
    """

    max_params = 5_000  # a dense Hessian of 25 million entries (200 MB in float64) and 5,000 sweeps per step

    def __init__(self, params: Params, lr: float = 1.0, damping: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, damping=damping))

    def _check(self, group: ParamGroup) -> None:
        self._require_nonnegative(group, "lr", "damping")

    def add_param_group(self, param_group: ParamGroup) -> None:
        super().add_param_group(param_group)
        n = sum(p.numel() for group in self.param_groups for p in group["params"])
        if n > self.max_params:
            self.param_groups.pop()
            raise ValueError(
                f"Newton: {n:,} parameters would need a Hessian of {n * n:,} entries and {n:,} reverse sweeps per "
                f"step; the limit is Newton.max_params = {self.max_params:,}. For a model this size use a "
                "Hessian-vector-product method instead (e.g. conjugate gradient on H v = g with H v from "
                "ag.grad(ag.grad(loss, w, create_graph=True) . v, w)), or a first-order optimizer"
            )

    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor:  # type: ignore[override]
        """One Newton step; returns the loss the closure computed (before the step)."""
        if closure is None:
            raise TypeError(
                "Newton.step: a closure is required, one that re-computes and returns the loss without calling "
                "backward (Newton differentiates the loss twice itself)"
            )
        loss = self._evaluate(closure)
        if not loss.requires_grad:
            raise RuntimeError("Newton.step: the loss the closure returned does not depend on any parameter")
        # frozen parameters (requires_grad=False) are held constant, as every optimizer skips them
        entries = [(p, group) for group in self.param_groups for p in group["params"] if p.requires_grad]
        params = [p for p, _ in entries]
        starts = np.cumsum([0, *(p.numel() for p in params)])
        n = int(starts[-1])
        dtype = np.result_type(*(p.dtype for p in params))

        with ag.enable_grad():
            grads = ag.grad(loss, params, create_graph=True, allow_unused=True)
            gradient = np.zeros(n, dtype=dtype)
            hessian = np.zeros((n, n), dtype=dtype)
            for p, g, start in zip(params, grads, starts):
                if g is None:  # the loss does not depend on p: its gradient and Hessian rows are zero
                    continue
                gradient[start : start + p.numel()] = g.numpy().ravel()
                if not g.requires_grad:  # g is constant: the loss is linear in p, so its Hessian rows are zero
                    continue
                unit = np.zeros(p.shape, dtype=p.dtype)
                for i in range(p.numel()):  # row i of p's block: the gradient of g[i], by one sweep weighted by e_i
                    unit.flat[i] = 1
                    row = ag.grad(g, params, grad_outputs=unit, retain_graph=True, allow_unused=True)
                    unit.flat[i] = 0
                    for q, h, q_start in zip(params, row, starts):
                        if h is not None:
                            hessian[start + i, q_start : q_start + q.numel()] = h.numpy().ravel()

        lrs = np.empty(n, dtype=dtype)
        for (p, group), start in zip(entries, starts):
            diagonal = np.arange(start, start + p.numel())
            lrs[diagonal] = group["lr"]
            hessian[diagonal, diagonal] += group["damping"]
        try:
            direction = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            raise np.linalg.LinAlgError(
                f"Newton.step: the Hessian of the {n:,} parameters is singular; pass damping > 0 "
                "(it adds damping * I to the Hessian)"
            ) from None
        direction *= lrs
        with ag.no_grad():  # an update in place, not a step of any graph
            for p, start in zip(params, starts):
                p.sub_(direction[start : start + p.numel()].reshape(p.shape))
        return loss
