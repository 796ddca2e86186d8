"""fit at its edges: loaders with no batches, a loss that becomes NaN or inf, Ctrl-C, early stopping's message, and
progress that fits an 80-column terminal."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tqdm import tqdm

import nn
import optim
from autograd_core import Tensor
from nn import progress
from nn.data import DataLoader, TensorDataset
from nn.datasets import make_moons
from nn.history import History
from nn.metrics import accuracy
from nn.training import TrainingInterrupted, fit

X, Y = make_moons(n_samples=100, noise=0.3, seed=0)


def _run(loader: DataLoader, epochs: int = 2, loss_fn: Any = None, lr: float = 0.1, **options: Any) -> History:
    nn.manual_seed(0)
    model = nn.MLP([2, 8, 2])
    options = {"progress": False} | options
    return fit(model, loss_fn or nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr), loader, epochs, **options)


@pytest.mark.parametrize(
    "loader, detail",
    [
        (DataLoader(TensorDataset(X[:0], Y[:0]), batch_size=4),
         "its dataset has 0 samples, batch_size=4, drop_last=False"),
        (DataLoader(TensorDataset(X[:5], Y[:5]), batch_size=8, drop_last=True),
         "its dataset has 5 samples, batch_size=8, drop_last=True"),
        ([], ""),
    ],
)  # fmt: skip
def test_a_loader_with_no_batches_is_an_error_naming_it(loader: Any, detail: str) -> None:
    message = f"fit: train_loader gives no batches{': ' + detail if detail else ''}; it needs at least one"
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _run(loader, patience=2)  # with patience, an empty History used to end in a KeyError
    full = DataLoader(TensorDataset(X, Y), batch_size=16)
    with pytest.raises(ValueError, match="fit: val_loader gives no batches: its dataset has 1 sample, batch_size"):
        _run(full, val_loader=DataLoader(TensorDataset(X[:1], Y[:1]), batch_size=2, drop_last=True), patience=2)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_loss_that_becomes_nan_or_inf_stops_training_naming_epoch_and_batch(bad: float) -> None:
    X_bad = X.copy()
    X_bad[50] = bad  # sample 50 is in batch 4 of 7 (batches of 16, in order)
    loader = DataLoader(TensorDataset(X_bad, Y), batch_size=16)
    with pytest.raises(FloatingPointError, match=r"fit: the loss became nan in epoch 1, batch 4 of 7; training "
                                                 r"stopped. Try a smaller learning rate \(lr is 0.1\), clip_grad_norm"):
        _run(loader)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_a_loss_that_overflows_stops_training() -> None:
    X_far = X * 1e30  # an MSE of 1e60 squared by the growing weights: inf within a few batches
    loader = DataLoader(TensorDataset(X_far, X_far), batch_size=16)
    with pytest.raises(FloatingPointError, match=r"fit: the loss became (inf|nan) in epoch \d+, batch \d of 7"):
        nn.manual_seed(0)
        model = nn.Linear(2, 2)
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=1.0), loader, 5, progress=False)


def test_ctrl_c_says_where_training_was_and_keeps_the_finished_epochs() -> None:
    calls = 0

    def interrupted_in_batch_3_of_epoch_2(outputs: Tensor, targets: Tensor) -> Tensor:
        nonlocal calls
        calls += 1
        if calls == 7 + 3:  # 7 batches an epoch
            raise KeyboardInterrupt
        return nn.functional.cross_entropy(outputs, targets)

    with pytest.raises(TrainingInterrupted, match=r"interrupted in epoch 2/3, batch 3/7; 1 epoch finished") as info:
        _run(DataLoader(TensorDataset(X, Y), batch_size=16), 3, interrupted_in_batch_3_of_epoch_2)
    assert isinstance(info.value, KeyboardInterrupt) and len(info.value.history) == 1


class _EveryUpdate(tqdm):
    """tqdm drawing every update, so that the test sees each line a terminal would."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, mininterval=0, miniters=1, **kwargs)


def test_progress_fits_80_columns_and_early_stopping_says_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(progress, "TextBar", _EveryUpdate)
    metrics = {"accuracy": accuracy, "balanced_accuracy": accuracy}  # long names: more than 80 columns of values
    loader, val_loader = (DataLoader(TensorDataset(X, Y), batch_size=16), DataLoader(TensorDataset(X, Y), 50))
    history = _run(loader, 100, lr=1e-12, val_loader=val_loader, metrics=metrics, patience=3, progress=True)
    assert len(history) == 4  # nothing moves: epoch 1 stays the best
    err = capsys.readouterr().err
    lines = [line for part in err.split("\n") for line in part.split("\r")]
    assert max(len(line) for line in lines) <= 80
    assert sum("loss" in line and "/7 [" in line for line in lines) >= 4 * 7  # the bar, with running values
    text = " ".join(line.strip() for line in err.split("\n"))  # the wrapped lines joined again
    assert "epoch 1/100: loss " in text and "val_balanced_accuracy" in text
    best = history["val_loss"][0]
    assert (f"early stopping after epoch 4: val_loss has not improved on {best:.4g} (epoch 1) for 3 epochs; the "
            "weights of epoch 1 are restored") in text  # fmt: skip


def test_one_epoch_is_singular() -> None:
    assert repr(History({"loss": [0.5]})) == "History(1 epoch; last: loss=0.5)"
    assert repr(History({"loss": [0.5, 0.25]})) == "History(2 epochs; last: loss=0.25)"
