"""The optimizers the lectures teach beyond PyTorch: Rprop with backtracking, QuickProp and Newton's method."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import autograd_core as ag
import optim

# ---- Rprop with backtracking: against a direct transcription of the lectures' pseudo-code -----------------------

C = np.array([0.7, -1.2, 0.3, 2.0])


def quartic(w: Any) -> Any:
    """A coupled quartic: Rprop overshoots its minimum in most coordinates, so signs flip and steps are undone."""
    return ((w - C) ** 4).sum() + 0.3 * (w[0] * w[1] + w[1] * w[2] - w[2] * w[3])


def quartic_gradient(w: np.ndarray) -> np.ndarray:
    """The same derivative by hand, so that the transcription below does not use the engine."""
    g = 4 * (w - C) ** 3
    g += 0.3 * np.array([w[1], w[0] + w[2], w[1] - w[3], -w[2]])
    return g


def lectures_rprop(
    w: np.ndarray, dw0: float, steps: int, alpha: float, beta: float, dmin: float, dmax: float
) -> list[np.ndarray]:
    """"Rprop (simplified)" from the lectures, line by line: w after each derivative evaluation.

    Initialize w, Dw > 0;  prevD = dErr/dw;  Dw = sign(prevD) Dw
    While not converged:
        w = w - Dw
        D = dErr/dw
        if sign(prevD) == sign(D):  Dw = min(alpha Dw, Dmax);  prevD = D
        else:                       w = w + Dw;  Dw = max(beta Dw, Dmin)
    (Dw carries the sign of the step; the ceiling and floor apply to its size.)
    """
    w = w.copy()
    trajectory = []
    dw = np.full_like(w, dw0)
    prev_d = quartic_gradient(w)
    for i in range(len(w)):
        dw[i] = np.sign(prev_d[i]) * dw[i]
    for _ in range(steps):
        w = w - dw  # the step of this pass of the loop
        trajectory.append(w.copy())  # the point where the derivative is now evaluated
        d = quartic_gradient(w)
        for i in range(len(w)):
            if np.sign(prev_d[i]) == np.sign(d[i]):
                dw[i] = np.sign(dw[i]) * min(alpha * abs(dw[i]), dmax)
                prev_d[i] = d[i]
            else:
                w[i] = w[i] + dw[i]
                dw[i] = np.sign(dw[i]) * max(beta * abs(dw[i]), dmin)
    return trajectory


@pytest.mark.parametrize("settings", [{}, {"lr": 0.3, "etas": (0.4, 1.5), "step_sizes": (1e-3, 0.5)}])
def test_rprop_backtrack_follows_the_lectures_pseudo_code(settings: dict[str, Any]) -> None:
    lr = settings.get("lr", 1e-2)
    beta, alpha = settings.get("etas", (0.5, 1.2))
    dmin, dmax = settings.get("step_sizes", (1e-6, 50.0))
    start = np.array([-1.0, 0.5, 1.5, 0.2])
    expected = lectures_rprop(start, lr, 40, alpha, beta, dmin, dmax)

    w = ag.Tensor(start, requires_grad=True)
    optimizer = optim.Rprop([w], backtrack=True, **settings)
    ours = []
    for _ in range(40):
        optimizer.zero_grad()
        quartic(w).backward()
        optimizer.step()
        ours.append(w.numpy().copy())
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-14)
    # the run did backtrack: some weight moved back after a sign change
    moves = np.diff(np.array(ours), axis=0)
    assert np.any(np.sign(moves) != np.sign(moves[0]))


def test_rprop_backtrack_converges_on_a_separable_function() -> None:
    # the lectures' rule treats each weight on its own; on a separable function that is exactly right
    w = ag.Tensor(np.array([-1.0, 0.5, 1.5, 0.2]), requires_grad=True)
    optimizer = optim.Rprop([w], lr=0.1, backtrack=True)
    for _ in range(60):
        optimizer.zero_grad()
        (((w - C) ** 2) * np.array([1.0, 5.0, 0.2, 2.0])).sum().backward()
        optimizer.step()
    np.testing.assert_allclose(w.numpy(), C, atol=1e-4)


def test_rprop_backtrack_differs_from_pytorchs_rule() -> None:
    runs = []
    for backtrack in (False, True):
        w = ag.Tensor(np.array([-1.0, 0.5, 1.5, 0.2]), requires_grad=True)
        optimizer = optim.Rprop([w], lr=0.3, backtrack=backtrack)
        for _ in range(10):
            optimizer.zero_grad()
            quartic(w).backward()
            optimizer.step()
        runs.append(w.numpy().copy())
    assert not np.allclose(runs[0], runs[1])


# ---- QuickProp ----------------------------------------------------------------------------------------------------

A = np.array([1.0, 3.0, 0.5, 8.0])
TARGET = np.array([2.0, -1.0, 0.5, 4.0])


def separable_quadratic(w: ag.Tensor) -> ag.Tensor:
    return (A * (w - TARGET) ** 2).sum()


def _quickprop_run(steps: int, **settings: Any) -> list[np.ndarray]:
    w = ag.Tensor(np.zeros(4), requires_grad=True)
    optimizer = optim.QuickProp([w], **settings)
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        separable_quadratic(w).backward()
        optimizer.step()
        trajectory.append(w.numpy().copy())
    return trajectory


def test_quickprop_reaches_a_separable_quadratics_minimum_in_two_steps() -> None:
    # step 1 is a gradient step; on a quadratic the secant is the exact second derivative, so step 2 lands on the
    # minimum when the growth factor allows a step that large
    trajectory = _quickprop_run(3, lr=0.05, mu=100.0)
    np.testing.assert_allclose(trajectory[0], 0.05 * 2 * A * TARGET, rtol=1e-14)
    np.testing.assert_allclose(trajectory[1], TARGET, rtol=1e-12)
    np.testing.assert_allclose(trajectory[2], TARGET, rtol=1e-12)


def test_quickprop_with_defaults_converges_in_a_few_steps() -> None:
    # the growth factor mu = 1.75 limits how fast the tiny first step (lr = 0.01) can grow; then it lands exactly
    trajectory = _quickprop_run(12)
    np.testing.assert_allclose(trajectory[-1], TARGET, rtol=1e-12)
    steps = np.diff(np.array([np.zeros(4), *trajectory]), axis=0)
    ratios = np.abs(steps[1:]) / np.maximum(np.abs(steps[:-1]), 1e-300)
    assert np.all(ratios[np.abs(steps[:-1]) > 0] <= 1.75 + 1e-12)  # no step grows by more than mu


def test_quickprop_takes_a_gradient_step_where_the_curvature_is_not_positive() -> None:
    # f(w) = -w^2 + w^4 / 4 near w = 0.2 has negative curvature: the secant parabola has no minimum
    w = ag.Tensor(np.array([0.2]), requires_grad=True)
    optimizer = optim.QuickProp([w], lr=0.1)
    points = [w.numpy().copy()]
    for _ in range(3):
        optimizer.zero_grad()
        (-(w**2) + w**4 / 4).sum().backward()
        optimizer.step()
        points.append(w.numpy().copy())
    for before, after in zip(points[:-1], points[1:]):
        gradient = -2 * before + before**3
        np.testing.assert_allclose(after, before - 0.1 * gradient, rtol=1e-14)


# ---- Newton -------------------------------------------------------------------------------------------------------

_rng = np.random.default_rng(3)
_M = _rng.normal(size=(6, 6))
SPD = _M @ _M.T + 0.5 * np.eye(6)
LINEAR = _rng.normal(size=6)


def _two_tensors() -> tuple[ag.Tensor, ag.Tensor]:
    x = ag.Tensor(_rng.normal(size=(2,)), requires_grad=True)
    return x, ag.Tensor(_rng.normal(size=(2, 2)), requires_grad=True)


def _quadratic(x: ag.Tensor, Y: ag.Tensor) -> ag.Tensor:
    z = ag.concatenate([x, Y.reshape(-1)])
    return 0.5 * (z @ (SPD @ z)) - LINEAR @ z + 3.0


def test_newton_reaches_a_convex_quadratics_minimiser_in_one_step() -> None:
    x, Y = _two_tensors()
    optimizer = optim.Newton([x, Y])
    loss = optimizer.step(lambda: _quadratic(x, Y))
    assert isinstance(loss, ag.Tensor)
    z = np.concatenate([x.numpy(), Y.numpy().ravel()])
    np.testing.assert_allclose(z, np.linalg.solve(SPD, LINEAR), rtol=1e-10, atol=1e-12)


def test_newton_holds_frozen_parameters_constant() -> None:
    x, Y = _two_tensors()
    Y.requires_grad_(False)
    frozen = Y.numpy().copy()
    optim.Newton([x, Y]).step(lambda: _quadratic(x, Y))
    np.testing.assert_array_equal(Y.numpy(), frozen)
    # x minimises the quadratic with Y fixed: A_xx x = b_x - A_xy y
    expected = np.linalg.solve(SPD[:2, :2], LINEAR[:2] - SPD[:2, 2:] @ frozen.ravel())
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-10)


def test_newton_damping_and_lr_scale_the_step_as_the_formula_says() -> None:
    x, Y = _two_tensors()
    start = np.concatenate([x.numpy(), Y.numpy().ravel()])
    optimizer = optim.Newton([x, Y], lr=0.5, damping=2.0)
    optimizer.step(lambda: _quadratic(x, Y))
    gradient = SPD @ start - LINEAR
    expected = start - 0.5 * np.linalg.solve(SPD + 2.0 * np.eye(6), gradient)
    np.testing.assert_allclose(np.concatenate([x.numpy(), Y.numpy().ravel()]), expected, rtol=1e-10, atol=1e-12)


def test_newton_step_on_a_nonconvex_function_uses_torchs_hessian() -> None:
    def f(lib: Any, x: Any, Y: Any) -> Any:
        return (lib.tanh(x @ Y) ** 2).sum() + (x**4).sum() + (Y.sin() * x).sum() + (Y**2).sum()

    x, Y = _two_tensors()
    xt, Yt = torch.tensor(x.numpy()), torch.tensor(Y.numpy())
    flat = torch.cat([xt, Yt.reshape(-1)])

    def flat_f(z: torch.Tensor) -> torch.Tensor:
        return f(torch, z[:2], z[2:].reshape(2, 2))

    H = torch.autograd.functional.hessian(flat_f, flat).numpy()
    g = torch.autograd.functional.jacobian(flat_f, flat).numpy()
    expected = flat.numpy() - np.linalg.solve(H + 0.1 * np.eye(6), g)

    optimizer = optim.Newton([x, Y], damping=0.1)
    optimizer.step(lambda: f(ag, x, Y))
    np.testing.assert_allclose(np.concatenate([x.numpy(), Y.numpy().ravel()]), expected, rtol=1e-10, atol=1e-12)


def test_newton_keeps_float32() -> None:
    x = ag.Tensor(np.array([1.0, -2.0], dtype=np.float32), requires_grad=True)
    optimizer = optim.Newton([x])
    optimizer.step(lambda: ((x - np.float32(0.5)) ** 2 * np.array([1.0, 4.0], dtype=np.float32)).sum())
    assert x.dtype == np.float32
    np.testing.assert_allclose(x.numpy(), [0.5, 0.5], rtol=1e-6)


def test_newton_refuses_a_hessian_too_large_and_names_the_count() -> None:
    w = ag.Tensor(np.zeros((71, 71)), requires_grad=True)  # 5,041 parameters
    with pytest.raises(ValueError, match=r"5,041 parameters.*Hessian-vector-product"):
        optim.Newton([w])


def test_newton_needs_a_closure_that_returns_a_scalar() -> None:
    x, Y = _two_tensors()
    optimizer = optim.Newton([x, Y])
    with pytest.raises(TypeError, match="closure is required"):
        optimizer.step()
    with pytest.raises(TypeError, match=r"scalar Tensor, got a Tensor of shape \(2,\)"):
        optimizer.step(lambda: x * 2)


def test_newton_singular_hessian_suggests_damping() -> None:
    w = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    optimizer = optim.Newton([w])
    with pytest.raises(np.linalg.LinAlgError, match="damping"):
        optimizer.step(lambda: (w.sum() - 1.0) ** 2)  # H = [[2, 2], [2, 2]] is singular
