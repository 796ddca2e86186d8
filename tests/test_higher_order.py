"""ag.grad: derivatives to any order against closed forms, and its semantics against torch.autograd.grad."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import autograd_core as ag
from autograd_core import Tensor

X = np.array([-1.3, -0.4, 0.2, 0.9, 1.7])


def derivatives(f, x: np.ndarray, order: int) -> list[np.ndarray]:
    """[f', f'', ...] up to ``order``, each by ag.grad of the previous one with create_graph=True."""
    t = Tensor(x, requires_grad=True)
    y = f(t)
    found = []
    for _ in range(order):
        (y,) = ag.grad(y.sum(), t, create_graph=True)
        found.append(y.numpy())
    return found


@pytest.mark.parametrize(
    ("f", "closed_forms"),
    [
        (lambda t: t.sin(), [np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)]),
        (lambda t: t.tanh(), [
            lambda x: 1 - np.tanh(x) ** 2,
            lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
            lambda x: -2 * (1 - np.tanh(x) ** 2) * (1 - 3 * np.tanh(x) ** 2),
        ]),
        (lambda t: t**5, [lambda x: 5 * x**4, lambda x: 20 * x**3, lambda x: 60 * x**2]),
    ],
    ids=["sin", "tanh", "x**5"],
)  # fmt: skip
def test_third_derivatives_match_closed_forms(f, closed_forms):
    for found, closed in zip(derivatives(f, X, 3), closed_forms, strict=True):
        np.testing.assert_allclose(found, closed(X), rtol=1e-12, atol=1e-12)


def test_fifth_derivative_of_x5_is_constant_and_sixth_vanishes():
    d = derivatives(lambda t: t**5, X, 6)
    np.testing.assert_allclose(d[3], 120 * X, rtol=1e-12)
    np.testing.assert_allclose(d[4], np.full_like(X, 120.0), rtol=1e-12)
    np.testing.assert_array_equal(d[5], np.zeros_like(X))


def test_mixed_partials_of_a_two_variable_function():
    # f(x, y) = x^2 y^3 + sin(x y):  d^2 f / dx dy = 6 x y^2 + cos(xy) - x y sin(xy)
    x, y = Tensor(np.float64(0.7), requires_grad=True), Tensor(np.float64(-1.1), requires_grad=True)
    f = x**2 * y**3 + (x * y).sin()
    (fx,) = ag.grad(f, x, create_graph=True)
    (fxy,) = ag.grad(fx, y)
    xv, yv = 0.7, -1.1
    assert fxy.item() == pytest.approx(6 * xv * yv**2 + np.cos(xv * yv) - xv * yv * np.sin(xv * yv), rel=1e-12)


# ---- semantics, side by side with torch.autograd.grad ---------------------------------------------------------


def pair(a: np.ndarray):
    return Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def test_results_match_torch_and_grad_attributes_stay_untouched():
    rng = np.random.default_rng(0)
    (w, wt), (b, bt) = pair(rng.standard_normal((3, 4))), pair(rng.standard_normal(3))
    x = rng.standard_normal(4)
    ours = ag.grad(((w @ x + b).tanh() ** 2).sum(), [w, b])
    theirs = torch.autograd.grad(((wt @ torch.tensor(x) + bt).tanh() ** 2).sum(), [wt, bt])
    for a, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=1e-13)
        assert not a.requires_grad
    assert w.grad is None and b.grad is None and wt.grad is None


def test_grad_outputs_weight_a_non_scalar_output():
    rng = np.random.default_rng(1)
    (x, xt), v = pair(rng.standard_normal(4)), rng.standard_normal(4)
    (ours,) = ag.grad(x.sin() * x, x, grad_outputs=Tensor(v))
    (theirs,) = torch.autograd.grad(xt.sin() * xt, xt, grad_outputs=torch.tensor(v))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-13)
    with pytest.raises(RuntimeError, match="scalar"):
        ag.grad(x.sin() * x, x)


def test_several_outputs_add_up():
    (x, xt) = pair(np.array([0.3, 1.2]))
    ours = ag.grad([x.exp().sum(), (x * x).sum()], x)[0]
    theirs = torch.autograd.grad([xt.exp().sum(), (xt * xt).sum()], xt)[0]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-13)


def test_allow_unused():
    x, z = Tensor(np.array([1.0, 2.0]), requires_grad=True), Tensor(3.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        ag.grad((x * 2).sum(), [x, z])
    gx, gz = ag.grad((x * 2).sum(), [x, z], allow_unused=True)
    np.testing.assert_array_equal(gx.numpy(), [2.0, 2.0])
    assert gz is None


def test_second_sweep_needs_retain_graph():
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    y = (x.exp() * x).sum()
    first = ag.grad(y, x)[0].numpy()
    with pytest.raises(RuntimeError, match="retain_graph"):
        ag.grad(y, x)
    y = (x.exp() * x).sum()
    ag.grad(y, x, retain_graph=True)
    np.testing.assert_array_equal(ag.grad(y, x)[0].numpy(), first)


def test_grad_with_respect_to_an_intermediate_leaves_the_rest_of_the_graph_alone():
    # torch.autograd.grad runs only the part of the graph between the outputs and the inputs; the rest stays usable
    x = Tensor(np.array([0.1, 0.8]), requires_grad=True)
    h = x.exp()
    (gh,) = ag.grad(h.sin().sum(), h)
    np.testing.assert_allclose(gh.numpy(), np.cos(np.exp(x.numpy())), rtol=1e-14)
    (gx,) = ag.grad(h.cos().sum(), x)  # h's own node was not swept, so not freed
    np.testing.assert_allclose(gx.numpy(), -np.sin(np.exp(x.numpy())) * np.exp(x.numpy()), rtol=1e-14)


def test_inputs_that_depend_on_each_other():
    x = Tensor(np.float64(0.4), requires_grad=True)
    h = x * x
    gh, gx = ag.grad(h.sin(), [h, x])
    assert gh.item() == pytest.approx(np.cos(0.16), rel=1e-14)
    assert gx.item() == pytest.approx(np.cos(0.16) * 0.8, rel=1e-14)


def test_input_that_does_not_require_grad_is_an_error():
    with pytest.raises(RuntimeError, match="requires grad"):
        ag.grad((Tensor(np.ones(2), requires_grad=True) * 2).sum(), Tensor(np.ones(2)))


def test_create_graph_results_are_graphs_and_backward_of_them_accumulates():
    x = Tensor(np.array([0.3, -0.6]), requires_grad=True)
    (g,) = ag.grad((x**3).sum(), x, create_graph=True)
    assert g.requires_grad and x.grad is None
    (g * g).sum().backward()  # d/dx sum (3x^2)^2 = 36 x^3
    np.testing.assert_allclose(x.grad, 36 * x.numpy()**3, rtol=1e-13)


def test_newton_step_on_a_quadratic_lands_on_the_minimum():
    # f(w) = 1/2 w^T A w - b^T w; one Newton step from anywhere lands on A^{-1} b
    rng = np.random.default_rng(2)
    m = rng.standard_normal((3, 3))
    a, bvec = m @ m.T + 3 * np.eye(3), rng.standard_normal(3)
    w = Tensor(rng.standard_normal(3), requires_grad=True)
    f = 0.5 * (w @ (a @ w)) - bvec @ w
    (g,) = ag.grad(f, w, create_graph=True)
    hess = np.stack([ag.grad(g[i], w, retain_graph=True)[0].numpy() for i in range(3)])
    step = w.numpy() - np.linalg.solve(hess, g.numpy())
    np.testing.assert_allclose(hess, a, rtol=1e-12)
    np.testing.assert_allclose(step, np.linalg.solve(a, bvec), rtol=1e-10)
