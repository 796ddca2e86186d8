"""`Dropout`, in the inverted form: scaled in training so that evaluation needs no change."""

from __future__ import annotations

from autograd_core import Tensor

from . import functional as F
from .module import Module


class Dropout(Module):
    """In training, zero each entry with probability p and scale the rest by 1 / (1 - p); identity in eval."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        F.check_dropout_p("Dropout", p)
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
