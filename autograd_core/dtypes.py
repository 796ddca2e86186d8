"""The default floating-point dtype, given to Python numbers and lists of floats (float32, as in PyTorch)."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

_default = np.dtype(np.float32)


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
