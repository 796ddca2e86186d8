"""Operations composed from primitives: their derivatives come for free from the primitives' rules.

Each is written for stability first: logsumexp shifts by the maximum, a constant of the shift-invariant result
(so it is taken from the data and carries no gradient), and never sees exp overflow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from . import primitives as P
from .primitive import COMPOSITE, Primitive, ShapeError
from .tensor import Axis, Tensor, as_tensor


def var(x: Tensor, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """sum((x - mean(x))^2) / (N - ddof) over ``axis``; for ddof >= N, a division by 0 (inf, or NaN for a
    constant slice), as numpy's and PyTorch's."""
    d = x - P.mean(x, axis=axis, keepdims=True)
    return P.sum(d * d, axis=axis, keepdims=keepdims) / max(P.count(x.shape, axis) - ddof, 0)


def _finite_max(x: np.ndarray, *, axis: Axis) -> np.ndarray:
    m = np.maximum.reduce(x, axis=axis, keepdims=True)
    if np.isfinite(np.add.reduce(m, axis=None)):  # every maximum finite: the usual case, tested in one sum
        return m
    return np.where(np.isfinite(m), m, 0)  # (or the sum overflowed: then this is right too, only slower)


# The maximum along ``axis`` (kept dims), 0 where it is infinite: the shift that keeps exp from overflowing.
# logsumexp(x - m) + m is logsumexp(x) for every constant m, so the shift needs no derivative; at an infinite
# maximum it is 0, so that inf - inf never occurs (the logsumexp of a row of -inf is -inf, not NaN). A primitive
# with no rule rather than numpy on x's array, so that the shift is a step of the trace (ag.compile replays it).
finite_max = Primitive("finite_max", COMPOSITE, _finite_max)


def logsumexp(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """log sum_i exp(x_i) = m + log sum_i exp(x_i - m): no term exceeds 1, so nothing overflows."""
    m = finite_max(x, axis=axis)
    s = P.sum(P.exp(x - m), axis=axis, keepdims=keepdims)
    return P.log(s) + (m if keepdims else m.reshape(s.shape))


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """where(x > 0, x, negative_slope * x)."""
    return P.where(x > 0, x, x * negative_slope)


def softplus(x: Tensor, beta: float = 1.0) -> Tensor:
    """log(1 + exp(beta x)) / beta."""
    return P.softplus(x) if beta == 1 else P.softplus(x * beta) / beta


_SQRT_HALF = math.sqrt(0.5)
_SQRT_TWO_OVER_PI = math.sqrt(2 / math.pi)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) for "tanh"."""
    if approximate == "none":
        return x * 0.5 * (1 + P.erf(x * _SQRT_HALF))
    if approximate == "tanh":
        return x * 0.5 * (1 + P.tanh((x + 0.044715 * x * x * x) * _SQRT_TWO_OVER_PI))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes start_dim..end_dim into one; a 0-d tensor becomes shape (1,)."""
    if x.ndim == 0:
        return P.reshape(x, shape=(1,))
    start, end = start_dim % x.ndim, end_dim % x.ndim
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {x.shape}")
    return P.reshape(x, shape=x.shape[:start] + (-1,) + x.shape[end + 1 :])


def squeeze(x: Tensor, axis: Axis = None) -> Tensor:
    """Drop axes of length 1: all of them, or those named in ``axis`` that have length 1."""
    if axis is None:
        drop = {i for i, n in enumerate(x.shape) if n == 1}
    else:
        axes = axis if isinstance(axis, tuple) else (axis,)
        for a in axes:
            if not -x.ndim <= a < max(x.ndim, 1):
                raise IndexError(f"squeeze: axis {a} out of range for a tensor of shape {x.shape}")
        drop = {a % max(x.ndim, 1) for a in axes if x.ndim and x.shape[a] == 1}
    return P.reshape(x, shape=tuple(n for i, n in enumerate(x.shape) if i not in drop))


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert an axis of length 1 at ``dim`` (negative counts from the end of the result)."""
    if not -x.ndim - 1 <= dim <= x.ndim:
        raise IndexError(f"unsqueeze: dim {dim} out of range for a tensor of shape {x.shape} (expected -{x.ndim + 1}..{x.ndim})")
    dim = dim % (x.ndim + 1)
    return P.reshape(x, shape=x.shape[:dim] + (1,) + x.shape[dim:])


def _shapes(tensors: Sequence[Tensor]) -> str:
    return ", ".join(str(t.shape) for t in tensors)


def concatenate(seq: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis (``axis=``, or PyTorch's ``dim=``); every other axis must have the same
    length in all of them."""
    axis = axis if dim is None else dim
    if len(seq) == 0:
        raise ValueError("concatenate: expected a non-empty sequence of tensors")
    tensors = [as_tensor(t) for t in seq]
    ndim = tensors[0].ndim
    if ndim == 0:
        raise ShapeError(f"concatenate: shapes {_shapes(tensors)}: 0-d tensors have no axis to join along "
                         "(use stack)")  # fmt: skip
    for t in tensors[1:]:
        if t.ndim != ndim:
            raise ShapeError(f"concatenate: shapes {_shapes(tensors)}: all inputs need the same number of "
                             f"dimensions, got {ndim} and {t.ndim}")  # fmt: skip
    if not -ndim <= axis < ndim:
        raise ShapeError(f"concatenate: shapes {_shapes(tensors)}: axis {axis} is out of range for {ndim} dimensions")
    for t in tensors[1:]:
        for d, (m, n) in enumerate(zip(tensors[0].shape, t.shape)):
            if m != n and d != axis % ndim:
                raise ShapeError(f"concatenate: shapes {_shapes(tensors)} along axis {axis}: every other dimension "
                                 f"must match, but dimension {d} is {m} and {n}")  # fmt: skip
    return P.concatenate(*tensors, axis=axis)


def stack(seq: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors of one shape along a new axis (``axis=``, or PyTorch's ``dim=``)."""
    axis = axis if dim is None else dim
    if len(seq) == 0:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    tensors = [as_tensor(t) for t in seq]
    if any(t.shape != tensors[0].shape for t in tensors[1:]):
        raise ShapeError(f"stack: shapes {_shapes(tensors)}: all inputs need the same shape")
    ndim = tensors[0].ndim
    if not -ndim - 1 <= axis <= ndim:
        raise ShapeError(f"stack: shapes {_shapes(tensors)}: axis {axis} is out of range for the result's "
                         f"{ndim + 1} dimensions")  # fmt: skip
    return P.concatenate(*[unsqueeze(t, axis) for t in tensors], axis=axis)


class ValuesIndices(NamedTuple):
    """What ``max(dim)``, ``min(dim)``, ``sort`` and ``topk`` return, as PyTorch's named tuple: the values, and
    where each came from along the axis."""

    values: Tensor
    indices: Tensor


def extremum(x: Tensor, which: str, dim: Any, keepdim: bool, axis: Axis, keepdims: bool) -> Any:
    """``x.max(...)`` / ``x.min(...)`` (``which`` names it) with PyTorch's three meanings: given a Tensor, the
    elementwise maximum / minimum; given ``dim``, ``(values, indices)`` along it; given ``axis=`` or nothing, the
    values alone. Ties share the gradient evenly in every form (docs/kinks.md)."""
    reduce, pairwise, locate = (P.amax, P.maximum, np.argmax) if which == "max" else (P.amin, P.minimum, np.argmin)
    if isinstance(dim, Tensor):
        return pairwise(x, dim)
    if dim is None:
        return reduce(x, axis=axis, keepdims=keepdims)
    if axis is not None or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{which}: dim must be one int (for a tuple of axes use {which}(axis=...)), got {dim!r}")
    if not -max(x.ndim, 1) <= dim < max(x.ndim, 1):
        raise IndexError(f"{which}: dim {dim} out of range for a tensor of shape {x.shape}")
    values = reduce(x, axis=dim, keepdims=keepdim)
    indices = locate(x._value, axis=dim, keepdims=keepdim) if x.ndim else np.zeros((), np.int64)
    return ValuesIndices(values, Tensor._make(np.asarray(indices, dtype=np.int64), None))
