"""Shared test helpers: float64 by default inside a test, finite differences as an independent truth."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import autograd_core as ag


@pytest.fixture
def float64():
    """Run a test with float64 as the default dtype, restoring the previous default afterwards."""
    previous = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    yield
    ag.set_default_dtype(previous)


def numerical_grad(f: Callable[[list[np.ndarray]], float], arrays: list[np.ndarray], i: int, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of the scalar f with respect to arrays[i], in float64."""
    x = arrays[i]
    grad = np.zeros_like(x, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + eps
        up = f(arrays)
        x[idx] = saved - eps
        down = f(arrays)
        x[idx] = saved
        grad[idx] = (up - down) / (2 * eps)
    return grad
