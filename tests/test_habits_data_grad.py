"""PyTorch habits, part four: ``.data`` and ``.grad`` are Tensors with PyTorch's semantics, and ``.numpy()`` /
``np.asarray`` give the array itself. Each against PyTorch."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import autograd_core as ag
import nn

X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]


def arr(t: Any) -> np.ndarray:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def same(ours: Any, theirs: Any) -> None:
    assert isinstance(ours, ag.Tensor) and ours.shape == tuple(theirs.shape)
    assert ours.dtype == arr(theirs).dtype and ours.requires_grad == theirs.requires_grad
    np.testing.assert_allclose(arr(ours), arr(theirs), rtol=1e-12 if ours.dtype == np.float64 else 1e-6)


def test_data_is_a_tensor_sharing_memory_that_records_nothing() -> None:
    for lib in (ag, torch):
        w = lib.tensor(X, requires_grad=True)
        d = w.data
        assert d.is_leaf and not d.requires_grad and d.shape == w.shape and d is not w
        d[0, 0] = 9.0  # through .data: the parameter changes, nothing is recorded
        assert w[0, 0].item() == 9.0
        d.mul_(2)
        assert w[1, 2].item() == -1.5
        assert w._version == 0  # .data's changes are not tracked (as in PyTorch: .detach() shares the counter)
        w.data = lib.zeros(2, 3)  # replaces the values
        assert float(w.sum()) == 0.0 and w.requires_grad and w.is_leaf


def test_init_through_data_the_tutorial_way() -> None:
    for lib, layers in ((ag, nn), (torch, torch.nn)):
        lib.manual_seed(0)
        layer = layers.Linear(4, 3)
        layer.weight.data.normal_(0, 0.01)
        layer.bias.data.fill_(0)
        assert layer.weight.requires_grad and layer.weight.is_leaf
        assert float(layer.bias.abs().sum()) == 0.0 and 0 < float(layer.weight.abs().max()) < 0.1


def test_grad_is_a_tensor_that_accumulates_in_place() -> None:
    accumulated = []
    for lib in (ag, torch):
        w = lib.tensor(X, requires_grad=True, dtype=lib.float64)
        assert w.grad is None
        (w * w).sum().backward()
        first = w.grad
        (3 * w).sum().backward()
        assert w.grad is first  # accumulated into the same tensor
        assert not first.requires_grad and first.is_leaf and first.grad_fn is None
        accumulated.append(first.clone())
        first.zero_()
        assert float(w.grad.abs().sum()) == 0.0
    same(*accumulated)


def test_grad_values_and_dtypes_match_torch() -> None:
    for dtype in ("float32", "float64"):
        grads = []
        for lib in (ag, torch):
            w = lib.tensor(X, dtype=getattr(lib, dtype), requires_grad=True)
            ((w * w).sum() + w.exp().mean()).backward()
            grads.append(w.grad)
        same(*grads)


def test_grad_after_create_graph_is_differentiable_again() -> None:
    seconds = []
    for lib in (ag, torch):
        w = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        (w**3).sum().backward(create_graph=True)
        g = w.grad
        assert g.requires_grad and not g.is_leaf
        first = g.detach().clone()
        w.grad = None
        g.sum().backward()  # d/dw sum(3 w^2) = 6 w
        seconds.append((first, w.grad))
    same(seconds[0][0], seconds[1][0])
    same(seconds[0][1], seconds[1][1])


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (lambda lib: np.zeros((2, 3)), TypeError),
        (lambda lib: lib.zeros(3, 2, dtype=lib.float64), RuntimeError),
        (lambda lib: lib.zeros(2, 3, dtype=lib.float32), RuntimeError),
    ],
)
def test_assigning_a_wrong_grad_is_torchs_error(value: Any, error: type[Exception]) -> None:
    for lib in (torch, ag):
        w = lib.zeros(2, 3, dtype=lib.float64, requires_grad=True)
        with pytest.raises(error):
            w.grad = value(lib)
        w.grad = lib.ones(2, 3, dtype=lib.float64)  # the right shape and dtype: taken as it is
        assert float(w.grad.sum()) == 6.0
        w.grad = None
        assert w.grad is None


def test_reading_grad_of_a_non_leaf_warns_in_torchs_words() -> None:
    messages = []
    for lib in (torch, ag):
        w = lib.ones(3, requires_grad=True)
        h = w * 2
        h.sum().backward(retain_graph=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert h.grad is None
            assert w.grad is not None  # a leaf: no warning
        assert len(caught) == 1 and caught[0].category is UserWarning
        messages.append(str(caught[0].message))
        h.retain_grad()
        h.sum().backward()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert h.grad is not None  # retained: no warning
    assert messages[1] in messages[0]  # PyTorch's text, less where in its C++ sources it was triggered


def test_numpy_and_asarray_give_the_array_itself() -> None:
    t = ag.tensor(X)
    a = t.numpy()
    assert a is t.numpy() and np.asarray(t) is a and np.shares_memory(np.asarray(t), a)
    a[0, 0] = 7.0
    assert t[0, 0].item() == 7.0
    with torch.no_grad():
        tt = torch.tensor(X)
        assert np.shares_memory(tt.numpy(), np.asarray(tt))  # PyTorch: the same
    w = ag.tensor(X, requires_grad=True)
    assert w.numpy() is w.data.numpy()  # (PyTorch asks for w.detach().numpy() here: docs/coming-from-pytorch.md)
    assert np.array(t, copy=True) is not a and np.array_equal(np.array(t, dtype=np.float64), a)


def test_printing_shows_numbers() -> None:
    assert "0.5" in repr(ag.tensor(X)) and "requires_grad=True" in repr(ag.tensor(X, requires_grad=True))
    w = ag.tensor(X, requires_grad=True)
    (w * 2).sum().backward()
    assert "2." in repr(w.grad) and "Tensor(" in repr(w.data)
