"""The self-test of the derivative table: every primitive examined by the doctor, ``ag.check_primitive``.

Each entry of ``autograd_core.primitives.table()`` needs one or more recipes here: sample inputs (and parameters)
drawn away from its kinks and inside its domain. The doctor checks every rule on them: its values against central
differences with each input alone requiring grad (so that a node keeps only what ``saves=`` declares), the second
derivative with all of them, the shape and dtype of its result, float32 and broadcasting. An entry with neither a
recipe nor a place in ``NO_DERIVATIVE`` fails ``test_every_entry_is_covered``, so an operation cannot be added to
the table without its check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import primitives_linalg as PL
from autograd_core.primitives import table

Sample = tuple[tuple[Any, ...], dict[str, Any]]
Recipe = Callable[[np.random.Generator], Sample]


def sample(*inputs: Any, **params: Any) -> Sample:
    """The inputs and parameters a primitive is called with: ``op(*inputs, **params)``."""
    return inputs, params


def normal(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def positive(rng: np.random.Generator, *shape: int, lo: float = 0.5, hi: float = 2.0) -> np.ndarray:
    return rng.uniform(lo, hi, shape)


def away_from(rng: np.random.Generator, kinks: list[float], *shape: int, gap: float = 0.1) -> np.ndarray:
    """Entries in (-2, 2) at least ``gap`` away from every kink, where finite differences would straddle it."""
    x = rng.uniform(-2, 2, shape)
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + np.where(x[near] >= k, gap, -gap) * 2
    return x


KINKS = [-2.0, -1.0, 0.0, 1.0, 2.0]  # where floor, ceil and trunc jump


def distinct_pair(rng: np.random.Generator, *shape: int) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays whose entries differ by at least 0.2 everywhere (no ties for maximum/minimum)."""
    x = rng.standard_normal(shape)
    y = x + rng.choice([-1, 1], shape) * rng.uniform(0.2, 1.0, shape)
    return x, y


def off_multiples(rng: np.random.Generator, *shape: int) -> tuple[np.ndarray, np.ndarray]:
    """x and y with x / y at least 0.2 away from every integer: remainder and fmod jump where x / y is one."""
    y = rng.choice([-1, 1], shape) * rng.uniform(0.5, 2.0, shape)
    quotient = rng.integers(-3, 3, shape) + rng.uniform(0.2, 0.8, shape)
    return quotient * y, y


def with_zeros(rng: np.random.Generator, shape: tuple[int, ...], zeros: list[tuple[int, ...]]) -> np.ndarray:
    """Normal entries with 0 at the given positions: prod is a polynomial, smooth there, so finite differences
    check its rule where z / x would divide by zero."""
    x = rng.standard_normal(shape)
    for position in zeros:
        x[position] = 0.0
    return x


def einsum(subscripts: str, *shapes: tuple[int, ...]) -> Recipe:
    return lambda r: sample(*(normal(r, *s) for s in shapes), subscripts=PL.explicit_subscripts(subscripts, shapes))


# name -> recipes; each recipe gives the sample inputs and parameters of one call. Shapes are small: the doctor
# takes a reverse sweep per output entry and two evaluations per input entry.
RECIPES: dict[str, list[Recipe]] = {
    "add": [lambda r: sample(normal(r, 2, 3), normal(r, 3))],  # broadcasting: the sweep's unbroadcast
    "subtract": [lambda r: sample(normal(r, 2, 1), normal(r, 2, 3))],
    "negative": [lambda r: sample(normal(r, 2, 3))],
    "sum": [
        lambda r: sample(normal(r, 2, 3), axis=None, keepdims=False),
        lambda r: sample(normal(r, 2, 3, 2), axis=(0, 2), keepdims=True),
        lambda r: sample(normal(r, 2, 3), axis=-1, keepdims=False),
    ],
    "mean": [
        lambda r: sample(normal(r, 2, 3), axis=None, keepdims=False),
        lambda r: sample(normal(r, 2, 3, 2), axis=(0, 2), keepdims=True),
        lambda r: sample(normal(r, 2, 3), axis=-1, keepdims=False),
    ],
    "broadcast_to": [lambda r: sample(normal(r, 3, 1), shape=(2, 3, 4))],
    "reshape": [lambda r: sample(normal(r, 2, 3), shape=(3, -1))],
    "transpose": [lambda r: sample(normal(r, 2, 3, 2), axes=(2, 0, 1))],
    "clone": [lambda r: sample(normal(r, 2, 3))],
    "setitem": [
        lambda r: sample(normal(r, 2, 3), normal(r, 2, 2), index=(slice(None), slice(1, None))),
        lambda r: sample(normal(r, 3, 2), normal(r, 2), index=np.array([2, 0])),  # v broadcast
    ],
    "getitem": [
        lambda r: sample(normal(r, 2, 3), index=(slice(None), slice(1, None))),
        lambda r: sample(normal(r, 3, 2), index=np.array([2, 0, 2])),  # repeats add up
        lambda r: sample(normal(r, 2, 3), index=np.array([[True, False, True], [False, True, True]])),
    ],
    "scatter": [
        lambda r: sample(normal(r, 2, 2), shape=(4, 2), index=np.array([1, 3])),
        lambda r: sample(normal(r, 3), shape=(3,), index=np.array([0, 0, 2])),
        lambda r: sample(normal(r, 2), shape=(3, 2), index=(np.array([0, 2]), np.array([1, 0])), unique=True),
    ],  # the last selects each entry at most once: assignment
    "nll_loss": [
        lambda r: sample(normal(r, 3, 4), index=(np.arange(3), np.array([1, 0, 3])), reduction="mean"),
        lambda r: sample(normal(r, 3, 4), index=(np.arange(3), np.array([1, 1, 3])), reduction="none"),
        lambda r: sample(normal(r, 4), index=(np.array(2),), reduction="sum"),  # one sample
        lambda r: sample(normal(r, 2, 3, 2), index=(np.arange(2)[:, None], np.array([[0, 2], [1, 1]]), np.arange(2)),
                         reduction="mean"),  # (N, C, d): a class per position
    ],
    "concatenate": [lambda r: sample(normal(r, 2, 1), normal(r, 2, 3), normal(r, 2, 2), axis=1)],
    "where": [lambda r: sample(np.array([[True, False, True], [False, False, True]]), normal(r, 2, 3), normal(r, 3))],
    "astype": [lambda r: sample(normal(r, 2, 3), dtype=np.dtype(np.float64))],
    "multiply": [lambda r: sample(normal(r, 2, 3), normal(r, 2, 1))],
    "divide": [lambda r: sample(normal(r, 2, 3), away_from(r, [0.0], 3, gap=0.5))],
    "power": [
        lambda r: sample(positive(r, 2, 3), normal(r, 2, 3)),  # both the base and the exponent
        lambda r: sample(normal(r, 2, 3), 3),  # an integer exponent (a constant), negative bases too
        lambda r: sample(positive(r, 4), -1.5),
    ],
    "matmul": [
        lambda r: sample(normal(r, 2, 3), normal(r, 3, 2)),
        lambda r: sample(normal(r, 3), normal(r, 3, 2)),  # 1-D on the left
        lambda r: sample(normal(r, 2, 3), normal(r, 3)),  # 1-D on the right
        lambda r: sample(normal(r, 3), normal(r, 3)),  # inner product
        lambda r: sample(normal(r, 2, 2, 3), normal(r, 3, 2)),  # batched, b broadcast over the batch
    ],
    "linear": [
        lambda r: sample(normal(r, 2, 3), normal(r, 4, 3)),
        lambda r: sample(normal(r, 2, 2, 3), normal(r, 4, 3)),  # leading batch axes
        lambda r: sample(normal(r, 3), normal(r, 4, 3)),  # one input vector
        lambda r: sample(normal(r, 2, 3), normal(r, 4, 3), normal(r, 4)),  # with a bias
        lambda r: sample(normal(r, 2, 2, 3), normal(r, 4, 3), normal(r, 4)),
    ],
    "exp": [lambda r: sample(normal(r, 2, 3))],
    "log": [lambda r: sample(positive(r, 2, 3))],
    "sin": [lambda r: sample(normal(r, 2, 3))],
    "cos": [lambda r: sample(normal(r, 2, 3))],
    "tan": [lambda r: sample(r.uniform(-1.2, 1.2, (2, 3)))],  # away from the poles at +-pi/2
    "tanh": [lambda r: sample(normal(r, 2, 3))],
    "sigmoid": [lambda r: sample(3 * normal(r, 2, 3))],
    "softplus": [lambda r: sample(3 * normal(r, 2, 3))],
    "relu": [lambda r: sample(away_from(r, [0.0], 2, 3))],
    "absolute": [lambda r: sample(away_from(r, [0.0], 2, 3))],
    "sqrt": [lambda r: sample(positive(r, 2, 3))],
    "erf": [lambda r: sample(normal(r, 2, 3))],
    "clip": [
        lambda r: sample(away_from(r, [-1.0, 1.0], 3, 3), lo=-1.0, hi=1.0),
        lambda r: sample(away_from(r, [0.5], 2, 3), lo=0.5, hi=None),
    ],
    "maximum": [lambda r: sample(*distinct_pair(r, 2, 3))],
    "minimum": [lambda r: sample(*distinct_pair(r, 2, 3))],
    "max": [
        lambda r: sample(normal(r, 2, 4), axis=1, keepdims=False),
        lambda r: sample(normal(r, 2, 3), axis=None, keepdims=True),
    ],
    "min": [
        lambda r: sample(normal(r, 3, 2), axis=0, keepdims=False),
        lambda r: sample(normal(r, 2, 3), axis=None, keepdims=False),
    ],
    "log_softmax": [
        lambda r: sample(normal(r, 2, 4), axis=1),
        lambda r: sample(normal(r, 3, 2), axis=0),
    ],
    "softmax": [
        lambda r: sample(normal(r, 2, 4), axis=-1),
        lambda r: sample(normal(r, 3), axis=0),
    ],
    # API.md's "More operations" (primitives_elementwise.py, primitives_reductions.py, primitives_linalg.py)
    "sinh": [lambda r: sample(normal(r, 2, 3))],
    "cosh": [lambda r: sample(normal(r, 2, 3))],
    "arcsin": [lambda r: sample(r.uniform(-0.8, 0.8, (2, 3)))],  # inside (-1, 1)
    "arccos": [lambda r: sample(r.uniform(-0.8, 0.8, (2, 3)))],
    "arctan": [lambda r: sample(normal(r, 2, 3))],
    "log2": [lambda r: sample(positive(r, 2, 3))],
    "log10": [lambda r: sample(positive(r, 2, 3))],
    "log1p": [lambda r: sample(r.uniform(-0.5, 2.0, (2, 3)))],
    "expm1": [lambda r: sample(normal(r, 2, 3))],
    "exp2": [lambda r: sample(normal(r, 2, 3))],
    "rsqrt": [lambda r: sample(positive(r, 2, 3))],
    "reciprocal": [lambda r: sample(away_from(r, [0.0], 2, 3, gap=0.3))],
    "sign": [lambda r: sample(away_from(r, [0.0], 2, 3))],  # zero derivative, checked as one
    "floor": [lambda r: sample(away_from(r, KINKS, 2, 3))],
    "ceil": [lambda r: sample(away_from(r, KINKS, 2, 3))],
    "trunc": [lambda r: sample(away_from(r, KINKS, 2, 3))],
    "round": [
        lambda r: sample(away_from(r, [-1.5, -0.5, 0.5, 1.5], 2, 3), decimals=0),
        lambda r: sample(np.round(r.uniform(-2, 2, (2, 3)), 1) + 0.02, decimals=1),
    ],
    "arctan2": [lambda r: sample(positive(r, 2, 3), normal(r, 3))],  # off the origin
    "logaddexp": [lambda r: sample(3 * r.standard_normal((2, 3)), normal(r, 3))],
    "remainder": [lambda r: sample(*off_multiples(r, 2, 3))],
    "fmod": [lambda r: sample(*off_multiples(r, 2, 3))],
    "cumsum": [
        lambda r: sample(normal(r, 3, 2), axis=0),
        lambda r: sample(normal(r, 2, 4), axis=-1),
    ],
    "prod": [
        lambda r: sample(normal(r, 2, 3), axis=None, keepdims=False),
        lambda r: sample(normal(r, 3, 4), axis=1, keepdims=False),
        lambda r: sample(normal(r, 2, 2, 3), axis=(0, 2), keepdims=True),
        lambda r: sample(with_zeros(r, (3, 4), [(0, 1), (2, 0), (2, 3)]), axis=1, keepdims=False),
        lambda r: sample(with_zeros(r, (2, 3), [(0, 0), (1, 2)]), axis=None, keepdims=False),
    ],
    "std": [
        lambda r: sample(normal(r, 2, 3), axis=None, ddof=0, keepdims=False),
        lambda r: sample(normal(r, 3, 4), axis=1, ddof=1, keepdims=True),
    ],
    "norm": [
        lambda r: sample(normal(r, 2, 3), p=2.0, axis=None, keepdims=False),
        lambda r: sample(normal(r, 3, 4), p=3.0, axis=1, keepdims=False),
        lambda r: sample(away_from(r, [0.0], 3, 2), p=1.0, axis=0, keepdims=True),
    ],
    "einsum": [
        einsum("ij,jk->ik", (2, 3), (3, 2)),
        einsum("ij,jk", (2, 3), (3, 2)),  # implicit output
        einsum("ii->", (3, 3)),  # a trace: the adjoint lies on the diagonal
        einsum("ii->i", (3, 3)),
        einsum("ij->", (2, 3)),  # summed away: the adjoint is copied
        einsum("...ij,...jk->...ik", (2, 2, 3), (3, 2)),  # broadcast batch axes
        einsum("ij,jk,kl->il", (2, 3), (3, 2), (2, 2)),
        einsum("i,j->ij", (2,), (3,)),
    ],
}  # fmt: skip

# Entries with no derivative to check: their results (booleans, positions) never require grad.
NO_DERIVATIVE = {
    "argmax": "a position: integer result",
    "argmin": "a position: integer result",
    "argsort": "positions: integer result",
    "less": "comparison: boolean result",
    "less_equal": "comparison: boolean result",
    "greater": "comparison: boolean result",
    "greater_equal": "comparison: boolean result",
    "equal": "comparison: boolean result",
    "not_equal": "comparison: boolean result",
}

CASES = [(name, i) for name, recipes in RECIPES.items() for i in range(len(recipes))]


def uncovered(entries: dict[str, ag.Primitive]) -> set[str]:
    """Table entries that the self-test does not reach."""
    return set(entries) - set(RECIPES) - set(NO_DERIVATIVE)


def test_every_entry_is_covered():
    assert uncovered(table()) == set(), "add a recipe to RECIPES for each new table entry"
    assert set(RECIPES) | set(NO_DERIVATIVE) <= set(table()), "recipes for entries that no longer exist"


def test_a_new_entry_without_a_recipe_is_caught():
    cube = ag.Primitive("cube", ag.ELEMENTWISE, lambda x: x**3, lambda g, z, x: 3 * g * x * x)
    assert uncovered({**table(), "cube": cube}) == {"cube"}


def test_entries_without_derivative_really_have_none():
    x = ag.Tensor(np.array([0.5, -1.0]), requires_grad=True)
    for name in NO_DERIVATIVE:
        op = table()[name]
        assert not op.vjps, f"{name} has derivative rules: it needs a recipe, not a place in NO_DERIVATIVE"
        if name.startswith("arg"):
            result = op(x, axis=-1, **({"descending": False} if name == "argsort" else {"keepdims": False}))
        else:
            result = op(x, 0.0)
        assert not result.requires_grad


@pytest.mark.parametrize(("name", "case"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_every_rule_passes_the_doctor(name: str, case: int):
    inputs, params = RECIPES[name][case](np.random.default_rng(case))
    assert ag.check_primitive(table()[name], *inputs, **params)
