"""How values read in the trace and the drawing: scalars in full, tensors as a one-line summary."""

from __future__ import annotations

from typing import Any

import numpy as np


def number(x: Any, precision: int = 6) -> str:
    """A scalar with ``precision`` significant digits: ``0.841471``, ``-3``, ``1e-08``; booleans as True/False."""
    value = np.asarray(x).item()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.{precision}g}"


def shape_text(shape: tuple[int, ...]) -> str:
    """``scalar`` for shape (), else the shape as numpy writes it: ``(3,)``, ``(3, 4)``."""
    return "scalar" if shape == () else str(tuple(shape))


def value_text(x: Any, precision: int = 6) -> str:
    """A one-element value in full; a larger one as ``mean m, min a, max b`` (its shape is shown elsewhere)."""
    array = np.asarray(x)
    if array.size == 1:
        return number(array, precision)
    if array.size == 0:
        return "empty"
    floats = array.astype(np.float64)
    return (
        f"mean {number(floats.mean(), precision)}, min {number(floats.min(), precision)}, "
        f"max {number(floats.max(), precision)}"
    )


def count(n: int, what: str) -> str:
    """``1 input``, ``2 inputs``."""
    return f"{n} {what}" if n == 1 else f"{n} {what}s"
