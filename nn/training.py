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
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from autograd_core import Tensor, no_grad
from autograd_core import compile as compile_function
from optim import Optimizer
from optim.lr_scheduler import ReduceLROnPlateau

from . import progress as bars
from .progress import plural
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


Forward = Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]


def _forward(model: Module, loss_fn: Callable[..., Tensor], compiled: bool) -> Forward:
    """A batch's (loss, outputs): ``loss_fn(model(x), y)``, recorded once per batch shape and mode and run as
    generated code when ``compiled`` (``ag.compile``)."""

    def loss_and_outputs(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        outputs = model(x)
        return loss_fn(outputs, y), outputs

    return compile_function(loss_and_outputs) if compiled else loss_and_outputs


def _batch_values(
    forward: Forward, xb: Tensor, yb: Tensor, metrics: Mapping[str, Metric]
) -> tuple[Tensor, dict[str, float]]:
    """The batch's loss node, and its value with every metric's (metrics read numpy arrays)."""
    loss, outputs = forward(xb, yb)
    scores, targets = np.asarray(outputs), np.asarray(yb)
    return loss, {"loss": loss.item()} | {name: metric(scores, targets) for name, metric in metrics.items()}


def evaluate(
    model: Module,
    loss_fn: Callable[..., Tensor],
    loader: Iterable[Any],
    metrics: Mapping[str, Metric] | None = None,
    compile: bool = False,
) -> dict[str, float]:
    """The mean loss and metrics over all of ``loader``'s batches, in eval mode (BatchNorm's running statistics,
    no dropout) and without recording a graph; the model's training mode is restored afterwards. ``compile``:
    run the model and loss as generated code (``ag.compile``)."""
    return _evaluate(model, _forward(model, loss_fn, compile), loader, metrics)


def _evaluate(
    model: Module, forward: Forward, loader: Iterable[Any], metrics: Mapping[str, Metric] | None
) -> dict[str, float]:
    was_training = model.training
    model.eval()
    means = _Means()
    with no_grad():
        for xb, yb in loader:
            means.add(len(xb), _batch_values(forward, xb, yb, metrics or {})[1])
    model.train(was_training)
    if means.count == 0:
        raise ValueError("evaluate: the loader gave no batches, so there is no loss to report")
    return means.means()


def _lr_scheduler_step(scheduler: Any, monitored: float) -> None:
    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(monitored)
    else:
        scheduler.step()


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during ``fit``: where training was, and the History of the epochs it finished (``.history``)."""

    def __init__(self, where: str, history: History) -> None:
        super().__init__(f"interrupted {where}; {plural(len(history), 'epoch')} finished")
        self.where = where
        self.history = history


def _require_batches(name: str, loader: Any) -> None:
    """A clear error for a loader that yields no batch (an empty dataset, or drop_last with fewer samples than a
    batch), which would train nothing and record no loss to monitor."""
    if hasattr(loader, "__len__") and len(loader) == 0:
        detail = ""
        if isinstance(loader, DataLoader):
            detail = (f": its dataset has {plural(len(loader.dataset), 'sample')}, batch_size={loader.batch_size}, "
                      f"drop_last={loader.drop_last}")  # fmt: skip
        raise ValueError(f"fit: {name} gives no batches{detail}; it needs at least one")


class Diverged(FloatingPointError):
    """Training made a loss or weights that are NaN or inf; ``what`` says what and where, for other front ends."""

    def __init__(self, what: str, optimizer: Optimizer) -> None:
        lr = optimizer.param_groups[0].get("lr")
        super().__init__(
            f"fit: {what}; training stopped. Try a smaller learning rate{'' if lr is None else f' (lr is {lr:g})'}, "
            "clip_grad_norm=1.0, or look for NaN or inf in the data"
        )
        self.what = what


def _finite(model: Module) -> bool:
    return all(np.isfinite(p.numpy()).all() for p in model.parameters())


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
    compile: bool = False,
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
    weights (state_dict) of its best epoch. ``progress``: a tqdm bar per epoch with the running loss and metrics,
    then a line with the epoch's values (and one saying why training stopped early); None shows them only on a
    terminal or in a notebook. ``compile``: the model and the loss are recorded on the first batch of each shape
    and mode and then run as generated code (``ag.compile``, see docs/compile.md): the same numbers, with less time
    spent outside numpy.

    Errors: a loader with no batches is a ValueError before training; a loss (or, after an epoch's last step,
    weights) that is NaN or inf stops training with ``Diverged`` (a FloatingPointError) naming the epoch and
    batch; Ctrl-C raises ``TrainingInterrupted`` (a
    KeyboardInterrupt) that says where training was and holds the History of the finished epochs.
    """
    metrics = dict(metrics or {})
    forward = _forward(model, loss_fn, compile)
    monitor = "loss" if val_loader is None else "val_loss"
    _require_batches("train_loader", train_loader)
    if val_loader is not None:
        _require_batches("val_loader", val_loader)
    history = History()
    best, best_state, best_epoch, waited = math.inf, None, 0, 0
    show = bars.wanted(progress)
    batches = len(train_loader)
    where = "before the first epoch"
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            running = _Means()
            with bars.epoch_bar(epoch, epochs, batches, show) as bar:
                for batch, (xb, yb) in enumerate(train_loader, start=1):
                    where = f"in epoch {epoch}/{epochs}, batch {batch}/{batches}"
                    loss, values = _batch_values(forward, xb, yb, metrics)
                    if not math.isfinite(values["loss"]):
                        what = f"the loss became {values['loss']} in epoch {epoch}, batch {batch} of {batches}"
                        raise Diverged(what, optimizer)
                    optimizer.zero_grad()
                    loss.backward()
                    if clip_grad_norm is not None:
                        clip_grad_norm_(model.parameters(), clip_grad_norm)
                    optimizer.step()
                    running.add(len(xb), values)
                    bars.update(bar, running.means())
                if not _finite(model):  # the last step's result, which no loss has seen yet
                    raise Diverged(f"the weights became NaN or inf in the last step of epoch {epoch}", optimizer)
                row = running.means()
                if val_loader is not None:
                    where = f"while validating after epoch {epoch}/{epochs}"
                    row |= {f"val_{k}": v for k, v in _evaluate(model, forward, val_loader, metrics).items()}
            history.append(row)
            where = f"after epoch {epoch}/{epochs}"
            bars.say(f"epoch {epoch}/{epochs}: {bars.format_values(row)}", show)
            if scheduler is not None:
                _lr_scheduler_step(scheduler, row[monitor])
            if patience is not None:
                if row[monitor] < best:  # a NaN loss is never an improvement
                    best, best_epoch, waited = row[monitor], epoch, 0
                    best_state = {name: np.array(value, copy=True) for name, value in model.state_dict().items()}
                else:
                    waited += 1
                    if waited >= patience:
                        bars.say(f"early stopping after epoch {epoch}: {monitor} has not improved on {best:.4g} "
                                 f"(epoch {best_epoch}) for {plural(patience, 'epoch')}; the weights of epoch "
                                 f"{best_epoch} are restored", show)  # fmt: skip
                        break
    except KeyboardInterrupt:
        raise TrainingInterrupted(where, history) from None
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
