"""The main demo, ``python3 -m cli.demo`` (or ``autograd-core demo``): first the lectures' example differentiated
by the engine, then an MLP with BatchNorm and dropout trained with Adam on the digits.
"""

from __future__ import annotations

import sys

from autograd_core import Tensor
from autograd_core.lecture import lecture_example

from .train import parser, run

# the training run: the same as typing "autograd-core" followed by these words
DIGITS = ["train", "--dataset", "digits", "--hidden", "128", "128", "--batchnorm", "--dropout", "0.1",
          "--optimizer", "adam", "--lr", "3e-3", "--cosine", "--epochs", "20", "--out", "out/demo"]  # fmt: skip


def print_lecture_example() -> None:
    """f(w1, w2) = (sin(2 pi w1 / w2) + 3 w1 / w2 - exp(2 w2)) * (3 w1 / w2 - exp(2 w2)) at (1.5, 0.5), and its
    gradient."""
    w1 = Tensor(1.5, requires_grad=True, name="w1", dtype="float64")
    w2 = Tensor(0.5, requires_grad=True, name="w2", dtype="float64")
    f = lecture_example(w1, w2)
    f.backward()
    print(f"f(w1={w1.item()}, w2={w2.item()}) = {f.item():.6f}")
    print(f"df/dw1 = {w1.grad.item():.6f}")
    print(f"df/dw2 = {w2.grad.item():.6f}")


def main() -> int:
    """The demo; returns the exit status of its training run."""
    print_lecture_example()
    print(f"\nautograd-core {' '.join(DIGITS)}")
    return run(parser().parse_args(DIGITS))


if __name__ == "__main__":
    sys.exit(main())
