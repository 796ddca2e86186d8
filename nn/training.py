"""`fit`: the usual training loop, written once — and short enough to read as the loop it replaces.

>>> history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3),
...               train_loader, epochs=30, val_loader=val_loader, metrics={"accuracy": accuracy}, patience=5)
>>> history.plot("curves.png")

is, without the progress bar, early stopping and bookkeeping:

    for epoch in range(epochs):
        model.train()
        for xb, yb in train_loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        evaluate(model, loss_fn, val_loader)
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from autograd_core import Tensor, no_grad
from optim import Optimizer
from optim.lr_scheduler import ReduceLROnPlateau

from .data import DataLoader
from .history import History
from .module import Module
from .utils import clip_grad_norm_

Metric = Callable[[np.ndarray, np.ndarray], float]


class _Means:
    """Running means of the loss and the metrics over an epoch's batches, weighted by the batch sizes."""

    def __init__(self) -> None:
        self.count = 0
        self.sums: dict[str, float] = {}

    def add(self, batch_size: int, values: Mapping[str, float]) -> None:
        self.count += batch_size
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + batch_size * value

    def means(self) -> dict[str, float]:
        return {name: total / self.count for name, total in self.sums.items()}


def _batch_values(
    model: Module, loss_fn: Callable[..., Tensor], xb: Tensor, yb: Tensor, metrics: Mapping[str, Metric]
) -> tuple[Tensor, dict[str, float]]:
    """The batch's loss node, and its value with every metric's (metrics read numpy arrays)."""
    outputs = model(xb)
    loss = loss_fn(outputs, yb)
    scores, targets = np.asarray(outputs), np.asarray(yb)
    return loss, {"loss": loss.item()} | {name: metric(scores, targets) for name, metric in metrics.items()}


def evaluate(
    model: Module, loss_fn: Callable[..., Tensor], loader: Iterable[Any], metrics: Mapping[str, Metric] | None = None
) -> dict[str, float]:
    """The mean loss and metrics over all of ``loader``'s batches, in eval mode (BatchNorm's running statistics,
    no dropout) and without recording a graph; the model's training mode is restored afterwards."""
    was_training = model.training
    model.eval()
    means = _Means()
    with no_grad():
        for xb, yb in loader:
            means.add(len(xb), _batch_values(model, loss_fn, xb, yb, metrics or {})[1])
    model.train(was_training)
    return means.means()


def _progress_wanted(progress: bool | None) -> bool:
    """On when asked; by default only where someone watches: a terminal (tqdm writes to stderr) or a notebook."""
    if progress is not None:
        return progress
    return sys.stderr.isatty() or "ipykernel" in sys.modules


def _lr_scheduler_step(scheduler: Any, monitored: float) -> None:
    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(monitored)
    else:
        scheduler.step()


def fit(
    model: Module,
    loss_fn: Callable[..., Tensor],
    optimizer: Optimizer,
    train_loader: DataLoader,
    epochs: int,
    val_loader: Iterable[Any] | None = None,
    scheduler: Any = None,
    metrics: Mapping[str, Metric] | None = None,
    patience: int | None = None,
    clip_grad_norm: float | None = None,
    progress: bool | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``; returns the History of every metric.

    Each batch ``(xb, yb)`` (Tensors) gives ``loss = loss_fn(model(xb), yb)``; then
    ``optimizer.zero_grad()``, ``loss.backward()``, gradient clipping to total norm ``clip_grad_norm`` if given
    (``nn.utils.clip_grad_norm_``), ``optimizer.step()``. After each epoch: the loss and ``metrics`` (name ->
    ``metric(outputs, targets)``, e.g. ``{"accuracy": nn.metrics.accuracy}``) on ``val_loader`` if given (as
    ``"val_loss"``, ``"val_accuracy"``, ...), then ``scheduler.step()`` (``ReduceLROnPlateau`` is given the
    monitored loss).

    Early stopping: with ``patience``, training stops after ``patience`` epochs in a row without a new lowest
    monitored loss (``val_loss``, or the training ``loss`` without a val_loader), and the model gets back the
    weights (state_dict) of its best epoch. ``progress``: a tqdm bar per epoch with the running loss and metrics;
    None shows it only on a terminal or in a notebook.
    """
    metrics = dict(metrics or {})
    monitor = "loss" if val_loader is None else "val_loss"
    history = History()
    best, best_state, waited = math.inf, None, 0
    show = _progress_wanted(progress)
    for epoch in range(1, epochs + 1):
        model.train()
        bar = tqdm(total=len(train_loader), desc=f"epoch {epoch}/{epochs}", unit="batch", disable=not show)
        running = _Means()
        for xb, yb in train_loader:
            loss, values = _batch_values(model, loss_fn, xb, yb, metrics)
            optimizer.zero_grad()
            loss.backward()
            if clip_grad_norm is not None:
                clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            running.add(len(xb), values)
            bar.set_postfix(running.means(), refresh=False)
            bar.update()
        row = running.means()
        if val_loader is not None:
            row |= {f"val_{name}": value for name, value in evaluate(model, loss_fn, val_loader, metrics).items()}
        bar.set_postfix(row)
        bar.close()
        history.append(row)
        if scheduler is not None:
            _lr_scheduler_step(scheduler, row[monitor])
        if patience is not None:
            if row[monitor] < best:  # a NaN loss is never an improvement
                best, waited = row[monitor], 0
                best_state = {name: np.array(value, copy=True) for name, value in model.state_dict().items()}
            else:
                waited += 1
                if waited >= patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
