"""PyTorch habits, part one: factories, dtype names, conversions and promotion, each against PyTorch itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import autograd_core as ag
import nn
from nn.data import DataLoader, TensorDataset

DTYPE_NAMES = ["float32", "float64", "float16", "int64", "int32", "int8", "uint8", "bool", "float", "double", "long", "int"]


def numpy_dtype(t: torch.Tensor) -> np.dtype:
    return t.numpy().dtype


def same(ours: ag.Tensor, theirs: torch.Tensor, exact: bool = True) -> None:
    """Same shape, same dtype, same values (to float32 round-off when not ``exact``)."""
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == numpy_dtype(theirs), (ours.dtype, theirs.dtype)
    if exact:
        np.testing.assert_array_equal(np.asarray(ours), theirs.numpy())
    else:
        np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=2e-7, atol=1e-7)


# ---- dtype names ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_names_are_pytorchs(name: str) -> None:
    theirs = numpy_dtype(torch.zeros(1, dtype=getattr(torch, name)))
    assert getattr(ag, name) == theirs
    assert ag.zeros(1, dtype=getattr(ag, name)).dtype == theirs


# ---- deterministic factories ------------------------------------------------------------------------------------

CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("zeros", (2, 3), {}),
    ("zeros", ((2, 3),), {}),
    ("zeros", ([4],), {}),
    ("zeros", ((),), {}),
    ("ones", (3,), {"dtype": "float64"}),
    ("ones", (2, 2), {"dtype": "int64"}),
    ("full", ((2, 3), 1.5), {}),
    ("full", ((2,), 3), {}),
    ("full", ((2,), True), {}),
    ("full", ((2,), 7), {"dtype": "float64"}),
    ("arange", (5,), {}),
    ("arange", (5.0,), {}),
    ("arange", (2, 11, 3), {}),
    ("arange", (0, 1, 0.1), {}),
    ("arange", (1, 2.5, 0.5), {}),
    ("arange", (5,), {"dtype": "float64"}),
    ("arange", (10, 0, -3), {}),
    ("linspace", (0, 1, 7), {}),
    ("linspace", (-2.0, 3.0, 11), {"dtype": "float64"}),
    ("linspace", (0, 10, 5), {"dtype": "int64"}),
    ("linspace", (0, 1, 1), {}),
    ("eye", (3,), {}),
    ("eye", (2, 4), {"dtype": "float64"}),
    ("tensor", ([1, 2, 3],), {}),
    ("tensor", ([1.0, 2.5],), {}),
    ("tensor", ([[True, False]],), {}),
    ("tensor", (3,), {}),
    ("tensor", (2.5,), {"dtype": "float64"}),
    ("tensor", ([1, 2],), {"dtype": "float32"}),
]


def _dtype_kw(kwargs: dict[str, Any], lib: Any) -> dict[str, Any]:
    return {k: getattr(lib, v) if k == "dtype" else v for k, v in kwargs.items()}


@pytest.mark.parametrize(("name", "args", "kwargs"), CALLS)
def test_factory_matches_torch(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    ours = getattr(ag, name)(*args, **_dtype_kw(kwargs, ag))
    theirs = getattr(torch, name)(*args, **_dtype_kw(kwargs, torch))
    same(ours, theirs, exact=name not in ("arange", "linspace"))
    assert ours.is_leaf and not ours.requires_grad


def test_empty_and_likes_match_torch_shapes_and_dtypes() -> None:
    assert ag.empty(2, 3).shape == (2, 3) and ag.empty(2, 3).dtype == np.float32
    base, tbase = ag.arange(6).reshape(2, 3), torch.arange(6).reshape(2, 3)
    for fn in ("zeros_like", "ones_like"):
        same(getattr(ag, fn)(base), getattr(torch, fn)(tbase))
        same(getattr(ag, fn)(base, dtype=ag.float64), getattr(torch, fn)(tbase, dtype=torch.float64))
    same(ag.full_like(base, 7), torch.full_like(tbase, 7))
    same(ag.full_like(ag.zeros(3), 2.5), torch.full_like(torch.zeros(3), 2.5))


def test_requires_grad_and_default_dtype() -> None:
    w = ag.zeros(2, 3, requires_grad=True)
    assert w.requires_grad and w.is_leaf and w.dtype == np.float32
    (w * 2).sum().backward()
    np.testing.assert_array_equal(np.asarray(w.grad), np.full((2, 3), 2.0, np.float32))
    previous = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    try:
        assert ag.ones(2).dtype == np.float64 and ag.randn(2).dtype == np.float64 and ag.arange(0.0, 1.0).dtype == np.float64
    finally:
        ag.set_default_dtype(previous)
    with pytest.raises(TypeError, match="floating-point"):
        ag.zeros(2, dtype=ag.int64, requires_grad=True)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda lib: lib.zeros(2.5), TypeError),
        (lambda lib: lib.zeros(-1), RuntimeError),
        (lambda lib: lib.arange(0, 1, 0), RuntimeError),
        (lambda lib: lib.randint(5, 5, (2,)), RuntimeError),
    ],
)
def test_factory_errors_match_torch(call: Callable[[Any], Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(ag)


# ---- random factories -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.rand(3, 4),
        lambda lib: lib.rand((2,), dtype=lib.float64),
        lambda lib: lib.randn(5),
        lambda lib: lib.randn(2, 3, dtype=lib.float64),
        lambda lib: lib.randint(10, (3, 2)),
        lambda lib: lib.randint(-3, 3, (4,)),
        lambda lib: lib.normal(0.0, 2.0, (3,)),
        lambda lib: lib.normal(lib.zeros(2, 3), 1.0),
        lambda lib: lib.normal(lib.zeros(3, dtype=lib.float64), lib.ones(3, dtype=lib.float64)),
    ],
)
def test_random_factories_have_torchs_shapes_and_dtypes(call: Callable[[Any], Any]) -> None:
    ours, theirs = call(ag), call(torch)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == numpy_dtype(theirs)


def test_randperm_is_a_permutation_as_torchs() -> None:
    ours, theirs = ag.randperm(10), torch.randperm(10)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == numpy_dtype(theirs)
    assert sorted(ours.tolist()) == sorted(theirs.tolist()) == list(range(10))
    ag.manual_seed(2)
    first = ag.randperm(50).tolist()
    ag.manual_seed(2)
    assert ag.randperm(50).tolist() == first != list(range(50))


def test_random_draws_follow_their_distributions() -> None:
    ag.manual_seed(0)
    u, z = ag.rand(100_000).numpy(), ag.randn(100_000).numpy()
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.003
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1.0) < 0.02
    n = ag.normal(3.0, 0.5, (100_000,)).numpy()
    assert abs(n.mean() - 3.0) < 0.01 and abs(n.std() - 0.5) < 0.01
    k = ag.randint(2, 7, (100_000,)).numpy()
    assert set(np.unique(k)) == {2, 3, 4, 5, 6}


def test_manual_seed_repeats_every_random_draw_of_the_project() -> None:
    def draws() -> list[np.ndarray]:
        layer = nn.Linear(4, 3)
        dropped = nn.functional.dropout(ag.ones(50), 0.5)
        batches = [np.asarray(yb) for _, yb in DataLoader(TensorDataset(np.zeros((6, 1)), np.arange(6)), batch_size=2, shuffle=True)]
        weight = ag.zeros(3, 3)
        nn.init.normal_(weight)
        return [ag.rand(3).numpy(), ag.randn(2).numpy(), ag.randint(9, (4,)).numpy(), layer.weight.numpy(),
                dropped.numpy(), np.concatenate(batches), weight.numpy()]  # fmt: skip

    ag.manual_seed(5)
    first = draws()
    ag.manual_seed(5)
    again = draws()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    ag.manual_seed(6)
    assert not all(np.array_equal(a, b) for a, b in zip(first, draws()))
    assert nn.manual_seed is ag.manual_seed


def test_manual_seed_equals_numpys_default_rng() -> None:
    ag.manual_seed(11)
    np.testing.assert_array_equal(ag.randn(4, dtype=ag.float64).numpy(), np.random.default_rng(11).standard_normal(4))
    with pytest.raises(TypeError, match="integer"):
        ag.manual_seed(1.5)


# ---- conversions ------------------------------------------------------------------------------------------------

VALUES = [[-1.7, -0.5, 0.0, 0.5, 2.9], [3.0, -2.2, 1.0, 0.0, 7.5]]


@pytest.mark.parametrize(
    "convert",
    [
        lambda t, lib: t.float(),
        lambda t, lib: t.double(),
        lambda t, lib: t.long(),
        lambda t, lib: t.int(),
        lambda t, lib: t.half(),
        lambda t, lib: t.bool(),
        lambda t, lib: t.to(lib.float64),
        lambda t, lib: t.to(lib.int64),
        lambda t, lib: t.to("cpu"),
        lambda t, lib: t.to(lib.zeros(1, dtype=lib.int32)),
        lambda t, lib: t.type(lib.float64),
        lambda t, lib: t.long().float(),
        lambda t, lib: t.double().int().double(),
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_conversions_match_torch(convert: Callable[[Any, Any], Any], dtype: str) -> None:
    ours = convert(ag.tensor(VALUES, dtype=getattr(ag, dtype)), ag)
    theirs = convert(torch.tensor(VALUES, dtype=getattr(torch, dtype)), torch)
    same(ours, theirs)


def test_conversion_returns_self_when_the_dtype_matches_as_torch() -> None:
    x, tx = ag.ones(3), torch.ones(3)
    for method in ("float", "to", "type"):
        args = () if method == "float" else (ag.float32,)
        targs = () if method == "float" else (torch.float32,)
        assert (getattr(x, method)(*args) is x) == (getattr(tx, method)(*targs) is tx) is True
    assert x.astype(ag.float32) is not x  # numpy's astype copies
    assert x.type() == "float32"


def test_conversions_carry_gradients_between_floats_only() -> None:
    x = ag.tensor([1.5, -2.0], requires_grad=True)
    tx = torch.tensor([1.5, -2.0], requires_grad=True)
    for ours, theirs in ((x.double(), tx.double()), (x.long(), tx.long()), (x.bool(), tx.bool())):
        assert ours.requires_grad == theirs.requires_grad
    (x.double() * ag.tensor([3.0, 4.0], dtype=ag.float64)).sum().backward()
    (tx.double() * torch.tensor([3.0, 4.0], dtype=torch.float64)).sum().backward()
    same(x.grad, tx.grad)


# ---- promotion --------------------------------------------------------------------------------------------------

PROMOTIONS = [
    lambda lib: lib.arange(4) + 0.5,
    lambda lib: 0.5 * lib.arange(4),
    lambda lib: lib.arange(4) / 2,
    lambda lib: lib.arange(4) / lib.arange(1, 5),
    lambda lib: lib.arange(4) * 2,
    lambda lib: lib.arange(4) + lib.ones(4),
    lambda lib: lib.ones(4) - lib.arange(4),
    lambda lib: lib.arange(4) + lib.ones(4, dtype=lib.float64),
    lambda lib: lib.arange(4, dtype=lib.int32) * lib.ones(4),
    lambda lib: lib.arange(4, dtype=lib.int8) + lib.arange(4),
    lambda lib: lib.arange(4, dtype=lib.uint8) + lib.arange(4, dtype=lib.int8),
    lambda lib: lib.tensor([True, False]) + 1,
    lambda lib: lib.tensor([True, False]) * 1.5,
    lambda lib: lib.arange(4).sin(),
    lambda lib: lib.arange(4).exp(),
    lambda lib: lib.arange(4).sqrt(),
    lambda lib: lib.arange(4) ** 0.5,
    lambda lib: lib.ones(4) + lib.ones(4, dtype=lib.float64),
    lambda lib: lib.ones(4, dtype=lib.float64) * 0.1,
    lambda lib: lib.where(lib.arange(3) > 0, lib.arange(3), 0.5),
    lambda lib: lib.maximum(lib.arange(3), lib.ones(3)),
]


@pytest.mark.parametrize("expression", PROMOTIONS)
def test_dtype_promotion_matches_torch(expression: Callable[[Any], Any]) -> None:
    same(expression(ag), expression(torch), exact=False)


def test_promotion_follows_the_default_dtype() -> None:
    previous = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    torch_previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        for expression in PROMOTIONS[:4]:
            same(expression(ag), expression(torch), exact=False)
    finally:
        ag.set_default_dtype(previous)
        torch.set_default_dtype(torch_previous)
