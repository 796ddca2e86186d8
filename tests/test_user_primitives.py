"""A user's own primitive (``ag.Primitive``) behaves as the table's entries: backward, ag.grad to second order,
hooks, anomaly mode, the drawing and the trace; a rule written with numpy gives first derivatives and a clear error
under create_graph. Truths: closed forms and PyTorch."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

import autograd_core as ag
from autograd_core import primitives as P
from autograd_core import Tensor

# softsign(x) = x / (1 + |x|): softsign' = 1 / (1 + |x|)^2, softsign'' = -2 sign(x) / (1 + |x|)^3
softsign = ag.Primitive("softsign", ag.ELEMENTWISE, lambda x: x / (1 + np.abs(x)),
                        lambda g, z, x: g / (1 + abs(x)) ** 2,
                        saves={"x": "x"})  # fmt: skip

# hypot(x, y) = sqrt(x^2 + y^2), broadcasting as numpy does: d/dx = x / z, d/dy = y / z
hypot = ag.Primitive("hypot", ag.COMPOSITE, np.hypot,
                     lambda g, z, x, y: g * x / z,
                     lambda g, z, x, y: g * y / z)  # fmt: skip

# softsign with its rule in numpy: right first derivatives, no second ones
numpy_softsign = ag.Primitive("numpy_softsign", ag.ELEMENTWISE, lambda x: x / (1 + np.abs(x)),
                              lambda g, z, x: g / (1 + np.abs(x)) ** 2)  # fmt: skip

X = np.array([0.5, -1.5, 2.0])


def softsign_derivatives(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return 1 / (1 + np.abs(x)) ** 2, -2 * np.sign(x) / (1 + np.abs(x)) ** 3


def test_the_kinds_are_the_tables():
    assert (ag.AFFINE, ag.PRODUCT, ag.ELEMENTWISE, ag.COMPOSITE) == (P.add.kind, P.multiply.kind, P.exp.kind,
                                                                     P.maximum.kind)  # fmt: skip
    assert isinstance(P.exp, ag.Primitive)


def test_on_arrays_it_computes_on_tensors_it_records_one_node():
    np.testing.assert_allclose(softsign(X), X / (1 + np.abs(X)))
    assert type(softsign(X)) is np.ndarray
    x = Tensor(X, requires_grad=True)
    y = softsign(x)
    assert y.grad_fn.op is softsign and y.grad_fn.inputs == (x,)
    assert [n.op for n in ag.topological_order([y])] == [None, softsign]


def test_backward_and_grad_to_second_order_match_the_closed_forms():
    first, second = softsign_derivatives(X)
    x = Tensor(X, requires_grad=True)
    softsign(x).sum().backward()
    np.testing.assert_allclose(x.grad, first, rtol=1e-14)
    x = Tensor(X, requires_grad=True)
    (g1,) = ag.grad(softsign(x).sum(), x, create_graph=True)
    (g2,) = ag.grad(g1.sum(), x)
    np.testing.assert_allclose(g1.numpy(), first, rtol=1e-14)
    np.testing.assert_allclose(g2.numpy(), second, rtol=1e-14)


def test_two_broadcast_inputs_match_pytorch_to_second_order():
    a, b = np.array([[0.3, -1.2, 2.0], [1.5, 0.7, -0.4]]), np.array([0.8, -0.6, 1.1])
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    xt, yt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    gx, gy = ag.grad((hypot(x, y) ** 3).sum(), (x, y), create_graph=True)
    gxt, gyt = torch.autograd.grad((torch.hypot(xt, yt) ** 3).sum(), (xt, yt), create_graph=True)
    assert gy.shape == (3,)
    np.testing.assert_allclose(gx.numpy(), gxt.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(gy.numpy(), gyt.detach().numpy(), rtol=1e-13)
    hx, hy = ag.grad((gx * gx).sum() + gy.sum(), (x, y))
    hxt, hyt = torch.autograd.grad((gxt * gxt).sum() + gyt.sum(), (xt, yt))
    np.testing.assert_allclose(hx.numpy(), hxt.numpy(), rtol=1e-12)
    np.testing.assert_allclose(hy.numpy(), hyt.numpy(), rtol=1e-12)


def test_hooks_see_and_replace_the_gradient_at_a_user_node():
    x, seen = Tensor(X, requires_grad=True), []
    y = softsign(x)
    y.register_hook(lambda g: (seen.append(g.numpy().copy()), g * 10)[1])
    (y * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], np.full(3, 3.0))
    np.testing.assert_allclose(x.grad, 30 * softsign_derivatives(X)[0], rtol=1e-14)


def test_anomaly_mode_names_the_user_primitive_forward_and_backward():
    with warnings.catch_warnings(), np.errstate(all="ignore"), ag.detect_anomaly():
        with pytest.raises(ag.AnomalyError, match=r"^forward: hypot \(trace step 1\)"):
            hypot(Tensor(np.array([np.inf]), requires_grad=True), np.array([1.0]))
        x = Tensor(np.array([0.0, 1.0]), requires_grad=True)
        z = hypot(x, np.array([0.0, 1.0]))  # d/dx at (0, 0) is 0 / 0
        with pytest.raises(ag.AnomalyError, match=r"derivative rule of hypot .* its input 0"):
            z.sum().backward()


def test_the_drawing_fills_a_user_node_with_its_kinds_colour_and_names_it():
    x = Tensor(X, requires_grad=True, name="x")
    y = hypot(softsign(x), 2.0).sum()
    source = ag.viz.draw_graph(y).source
    fills = dict(re.findall(r'\t(\w+) \[(?:[^\]"]|"[^"]*")*fillcolor="(#[0-9a-f]+)"', source))
    step_ids = dict((line, i) for i, line in re.findall(r"\t(n\d+) \[label=\"?([^\n\"]+)", source))
    assert fills[step_ids["z1 = softsign(x)"]] == fills["legend_elementwise"]
    assert fills[step_ids["z2 = hypot(z1, 2)"]] == fills["legend_composite"]


def test_the_trace_names_the_user_steps_forward_and_reverse():
    x = Tensor(np.array(0.5), requires_grad=True, name="x")
    text = ag.viz.trace(softsign(x) * 3, reverse=True)
    assert re.search(r"^1  z1 = softsign\(x\)  scalar  0.333333 ", text, re.MULTILINE)  # 0.5 / 1.5
    assert "adjoint[x] += vjp_softsign[input 0](adjoint[z1])" in text
    shown = float(re.search(r"Result: dz2/dx = (\S+)", text).group(1))
    assert shown == pytest.approx(3 * softsign_derivatives(np.array(0.5))[0], rel=1e-5)  # printed to 6 digits


def test_a_numpy_rule_gives_first_derivatives():
    x = Tensor(X, requires_grad=True)
    numpy_softsign(x).sum().backward()
    np.testing.assert_allclose(x.grad, softsign_derivatives(X)[0], rtol=1e-14)


def test_a_numpy_rule_under_create_graph_names_the_primitive_and_the_input_and_the_fix():
    x = Tensor(X, requires_grad=True)
    with pytest.raises(TypeError) as info:
        ag.grad(numpy_softsign(x).sum(), x, create_graph=True)
    message = str(info.value)
    assert message.startswith("numpy_softsign: the vjp rule of input 0 (x0) computes with numpy")
    assert "does not support ufuncs" in message and "ag.primitives.cos(x) for np.cos(x)" in message


def test_a_rule_that_returns_a_numpy_array_under_create_graph_is_stopped_too():
    # np.asarray takes the Tensor's numbers, so numpy does not complain: the result is an array, not a graph
    by_array = ag.Primitive("by_array", ag.ELEMENTWISE, np.sin, lambda g, z, x: np.asarray(g) * np.cos(np.asarray(x)))
    x = Tensor(X, requires_grad=True)
    (first,) = ag.grad(by_array(x).sum(), x)
    np.testing.assert_allclose(first.numpy(), np.cos(X), rtol=1e-15)
    with pytest.raises(TypeError, match=r"by_array: the vjp rule of input 0 \(x0\) computes with numpy \(it returned a "
                                        r"numpy.ndarray, not a Tensor\)"):  # fmt: skip
        ag.grad(by_array(x).sum(), x, create_graph=True)


def test_a_primitive_without_saves_keeps_every_input_and_the_output():
    x, y = Tensor(X, requires_grad=True), Tensor(np.array([1.0, 2.0, 0.5]))
    node = hypot(x, y).grad_fn
    assert set(node.saved) == {"x0", "x1", "z"}
    np.testing.assert_array_equal(node.saved["z"], np.hypot(X, y.numpy()))


def test_a_definition_is_checked_where_it_is_written():
    with pytest.raises(ValueError, match=r"Primitive 'cube': kind must be ag.AFFINE, .* got 'elementwize'"):
        ag.Primitive("cube", "elementwize", lambda x: x**3, lambda g, z, x: 3 * g * x * x)
    with pytest.raises(TypeError, match=r"Primitive 'cube': forward must be a function"):
        ag.Primitive("cube", ag.ELEMENTWISE, "x ** 3")
    with pytest.raises(TypeError, match=r"Primitive 'cube': vjp rule 0 must be a function"):
        ag.Primitive("cube", ag.ELEMENTWISE, lambda x: x**3, "3 x^2")
