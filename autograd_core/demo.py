"""The main demo, ``autograd-core demo`` (or ``python -m autograd_core.demo``): first the lectures' example
differentiated by the engine, then an MLP with BatchNorm and dropout trained with Adam on the digits.

f(w1, w2) = (sin(2 pi w1 / w2) + 3 w1 / w2 - exp(2 w2)) * (3 w1 / w2 - exp(2 w2))
"""

from __future__ import annotations

import math

from autograd_core import Tensor

# the training run: the same as typing "autograd-core" followed by these words
DIGITS = ["train", "--dataset", "digits", "--hidden", "128", "128", "--batchnorm", "--dropout", "0.1",
          "--optimizer", "adam", "--lr", "3e-3", "--cosine", "--epochs", "20", "--out", "out/demo"]  # fmt: skip


def lecture_example(w1: Tensor, w2: Tensor) -> Tensor:
    """f(w1, w2) from the lectures on computation graphs, built from the trace's three kinds of step."""
    a = 3 * w1 / w2 - (2 * w2).exp()
    return ((2 * math.pi * w1 / w2).sin() + a) * a


def print_lecture_example() -> None:
    w1 = Tensor(1.5, requires_grad=True, name="w1", dtype="float64")
    w2 = Tensor(0.5, requires_grad=True, name="w2", dtype="float64")
    f = lecture_example(w1, w2)
    f.backward()
    print(f"f(w1={w1.item()}, w2={w2.item()}) = {f.item():.6f}")
    print(f"df/dw1 = {w1.grad.item():.6f}")
    print(f"df/dw2 = {w2.grad.item():.6f}")


def main() -> None:
    # imported here, so that the lecture example alone does not load nn, optim, scikit-learn and matplotlib
    from autograd_core.cli import parser, train

    print_lecture_example()
    print(f"\nautograd-core {' '.join(DIGITS)}")
    train(parser().parse_args(DIGITS))


if __name__ == "__main__":
    main()
