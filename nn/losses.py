"""Loss layers: each holds its options and calls the function of the same name in nn.functional."""

from __future__ import annotations

import numpy as np

from autograd_core import Tensor

from . import functional as F
from .module import Module

Target = Tensor | np.ndarray


class _Loss(Module):
    """Holds ``reduction`` ("mean", "sum" or "none"), checked when the loss is made."""

    _reductions = F.REDUCTIONS

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F.check_reduction(type(self).__name__, reduction, self._reductions)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """(x - y)^2 per element."""

    def forward(self, input: Tensor, target: Target) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """|x - y| per element."""

    def forward(self, input: Tensor, target: Target) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """Quadratic for |x - y| < delta, linear beyond."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Target) -> Tensor:
        return F.huber_loss(input, target, self.reduction, self.delta)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits against class indices or class probabilities, with optional label smoothing."""

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Target) -> Tensor:
        return F.cross_entropy(input, target, self.reduction, self.label_smoothing)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, label_smoothing={self.label_smoothing}"


class NLLLoss(_Loss):
    """-input[target] for log-probabilities input and class-index targets."""

    def forward(self, input: Tensor, target: Target) -> Tensor:
        return F.nll_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities."""

    def forward(self, input: Tensor, target: Target) -> Tensor:
        return F.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits, computed stably; ``pos_weight`` weights the positive term."""

    def __init__(self, reduction: str = "mean", pos_weight: Target | None = None) -> None:
        super().__init__(reduction)
        self.pos_weight = pos_weight

    def forward(self, input: Tensor, target: Target) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.reduction, self.pos_weight)


class KLDivLoss(_Loss):
    """KL(target || exp(input)) for log-probabilities input; "batchmean" (the default) is the true KL per sample."""

    _reductions = (*F.REDUCTIONS, "batchmean")

    def __init__(self, reduction: str = "batchmean", log_target: bool = False) -> None:
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Target) -> Tensor:
        return F.kl_div(input, target, self.reduction, self.log_target)
