"""Faults in the engine that were silently wrong or half done: each a regression test (issue: nothing silently
wrong). Truths: PyTorch's behaviour where it has one, weak references for what is alive, real threads."""

from __future__ import annotations

import copy
import gc
import pickle
import threading
import weakref

import numpy as np
import pytest
import torch

import autograd_core as ag
import nn
from autograd_core import Tensor


def test_two_threads_running_models_each_name_their_own_nodes() -> None:
    models = {name: nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 2)) for name in ("a", "b")}
    wrong: list[str] = []
    start = threading.Barrier(2)

    def run(name: str) -> None:
        x = Tensor(np.ones((3, 4), dtype=np.float32))
        start.wait()
        for _ in range(200):
            with ag.name_scope(name):
                out = models[name](x)
            for node in ag.topological_order([out]):
                if isinstance(node, ag.Node) and not (node.scope or "").startswith(name):
                    wrong.append(f"{name}: {node.scope}")

    threads = [threading.Thread(target=run, args=(name,)) for name in models]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
    assert ag.current_scope() is None


def test_a_scope_open_in_another_thread_names_no_node_here() -> None:
    """A node outside every scope of its own thread has none, while another thread has one open (the engine skips
    the lookup only while no thread has a scope open)."""
    opened, done = threading.Event(), threading.Event()

    def hold_a_scope() -> None:
        with ag.name_scope("other"):
            opened.set()
            done.wait(10)

    thread = threading.Thread(target=hold_a_scope)
    thread.start()
    opened.wait(10)
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert (x * 2).grad_fn.scope is None
    with ag.name_scope("here"):
        assert (x * 2).grad_fn.scope == "here"
    done.set()
    thread.join()
    with ag.name_scope("after"):
        assert (x * 2).grad_fn.scope == "after"
    assert (x * 2).grad_fn.scope is None


def test_retain_grad_makes_no_reference_cycle() -> None:
    gc.disable()  # what is freed must be freed by reference counts alone
    try:
        x = Tensor(np.ones(1000), requires_grad=True)
        h = x * 2.0
        h.retain_grad()
        h.sum().backward()
        np.testing.assert_array_equal(h.grad, np.ones(1000))
        alive = weakref.ref(h)
        del h
        assert alive() is None
    finally:
        gc.enable()


def test_a_leaf_switched_off_after_recording_gets_no_gradient_as_in_pytorch() -> None:
    ours = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    theirs = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    w, tw = Tensor(np.array([3.0, 4.0]), requires_grad=True), torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    y, ty = (ours * w).sum(), (theirs * tw).sum()
    ours.requires_grad_(False)
    theirs.requires_grad_(False)
    y.backward()
    ty.backward()
    assert ours.grad is None and theirs.grad is None
    np.testing.assert_array_equal(w.grad, tw.grad.numpy())


def test_copying_or_pickling_a_result_is_refused_clearly_and_a_leaf_copies() -> None:
    x = Tensor(np.ones(3), requires_grad=True)
    y = x
    for _ in range(100):
        y = y.sin()
    with pytest.raises(TypeError, match=r"cannot copy or pickle a graph node \(sin\).*detach"):
        copy.deepcopy(y)
    with pytest.raises(TypeError, match="cannot copy or pickle a graph node"):
        pickle.dumps(y)
    with pytest.raises(RuntimeError, match="graph leaves"):  # PyTorch refuses too
        copy.deepcopy(torch.ones(3, requires_grad=True).sin())
    twin = copy.deepcopy(y.detach())
    np.testing.assert_array_equal(twin.data, y.data)
    restored = pickle.loads(pickle.dumps(x))
    np.testing.assert_array_equal(restored.data, x.data)
    assert restored.requires_grad


def test_complex_data_is_refused_with_a_clear_error() -> None:
    with pytest.raises(TypeError, match="complex numbers are not supported"):
        Tensor(np.array([1 + 2j]))
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(TypeError, match="multiply: complex numbers are not supported"):
        x * np.array([1j, 2j])


def test_strings_ragged_lists_and_float_shapes_name_what_was_expected() -> None:
    with pytest.raises(TypeError, match=r"expected real numbers .* dtype <U3"):
        Tensor("abc")
    with pytest.raises(ValueError, match=r"ragged \(rows of lengths \[1, 2\]"):
        Tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match=r"reshape: expected integers, got 2.0"):
        Tensor(np.ones(6)).reshape(2.0, 3)


def test_where_with_shapes_that_do_not_fit_names_every_shape() -> None:
    with pytest.raises(ag.ShapeError, match=r"where: the condition \(2, 3\), x \(4,\) and y \(\)"):
        ag.where(np.ones((2, 3)) > 0, Tensor(np.ones(4)), 0.0)
