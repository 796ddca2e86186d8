"""Tensor.register_hook and Tensor.retain_grad, side by side with PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import autograd_core as ag
from autograd_core import Tensor

X = np.array([0.5, -1.0, 2.0])


def both():
    return Tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)


def test_hook_replaces_the_gradient_flowing_on():
    (x, xt), seen, seen_t = both(), [], []
    h, ht = x * x, xt * xt
    h.register_hook(lambda g: (seen.append(g.numpy().copy()), g * 10)[1])
    ht.register_hook(lambda g: (seen_t.append(g.numpy().copy()), g * 10)[1])
    h.sin().sum().backward()
    ht.sin().sum().backward()
    np.testing.assert_allclose(seen[0], seen_t[0], rtol=1e-15)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(x.grad, 10 * np.cos(X**2) * 2 * X, rtol=1e-14)


def test_hook_returning_none_observes_only():
    x, seen = Tensor(X, requires_grad=True), []
    y = x.exp()
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    (y * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], np.full(3, 3.0))
    np.testing.assert_allclose(x.grad, 3 * np.exp(X), rtol=1e-15)


def test_a_leaf_used_several_times_gets_the_sum_and_its_hook_sees_the_sum_once():
    (x, xt), seen, seen_t = both(), [], []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    xt.register_hook(lambda g: seen_t.append(g.numpy().copy()))
    (x.sin() * x + x.exp()).sum().backward()
    (xt.sin() * xt + xt.exp()).sum().backward()
    assert len(seen) == len(seen_t) == 1
    np.testing.assert_allclose(seen[0], seen_t[0], rtol=1e-15)
    y, yt = both()  # no hook: the sweep adds each share to .grad as it comes; twice, so .grad accumulates too
    for _ in range(2):
        (y.sin() * y + y.exp()).sum().backward()
        (yt.sin() * yt + yt.exp()).sum().backward()
    np.testing.assert_allclose(y.grad, yt.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(y.grad, 2 * (np.cos(X) * X + np.sin(X) + np.exp(X)), rtol=1e-14)


def test_hooks_run_in_order_and_a_handle_removes_one():
    (x, xt) = both()
    handles = []
    for t in (x, xt):  # leaf hooks change what accumulates into .grad
        handles.append((t.register_hook(lambda g: g * 2), t.register_hook(lambda g: g + 1)))
    (x * x).sum().backward()
    (xt * xt).sum().backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy())  # (2x) * 2 + 1, in registration order
    for first, _ in handles:
        first.remove()
        first.remove()  # removing twice is harmless, as in PyTorch
    x.grad, xt.grad = None, None
    (x * x).sum().backward()
    (xt * xt).sum().backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy())
    np.testing.assert_allclose(x.grad, 2 * X + 1)


def test_hook_gradient_of_the_wrong_shape_is_an_error():
    x = Tensor(X, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: np.ones(2))
    with pytest.raises(RuntimeError, match=r"shape \(3,\)"):
        y.sum().backward()


def test_retain_grad_keeps_a_non_leaf_gradient_after_hooks():
    (x, xt) = both()
    h, ht = x * 2, xt * 2
    h.retain_grad()
    ht.retain_grad()
    h.register_hook(lambda g: g * 10)  # registered after retain_grad, yet .grad shows the hooked value
    ht.register_hook(lambda g: g * 10)
    (h**2).sum().backward()
    (ht**2).sum().backward()
    np.testing.assert_allclose(h.grad, ht.grad.numpy())
    np.testing.assert_allclose(h.grad, 10 * 2 * (2 * X))
    np.testing.assert_allclose(x.grad, xt.grad.numpy())


def test_without_retain_grad_a_non_leaf_keeps_no_gradient_and_retain_grad_accumulates():
    x = Tensor(X, requires_grad=True)
    h = x * 3
    (h * h).sum().backward(retain_graph=True)
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):  # PyTorch's warning
        assert h.grad is None
    h.retain_grad()
    (h * h).sum().backward(retain_graph=True)
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * (2 * 3 * X))


def test_hooks_run_under_ag_grad_and_see_graphs_under_create_graph():
    (x, xt) = both()
    kinds = []
    x.register_hook(lambda g: (kinds.append(g.requires_grad), g * 100)[1])
    xt.register_hook(lambda g: g * 100)
    (g,) = ag.grad((x**3).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad((xt**3).sum(), xt, create_graph=True)
    np.testing.assert_allclose(g.numpy(), gt.detach().numpy())
    assert kinds == [True] and x.grad is None
    ag.grad((x**3).sum(), x)
    assert kinds == [True, False]


def test_hook_on_a_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(X).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(X).retain_grad()
