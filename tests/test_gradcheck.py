"""ag.gradcheck and ag.gradgradcheck: they pass right rules and catch wrong ones, saying where."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.primitive import ELEMENTWISE, Primitive
from autograd_core.primitives import cos


def leaf(*shape, seed=0):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# sin with a rule that is 1% off: the kind of slip the check exists for
off_sin = Primitive("off_sin", ELEMENTWISE, np.sin, lambda g, z, x: g * cos(x) * 1.01)
# sin with a rule computed in numpy: right numbers, but the recorded gradient forgets that it depends on x
numpy_sin = Primitive("numpy_sin", ELEMENTWISE, np.sin, lambda g, z, x: g * np.cos(np.asarray(x)))


def test_passes_a_right_derivative_with_several_inputs_and_outputs():
    def f(x, y):
        return (x @ y).tanh(), (x * x).sum(0) + y

    assert ag.gradcheck(f, (leaf(2, 3), leaf(3, seed=1)))
    assert ag.gradgradcheck(f, (leaf(2, 3), leaf(3, seed=1)))


def test_catches_a_wrong_rule_and_names_input_index_and_values():
    x, c = leaf(2, 3), Tensor(np.ones(3))  # c requires no grad: held constant
    with pytest.raises(ag.GradcheckError) as info:
        ag.gradcheck(lambda c, x: off_sin(x) * c, (c, x))
    message = str(info.value)
    assert "d(input 1)[0, 0]" in message and "d(output 0)[0, 0]" in message
    engine, numeric = float(1.01 * np.cos(x.numpy()[0, 0])), float(np.cos(x.numpy()[0, 0]))
    assert repr(engine)[:8] in message and repr(numeric)[:8] in message


def test_second_order_check_catches_a_rule_that_is_not_differentiable():
    x = leaf(4)
    assert ag.gradcheck(numpy_sin, (x,))  # first order is right ...
    with pytest.raises(ag.GradcheckError, match="input 0"):
        ag.gradgradcheck(numpy_sin, (x,))  # ... but its derivative is recorded as a constant


def test_tolerances_are_honoured():
    x = leaf(3)
    assert ag.gradcheck(off_sin, (x,), atol=0.02, rtol=0)
    with pytest.raises(ag.GradcheckError):
        ag.gradcheck(off_sin, (x,), atol=1e-5, rtol=1e-3)


def test_warns_when_an_input_is_not_float64():
    x = Tensor(np.array([0.3, 0.6], dtype=np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="float32"):
        ag.gradcheck(lambda t: t * 2, (x,), atol=1e-3)


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires grad"):
        ag.gradcheck(lambda t: t.sin(), (Tensor(np.ones(2)),))


def test_leaves_the_inputs_alone():
    x = leaf(3)
    before = x.numpy().copy()
    ag.gradcheck(lambda t: t.exp(), x)
    np.testing.assert_array_equal(x.numpy(), before)
    assert x.grad is None


def test_agrees_with_torch_gradcheck_on_a_wrong_derivative():
    # the same wrong derivative (1% off) written in both libraries: both checks fail
    class OffSin(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.cos() * 1.01

    xt = torch.tensor(leaf(3).numpy(), requires_grad=True)
    assert not torch.autograd.gradcheck(OffSin.apply, (xt,), eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=False)
    with pytest.raises(ag.GradcheckError):
        ag.gradcheck(off_sin, (leaf(3),))


COMPOSITES = {
    "mean": lambda t: t.mean(axis=1),
    "var": lambda t: t.var(axis=0, ddof=1),
    "logsumexp": lambda t: t.logsumexp(axis=1),
    "softmax": lambda t: t.softmax(axis=-1),
    "log_softmax": lambda t: t.log_softmax(axis=0),
    "leaky_relu": lambda t: (t + 0.05).leaky_relu(0.1),  # leaf(2, 3) with seed 0 has no entry near -0.05
    "softplus": lambda t: t.softplus(beta=2.0),
    "gelu": lambda t: t.gelu(),
    "gelu_tanh": lambda t: t.gelu(approximate="tanh"),
    "stack": lambda t: ag.stack([t, t * 2, t.sin()], axis=1),
    "concatenate": lambda t: ag.concatenate([t, t.exp()], axis=0),
    "flatten_squeeze_unsqueeze": lambda t: t.unsqueeze(0).flatten().reshape(1, 6).squeeze(),
}


@pytest.mark.parametrize("name", COMPOSITES)
def test_composite_operations_first_and_second_order(name):
    x = leaf(2, 3)
    assert np.abs(x.numpy() + 0.05).min() > 0.05
    assert ag.gradcheck(COMPOSITES[name], (x,))
    assert ag.gradgradcheck(COMPOSITES[name], (x,))
