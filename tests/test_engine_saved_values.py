"""What the graph keeps: a node holds the values its derivative rules read, and nothing else.

Truths: which values a rule reads is checked against the rules' formulas as written in the derivative table;
whether an array is still alive is asked of the array itself (a weak reference); gradients are checked against
closed forms.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor, primitives
from autograd_core.node import reads


def alive(ref: weakref.ref) -> bool:
    gc.collect()  # only reference counts should matter; collect anyway, so that a cycle cannot hide a leak
    return ref() is not None


@pytest.mark.parametrize(
    "primitive, input_index, reads_z, reads_inputs",
    [
        (primitives.multiply, 0, False, (False, True)),  # d(xy)/dx = y
        (primitives.multiply, 1, False, (True, False)),  # d(xy)/dy = x
        (primitives.add, 0, False, (False, False)),
        (primitives.sin, 0, False, (True,)),  # cos x
        (primitives.exp, 0, True, (False,)),  # e^x = z
        (primitives.tanh, 0, True, (False,)),  # 1 - z^2
        (primitives.divide, 1, True, (False, True)),  # -z / y
        (primitives.log_softmax, 0, True, (False,)),  # g - exp(z) sum(g)
        (primitives.nll_loss, 0, False, (True,)),  # -g at the picked places: reads x for its shape
        (primitives.mean, 0, False, (True,)),  # g / N spread over x's shape: reads x for its shape
        (primitives.linear, 0, False, (False, True)),  # g W, called without a bias
        (primitives.linear, 0, False, (False, True, False)),  # g W, with a bias
    ],
)
def test_reads_finds_the_values_each_rule_uses(primitive, input_index, reads_z, reads_inputs) -> None:
    assert reads(primitive.vjps[input_index], len(reads_inputs)) == (reads_z, reads_inputs)


def test_a_rule_of_any_number_of_inputs_reads_them_all() -> None:
    assert reads(primitives.concatenate.vjps[0], 3) == (True, (True, True, True))


def test_a_value_no_rule_reads_is_freed_with_its_tensor_and_the_gradient_stays_right() -> None:
    x = Tensor(np.linspace(-1.0, 1.0, 5), requires_grad=True)
    s = x.sin()
    value = weakref.ref(s.data)
    y = s * 3.0  # the multiply's rule for s reads only the 3.0
    del s
    assert not alive(value)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 3.0 * np.cos(x.data), rtol=1e-12)


def test_a_value_a_rule_reads_lives_until_backward_frees_the_graph() -> None:
    x = Tensor(np.linspace(-1.0, 1.0, 5), requires_grad=True)
    h = x * 2.0
    kept = weakref.ref(h.data)
    e = h.exp()
    output = weakref.ref(e.data)
    y = e.sin().sum()  # sin reads its input e; exp reads its output e, not its input h
    del h, e
    assert not alive(kept)
    assert alive(output)
    y.backward()
    assert not alive(output)
    u = 2.0 * x.data
    np.testing.assert_allclose(x.grad, np.cos(np.exp(u)) * np.exp(u) * 2.0, rtol=1e-12)


def test_a_constant_operand_keeps_the_other_operand_only_when_the_constant_needs_a_gradient() -> None:
    x = Tensor(np.arange(1.0, 4.0), requires_grad=True)
    c = Tensor(np.array([2.0, -1.0, 0.5]))  # a constant tensor: no gradient wanted
    h = x * 2.0
    value = weakref.ref(h.data)
    y = h * c
    del h
    assert not alive(value)  # d(hc)/dh = c: h's value is not needed
    w = Tensor(np.array([2.0, -1.0, 0.5]), requires_grad=True)
    h = x * 2.0
    value = weakref.ref(h.data)
    z = h * w
    del h
    assert alive(value)  # d(hw)/dw = h
    (y.sum() + z.sum()).backward()
    np.testing.assert_allclose(w.grad, 2.0 * x.data, rtol=1e-12)
    np.testing.assert_allclose(x.grad, 2.0 * (c.data + w.data), rtol=1e-12)


def test_second_derivatives_through_values_that_were_not_kept() -> None:
    x = Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    y = ((x * 2.0).sin() * 3.0).sum()  # the sine's output is not kept; its input 2x is
    (g,) = ag.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.data, 6.0 * np.cos(2.0 * x.data), rtol=1e-12)
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, -12.0 * np.sin(2.0 * x.data), rtol=1e-12)


def test_the_trace_shows_values_the_graph_did_not_keep() -> None:
    x = Tensor(0.7, requires_grad=True, dtype=np.float64, name="x")
    y = (x.sin() * 3.0) + 1.0  # sin(x) and 3 sin(x) are read by no rule
    text = ag.viz.trace(y, precision=12)
    assert f"{np.sin(0.7):.12g}" in text and f"{3 * np.sin(0.7):.12g}" in text


def test_retain_grad_and_names_live_on_the_node_of_an_intermediate_result() -> None:
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    h = x.exp()
    h.retain_grad()
    h.name = "h"
    assert h._node.name == "h" and h.name == "h"
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, 2.0 * np.exp(x.data), rtol=1e-12)
    np.testing.assert_allclose(x.grad, 2.0 * np.exp(2.0 * x.data), rtol=1e-12)
