"""Learning-rate schedules: each sets ``group["lr"]`` of an optimizer's groups as a function of the epoch.

Call ``scheduler.step()`` once per epoch, after the optimizer's steps. A schedule starts at epoch 0 with each
group's learning rate as it was when the schedule was made (its ``base_lr``, eta_0) and gives, at epoch t:

    StepLR              eta_t = eta_0 * gamma ** (t // step_size)
    ExponentialLR       eta_t = eta_0 * gamma ** t
    LambdaLR            eta_t = eta_0 * lr_lambda(t)
    CosineAnnealingLR   eta_t = eta_min + (eta_0 - eta_min) * (1 + cos(pi * t / T_max)) / 2
    InverseTimeLR       eta_t = eta_0 / (1 + decay * t)

``ReduceLROnPlateau`` instead watches a metric, passed to ``step(metric)``, and multiplies the rates by ``factor``
when it has not improved for ``patience`` epochs. The sequences are PyTorch's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .optimizer import Optimizer


class LRScheduler:
    """Base of the epoch-indexed schedules: subclasses give ``lr_at(base_lr, epoch)``."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()  # epoch 0

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """The learning rate at ``epoch`` of a group that started at ``base_lr``."""
        raise NotImplementedError(f"{type(self).__name__} does not define its schedule (lr_at)")

    def step(self) -> None:
        """Move on one epoch and set every group's learning rate for it."""
        self.last_epoch += 1
        for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(base_lr, self.last_epoch)

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per group."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Where the schedule stands: the epoch and the base rates (its settings come from the constructor)."""
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue from what ``state_dict()`` saved."""
        self.last_epoch = state_dict["last_epoch"]
        self.base_lrs = list(state_dict["base_lrs"])


def _require(condition: bool, owner: str, what: str) -> None:
    if not condition:
        raise ValueError(f"{owner}: {what}")


class StepLR(LRScheduler):
    """``StepLR(optimizer, step_size, gamma=0.1)``: the rate is multiplied by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        valid = isinstance(step_size, int) and step_size >= 1
        _require(valid, "StepLR", f"invalid step_size={step_size!r}, expected an int >= 1")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """``ExponentialLR(optimizer, gamma)``: the rate is multiplied by ``gamma`` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = gamma
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma**epoch


class LambdaLR(LRScheduler):
    """``LambdaLR(optimizer, lr_lambda)``: the base rate times ``lr_lambda(epoch)``; one function, or one per group."""

    def __init__(
        self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]]
    ) -> None:
        groups = len(optimizer.param_groups)
        if callable(lr_lambda):
            self.lr_lambdas = [lr_lambda] * groups
        else:
            self.lr_lambdas = list(lr_lambda)
            given = len(self.lr_lambdas)
            _require(given == groups, "LambdaLR", f"expected {groups} lr_lambdas, got {given}")
        super().__init__(optimizer)

    def step(self) -> None:
        self.last_epoch += 1
        for group, base_lr, lr_lambda in zip(self.optimizer.param_groups, self.base_lrs, self.lr_lambdas):
            group["lr"] = base_lr * lr_lambda(self.last_epoch)


class CosineAnnealingLR(LRScheduler):
    """``CosineAnnealingLR(optimizer, T_max, eta_min=0)``: half a cosine from the base rate down to ``eta_min``.

    At epoch ``T_max`` the rate is ``eta_min``; after it the cosine continues, rising again over the next
    ``T_max`` epochs (PyTorch's sequence, without restarts).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        _require(T_max > 0, "CosineAnnealingLR", f"invalid T_max={T_max!r}, expected T_max > 0")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class InverseTimeLR(LRScheduler):
    """``InverseTimeLR(optimizer, decay)``: eta_t = eta_0 / (1 + decay * t), the lectures' 1/t decay."""

    def __init__(self, optimizer: Optimizer, decay: float) -> None:
        _require(decay >= 0, "InverseTimeLR", f"invalid decay={decay!r}, expected decay >= 0")
        self.decay = decay
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr / (1 + self.decay * epoch)


class ReduceLROnPlateau:
    """Multiply the learning rates by ``factor`` when a metric has stopped improving (PyTorch's rule).

    ``ReduceLROnPlateau(optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
    cooldown=0, min_lr=0, eps=1e-8)``. Each ``step(metric)`` compares the metric with the best so far: in
    ``"min"`` mode it improves when below best * (1 - threshold) (``"rel"``) or best - threshold (``"abs"``).
    After more than ``patience`` epochs without improvement every rate becomes max(lr * factor, min_lr) (changes
    smaller than ``eps`` are skipped), and the count of bad epochs pauses for ``cooldown`` epochs.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        owner = "ReduceLROnPlateau"
        _require(factor < 1.0, owner, f"invalid factor={factor!r}, expected factor < 1")
        _require(mode in ("min", "max"), owner, f"invalid mode={mode!r}, expected 'min' or 'max'")
        _require(
            threshold_mode in ("rel", "abs"), owner, f"invalid threshold_mode={threshold_mode!r}, expected 'rel' or 'abs'"
        )
        groups = len(optimizer.param_groups)
        min_lrs = [min_lr] * groups if isinstance(min_lr, (int, float)) else list(min_lr)
        _require(len(min_lrs) == groups, owner, f"expected {groups} min_lr values, got {len(min_lrs)}")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown = threshold, threshold_mode, cooldown
        self.min_lrs, self.eps = min_lrs, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def is_better(self, metric: float) -> bool:
        """Whether ``metric`` improves on the best value so far by more than the threshold."""
        relative = self.threshold_mode == "rel"
        if self.mode == "min":
            return metric < (self.best * (1 - self.threshold) if relative else self.best - self.threshold)
        return metric > (self.best * (1 + self.threshold) if relative else self.best + self.threshold)

    def step(self, metric: Any) -> None:
        """Record one epoch's ``metric`` (a number or a one-element Tensor) and reduce the rates if it is time."""
        current = float(metric)
        self.last_epoch += 1
        if self.is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

    def get_last_lr(self) -> list[float]:
        """The current learning rates, one per group."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """The counters and the best metric: what a resumed run needs to continue the same way."""
        keys = ("best", "num_bad_epochs", "cooldown_counter", "last_epoch")
        return {key: getattr(self, key) for key in keys}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue from what ``state_dict()`` saved."""
        for key, value in state_dict.items():
            setattr(self, key, value)
