"""ag.functional against torch.autograd.functional, in float64: values, structure of results, options, costs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import autograd_core as ag
from autograd_core import Tensor
from autograd_core import functional as F

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal(4)
V_OUT = RNG.standard_normal(3)
V_IN = (RNG.standard_normal((3, 4)), RNG.standard_normal(4))


def f_one(x):  # R^(3x4) -> R^3, works for both libraries
    return (x * x).sum(1).sin() * x[:, 0]


def f_two(x, y):  # (R^(3x4), R^4) -> R^3
    return ((x @ y).tanh() * 2).sin() + y[1]


def f_two_outputs(x, y):
    return (x @ y).exp(), (y * y).sum()


def scalar_two(x, y):
    return (((x @ y).tanh() - 0.5) ** 2).sum() + (y * y * y).sum()


def ours(*arrays):
    return tuple(Tensor(a) for a in arrays)


def theirs(*arrays):
    return tuple(torch.tensor(a) for a in arrays)


def assert_same(a, t):
    """Same structure (Tensor / nested tuples) and the same numbers to float64 round-off."""
    if isinstance(t, tuple):
        assert isinstance(a, tuple) and len(a) == len(t)
        for x, y in zip(a, t):
            assert_same(x, y)
    else:
        assert isinstance(a, Tensor), f"expected a Tensor, got {type(a).__name__}"
        assert a.shape == tuple(t.shape)
        np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=1e-10, atol=1e-13)


def test_vjp():
    assert_same(F.vjp(f_two, ours(A, B), Tensor(V_OUT)), TF.vjp(f_two, theirs(A, B), torch.tensor(V_OUT)))
    assert_same(F.vjp(f_one, Tensor(A), Tensor(V_OUT)), TF.vjp(f_one, torch.tensor(A), torch.tensor(V_OUT)))
    v = (Tensor(RNG.standard_normal(3)), Tensor(0.7))
    assert_same(F.vjp(f_two_outputs, ours(A, B), v), TF.vjp(f_two_outputs, theirs(A, B), theirs(*[t.numpy() for t in v])))


def test_jvp():
    assert_same(F.jvp(f_two, ours(A, B), ours(*V_IN)), TF.jvp(f_two, theirs(A, B), theirs(*V_IN)))
    assert_same(F.jvp(f_one, Tensor(A), Tensor(V_IN[0])), TF.jvp(f_one, torch.tensor(A), torch.tensor(V_IN[0])))
    assert_same(F.jvp(f_two_outputs, ours(A, B), ours(*V_IN)), TF.jvp(f_two_outputs, theirs(A, B), theirs(*V_IN)))


def test_jacobian():
    assert_same(F.jacobian(f_one, Tensor(A)), TF.jacobian(f_one, torch.tensor(A)))
    assert_same(F.jacobian(f_two, ours(A, B)), TF.jacobian(f_two, theirs(A, B)))
    assert_same(F.jacobian(f_two_outputs, ours(A, B)), TF.jacobian(f_two_outputs, theirs(A, B)))
    assert_same(F.jacobian(lambda x: f_two_outputs(x, Tensor(B)), Tensor(A)),
                TF.jacobian(lambda x: f_two_outputs(x, torch.tensor(B)), torch.tensor(A)))  # fmt: skip


def test_hessian_and_hvp():
    assert_same(F.hessian(scalar_two, ours(A, B)), TF.hessian(scalar_two, theirs(A, B)))
    assert_same(F.hessian(lambda y: scalar_two(Tensor(A), y), Tensor(B)),
                TF.hessian(lambda y: scalar_two(torch.tensor(A), y), torch.tensor(B)))  # fmt: skip
    assert_same(F.hvp(scalar_two, ours(A, B), ours(*V_IN)), TF.hvp(scalar_two, theirs(A, B), theirs(*V_IN)))
    assert_same(F.hvp(lambda y: scalar_two(Tensor(A), y), Tensor(B), Tensor(V_IN[1])),
                TF.hvp(lambda y: scalar_two(torch.tensor(A), y), torch.tensor(B), torch.tensor(V_IN[1])))  # fmt: skip


def test_hvp_equals_hessian_times_v():
    h = F.hessian(lambda y: scalar_two(Tensor(A), y), Tensor(B))
    _, hv = F.hvp(lambda y: scalar_two(Tensor(A), y), Tensor(B), Tensor(V_IN[1]))
    np.testing.assert_allclose(hv.numpy(), h.numpy() @ V_IN[1], rtol=1e-12)


def test_v_may_be_omitted_only_for_single_entries():
    assert_same(F.vjp(lambda x: (x * x).sum(), Tensor(B)), TF.vjp(lambda x: (x * x).sum(), torch.tensor(B)))
    one = np.array([0.3])
    assert_same(F.jvp(lambda x: x.exp(), Tensor(one)), TF.jvp(lambda x: x.exp(), torch.tensor(one)))
    with pytest.raises(RuntimeError, match="pass v"):
        F.vjp(f_one, Tensor(A))
    with pytest.raises(ValueError, match="shape"):
        F.hvp(lambda y: scalar_two(Tensor(A), y), Tensor(B), Tensor(np.ones(3)))


def test_unused_inputs_get_zeros_or_an_error_under_strict():
    def f(x, y):
        return x.sin()

    _, (gx, gy) = F.vjp(f, ours(B, A), Tensor(np.ones(4)))
    _, (tx, ty) = TF.vjp(f, theirs(B, A), torch.ones(4, dtype=torch.float64))
    assert_same((gx, gy), (tx, ty))
    with pytest.raises(RuntimeError, match="independent of input 1"):
        F.vjp(f, ours(B, A), Tensor(np.ones(4)), strict=True)
    _, jv = F.jvp(lambda x, y: (x * 0).sum() + 2.0, ours(B, A), ours(B, A))
    assert jv.item() == 0.0


def test_results_are_detached_unless_create_graph():
    x = Tensor(B, requires_grad=True)
    out, g = F.vjp(lambda t: (t * t * t).sum(), x)
    assert not out.requires_grad and not g.requires_grad and x.grad is None
    out, g = F.vjp(lambda t: (t * t * t).sum(), x, create_graph=True)
    assert out.requires_grad and g.requires_grad
    g.sum().backward()  # d/dx sum(3 x^2) = 6 x: the graph reaches back to the caller's x
    np.testing.assert_allclose(x.grad, 6 * B, rtol=1e-13)


def test_create_graph_hvp_is_differentiable_again():
    # f = sum(x^4): H v = 12 x^2 v, and d/dx sum(H v) = 24 x v
    x, v = Tensor(B, requires_grad=True), Tensor(V_IN[1])
    _, hv = F.hvp(lambda t: (t**4).sum(), x, v, create_graph=True)
    np.testing.assert_allclose(hv.numpy(), 12 * B**2 * V_IN[1], rtol=1e-13)
    (d,) = ag.grad(hv.sum(), x)
    np.testing.assert_allclose(d.numpy(), 24 * B * V_IN[1], rtol=1e-13)


def test_hessian_needs_a_scalar_function():
    with pytest.raises(RuntimeError, match="single entry"):
        F.hessian(f_one, Tensor(A))
    with pytest.raises(TypeError, match="Tensor"):
        F.vjp(f_one, A)


def count_sweeps(monkeypatch) -> list[int]:
    """Patch the sweep to count its calls."""
    from autograd_core import backward

    calls: list[int] = []
    original = backward.sweep

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(backward, "sweep", counting)
    return calls


@pytest.mark.parametrize("n", [5, 50])
def test_jvp_and_hvp_cost_a_constant_number_of_sweeps(monkeypatch, n):
    calls = count_sweeps(monkeypatch)
    x, v = Tensor(RNG.standard_normal(n)), Tensor(RNG.standard_normal(n))
    F.jvp(lambda t: t.sin() * t.sum(), x, v)
    F.hvp(lambda t: (t.sin() * t.sum()).sum(), x, v)
    assert len(calls) == 4  # two each, whatever n is: never a Jacobian or Hessian built row by row


def test_works_inside_no_grad_with_and_without_create_graph():
    x = Tensor(B, requires_grad=True)
    with ag.no_grad():
        _, hv = F.hvp(lambda t: (t**4).sum(), x, Tensor(V_IN[1]))
        _, hv_graph = F.hvp(lambda t: (t**4).sum(), x, Tensor(V_IN[1]), create_graph=True)
    np.testing.assert_allclose(hv.numpy(), 12 * B**2 * V_IN[1], rtol=1e-13)
    assert hv_graph.requires_grad
