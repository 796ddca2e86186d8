"""ag.detect_anomaly(): the first NaN or Inf, forward or backward, names the operation, trace step, shapes and line."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


@pytest.fixture(autouse=True)
def quiet_numpy():
    """numpy warns about the very values these tests make on purpose."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        yield


def test_forward_nan_names_operation_step_shapes_and_line():
    x = Tensor(np.array([[0.5, 2.0, 3.0], [1.0, 1.5, 0.2]]), requires_grad=True)
    with ag.detect_anomaly():
        y = x * 2  # step 1
        z = y - 3  # step 2
        with pytest.raises(ag.AnomalyError) as info:
            z.log()  # step 3: log of negative entries -- the line the message must quote
    message = str(info.value)
    assert message.startswith("forward: log (trace step 3)")
    assert "shape (2, 3)" in message
    assert "test_anomaly.py" in message and "z.log()  # step 3" in message


def test_forward_inf_from_a_binary_operation_reports_both_input_shapes():
    a, b = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.array([1.0, 0.0, 2.0]))
    expected = r"divide .*from inputs of shapes \(\(2, 3\), \(3,\)\)"
    with ag.detect_anomaly(), pytest.raises(ag.AnomalyError, match=expected):
        a / b


def test_backward_nan_names_the_rule_and_the_line_that_made_its_node():
    x = Tensor(np.array([4.0, 0.0, 1.0]), requires_grad=True)
    with ag.detect_anomaly():
        r = x.sqrt()  # finite forward, but sqrt'(0) = inf
        loss = (r * 3).sum()
        with pytest.raises(ag.AnomalyError) as info:
            loss.backward()
    message = str(info.value)
    assert message.startswith("backward: the derivative rule of sqrt (trace step 1, output shape (3,))")
    assert "gradient of its input 0 (shape (3,))" in message
    assert "r = x.sqrt()  # finite forward" in message


@pytest.mark.parametrize("create_graph", [False, True])
def test_backward_nan_under_ag_grad_is_reported_as_the_rule_whatever_create_graph(create_graph):
    x = Tensor(np.array([4.0, 0.0]), requires_grad=True)
    with ag.detect_anomaly():
        r = x.sqrt()
        with pytest.raises(ag.AnomalyError, match=r"^backward: the derivative rule of sqrt \(trace step 1"):
            ag.grad(r.sum(), x, create_graph=create_graph)


def test_nan_in_a_second_derivative_is_caught():
    # f = x^1.5: f' = 1.5 x^0.5 is finite at 0, f'' = 0.75 x^-0.5 is not
    x = Tensor(np.array([1.0, 0.0]), requires_grad=True)
    with ag.detect_anomaly():
        (g,) = ag.grad((x**1.5).sum(), x, create_graph=True)
        assert np.isfinite(g.numpy()).all()
        with pytest.raises(ag.AnomalyError, match="backward: the derivative rule of power"):
            ag.grad(g.sum(), x)


def test_outside_the_context_nothing_is_checked_and_the_flag_is_restored():
    x = Tensor(np.array([-1.0]), requires_grad=True)
    assert np.isnan(x.log().numpy()).all()
    with ag.detect_anomaly():
        pass
    assert np.isnan(x.sqrt().numpy()).all()
    with pytest.raises(ag.AnomalyError), ag.detect_anomaly():
        x.log()
    assert np.isnan(x.log().numpy()).all()  # left by an exception, detection is off again


def test_finite_work_passes_untouched():
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    with ag.detect_anomaly():
        loss = (x.log() * x.exp()).sum()
        loss.backward()
        (g,) = ag.grad((x**3).sum(), x, create_graph=True)
        ag.grad(g.sum(), x)
    np.testing.assert_allclose(x.grad, np.exp(x.numpy()) * (1 / x.numpy() + np.log(x.numpy())), rtol=1e-14)


def test_the_line_quoted_is_the_users_even_inside_nn_modules():
    import nn

    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    x = Tensor(np.array([[1.0, np.inf, 0.0]], dtype=np.float32))
    with ag.detect_anomaly(), pytest.raises(ag.AnomalyError) as info:
        model(x)  # the user's line, not nn's
    assert "model(x)  # the user's line" in str(info.value)
