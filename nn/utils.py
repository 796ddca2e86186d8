"""Gradient clipping, applied to the gradients a backward sweep left in ``.grad`` (between backward and step)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

import autograd_core as ag
from autograd_core import Tensor


def _with_grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> Tensor:
    """Scale all gradients together by max_norm / (total_norm + 1e-6) when that is below 1.

    total_norm is the ``norm_type`` norm of all gradients seen as one vector (``math.inf`` for the largest
    magnitude). Returns total_norm (before clipping) as a 0-d Tensor, as PyTorch does.
    """
    params = _with_grads(parameters)
    if not params:
        return Tensor(0.0)
    grads = [p.grad.numpy() for p in params]
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g))) for g in grads)
    else:
        total = float(sum(np.sum(np.abs(g) ** norm_type) for g in grads) ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}")
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        with ag.no_grad():
            for p in params:
                p.grad.mul_(scale)  # in place, as PyTorch's; a Python float: float32 gradients stay float32
    return Tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry to [-clip_value, clip_value], in place."""
    with ag.no_grad():
        for p in _with_grads(parameters):
            p.grad.clamp_(-clip_value, clip_value)
