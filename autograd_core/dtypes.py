"""Dtypes: PyTorch's names for numpy's dtypes, the default floating-point dtype, and PyTorch's promotion rule.

``ag.float32`` is ``np.dtype("float32")`` itself, so ``x.dtype == ag.float32`` and ``Tensor(..., dtype=ag.float32)``
mean what they mean in numpy. PyTorch's aliases are exported by ``__init__``: ``ag.float`` (float32, whatever the
default), ``ag.double`` (float64), ``ag.long`` (int64), ``ag.int`` (int32), and ``ag.bool``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

_default = float32


def set_default_dtype(dtype: DTypeLike) -> None:
    """Set the dtype that new tensors made from Python floats get: ``np.float32`` or ``np.float64``."""
    global _default
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"set_default_dtype: only float32 and float64 are supported, got {dt}")
    _default = dt


def get_default_dtype() -> np.dtype:
    """The dtype that new tensors made from Python floats get."""
    return _default


def is_floating(dtype: np.dtype) -> bool:
    """Whether tensors of ``dtype`` can carry gradients."""
    return dtype.kind == "f"


def promoted(operands: list[Any]) -> np.dtype:
    """The dtype PyTorch gives a floating result computed from ``operands``, where numpy's differs.

    The two agree except where integers (or booleans) make a float: numpy widens int64 + float32 to float64, an
    integer array with a Python float too, and sin or true division of integers gives float64. PyTorch takes the
    floating operands' dtype, or the default dtype where no operand is a floating array: int64 + float32 is
    float32, int64 + 0.5 and sin(int64) are float32 by default, int64 + float64 is float64.
    """
    floats = [x.dtype for x in operands if getattr(x, "dtype", None) is not None and x.dtype.kind == "f"]
    return np.result_type(*floats) if floats else _default
