"""Factories with PyTorch's names and signatures: ``ag.tensor``, ``zeros``, ``ones``, ``full``, ``empty``, the
``*_like`` forms, the random ``rand``, ``randn``, ``randint``, ``randperm``, ``normal``, and ``arange``,
``linspace``, ``eye``.

Each takes ``dtype=`` and ``requires_grad=``; a shape is given as ``zeros(2, 3)`` or ``zeros((2, 3))``. Floating
results get the default dtype (float32, see ``ag.set_default_dtype``) unless ``dtype`` says otherwise; integer
ones are int64, as in PyTorch. Random draws come from ``ag.default_generator`` (rng.py), so ``ag.manual_seed``
makes them repeat; ``generator=`` takes a ``np.random.Generator`` of one's own.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from . import rng
from .dtypes import get_default_dtype
from .tensor import Tensor

Shape = tuple[int, ...]


def _shape(name: str, size: tuple[Any, ...]) -> Shape:
    """``zeros(2, 3)``, ``zeros((2, 3))`` and ``zeros([2, 3])`` alike: the sizes as a tuple of ints >= 0."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    try:
        shape = tuple(operator.index(n) for n in size)
    except TypeError:
        raise TypeError(f"{name}: the size must be integers, got {size!r}") from None
    if any(n < 0 for n in shape):
        raise RuntimeError(f"{name}: every size must be non-negative, got {shape}")
    return shape


def _make(array: np.ndarray, requires_grad: bool) -> Tensor:
    """The new leaf over ``array`` (no copy: it was made for it); only a floating one may require grad."""
    leaf = Tensor._make(array, None)
    return leaf.requires_grad_() if requires_grad else leaf


def _float_dtype(dtype: DTypeLike | None) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def tensor(data: Any, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A new leaf holding a copy of ``data`` (a number, a nested list, an array or a Tensor).

    Python floats get the default dtype, Python ints int64, bools bool; numpy arrays keep their dtype.
    """
    if isinstance(data, Tensor):
        data = data.numpy()
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*size: Any, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of 0s of the given shape."""
    return _make(np.zeros(_shape("zeros", size), _float_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of 1s of the given shape."""
    return _make(np.ones(_shape("ones", size), _float_dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given shape whose values are whatever the memory held (fill it before reading it)."""
    return _make(np.empty(_shape("empty", size), _float_dtype(dtype)), requires_grad)


def _fill_dtype(fill_value: Any, dtype: DTypeLike | None) -> np.dtype:
    """PyTorch's dtype for ``full``: as asked, else from the fill value (bool, int64, or the default float)."""
    if dtype is not None:
        return np.dtype(dtype)
    if isinstance(fill_value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(fill_value, (int, np.integer)):
        return np.dtype(np.int64)
    return get_default_dtype()


def full(size: Any, fill_value: Any, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``; its dtype follows the value (int 3 gives int64)."""
    shape = _shape("full", size if isinstance(size, (tuple, list)) else (size,))
    return _make(np.full(shape, fill_value, _fill_dtype(fill_value, dtype)), requires_grad)


def _like(name: str, like: Any, dtype: DTypeLike | None) -> tuple[Shape, np.dtype]:
    if not isinstance(like, (Tensor, np.ndarray)):
        raise TypeError(f"{name}: expected a Tensor, got {type(like).__name__}")
    return like.shape, np.dtype(like.dtype if dtype is None else dtype)


def zeros_like(input: Any, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """0s of ``input``'s shape and dtype."""
    return _make(np.zeros(*_like("zeros_like", input, dtype)), requires_grad)


def ones_like(input: Any, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """1s of ``input``'s shape and dtype."""
    return _make(np.ones(*_like("ones_like", input, dtype)), requires_grad)


def full_like(input: Any, fill_value: Any, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` in ``input``'s shape and dtype."""
    shape, dt = _like("full_like", input, dtype)
    return _make(np.full(shape, fill_value, dt), requires_grad)


# ---- random draws -----------------------------------------------------------------------------------------------


def _draw(draw: Any, shape: Shape, dtype: np.dtype) -> np.ndarray:
    """numpy draws float32 and float64 directly (the same stream as PyTorch draws in its dtype); others by cast."""
    if dtype in (np.float32, np.float64):
        return draw(shape, dtype=dtype)
    return draw(shape).astype(dtype)


def rand(*size: Any, dtype: DTypeLike | None = None, requires_grad: bool = False,
         generator: np.random.Generator | None = None) -> Tensor:  # fmt: skip
    """Draws from the uniform distribution on [0, 1)."""
    gen = generator or rng.default_generator
    return _make(_draw(gen.random, _shape("rand", size), _float_dtype(dtype)), requires_grad)


def randn(*size: Any, dtype: DTypeLike | None = None, requires_grad: bool = False,
          generator: np.random.Generator | None = None) -> Tensor:  # fmt: skip
    """Draws from the standard normal distribution N(0, 1)."""
    gen = generator or rng.default_generator
    return _make(_draw(gen.standard_normal, _shape("randn", size), _float_dtype(dtype)), requires_grad)


def randint(*args: Any, size: Any = None, dtype: DTypeLike | None = None, requires_grad: bool = False,
            generator: np.random.Generator | None = None) -> Tensor:  # fmt: skip
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or ``randint(low, high, size)`` (int64)."""
    if size is None:
        *bounds, size = args
    else:
        bounds = list(args)
    if len(bounds) not in (1, 2):
        raise TypeError(f"randint: expected randint(high, size) or randint(low, high, size), got {len(args)} arguments")
    low, high = (0, bounds[0]) if len(bounds) == 1 else bounds
    if not low < high:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    shape = _shape("randint", size if isinstance(size, (tuple, list)) else (size,))
    values = (generator or rng.default_generator).integers(low, high, shape, dtype=np.int64)
    return _make(values.astype(np.dtype(np.int64 if dtype is None else dtype)), requires_grad)


def randperm(n: int, *, dtype: DTypeLike | None = None, generator: np.random.Generator | None = None) -> Tensor:
    """A random permutation of 0 .. n-1 (int64)."""
    order = (generator or rng.default_generator).permutation(operator.index(n))
    return _make(order.astype(np.dtype(np.int64 if dtype is None else dtype)), False)


def normal(mean: Any, std: Any, size: Any = None, *, requires_grad: bool = False,
           generator: np.random.Generator | None = None) -> Tensor:  # fmt: skip
    """Draws from N(mean, std^2): ``normal(0.0, 1.0, size)`` for numbers, or elementwise for Tensor means / stds
    (the result has their broadcast shape and floating dtype)."""
    gen = generator or rng.default_generator
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if tensors:
        mean_, std_ = np.asarray(mean), np.asarray(std)
        dtype = np.result_type(*[t.dtype for t in tensors])
        shape = np.broadcast_shapes(mean_.shape, std_.shape)
    elif size is None:
        raise TypeError("normal: give size= for a number mean and std (normal(0.0, 1.0, (2, 3)))")
    else:
        mean_, std_, dtype = mean, std, get_default_dtype()
        shape = _shape("normal", size if isinstance(size, (tuple, list)) else (size,))
    if np.any(np.asarray(std_) < 0):
        raise RuntimeError(f"normal: expected std >= 0, got {std_}")
    values = mean_ + std_ * _draw(gen.standard_normal, shape, np.dtype(dtype))
    return _make(np.asarray(values, dtype=dtype), requires_grad)


# ---- ranges -----------------------------------------------------------------------------------------------------


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: DTypeLike | None = None,
           requires_grad: bool = False) -> Tensor:  # fmt: skip
    """start, start + step, ... up to but excluding ``end`` (``arange(n)`` is 0 .. n-1): int64 when every bound
    is an integer, else the default float dtype. The values are computed in float64, as start + i * step."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    target = np.dtype(dtype) if dtype is not None else np.dtype(np.int64) if integral else get_default_dtype()
    count = max(0, math.ceil((end - start) / step))
    values = start + np.arange(count, dtype=np.float64 if not integral else np.int64) * step
    return _make(values.astype(target), requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: DTypeLike | None = None,
             requires_grad: bool = False) -> Tensor:  # fmt: skip
    """``steps`` evenly spaced values from ``start`` to ``end``, both included (computed in float64)."""
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    values = np.linspace(start, end, int(steps), dtype=np.float64)
    return _make(values.astype(_float_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, *, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """The n x m matrix with 1s on the diagonal and 0s elsewhere (n x n without ``m``)."""
    return _make(np.eye(n, n if m is None else m, dtype=_float_dtype(dtype)), requires_grad)
