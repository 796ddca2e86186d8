"""ag.check_primitive, the doctor: it passes right rules and catches each kind of wrong one, saying which primitive,
rule, input and index, both values (checked here against closed forms) and what the pattern usually means."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import primitives as P

RNG = np.random.default_rng(7)
X = RNG.uniform(0.5, 2.0, (2, 3))  # positive: away from |x|'s kink
A, S = RNG.standard_normal((2, 3, 4)), RNG.standard_normal(3)  # x (N, C, L) and a scale per channel (C,)
SQUARE = RNG.standard_normal((3, 3))


def square(rule):
    return ag.Primitive("square", ag.ELEMENTWISE, lambda x: x * x, rule)


def channel_scale(rule_s):
    """z[n, c, l] = x[n, c, l] s[c]: the forward broadcasts s along axes 0 and 2, which numpy's rules would not."""
    return ag.Primitive("channel_scale", ag.PRODUCT, lambda x, s: x * s[:, None],
                        lambda g, z, x, s: g * P.reshape(s, shape=(-1, 1)), rule_s)  # fmt: skip


def matmul(rule_a):
    return ag.Primitive("mm", ag.PRODUCT, np.matmul, rule_a, lambda g, z, a, b: a.mT @ g)


RIGHT = {
    "square": (square(lambda g, z, x: 2 * g * x), (X,), {}),
    "softsign": (ag.Primitive("softsign", ag.ELEMENTWISE, lambda x: x / (1 + np.abs(x)),
                              lambda g, z, x: g / (1 + abs(x)) ** 2, saves={"x": "x"}), (X - 1.25,), {}),
    "channel_scale": (channel_scale(lambda g, z, x, s: P.sum(g * x, axis=(0, 2), keepdims=False)), (A, S), {}),
    "mm": (matmul(lambda g, z, a, b: g @ b.mT), (RNG.standard_normal((2, 3)), SQUARE), {}),
    "scaled_add": (ag.Primitive("scaled_add", ag.AFFINE, lambda x, y, *, alpha: x + alpha * y,
                                lambda g, z, x, y, *, alpha: g, lambda g, z, x, y, *, alpha: alpha * g,
                                saves={"x": "", "y": ""}), (X, RNG.standard_normal(3)), {"alpha": 0.5}),
    "float32 inputs": (square(lambda g, z, x: 2 * g * x), (X.astype(np.float32),), {}),
    "a condition": (ag.Primitive("select", ag.AFFINE, lambda c, x: np.where(c, x, 0.0),
                                 None, lambda g, z, c, x: P.where(c, g, 0)),
                    (X > 1, X), {}),
}  # fmt: skip


@pytest.mark.parametrize("name", RIGHT)
def test_passes_right_rules(name: str):
    op, inputs, params = RIGHT[name]
    assert ag.check_primitive(op, *inputs, **params) is True


def diagnosis(op, *inputs, **params) -> str:
    with pytest.raises(ag.GradcheckError) as info:
        ag.check_primitive(op, *inputs, **params)
    return str(info.value)


def both_values(message: str) -> tuple[float, float]:
    found = re.search(r"gives (\S+), central differences of the forward give (\S+)\.", message)
    return float(found.group(1)), float(found.group(2))


def test_a_wrong_factor_names_rule_index_both_values_and_the_ratio():
    message = diagnosis(square(lambda g, z, x: g * x), X)  # d(x^2)/dx = 2x: the 2 is missing
    assert message.startswith("check_primitive(square): the vjp rule of input 0 (x0) is wrong at "
                              "d z[0, 0] / d x0[0, 0]")
    engine, numeric = both_values(message)
    assert engine == pytest.approx(X[0, 0], rel=1e-12) and numeric == pytest.approx(2 * X[0, 0], rel=1e-8)
    assert "Every entry is 0.5 times the right one: a constant factor" in message


def test_a_wrong_sign():
    message = diagnosis(ag.Primitive("sin", ag.ELEMENTWISE, np.sin, lambda g, z, x: -g * P.cos(x)), X)
    engine, numeric = both_values(message)
    assert engine == pytest.approx(-np.cos(X[0, 0]), rel=1e-12) and numeric == pytest.approx(np.cos(X[0, 0]), rel=1e-8)
    assert "-1 times the right one: the rule's sign is wrong" in message


def test_a_transposed_jacobian():
    message = diagnosis(matmul(lambda g, z, a, b: g @ b), RNG.standard_normal((2, 3)), SQUARE)  # b.mT forgotten
    assert "the vjp rule of input 0 (x0) is wrong at d z[0, 0] / d x0[0, 1]" in message
    engine, numeric = both_values(message)
    assert engine == pytest.approx(SQUARE[0, 1], rel=1e-12) and numeric == pytest.approx(SQUARE[1, 0], rel=1e-8)
    assert "the Jacobian's transpose" in message


def test_a_rule_that_ignores_g():
    message = diagnosis(ag.Primitive("sin", ag.ELEMENTWISE, np.sin, lambda g, z, x: P.cos(x)), X)
    assert "the vjp rule of input 0 (x0) is not linear in g" in message
    found = re.search(r"tripled it gives (\S+) at index \[0, 0\], not 3 times (\S+)\.", message)
    assert float(found.group(1)) == float(found.group(2)) == pytest.approx(np.cos(X[0, 0]), rel=1e-15)
    assert "ignores g" in message


def test_a_missing_unbroadcast_the_sweep_cannot_do():
    message = diagnosis(channel_scale(lambda g, z, x, s: g * x), A, S)  # not summed over axes 0 and 2
    assert "the vjp rule of input 1 (x1) returned an adjoint of shape (2, 3, 4) for an input of shape (3,)" in message
    assert "Missing unbroadcast" in message


def test_a_missing_unbroadcast_that_happens_to_fit_is_caught_by_its_values():
    x = RNG.standard_normal((2, 3, 3))  # L = C: the sweep sums g * x down to (3,) along the wrong axes, silently
    message = diagnosis(channel_scale(lambda g, z, x, s: g * x), x, S)
    assert "the vjp rule of input 1 (x1) is wrong at d z[" in message and "unbroadcast" in message


def test_a_rule_that_only_works_unbroadcast():
    # right for equal shapes, but reshaping to y's shape fails where the forward broadcasts y
    reshaping = ag.Primitive("add", ag.AFFINE, np.add,
                             lambda g, z, x, y: g, lambda g, z, x, y: P.reshape(g, shape=y.shape))
    message = diagnosis(reshaping, X, RNG.standard_normal((2, 3)))
    assert "the vjp rule of input 1 (x1) (again with input 1 cut to shape (1, 3), broadcast by the forward" in message
    assert "cannot reshape a tensor of shape (2, 3)" in message


@pytest.mark.parametrize(("rule", "returned", "meaning"), [
    (lambda g, z, x: P.sum(2 * g * x, axis=None, keepdims=False), "()", "Wrong shape: a rule returns one adjoint"),
    (lambda g, z, x: P.transpose(2 * g * x, axes=(1, 0)), "(3, 2)", "Wrong shape, with the axes swapped"),
])  # fmt: skip
def test_a_wrong_shape(rule, returned, meaning):
    message = diagnosis(square(rule), X)
    assert f"input 0 (x0) returned an adjoint of shape {returned} for an input of shape (2, 3)" in message
    assert meaning in message


def test_a_float64_upcast_in_a_rule_and_in_a_forward():
    message = diagnosis(square(lambda g, z, x: g * x * np.float64(2.0)), X)  # right in float64
    assert "the vjp rule of input 0 (x0) (with float32 inputs) returned float64 for a float32 input" in message
    assert "float64 upcast" in message
    upcast = ag.Primitive("double", ag.ELEMENTWISE, lambda x: x * np.array(2.0), lambda g, z, x: 2 * g)
    assert "the forward turns float32 inputs into a float64 output" in diagnosis(upcast, X)


def test_first_order_right_second_order_wrong():
    # np.asarray takes the numbers out of a Tensor: under create_graph the rule's cos(x) is recorded as a constant
    detached = ag.Primitive("sin", ag.ELEMENTWISE, np.sin, lambda g, z, x: g * np.cos(np.asarray(x)))
    message = diagnosis(detached, X)
    assert "the vjp rule of input 0 (x0) gives right first derivatives but its graph recorded under" in message
    found = re.search(r"d \(its result\)\[0, 0\] / d x0\[0, 0\] is (\S+) from the recorded graph, (\S+) from central",
                      message)  # fmt: skip
    g = np.random.default_rng(1).standard_normal(X.shape)  # the doctor's g for the second order
    assert float(found.group(1)) == 0.0 and float(found.group(2)) == pytest.approx(-g[0, 0] * np.sin(X[0, 0]), rel=1e-6)
    assert "does not depend on x0 there" in message


def test_a_numpy_rule_is_told_how_to_write_it():
    message = diagnosis(ag.Primitive("sin", ag.ELEMENTWISE, np.sin, lambda g, z, x: g * np.cos(x)), X)
    assert "the vjp rule of input 0 (x0) fails under create_graph=True" in message
    assert "computes with numpy" in message and "ag.primitives.cos(x) for np.cos(x)" in message


def test_saves_that_miss_a_value_the_rule_reads():
    wrong = ag.Primitive("mul", ag.PRODUCT, np.multiply, lambda g, z, x, y: g * y, lambda g, z, x, y: g * x,
                         saves={"x": "x", "y": "y"})  # x's rule reads y, not x  # fmt: skip
    message = diagnosis(wrong, X, X + 1)
    assert "the vjp rule of input 0 (x) fails in a backward where only this input requires grad" in message
    assert "saves={'x': 'x', 'y': 'y'}" in message


def test_bad_calls_of_the_doctor():
    with pytest.raises(TypeError, match="expected an ag.Primitive"):
        ag.check_primitive(np.sin, X)
    with pytest.raises(ValueError, match=r"check_primitive\(less\): the primitive has no vjp rules"):
        ag.check_primitive(P.less, X, X)
    with pytest.raises(ValueError, match=r"check_primitive\(square\): 2 inputs but 1 vjp rules"):
        ag.check_primitive(square(lambda g, z, x: 2 * g * x), X, X)
    with pytest.raises(ValueError, match="no floating-point input has a rule"):
        ag.check_primitive(square(lambda g, z, x: 2 * g * x), np.arange(3))


def test_works_inside_no_grad_and_leaves_the_inputs_alone():
    x = ag.Tensor(X.copy(), requires_grad=True)
    with ag.no_grad():
        assert ag.check_primitive(square(lambda g, z, x: 2 * g * x), x)
    np.testing.assert_array_equal(x.data, X)
    assert x.grad is None
