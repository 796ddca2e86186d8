"""Reductions and orderings as the Tensor methods offer them: prod, std, norm, cumsum, cumprod, argmax, argmin,
sort, argsort and topk.

Each settles its arguments (a 0-d tensor reduced over axis 0 or -1 is its own reduction, as in PyTorch; numpy
would raise) and calls the derivative table's entry (primitives_reductions.py), or composes entries where one says
why: the norms p = inf, -inf, 0 are max, min and a count; sort and topk are indexing by argsort's positions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import primitives as P
from . import primitives_reductions as PR
from .composites import ValuesIndices
from .composites_shapes import one_axis, take_along_axis
from .tensor import Axis, Tensor


def reduction_axis(x: Tensor, axis: Axis) -> Axis:
    """``axis`` for reducing ``x``: None (everything) for a 0-d tensor and axis 0 or -1, as PyTorch allows."""
    if x.ndim == 0 and axis is not None:
        for a in axis if isinstance(axis, tuple) else (axis,):
            one_axis(x, a, "reduction")
        return None
    return axis


def prod(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return PR.prod(x, axis=reduction_axis(x, axis), keepdims=keepdims)


def std(x: Tensor, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    return PR.std(x, axis=reduction_axis(x, axis), ddof=ddof, keepdims=keepdims)


def norm(x: Tensor, p: Any = 2, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The p-norm of the entries (PyTorch's ``vector_norm``): (sum |x|^p)^(1/p) for p > 0, the largest |x| for
    p = inf, the smallest for -inf, the number of non-zero entries for 0; "fro" is p = 2."""
    axis = reduction_axis(x, axis)
    p = 2 if p == "fro" else p
    if p == math.inf:  # composed: max's rule already shares the gradient between tied entries
        return P.amax(P.absolute(x), axis=axis, keepdims=keepdims)
    if p == -math.inf:
        return P.amin(P.absolute(x), axis=axis, keepdims=keepdims)
    if p == 0:  # a count: composed from sign, whose zero derivative is the count's
        return P.sum(P.sign(P.absolute(x)), axis=axis, keepdims=keepdims)
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not p > 0:
        raise ValueError(f"norm: p must be a number > 0, inf, -inf, 0 or 'fro', got {p!r}")
    return PR.norm(x, p=float(p), axis=axis, keepdims=keepdims)


def _running(op: Any, x: Tensor, axis: int | None, name: str) -> Tensor:
    """A running sum or product along ``axis``: over the flattened tensor for None (numpy's rule), and over a 0-d
    tensor as one entry (PyTorch's)."""
    if axis is None:
        return op(P.reshape(x, shape=(-1,)), 0)
    if x.ndim == 0:
        one_axis(x, axis, name)
        return P.reshape(op(P.reshape(x, shape=(1,)), 0), shape=())
    return op(x, one_axis(x, axis, name))


def cumsum(x: Tensor, axis: int | None = None) -> Tensor:
    return _running(lambda t, a: PR.cumsum(t, axis=a), x, axis, "cumsum")


def cumprod(x: Tensor, axis: int | None = None) -> Tensor:
    return _running(PR.cumprod, x, axis, "cumprod")


def argmax(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return PR.argmax(x, axis=reduction_axis(x, axis), keepdims=keepdims)


def argmin(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return PR.argmin(x, axis=reduction_axis(x, axis), keepdims=keepdims)


def argsort(x: Tensor, axis: int = -1, descending: bool = False) -> Tensor:
    if x.ndim == 0:
        one_axis(x, axis, "argsort")
        return Tensor(np.zeros((), dtype=np.int64))
    return PR.argsort(x, axis=one_axis(x, axis, "argsort"), descending=descending)


def sort(x: Tensor, axis: int = -1, descending: bool = False) -> ValuesIndices:
    """The entries along ``axis`` in order, stably (equal entries keep their order), and where each came from.
    Composed: the values are x indexed at those positions, so each value's adjoint goes back to its entry."""
    indices = argsort(x, axis, descending)
    if x.ndim == 0:
        return ValuesIndices(P.reshape(x, shape=()), indices)
    return ValuesIndices(take_along_axis(x, indices._value, one_axis(x, axis, "sort")), indices)


def topk(x: Tensor, k: int, axis: int = -1, largest: bool = True) -> ValuesIndices:
    """The k largest (or smallest) entries along ``axis``, in order, and where each came from; of equal entries the
    earlier is taken first. Composed as sort is: x indexed at the first k of argsort's positions."""
    axis = one_axis(x, axis, "topk")
    n = x.shape[axis] if x.ndim else 1
    if not 0 <= k <= n or (x.ndim == 0 and k != 1):
        raise IndexError(f"topk: k = {k} is out of range for a dimension of size {n} (shape {x.shape})")
    if x.ndim == 0:  # its one entry
        return sort(x)
    first_k = argsort(x, axis, descending=largest)._value[(slice(None),) * axis + (slice(0, k),)]
    return ValuesIndices(take_along_axis(x, first_k, axis), Tensor(first_k))
