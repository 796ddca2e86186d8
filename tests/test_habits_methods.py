"""PyTorch habits, part two: methods, max/min named tuples, grad-mode helpers, errors, Module.apply, nn.init and
DataLoader batches, each against PyTorch itself. (Values and gradients of the differentiable methods are rows of
test_engine_ops.py's table.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import autograd_core as ag
import nn
from nn.data import DataLoader, TensorDataset

M = [[1.0, 3.0, 3.0, -2.0], [2.0, 0.0, -1.0, 5.0], [4.0, 4.0, 0.5, 0.0]]  # ties on purpose: indices pick the first


def pair(data: Any = M, **kwargs: Any) -> tuple[ag.Tensor, torch.Tensor]:
    return ag.tensor(data, **kwargs), torch.tensor(data, **kwargs)


def same(ours: Any, theirs: Any) -> None:
    """Same type of answer, shape, dtype and values: Tensors, tuples of them, or plain Python values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ag.Tensor)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == theirs.detach().numpy().dtype
        np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())
    elif isinstance(theirs, tuple):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            same(a, b)
    else:
        assert ours == theirs and type(ours) is type(theirs), (ours, theirs)


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.size(),
        lambda t: t.size(1),
        lambda t: t.size(-1),
        lambda t: t.numel(),
        lambda t: t.dim(),
        lambda t: t.tolist(),
        lambda t: t[1, 2].item(),
        lambda t: t[0].tolist(),
        lambda t: t.sum().tolist(),
        lambda t: len(t),
        lambda t: t.view(2, 6),
        lambda t: t.view(-1),
        lambda t: t.reshape((6, 2)),
        lambda t: t.t(),
        lambda t: t[0].t(),
        lambda t: t.max(),
        lambda t: t.max(1),
        lambda t: t.max(dim=0),
        lambda t: t.max(1, keepdim=True),
        lambda t: t.min(1),
        lambda t: t.min(-1, True),
        lambda t: t.max(1).values,
        lambda t: t.max(1).indices,
        lambda t: t.min(0)[1],
        lambda t: t.argmax(),
        lambda t: t.argmax(1),
        lambda t: t.argmax(dim=0, keepdim=True),
        lambda t: t.argmin(),
        lambda t: t.argmin(1),
        lambda t: t.argmax(keepdim=True),
        lambda t: t[0].max(0),
        lambda t: t.clone(),
        lambda t: t.norm(),
        lambda t: t.pow(2),
        lambda t: t.clamp(0, 1),
        lambda t: t.contiguous(),
        lambda t: t.to(t.device),
        lambda t: t.type_as(t.double()),
        lambda t: t.t().contiguous().view(-1),
    ],
)
def test_method_matches_torch(call: Callable[[Any], Any]) -> None:
    ours, theirs = pair()
    same(call(ours), call(theirs))


def test_device_is_the_cpu() -> None:
    assert ag.ones(2).device == "cpu" == str(torch.ones(2).device)
    assert ag.ones(2).contiguous() is not None and ag.ones(2).to("cpu").device == "cpu"


def test_size_is_a_method_giving_the_shape_and_numel_counts() -> None:
    ours, theirs = pair()
    assert ours.size() == tuple(theirs.size()) == ours.shape
    assert ag.tensor(2.5).size() == () and ag.tensor(2.5).numel() == torch.tensor(2.5).numel() == 1


def test_max_min_with_dim_give_named_tuples() -> None:
    ours, theirs = pair()
    values, indices = ours.max(1)
    tvalues, tindices = theirs.max(1)
    same((values, indices), (tvalues, tindices))
    result = ours.min(dim=0)
    assert result._fields == ("values", "indices")
    same((result.values, result.indices), (theirs.min(dim=0).values, theirs.min(dim=0).indices))
    assert ag.max(ours, 1).indices.dtype == np.int64
    same(ag.max(ours), torch.max(theirs))
    same(ag.max(ours, dim=1), torch.max(theirs, dim=1))
    same(ours.max(axis=1), theirs.amax(dim=1))  # numpy's keyword: the values alone


def test_max_gradient_splits_ties_evenly_where_torch_picks_the_index() -> None:
    """The one documented difference (docs/coming-from-pytorch.md): ties share, as for max() without dim."""
    x = ag.tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    x.max(1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.5, 0.5]])
    tx = torch.tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    tx.max().backward()
    np.testing.assert_array_equal(tx.grad.numpy(), [[0.0, 0.5, 0.5]])  # torch's own max() shares too


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda t: t.size(2), IndexError),
        (lambda t: t.sum().size(0), IndexError),
        (lambda t: t.view(5, 3), RuntimeError),
        (lambda t: t.reshape(5, 3), RuntimeError),
        (lambda t: t.unsqueeze(0).t(), RuntimeError),
        (lambda t: t.item(), RuntimeError),
        (lambda t: t.max(dim=(0, 1)), TypeError),
        (lambda t: t @ t, RuntimeError),
    ],
)
def test_errors_match_torch(call: Callable[[Any], Any], error: type[Exception]) -> None:
    ours, theirs = pair()
    with pytest.raises(error):
        call(theirs)
    with pytest.raises(error):
        call(ours)


def test_shape_error_is_both_value_error_and_runtime_error() -> None:
    assert issubclass(ag.ShapeError, ValueError) and issubclass(ag.ShapeError, RuntimeError)
    with pytest.raises(ValueError, match=r"reshape.*\(3, 4\)"):
        ag.zeros(3, 4).view(5, 3)


# ---- grad mode --------------------------------------------------------------------------------------------------


def grad_mode_story(lib: Any) -> list[Any]:
    """Every form of the three helpers, as a PyTorch program uses them; the list of modes seen along the way."""
    seen: list[Any] = []

    @lib.no_grad
    def bare() -> bool:
        return lib.is_grad_enabled()

    @lib.no_grad()
    def called() -> bool:
        return lib.is_grad_enabled()

    @lib.enable_grad
    def enabled() -> bool:
        return lib.is_grad_enabled()

    @lib.set_grad_enabled(False)
    def disabled() -> bool:
        return lib.is_grad_enabled()

    seen += [bare(), called(), lib.is_grad_enabled(), disabled(), lib.is_grad_enabled()]
    with lib.no_grad():
        seen += [enabled(), lib.is_grad_enabled()]
    with lib.set_grad_enabled(False):
        seen.append(lib.is_grad_enabled())
    seen.append(lib.is_grad_enabled())
    lib.set_grad_enabled(False)
    seen.append(lib.is_grad_enabled())
    lib.set_grad_enabled(True)
    w = lib.ones(2, requires_grad=True)
    seen.append(called.__name__)
    with lib.no_grad():
        seen.append((w * 2).requires_grad)
    seen.append((w * 2).requires_grad)
    return seen


def generator_story(lib: Any) -> list[Any]:
    """A decorated generator holds its mode while it runs, and the caller's mode holds between its steps."""
    seen: list[Any] = []

    @lib.no_grad()
    def steps() -> Any:
        for _ in range(2):
            sent = yield lib.is_grad_enabled()
            seen.append(("inside", sent, lib.is_grad_enabled()))
        return "done"

    it = steps()
    seen += [next(it), lib.is_grad_enabled(), it.send("a")]
    with pytest.raises(StopIteration) as stop:
        it.send("b")
    seen.append(stop.value.value)
    with lib.no_grad():

        @lib.enable_grad
        def recording() -> Any:
            yield lib.is_grad_enabled()
            yield lib.is_grad_enabled()

        it2 = recording()
    seen += [next(it2), lib.is_grad_enabled(), next(it2)]
    return seen


@pytest.mark.parametrize("story", [grad_mode_story, generator_story])
def test_grad_mode_helpers_behave_as_torchs(story: Callable[[Any], list[Any]]) -> None:
    assert story(ag) == story(torch)
    assert ag.is_grad_enabled()


def test_a_thrown_exception_reaches_the_decorated_generator_in_its_mode() -> None:
    @ag.no_grad()
    def catcher() -> Any:
        try:
            yield 1
        except KeyError:
            yield ag.is_grad_enabled()

    it = catcher()
    next(it)
    assert it.throw(KeyError("k")) is False and ag.is_grad_enabled()


# ---- nn: Module.apply, init on parameters, DataLoader batches -----------------------------------------------------


def test_module_apply_visits_in_torchs_order_and_initialises() -> None:
    def model(lib: Any) -> Any:
        return lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Linear(3, 1)), lib.nn.Tanh())

    class Ours:
        nn = nn

    names: dict[str, list[str]] = {"ours": [], "theirs": []}
    ours = model(Ours).apply(lambda m: names["ours"].append(type(m).__name__))
    model(torch).apply(lambda m: names["theirs"].append(type(m).__name__))
    assert names["ours"] == names["theirs"] and isinstance(ours, nn.Module)

    def init_weights(m: Any) -> None:
        if isinstance(m, nn.Linear):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    ours.apply(init_weights)
    for m in ours.modules():
        if isinstance(m, nn.Linear):
            assert np.all(np.asarray(m.weight) == 1) and np.all(np.asarray(m.bias) == 0)


def test_init_functions_fill_parameters_in_place_and_return_them() -> None:
    layer = nn.Linear(4, 3)
    weight = layer.weight
    for init in (nn.init.zeros_, nn.init.ones_, nn.init.normal_, nn.init.uniform_, nn.init.xavier_uniform_,
                 nn.init.kaiming_normal_):  # fmt: skip
        assert init(layer.weight) is weight and layer.weight is weight
        assert isinstance(weight, nn.Parameter) and weight.requires_grad and weight.is_leaf
        assert weight.dtype == np.float32
    nn.init.ones_(layer.weight)
    np.testing.assert_array_equal(np.asarray(layer.weight), np.ones((3, 4), np.float32))


def test_dataloader_batches_are_tensors_as_torchs() -> None:
    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6)
    ours = list(DataLoader(TensorDataset(X, y), batch_size=4))
    theirs = list(tud.DataLoader(tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=4))
    for (xb, yb), (txb, tyb) in zip(ours, theirs, strict=True):
        same((xb, yb), (txb, tyb))
        assert not xb.requires_grad and xb.is_leaf
    sample = TensorDataset(ag.tensor(X), y)[1]
    same(sample, tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))[1])
