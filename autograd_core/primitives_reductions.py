"""The derivative table, continued: reductions and orderings (cumsum, prod, std, norm; argmax, argmin, argsort).

Written as primitives.py's entries are, each rule built from the table's entries so that it differentiates again.
Why each is an entry rather than composed is said beside it; cumprod is composed (``cumprod`` below), and prod's
rule uses it. The entries take their ``axis`` already checked by composites_reductions.py, which also gives 0-d
tensors PyTorch's meaning.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .primitive import AFFINE, COMPOSITE, PRODUCT, Primitive
from .primitives import (_inverse_permutation, _kept_shape, absolute, concatenate, count, mean, reshape, sign,
                         transpose, where)  # fmt: skip


def _part(x: Any, axis: int, part: slice) -> Any:
    """``x[..., part, ...]`` with ``part`` applied along ``axis``: an index, the same for an array and a Tensor."""
    return x[(slice(None),) * (axis % x.ndim) + (part,)]


def _reversed(x: Any, axis: int) -> Any:
    return _part(x, axis, slice(None, None, -1))


# ---- running sums and products ----------------------------------------------------------------------------------


def _cumsum_vjp(g: Any, z: Any, x: Any, *, axis: int) -> Any:
    """x_i enters every z_j with j >= i, so its adjoint is g_i + g_(i+1) + ...: a running sum from the far end."""
    return _reversed(cumsum(_reversed(g, axis), axis=axis), axis)


# An entry rather than a chain of additions: one numpy call forward and one back, and its rule is itself a cumsum.
cumsum = Primitive("cumsum", AFFINE, lambda x, *, axis: np.cumsum(x, axis=axis), _cumsum_vjp, saves={"x": ""})


def cumprod(x: Any, axis: int) -> Any:
    """z_i = x_0 x_1 ... x_i along ``axis`` (a non-negative int), for arrays and Tensors alike.

    Composed, not an entry: Hillis and Steele's scan, log2(n) steps, step d multiplying each entry by the one d
    places before it (after it, entry i holds the product of the 2d entries up to i). Its derivative is then
    multiply's rule, step by step: right where entries are 0, to every order. The textbook's written-out rule,
    sum_(j >= i) g_j z_j / x_i, divides by zero there.
    """
    n, d = x.shape[axis], 1
    while d < n:
        first, rest = _part(x, axis, slice(None, d)), _part(x, axis, slice(d, None))
        x = concatenate(first, rest * _part(x, axis, slice(None, n - d)), axis=axis)  # entry i times entry i - d
        d *= 2
    return x


def _products_of_the_others(x: Any, axes: tuple[int, ...]) -> Any:
    """For each entry, the product of the other entries of its slice along ``axes``: the product of those before
    it times the product of those after it (two running products), never a division, so zeros need no care."""
    rest = tuple(a for a in range(x.ndim) if a not in axes)
    moved = transpose(x, axes=rest + axes)  # the reduced axes last, merged into one of length n
    n = count(x.shape, axes)
    if n == 0:
        return x  # nothing to multiply: an empty gradient
    flat = reshape(moved, shape=moved.shape[: len(rest)] + (n,))
    last = len(rest)
    ones = np.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    before = cumprod(concatenate(ones, flat[..., :-1], axis=last), last)  # x_0 ... x_(i-1); 1 for the first
    after = _reversed(cumprod(concatenate(ones, _reversed(flat, last)[..., :-1], axis=last), last), last)
    return transpose(reshape(before * after, shape=moved.shape), axes=_inverse_permutation(rest + axes))


def _prod_vjp(g: Any, z: Any, x: Any, *, axis: Any, keepdims: bool) -> Any:
    """dz/dx_i is the product of the other entries (not z / x_i, which is 0 / 0 where x_i = 0)."""
    if not keepdims:
        g = reshape(g, shape=_kept_shape(x.shape, axis))
    axes = range(x.ndim) if axis is None else axis if isinstance(axis, tuple) else (axis,)
    axes = tuple(a % x.ndim for a in axes)
    return g * _products_of_the_others(x, axes)


# An entry (a product, the lectures' second kind): its forward is one numpy call, and its rule is right with zeros,
# once or several times in a slice (docs/kinks.md).
prod = Primitive("prod", PRODUCT, lambda x, *, axis, keepdims: np.multiply.reduce(x, axis=axis, keepdims=keepdims),
                 _prod_vjp, saves={"x": "x"})  # fmt: skip

# ---- spreads and sizes ------------------------------------------------------------------------------------------


def _std_vjp(g: Any, z: Any, x: Any, *, axis: Any, ddof: int, keepdims: bool) -> Any:
    """d std / dx_i = (x_i - mean) / ((N - ddof) std). Where std = 0 every x_i - mean is 0 too, and the gradient
    is 0 (PyTorch's choice), not the 0 / 0 that sqrt(var) composed would give."""
    if not keepdims:
        kept = _kept_shape(x.shape, axis)
        g, z = reshape(g, shape=kept), reshape(z, shape=kept)
    centred = x - mean(x, axis=axis, keepdims=True)
    return g * centred / ((count(x.shape, axis) - ddof) * where(z == 0, 1, z))


# An entry rather than sqrt(var): the composition's gradient at a constant slice is 0 * inf = NaN.
std = Primitive("std", COMPOSITE, lambda x, *, axis, ddof, keepdims: np.std(x, axis=axis, ddof=ddof, keepdims=keepdims),
                _std_vjp, saves={"x": "z x"})  # fmt: skip


def _norm(x: np.ndarray, *, p: float, axis: Any, keepdims: bool) -> np.ndarray:
    """(sum |x|^p)^(1/p), computed as m (sum (|x| / m)^p)^(1/p) with m the largest |x|: no power overflows."""
    a = np.abs(x)
    m = np.maximum.reduce(a, axis=axis, keepdims=True, initial=0)  # (0 for an empty slice, whose norm is 0)
    with np.errstate(invalid="ignore"):  # an infinite entry: inf / inf, replaced below
        total = np.add.reduce((a / np.where(m > 0, m, 1)) ** p, axis=axis, keepdims=keepdims)
    m = m if keepdims else m.reshape(total.shape)
    return np.where(np.isinf(m), m, m * total ** (1 / p))


def _norm_vjp(g: Any, z: Any, x: Any, *, p: float, axis: Any, keepdims: bool) -> Any:
    """d ||x||_p / dx_i = sign(x_i) (|x_i| / ||x||)^(p - 1): a ratio of at most 1 raised, so nothing overflows.
    Where the norm is 0 the gradient is 0 (PyTorch's subgradient)."""
    if not keepdims:
        kept = _kept_shape(x.shape, axis)
        g, z = reshape(g, shape=kept), reshape(z, shape=kept)
    return g * sign(x) * (absolute(x) / where(z == 0, 1, z)) ** (p - 1)


# The p-norm for a finite p > 0 (p = inf, -inf and 0 are composed in composites_reductions.py). An entry rather than
# (sum |x|^p)^(1/p) composed: that overflows for large entries, and its gradient at x = 0 is 0 * inf = NaN.
norm = Primitive("norm", COMPOSITE, _norm, _norm_vjp, saves={"x": "z x"})

# ---- positions: integer results that carry no derivative ---------------------------------------------------------

argmax = Primitive("argmax", COMPOSITE, lambda x, *, axis, keepdims: np.argmax(x, axis=axis, keepdims=keepdims))
argmin = Primitive("argmin", COMPOSITE, lambda x, *, axis, keepdims: np.argmin(x, axis=axis, keepdims=keepdims))


def _argsort(x: np.ndarray, *, axis: int, descending: bool) -> np.ndarray:
    """Stable in both directions: equal entries keep their order. Descending sorts the reversed array (stably, so
    that of equal entries the later comes first there) and reverses the result."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    return n - 1 - np.flip(np.argsort(np.flip(x, axis), axis=axis, kind="stable"), axis)


argsort = Primitive("argsort", COMPOSITE, _argsort)
