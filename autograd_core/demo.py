"""The lectures' example, differentiated by the engine: ``python -m autograd_core.demo``.

f(w1, w2) = (sin(2 pi w1 / w2) + 3 w1 / w2 - exp(2 w2)) * (3 w1 / w2 - exp(2 w2))
"""

from __future__ import annotations

import math

from autograd_core import Tensor


def lecture_example(w1: Tensor, w2: Tensor) -> Tensor:
    """f(w1, w2) from the lectures on computation graphs, built from the trace's three kinds of step."""
    a = 3 * w1 / w2 - (2 * w2).exp()
    return ((2 * math.pi * w1 / w2).sin() + a) * a


def main() -> None:
    w1 = Tensor(1.5, requires_grad=True, name="w1", dtype="float64")
    w2 = Tensor(0.5, requires_grad=True, name="w2", dtype="float64")
    f = lecture_example(w1, w2)
    f.backward()
    print(f"f(w1={w1.item()}, w2={w2.item()}) = {f.item():.6f}")
    print(f"df/dw1 = {w1.grad.item():.6f}")
    print(f"df/dw2 = {w2.grad.item():.6f}")


if __name__ == "__main__":
    main()
