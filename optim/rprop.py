"""Rprop (resilient propagation): every weight has its own step size; only the sign of its derivative is used.

Each step compares the sign of each weight's derivative g_t with the one remembered from before, g_prev:

    same sign (g_t g_prev > 0):    step_size <- min(step_size * eta_plus,  step_size_max)
    sign flipped (g_t g_prev < 0): step_size <- max(step_size * eta_minus, step_size_min)
    either is zero:                step_size unchanged

PyTorch's rule (``backtrack=False``, Rprop without weight-backtracking): where the sign flipped the weight does
not move this step and g_prev is set to 0, so the next step counts as a fresh start; elsewhere
w <- w - sign(g_t) * step_size and g_prev <- g_t.

The lectures' rule (``backtrack=True``): where the sign flipped, the last step overshot a minimum, so it is undone
(the weight returns to where g_prev was measured) and a smaller step is taken from there, in the direction g_prev
gave; g_prev is kept, since it is still the derivative at the point the weight stepped from. Elsewhere as above.

The first step (no g_prev) moves each weight by the initial step size ``lr`` against its derivative.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor

from .optimizer import Optimizer, ParamGroup, Params


class Rprop(Optimizer):
    """``Rprop(params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), backtrack=False)``.

    ``lr`` is the initial step size, ``etas = (eta_minus, eta_plus)`` the factors that shrink and grow it, and
    ``step_sizes = (min, max)`` its floor and ceiling.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50.0),
        backtrack: bool = False,
    ) -> None:
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), backtrack=backtrack)
        super().__init__(params, defaults)

    def _check(self, group: ParamGroup) -> None:
        self._require_nonnegative(group, "lr")
        for key in ("etas", "step_sizes"):
            for i, value in enumerate(group[key]):
                self._require_number(f"{key}[{i}]", value)
        eta_minus, eta_plus = group["etas"]
        if not 0.0 < eta_minus < 1.0 < eta_plus:
            raise ValueError(f"Rprop: invalid etas={group['etas']!r}, expected 0 < etas[0] < 1 < etas[1]")
        low, high = group["step_sizes"]
        if not 0.0 <= low <= high:
            raise ValueError(
                f"Rprop: invalid step_sizes={group['step_sizes']!r}, expected 0 <= step_sizes[0] <= step_sizes[1]"
            )

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        eta_minus, eta_plus = group["etas"]
        if not state:
            state["step"] = 0
            state["prev"] = np.zeros_like(p.numpy())
            state["step_size"] = np.full_like(p.numpy(), group["lr"])
        state["step"] += 1
        prev, step_size = state["prev"], state["step_size"]
        (work,) = self._work_arrays(p, 1)

        np.multiply(grad, prev, out=work)
        same, flipped = work > 0, work < 0
        np.multiply(step_size, eta_plus, out=step_size, where=same)
        if group["backtrack"]:
            # undo the last step, which was sign(prev) * step_size, before the step size shrinks
            np.sign(prev, out=work)
            work *= step_size
            np.copyto(work, 0, where=~flipped)  # undone only where the sign flipped
            p.add_(work)
        np.multiply(step_size, eta_minus, out=step_size, where=flipped)
        np.clip(step_size, *group["step_sizes"], out=step_size)

        if group["backtrack"]:
            # step on from the point each weight stands at now: its derivative there is prev where it went back
            np.copyto(prev, grad, where=~flipped)
        else:
            np.copyto(prev, grad)
            np.copyto(prev, 0, where=flipped)
        np.sign(prev, out=work)
        work *= step_size
        p.sub_(work)
