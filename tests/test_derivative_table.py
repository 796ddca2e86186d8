"""The self-test of the derivative table: every primitive's rules against central finite differences.

Each entry of ``autograd_core.primitives.table()`` needs one or more recipes here: a function that calls the
primitive on sample inputs drawn away from its kinks and inside its domain. Every recipe is gradchecked first and
second order. An entry with neither a recipe nor a place in ``NO_DERIVATIVE`` fails ``test_every_entry_is_covered``,
so an operation cannot be added to the table without its check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import primitives as P
from autograd_core.primitive import ELEMENTWISE, Primitive
from autograd_core.primitives import table

Recipe = Callable[[np.random.Generator], tuple[Callable[..., Any], tuple[ag.Tensor, ...]]]


def leaf(a: Any) -> ag.Tensor:
    return ag.Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def normal(rng: np.random.Generator, *shape: int) -> ag.Tensor:
    return leaf(rng.standard_normal(shape))


def positive(rng: np.random.Generator, *shape: int, lo: float = 0.5, hi: float = 2.0) -> ag.Tensor:
    return leaf(rng.uniform(lo, hi, shape))


def away_from(rng: np.random.Generator, kinks: list[float], *shape: int, gap: float = 0.1) -> ag.Tensor:
    """Entries in (-2, 2) at least ``gap`` away from every kink, where finite differences would straddle it."""
    x = rng.uniform(-2, 2, shape)
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + np.where(x[near] >= k, gap, -gap) * 2
    return leaf(x)


def distinct_pair(rng: np.random.Generator, *shape: int) -> tuple[ag.Tensor, ag.Tensor]:
    """Two tensors whose entries differ by at least 0.2 everywhere (no ties for maximum/minimum)."""
    x = rng.standard_normal(shape)
    y = x + rng.choice([-1, 1], shape) * rng.uniform(0.2, 1.0, shape)
    return leaf(x), leaf(y)


# name -> recipes; each recipe gives (function of the Tensors, the Tensors). Shapes are small: gradcheck takes a
# reverse sweep per output entry and two evaluations per input entry.
RECIPES: dict[str, list[Recipe]] = {
    "add": [lambda r: (P.add, (normal(r, 2, 3), normal(r, 3)))],  # broadcasting: the sweep's unbroadcast
    "subtract": [lambda r: (P.subtract, (normal(r, 2, 1), normal(r, 2, 3)))],
    "negative": [lambda r: (P.negative, (normal(r, 2, 3),))],
    "sum": [
        lambda r: (lambda x: P.sum(x, axis=None, keepdims=False), (normal(r, 2, 3),)),
        lambda r: (lambda x: P.sum(x, axis=(0, 2), keepdims=True), (normal(r, 2, 3, 2),)),
        lambda r: (lambda x: P.sum(x, axis=-1, keepdims=False), (normal(r, 2, 3),)),
    ],
    "mean": [
        lambda r: (lambda x: P.mean(x, axis=None, keepdims=False), (normal(r, 2, 3),)),
        lambda r: (lambda x: P.mean(x, axis=(0, 2), keepdims=True), (normal(r, 2, 3, 2),)),
        lambda r: (lambda x: P.mean(x, axis=-1, keepdims=False), (normal(r, 2, 3),)),
    ],
    "broadcast_to": [lambda r: (lambda x: P.broadcast_to(x, shape=(2, 3, 4)), (normal(r, 3, 1),))],
    "reshape": [lambda r: (lambda x: P.reshape(x, shape=(3, -1)), (normal(r, 2, 3),))],
    "clone": [lambda r: (P.clone, (normal(r, 2, 3),))],
    "setitem": [
        lambda r: (lambda x, v: P.setitem(x, v, index=(slice(None), slice(1, None))), (normal(r, 2, 3), normal(r, 2, 2))),
        lambda r: (lambda x, v: P.setitem(x, v, index=np.array([2, 0])), (normal(r, 3, 2), normal(r, 2))),  # v broadcast
    ],
    "transpose": [lambda r: (lambda x: P.transpose(x, axes=(2, 0, 1)), (normal(r, 2, 3, 2),))],
    "getitem": [
        lambda r: (lambda x: P.getitem(x, index=(slice(None), slice(1, None))), (normal(r, 2, 3),)),
        lambda r: (lambda x: P.getitem(x, index=np.array([2, 0, 2])), (normal(r, 3, 2),)),  # repeats add up
        lambda r: (lambda x: P.getitem(x, index=np.array([[True, False, True], [False, True, True]])),
                   (normal(r, 2, 3),)),
    ],
    "scatter": [
        lambda r: (lambda s: P.scatter(s, shape=(4, 2), index=np.array([1, 3])), (normal(r, 2, 2),)),
        lambda r: (lambda s: P.scatter(s, shape=(3,), index=np.array([0, 0, 2])), (normal(r, 3),)),
        lambda r: (lambda s: P.scatter(s, shape=(3, 2), index=(np.array([0, 2]), np.array([1, 0])), unique=True),
                   (normal(r, 2),)),  # each entry at most once: assignment
    ],
    "nll_loss": [
        lambda r: (lambda x: P.nll_loss(x, index=(np.arange(3), np.array([1, 0, 3])), reduction="mean"), (normal(r, 3, 4),)),
        lambda r: (lambda x: P.nll_loss(x, index=(np.arange(3), np.array([1, 1, 3])), reduction="none"), (normal(r, 3, 4),)),
        lambda r: (lambda x: P.nll_loss(x, index=(np.array(2),), reduction="sum"), (normal(r, 4),)),  # one sample
        lambda r: (lambda x: P.nll_loss(x, index=(np.arange(2)[:, None], np.array([[0, 2], [1, 1]]), np.arange(2)),
                                        reduction="mean"), (normal(r, 2, 3, 2),)),  # (N, C, d): a class per position
    ],
    "concatenate": [
        lambda r: (lambda a, b, c: P.concatenate(a, b, c, axis=1), (normal(r, 2, 1), normal(r, 2, 3), normal(r, 2, 2))),
    ],
    "where": [
        lambda r: (lambda x, y: P.where(ag.Tensor(np.array([[True, False, True], [False, False, True]])), x, y),
                   (normal(r, 2, 3), normal(r, 3))),
    ],
    "astype": [lambda r: (lambda x: P.astype(x, dtype=np.dtype(np.float64)), (normal(r, 2, 3),))],
    "multiply": [lambda r: (P.multiply, (normal(r, 2, 3), normal(r, 2, 1)))],
    "divide": [lambda r: (P.divide, (normal(r, 2, 3), away_from(r, [0.0], 3, gap=0.5)))],
    "power": [
        lambda r: (P.power, (positive(r, 2, 3), normal(r, 2, 3))),  # both the base and the exponent
        lambda r: (lambda x: P.power(x, 3), (normal(r, 2, 3),)),  # an integer exponent, negative bases too
        lambda r: (lambda x: P.power(x, -1.5), (positive(r, 4),)),
    ],
    "matmul": [
        lambda r: (P.matmul, (normal(r, 2, 3), normal(r, 3, 2))),
        lambda r: (P.matmul, (normal(r, 3), normal(r, 3, 2))),  # 1-D on the left
        lambda r: (P.matmul, (normal(r, 2, 3), normal(r, 3))),  # 1-D on the right
        lambda r: (P.matmul, (normal(r, 3), normal(r, 3))),  # inner product
        lambda r: (P.matmul, (normal(r, 2, 2, 3), normal(r, 3, 2))),  # batched, b broadcast over the batch
    ],
    "linear": [
        lambda r: (P.linear, (normal(r, 2, 3), normal(r, 4, 3))),
        lambda r: (P.linear, (normal(r, 2, 2, 3), normal(r, 4, 3))),  # leading batch axes
        lambda r: (P.linear, (normal(r, 3), normal(r, 4, 3))),  # one input vector
        lambda r: (P.linear, (normal(r, 2, 3), normal(r, 4, 3), normal(r, 4))),  # with a bias
        lambda r: (P.linear, (normal(r, 2, 2, 3), normal(r, 4, 3), normal(r, 4))),
    ],
    "exp": [lambda r: (P.exp, (normal(r, 2, 3),))],
    "log": [lambda r: (P.log, (positive(r, 2, 3),))],
    "sin": [lambda r: (P.sin, (normal(r, 2, 3),))],
    "cos": [lambda r: (P.cos, (normal(r, 2, 3),))],
    "tan": [lambda r: (P.tan, (leaf(r.uniform(-1.2, 1.2, (2, 3))),))],  # away from the poles at +-pi/2
    "tanh": [lambda r: (P.tanh, (normal(r, 2, 3),))],
    "sigmoid": [lambda r: (P.sigmoid, (leaf(3 * r.standard_normal((2, 3))),))],
    "softplus": [lambda r: (P.softplus, (leaf(3 * r.standard_normal((2, 3))),))],
    "relu": [lambda r: (P.relu, (away_from(r, [0.0], 2, 3),))],
    "absolute": [lambda r: (P.absolute, (away_from(r, [0.0], 2, 3),))],
    "sqrt": [lambda r: (P.sqrt, (positive(r, 2, 3),))],
    "erf": [lambda r: (P.erf, (normal(r, 2, 3),))],
    "clip": [
        lambda r: (lambda x: P.clip(x, lo=-1.0, hi=1.0), (away_from(r, [-1.0, 1.0], 3, 3),)),
        lambda r: (lambda x: P.clip(x, lo=0.5, hi=None), (away_from(r, [0.5], 2, 3),)),
    ],
    "maximum": [lambda r: (P.maximum, distinct_pair(r, 2, 3))],
    "minimum": [lambda r: (P.minimum, distinct_pair(r, 2, 3))],
    "max": [
        lambda r: (lambda x: P.amax(x, axis=1, keepdims=False), (normal(r, 2, 4),)),
        lambda r: (lambda x: P.amax(x, axis=None, keepdims=True), (normal(r, 2, 3),)),
    ],
    "min": [
        lambda r: (lambda x: P.amin(x, axis=0, keepdims=False), (normal(r, 3, 2),)),
        lambda r: (lambda x: P.amin(x, axis=None, keepdims=False), (normal(r, 2, 3),)),
    ],
    "log_softmax": [
        lambda r: (lambda x: P.log_softmax(x, axis=1), (normal(r, 2, 4),)),
        lambda r: (lambda x: P.log_softmax(x, axis=0), (normal(r, 3, 2),)),
    ],
    "softmax": [
        lambda r: (lambda x: P.softmax(x, axis=-1), (normal(r, 2, 4),)),
        lambda r: (lambda x: P.softmax(x, axis=0), (normal(r, 3),)),
    ],
}  # fmt: skip

# Entries with no derivative to check: piecewise constant, their results never require grad.
NO_DERIVATIVE = {
    "sign": "piecewise constant: the derivative is 0 wherever it exists",
    "less": "comparison: boolean result",
    "less_equal": "comparison: boolean result",
    "greater": "comparison: boolean result",
    "greater_equal": "comparison: boolean result",
    "equal": "comparison: boolean result",
    "not_equal": "comparison: boolean result",
}

CASES = [(name, i) for name, recipes in RECIPES.items() for i in range(len(recipes))]


def uncovered(entries: dict[str, Primitive]) -> set[str]:
    """Table entries that the self-test does not reach."""
    return set(entries) - set(RECIPES) - set(NO_DERIVATIVE)


def test_every_entry_is_covered():
    assert uncovered(table()) == set(), "add a recipe to RECIPES for each new table entry"
    assert set(RECIPES) | set(NO_DERIVATIVE) <= set(table()), "recipes for entries that no longer exist"


def test_a_new_entry_without_a_recipe_is_caught():
    cube = Primitive("cube", ELEMENTWISE, lambda x: x**3, lambda g, z, x: 3 * g * x * x)
    assert uncovered({**table(), "cube": cube}) == {"cube"}


def test_entries_without_derivative_really_have_none():
    x = ag.Tensor(np.array([0.5, -1.0]), requires_grad=True)
    for name in NO_DERIVATIVE:
        op = table()[name]
        assert not op.vjps, f"{name} has derivative rules: it needs a recipe, not a place in NO_DERIVATIVE"
        result = op(x) if name == "sign" else op(x, 0.0)
        assert not result.requires_grad


@pytest.mark.parametrize(("name", "case"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_first_order(name: str, case: int):
    f, inputs = RECIPES[name][case](np.random.default_rng(case))
    assert ag.gradcheck(f, inputs)


@pytest.mark.parametrize(("name", "case"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_second_order(name: str, case: int):
    f, inputs = RECIPES[name][case](np.random.default_rng(case))
    assert ag.gradgradcheck(f, inputs)


# A node keeps only the values that the rules of its inputs requiring grad read (node.py): with one input wanting
# a gradient, the others' values may be dropped. Each rule is checked again with every other input a constant.
def _inputs(name: str, case: int) -> int:
    return len(RECIPES[name][case](np.random.default_rng(case))[1])


ONE_OF_SEVERAL = [(name, case, j) for name, case in CASES if _inputs(name, case) > 1 for j in range(_inputs(name, case))]


@pytest.mark.parametrize(("name", "case", "j"), ONE_OF_SEVERAL, ids=[f"{n}-{i}-input{j}" for n, i, j in ONE_OF_SEVERAL])
def test_each_input_alone_first_and_second_order(name: str, case: int, j: int):
    f, inputs = RECIPES[name][case](np.random.default_rng(case))
    alone = tuple(x if i == j else ag.Tensor(x.numpy()) for i, x in enumerate(inputs))
    assert ag.gradcheck(f, alone)
    assert ag.gradgradcheck(f, alone)
