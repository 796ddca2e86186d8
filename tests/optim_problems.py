"""The objective the optim tests share, written once for both libraries, and runners that record trajectories.

A small nonconvex function of two tensors, W (3, 2) and b (2,): a one-layer tanh regression with a penalty that
pulls ||W||^2 towards 1 and a periodic term in b. Written with methods and operators that autograd_core Tensors
and torch tensors share, so both libraries compute the very same function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import autograd_core as ag

_rng = np.random.default_rng(7)
X = _rng.normal(size=(5, 3))
Y = _rng.normal(size=(5, 2))
W0 = _rng.normal(size=(3, 2))
B0 = _rng.normal(size=(2,))


def objective(W: Any, b: Any, X: Any, Y: Any) -> Any:
    h = (X @ W + b).tanh()
    return ((h - Y) ** 2).mean() + 0.1 * ((W**2).sum() - 1.0) ** 2 + 0.2 * (3 * b).sin().sum()


def ours_params(dtype: Any = np.float64) -> list[ag.Tensor]:
    return [ag.Tensor(W0.astype(dtype), requires_grad=True), ag.Tensor(B0.astype(dtype), requires_grad=True)]


def ours_loss(params: list[ag.Tensor]) -> ag.Tensor:
    return objective(params[0], params[1], X, Y)


def run_ours(params: list[ag.Tensor], optimizer: Any, steps: int) -> list[list[np.ndarray]]:
    """``steps`` steps on the objective; the parameters' values after each step."""
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        ours_loss(params).backward()
        optimizer.step()
        trajectory.append([p.numpy().copy() for p in params])
    return trajectory


def run_torch(
    make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer], steps: int
) -> list[list[np.ndarray]]:
    """The same with torch, from the same start, in float64."""
    params = [torch.tensor(W0, requires_grad=True), torch.tensor(B0, requires_grad=True)]
    optimizer = make_optimizer(params)
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        objective(params[0], params[1], Xt, Yt).backward()
        optimizer.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


def assert_same_trajectory(ours: list[list[np.ndarray]], theirs: list[list[np.ndarray]]) -> None:
    assert len(ours) == len(theirs)
    for step, (a, b) in enumerate(zip(ours, theirs), start=1):
        for i, (x, y) in enumerate(zip(a, b)):
            np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12, err_msg=f"parameter {i} after step {step}")
