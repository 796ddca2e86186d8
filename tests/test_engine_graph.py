"""The graph and the sweep: shared nodes, deep chains, freeing, accumulation, grad mode, kinks and stability."""

from __future__ import annotations

import copy
import gc
import math
import threading

import numpy as np
import pytest
import torch

import autograd_core as ag
import nn
from autograd_core import Tensor
from autograd_core.lecture import lecture_example
from autograd_core.node import Node

from .conftest import numerical_grad


def test_lecture_example_matches_closed_form_and_finite_differences() -> None:
    w1v, w2v = 1.5, 0.5
    w1 = Tensor(w1v, requires_grad=True, dtype=np.float64)
    w2 = Tensor(w2v, requires_grad=True, dtype=np.float64)
    f = lecture_example(w1, w2)
    f.backward()
    a = 3 * w1v / w2v - math.exp(2 * w2v)
    s = math.sin(2 * math.pi * w1v / w2v)
    assert f.item() == pytest.approx((s + a) * a, rel=1e-14)
    # f = (s + a) a, so df = a ds + (s + 2a) da
    ds_dw1, ds_dw2 = math.cos(2 * math.pi * w1v / w2v) * 2 * math.pi / w2v, -math.cos(2 * math.pi * w1v / w2v) * 2 * math.pi * w1v / w2v**2
    da_dw1, da_dw2 = 3 / w2v, -3 * w1v / w2v**2 - 2 * math.exp(2 * w2v)
    assert w1.grad.item() == pytest.approx(a * ds_dw1 + (s + 2 * a) * da_dw1, rel=1e-12)
    assert w2.grad.item() == pytest.approx(a * ds_dw2 + (s + 2 * a) * da_dw2, rel=1e-12)
    numeric = numerical_grad(lambda xs: lecture_example(Tensor(xs[0]), Tensor(xs[1])).item(), [np.array(w1v), np.array(w2v)], 1)
    assert w2.grad.item() == pytest.approx(numeric.item(), rel=1e-7)


def test_diamond_graph_accumulates_every_path() -> None:
    x = Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    a = x * x  # x used twice in one node
    b = x.sin()
    c = a * b + a + x  # a used twice, x used a third time
    c.sum().backward()
    xv = x.numpy()
    expected = 2 * xv * np.sin(xv) + xv**2 * np.cos(xv) + 2 * xv + 1
    np.testing.assert_allclose(x.grad, expected, rtol=1e-13)


def test_node_used_by_two_roots_of_grad() -> None:
    x = Tensor(2.0, requires_grad=True, dtype=np.float64)
    y = x * x
    gy1, gy2 = ag.grad([y * 3, y.exp()], [x], retain_graph=True)[0], None
    assert gy1.item() == pytest.approx(2 * 2.0 * 3 + math.exp(4.0) * 4.0)
    assert gy2 is None and x.grad is None  # ag.grad leaves .grad alone


def test_sweep_waits_for_uses_made_long_after_the_node_and_for_a_root_below_another_root() -> None:
    # The sweep visits nodes newest first: a node used both right away and by the last operation, and a root that
    # is itself an input of the other root, must each be swept only once their adjoint is complete.
    x = Tensor(np.array([0.4, -0.7]), requires_grad=True)
    u = x.sin()  # used now and at the very end
    v = u.exp()
    for _ in range(5):
        v = v * 1.5 + u
    y = v * u
    roots = [y.sum(), v.sum()]
    g = ag.grad(roots, [x])[0]
    xv = x.numpy()
    s, c = np.sin(xv), np.cos(xv)
    # v = 1.5^5 e^s + k s with k = 1 + 1.5 + ... + 1.5^4; y = v s
    k = sum(1.5**i for i in range(5))
    vv, dv = 1.5**5 * np.exp(s) + k * s, (1.5**5 * np.exp(s) + k) * c
    np.testing.assert_allclose(g.numpy(), dv * s + vv * c + dv, rtol=1e-13)


def test_copies_of_tensors_and_models_are_swept_alongside_their_originals() -> None:
    a = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b, c = copy.deepcopy(a), copy.copy(a)
    (a * b * c * (a + 1).exp()).sum().backward()
    v = a.numpy()
    np.testing.assert_allclose(a.grad, v * v * np.exp(v + 1) * (1 + v), rtol=1e-13)
    np.testing.assert_allclose(b.grad, v * v * np.exp(v + 1), rtol=1e-13)
    layer = nn.Linear(3, 2)
    twin = copy.deepcopy(layer)
    x = Tensor(np.ones((4, 3), dtype=np.float32))
    (layer(x) * twin(x)).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, (twin(x).numpy().T @ x.numpy()), rtol=1e-5)
    np.testing.assert_allclose(twin.weight.grad, (layer(x).numpy().T @ x.numpy()), rtol=1e-5)


def test_first_gradient_never_aliases_an_adjoint_given_to_another_input_or_the_callers_seed() -> None:
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()  # add passes the same adjoint to both inputs
    a.grad += 1
    np.testing.assert_array_equal(b.grad, np.ones(3))
    seed = np.full(3, 2.0)
    x = Tensor(np.zeros(3), requires_grad=True)
    x.reshape(3, 1).backward(seed.reshape(3, 1))  # reshape's rule hands back a view of the seed
    x.grad *= 10
    np.testing.assert_array_equal(seed, np.full(3, 2.0))
    x.grad = None
    x.backward(seed)  # a leaf swept on its own: its first gradient is the seed itself
    x.grad += 1
    np.testing.assert_array_equal(seed, np.full(3, 2.0))
    w = Tensor(np.ones((2, 2)), requires_grad=True)
    y = w + 0.0
    y.retain_grad()  # y keeps the very adjoint that add passes on to w
    y.sum().backward()
    y.grad += 1
    np.testing.assert_array_equal(w.grad, np.ones((2, 2)))


def test_grad_with_an_input_given_twice_returns_its_gradient_twice() -> None:
    x = Tensor(2.0, requires_grad=True, dtype=np.float64)
    w = Tensor(3.0, requires_grad=True, dtype=np.float64)
    gx1, gw, gx2 = ag.grad(x * x * w, [x, w, x])
    assert gx1.item() == gx2.item() == 12.0 and gw.item() == 4.0


def test_million_node_chain_is_swept_without_recursion() -> None:
    x = Tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones(2))


def test_million_node_chain_can_be_dropped_without_backward() -> None:
    x = Tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    del y  # freeing a deep graph must not overflow the interpreter's stack either
    gc.collect()


def test_each_node_is_visited_once() -> None:
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(50):
        y = y + y  # 2^50 paths from y to x, 51 nodes
    order = ag.topological_order([y])
    assert len(order) == 51 and len(set(order)) == 51
    y.backward()
    assert x.grad.item() == 2.0**50


def test_topological_order_puts_inputs_first() -> None:
    x = Tensor(1.0, requires_grad=True)
    z = (x.exp() * x.sin() + x).tanh()
    order = ag.topological_order([z])
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for parent in node.inputs or ():
            if isinstance(parent, (Node, Tensor)) and parent.requires_grad:
                assert position[parent] < position[node]


def test_graph_is_freed_after_backward_and_second_backward_names_retain_graph() -> None:
    x = Tensor(np.arange(3.0), requires_grad=True)
    h = x.exp()
    y = (h * 2).sum()
    y.backward()
    for node in (h.grad_fn, y.grad_fn):  # the inputs and the values kept for the rules are let go of
        assert node.inputs is None and node.saved == {}
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_a_second_sweep_and_gradients_accumulate() -> None:
    x = Tensor(np.arange(3.0), requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * (2 * x.numpy()))


def test_backward_errors() -> None:
    x = Tensor(np.arange(3.0), requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"shape \(2,\) but the output has shape \(3,\)"):
        (x * 2).backward(np.ones(2))
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0, 2.0]).sum().backward()


def test_backward_with_explicit_gradient_tensor() -> None:
    x = Tensor(np.arange(3.0), requires_grad=True)
    (x * x).backward(Tensor(np.array([1.0, 0.0, 2.0])))
    np.testing.assert_allclose(x.grad, [0.0, 0.0, 8.0])


def test_leaves_detach_and_requires_grad_() -> None:
    x = Tensor(np.ones(3), requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.requires_grad
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.numpy() is y.numpy()
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    c = Tensor(np.ones(3))
    assert not (c * 2).requires_grad
    c.requires_grad_()
    (c * 2).sum().backward()
    np.testing.assert_array_equal(c.grad, [2.0, 2.0, 2.0])
    c.zero_grad()
    assert c.grad is None


def test_no_grad_and_enable_grad_as_contexts_and_decorators() -> None:
    x = Tensor(1.0, requires_grad=True)
    with ag.no_grad():
        assert not (x * 2).requires_grad
        with ag.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad

    @ag.no_grad()
    def infer(t: Tensor) -> Tensor:
        return t * 2

    assert not infer(x).requires_grad and ag.is_grad_enabled()


def test_grad_mode_is_per_thread() -> None:
    x = Tensor(1.0, requires_grad=True)
    seen = []
    with ag.no_grad():
        worker = threading.Thread(target=lambda: seen.append((x * 2).requires_grad))
        worker.start()
        worker.join()
    assert seen == [True]


# ---- derivatives at kinks: the documented subgradients ----------------------------------------------------------


def test_kinks_take_the_documented_subgradient() -> None:
    x = Tensor(np.array([0.0, 0.0]), requires_grad=True)
    (x.relu() + x.abs()).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])  # relu'(0) = abs'(0) = 0

    m = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), requires_grad=True)
    m.max(axis=1).sum().backward()
    np.testing.assert_allclose(m.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])  # ties share evenly

    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([1.0, 0.0]), requires_grad=True)
    ag.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad, [0.5, 1.0])
    np.testing.assert_allclose(b.grad, [0.5, 0.0])


def test_max_ties_agree_with_pytorch_amax() -> None:
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    ours = Tensor(data, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True)
    ours.max(axis=1).sum().backward()
    theirs.amax(dim=1).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy())


# ---- numerical care ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_softmax_family_is_finite_for_huge_logits(scale: float) -> None:
    x = Tensor(np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]]) * scale, requires_grad=True)
    for y in (x.softmax(), x.log_softmax(), x.logsumexp(axis=1)):
        assert np.isfinite(y.numpy()).all()
        (y * np.arange(y.numel()).reshape(y.shape)).sum().backward()
        assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.logsumexp(axis=1).numpy(), np.max(x.numpy(), axis=1), rtol=1e-12)


def test_logsumexp_of_all_minus_infinity_is_minus_infinity_not_nan() -> None:
    x = Tensor(np.array([-np.inf, -np.inf]))
    with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer here
        assert x.logsumexp().item() == -np.inf


def test_softmax_family_with_infinite_logits_matches_torch() -> None:
    """-inf entries (masked classes) beside a finite maximum are exact zeros of softmax; a row of -inf or with a
    +inf entry has no finite softmax, and both libraries give NaN there."""
    x = np.array([[-np.inf, 1.0, 2.0], [-np.inf, -np.inf, -np.inf], [np.inf, 1.0, 0.0]])
    with np.errstate(invalid="ignore"):
        for ours, theirs in ((Tensor(x).softmax(axis=1), torch.softmax(torch.from_numpy(x), 1)),
                             (Tensor(x).log_softmax(axis=1), torch.log_softmax(torch.from_numpy(x), 1))):
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)  # NaN where NaN too
    assert Tensor(x[:1]).softmax(axis=1).numpy()[0, 0] == 0.0


@pytest.mark.parametrize("value", [1000.0, -1000.0])
def test_sigmoid_and_softplus_stay_finite_at_extremes(value: float) -> None:
    for dtype in (np.float32, np.float64):
        x = Tensor(np.array([value]), requires_grad=True, dtype=dtype)
        s, p = x.sigmoid(), x.softplus()
        assert np.isfinite(s.numpy()).all() and np.isfinite(p.numpy()).all()
        (s + p).sum().backward()
        assert np.isfinite(x.grad.numpy()).all()
        expected = torch.nn.functional.softplus(torch.tensor([value], dtype=torch.float64)).item()
        assert p.item() == pytest.approx(expected, rel=1e-6)


def test_power_of_zero_has_zero_gradient_not_nan() -> None:
    x = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    b = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    e = Tensor(np.array([2.0, 3.0]), requires_grad=True)
    (b**e).sum().backward()
    assert np.isfinite(e.grad.numpy()).all() and e.grad[0] == 0.0


# ---- hooks and create_graph, as far as the sweep is concerned ---------------------------------------------------


def test_create_graph_gives_second_derivatives_through_every_helper_primitive() -> None:
    """scatter, broadcast_to and astype appear only inside other rules; a second derivative exercises them."""
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True, dtype=np.float64)
    y = (x[np.array([0, 0, 2])] ** 3).sum() + (x.astype(np.float32) ** 2).sum()
    (g,) = ag.grad(y, x, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    # d2/dx2 of x0^3 counted twice, x2^3, and every x_i^2
    np.testing.assert_allclose(h.numpy(), [2 * 6 * 0.5 + 2, 2, 6 * 2.0 + 2], rtol=1e-6)
    assert g.dtype == np.float64


def test_retain_grad_keeps_an_intermediate_gradient() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.numpy())
