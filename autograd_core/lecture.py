"""The lectures' running example of a computation graph, written with engine operations.

f(w1, w2) = (sin(2 pi w1 / w2) + 3 w1 / w2 - exp(2 w2)) * (3 w1 / w2 - exp(2 w2))
"""

from __future__ import annotations

import math

from .tensor import Tensor


def lecture_example(w1: Tensor, w2: Tensor) -> Tensor:
    """f(w1, w2) from the lectures on computation graphs, built from the trace's three kinds of step."""
    a = 3 * w1 / w2 - (2 * w2).exp()
    return ((2 * math.pi * w1 / w2).sin() + a) * a
