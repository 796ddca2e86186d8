"""Linear algebra composed from the derivative table: outer, dot, tensordot, einsum, trace, diagonal, diag, tril
and triu.

Products go through matmul and einsum (entries whose rules are products again); picking a diagonal is indexing,
placing one is ``scatter``, and a triangle is ``where`` with a fixed mask, so each adjoint is already known. The
meanings are PyTorch's: ``dot`` and ``outer`` take 1-D tensors, ``trace`` a 2-D one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import primitives as P
from . import primitives_linalg as PL
from .composites_shapes import one_axis
from .primitive import ShapeError
from .tensor import Tensor, as_tensor


def _vectors(name: str, a: Tensor, b: Tensor) -> None:
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"{name}: expected two 1-D tensors, got shapes {a.shape} and {b.shape}")


def _matrices(name: str, x: Tensor) -> None:
    if x.ndim < 2:
        raise ShapeError(f"{name}: expected a tensor of at least 2 dimensions, got shape {x.shape}")


def outer(a: Tensor, b: Tensor) -> Tensor:
    """out[i, j] = a[i] b[j] for 1-D a (n,) and b (m,): shape (n, m). A column times a row, broadcast."""
    _vectors("outer", a, b)
    return P.multiply(P.reshape(a, shape=(-1, 1)), b)


def dot(a: Tensor, b: Tensor) -> Tensor:
    """sum_i a[i] b[i] for 1-D tensors of one length: a 0-d tensor (matmul of two vectors)."""
    _vectors("dot", a, b)
    if a.shape != b.shape:
        raise ShapeError(f"dot: the vectors have lengths {a.shape[0]} and {b.shape[0]}")
    return P.matmul(a, b)


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """numpy's einsum on Tensors (any subscripts numpy accepts, "..." and implicit outputs included); PyTorch's
    form ``einsum(subscripts, [a, b])`` works too. See primitives_linalg.py for its rule."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)) and all(isinstance(o, Tensor) for o in operands[0]):
        operands = tuple(operands[0])  # PyTorch's list of operands
    tensors = [as_tensor(o) for o in operands]
    return PL.einsum(*tensors, subscripts=PL.explicit_subscripts(subscripts, [t.shape for t in tensors]))


def _paired_axes(a: Tensor, b: Tensor, dims: Any) -> tuple[list[int], list[int]]:
    """tensordot's ``dims``: an int n (the last n axes of a with the first n of b) or two lists of axes."""
    if isinstance(dims, (int, np.integer)):
        if not 0 <= dims <= min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: cannot sum over {dims} axes of tensors of shapes {a.shape} and {b.shape}")
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    axes_a, axes_b = dims
    axes_a = [one_axis(a, d, "tensordot") for d in np.atleast_1d(axes_a).tolist()]
    axes_b = [one_axis(b, d, "tensordot") for d in np.atleast_1d(axes_b).tolist()]
    if [a.shape[i] for i in axes_a] != [b.shape[i] for i in axes_b]:
        raise ShapeError(f"tensordot: axes {axes_a} of shape {a.shape} and {axes_b} of shape {b.shape} differ in length")
    return axes_a, axes_b


def tensordot(a: Any, b: Any, dims: Any = 2, *, axes: Any = None) -> Tensor:
    """Sum of a * b over paired axes (PyTorch's ``dims=``, numpy's ``axes=``): the free axes of a, then of b.
    Composed as an einsum whose paired axes share letters."""
    a, b = as_tensor(a), as_tensor(b)
    axes_a, axes_b = _paired_axes(a, b, dims if axes is None else axes)
    letters = iter(PL.LETTERS)
    names_a = [next(letters) for _ in range(a.ndim)]
    names_b = [names_a[axes_a[axes_b.index(i)]] if i in axes_b else next(letters) for i in range(b.ndim)]
    free = [n for i, n in enumerate(names_a) if i not in axes_a] + [n for i, n in enumerate(names_b) if i not in axes_b]
    return einsum(f"{''.join(names_a)},{''.join(names_b)}->{''.join(free)}", a, b)


def diagonal(x: Tensor, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The entries x[..., i, i + offset] of the plane (axis1, axis2), as a last axis (numpy's and PyTorch's
    diagonal). Both axes are moved last, then indexed with the diagonal's positions."""
    _matrices("diagonal", x)
    first, second = one_axis(x, axis1, "diagonal"), one_axis(x, axis2, "diagonal")
    if first == second:
        raise ValueError(f"diagonal: the two axes must differ, got {axis1} and {axis2}")
    rest = tuple(a for a in range(x.ndim) if a not in (first, second))
    n, m = x.shape[first], x.shape[second]
    length = max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))
    rows, cols = np.arange(length) + max(-offset, 0), np.arange(length) + max(offset, 0)
    return P.getitem(P.transpose(x, axes=(*rest, first, second)), index=(Ellipsis, rows, cols))


def trace(x: Tensor) -> Tensor:
    """The sum of the main diagonal of a 2-D tensor (PyTorch's trace)."""
    if x.ndim != 2:
        raise ShapeError(f"trace: expected a 2-D tensor, got shape {x.shape}")
    return P.sum(diagonal(x), axis=None, keepdims=False)


def diag(x: Tensor, k: int = 0) -> Tensor:
    """From a 1-D tensor, the square matrix with it on diagonal ``k`` (placed by scatter); from a 2-D tensor, its
    diagonal ``k`` (numpy's and PyTorch's diag)."""
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ShapeError(f"diag: expected a 1-D or 2-D tensor, got shape {x.shape}")
    n = x.shape[0] + abs(k)
    rows, cols = np.arange(x.shape[0]) + max(-k, 0), np.arange(x.shape[0]) + max(k, 0)
    return P.scatter(x, shape=(n, n), index=(rows, cols), unique=True)


def tril(x: Tensor, k: int = 0) -> Tensor:
    """The entries on and below diagonal ``k`` of the last two axes, zeros above: ``where`` with a fixed mask, so
    the adjoint passes where the entry was kept."""
    _matrices("tril", x)
    return P.where(np.tri(*x.shape[-2:], k, dtype=bool), x, 0)


def triu(x: Tensor, k: int = 0) -> Tensor:
    """The entries on and above diagonal ``k`` of the last two axes, zeros below."""
    _matrices("triu", x)
    return P.where(~np.tri(*x.shape[-2:], k - 1, dtype=bool), x, 0)
