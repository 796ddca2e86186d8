"""nn.training.fit against the explicit loop it replaces, early stopping, clipping, schedulers, History and its
files, the autograd-core command end to end, and the main demo's accuracy on digits."""

from __future__ import annotations

import io
import json
import math
import tomllib
from importlib import import_module
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
import safetensors.torch
import sklearn.metrics
import torch
from sklearn.model_selection import train_test_split

import nn
import optim
from autograd_core import Tensor
from cli import demo
from cli.main import main
from cli.train import parser, train
from nn.data import DataLoader, TensorDataset
from nn.datasets import make_moons
from nn.history import History
from nn.metrics import accuracy
from nn.training import evaluate, fit

ROOT = Path(__file__).resolve().parent.parent


def _moons(n_train: int = 120, seed: int = 0) -> tuple[DataLoader, DataLoader, tuple[np.ndarray, np.ndarray]]:
    X, y = make_moons(n_samples=n_train + 200, noise=0.3, seed=seed)
    train_loader = DataLoader(TensorDataset(X[:n_train], y[:n_train]), batch_size=16, shuffle=True, seed=seed)
    return train_loader, DataLoader(TensorDataset(X[n_train:], y[n_train:]), batch_size=64), (X[n_train:], y[n_train:])


def _model(seed: int = 0, hidden: int = 16) -> nn.MLP:
    nn.manual_seed(seed)
    return nn.MLP([2, hidden, hidden, 2])


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z.astype(np.float64) - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


# ---- fit is the explicit loop --------------------------------------------------------------------------------------
def test_fit_records_what_the_explicit_loop_computes() -> None:
    epochs = 3
    train_loader, val_loader, (X_val, y_val) = _moons()
    model = _model()
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), train_loader, epochs,
                  val_loader=val_loader, metrics={"accuracy": accuracy}, progress=False)  # fmt: skip

    # the same run written out by hand (same seeds: same initial weights, same shuffles)
    train_loader, _, _ = _moons()
    twin = _model()
    opt = optim.Adam(twin.parameters(), lr=0.01)
    losses, accs = [], []
    for _ in range(epochs):
        twin.train()
        total = correct = count = 0.0
        for xb, yb in train_loader:
            out = twin(xb)  # batches are Tensors
            loss = nn.CrossEntropyLoss()(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
            correct += (out.argmax(1) == yb).sum().item()
            count += len(yb)
        losses.append(total / count)
        accs.append(correct / count)

    assert list(history) == ["loss", "accuracy", "val_loss", "val_accuracy"] and len(history) == epochs
    np.testing.assert_allclose(history["loss"], losses, rtol=1e-6)
    np.testing.assert_allclose(history["accuracy"], accs, rtol=1e-12)
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # validation: cross-entropy and accuracy of the final model in eval mode, computed here with numpy
    twin.eval()
    logits = twin(Tensor(X_val)).numpy()
    np.testing.assert_allclose(history["val_loss"][-1], -_log_softmax(logits)[np.arange(len(y_val)), y_val].mean(),
                               rtol=1e-5)  # fmt: skip
    assert history["val_accuracy"][-1] == pytest.approx(np.mean(logits.argmax(axis=1) == y_val), abs=1e-12)
    assert model.training  # fit leaves the model in training mode


def test_evaluate_uses_eval_mode_and_restores_the_mode() -> None:
    _, val_loader, (X_val, y_val) = _moons()
    nn.manual_seed(1)
    model = nn.MLP([2, 8, 2], dropout=0.5)
    model.eval()
    expected = -_log_softmax(model(Tensor(X_val)).numpy())[np.arange(len(y_val)), y_val].mean()
    model.train()
    result = evaluate(model, nn.CrossEntropyLoss(), val_loader)
    assert result["loss"] == pytest.approx(expected, rel=1e-5)  # no dropout: the same as eval mode by hand
    assert model.training


def test_accuracy_matches_sklearn_for_multiclass_and_binary() -> None:
    rng = np.random.default_rng(0)
    logits, y = rng.standard_normal((50, 4)), rng.integers(0, 4, 50)
    assert accuracy(logits, y) == pytest.approx(sklearn.metrics.accuracy_score(y, logits.argmax(axis=1)))
    z, t = rng.standard_normal((50, 1)), rng.integers(0, 2, (50, 1)).astype(np.float32)
    assert accuracy(z, t) == pytest.approx(sklearn.metrics.accuracy_score(t.ravel(), (z.ravel() > 0)))
    with pytest.raises(ValueError, match=r"accuracy: 50 predictions .* targets of shape \(49,\)"):
        accuracy(logits, y[:49])


# ---- early stopping ------------------------------------------------------------------------------------------------
def test_early_stopping_stops_after_patience_and_restores_the_best_weights() -> None:
    patience, epochs = 3, 60

    def run(n_epochs: int, patience: int | None) -> tuple[nn.MLP, History]:
        train_loader, val_loader, _ = _moons(n_train=30)
        model = _model(hidden=64)  # 30 noisy samples, a wide net, a big step: it overfits within a few epochs
        history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), train_loader, n_epochs,
                      val_loader=val_loader, patience=patience, progress=False)  # fmt: skip
        return model, history

    model, history = run(epochs, patience)
    best = history.best_epoch("val_loss")
    assert len(history) == best + patience < epochs  # stopped: `patience` epochs in a row without a new best
    assert min(history["val_loss"][best:]) >= history["val_loss"][best - 1]
    # the weights are those after the best epoch: the same as a run that simply stopped there
    reference, _ = run(best, None)
    for key, value in reference.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key], value, err_msg=key)
    _, val_loader, _ = _moons(n_train=30)
    assert evaluate(model, nn.CrossEntropyLoss(), val_loader)["loss"] == pytest.approx(min(history["val_loss"]))


def test_early_stopping_without_validation_monitors_the_training_loss() -> None:
    train_loader, _, _ = _moons()
    model = _model()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0), train_loader, 10,
                  patience=2, progress=False)  # fmt: skip
    # lr = 0: the weights never change, the loss only moves with the shuffles; it stops 2 epochs after its minimum
    assert len(history) == history.best_epoch("loss") + 2 <= 10


# ---- clipping and schedulers -------------------------------------------------------------------------------------
def test_gradient_clipping_bounds_the_step(float64: None) -> None:
    X, y = make_moons(n_samples=64, noise=0.2, seed=3)
    loader = DataLoader(TensorDataset(X, y), batch_size=64)
    for max_norm in (1e-3, None):
        model = _model()
        before = [p.numpy().copy() for p in model.parameters()]
        loss = nn.CrossEntropyLoss()(model(Tensor(X)), Tensor(y))
        loss.backward()
        grads = [p.grad.numpy().astype(np.float64) for p in model.parameters()]
        norm = math.sqrt(sum(np.sum(g * g) for g in grads))
        model.zero_grad()
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=1.0), loader, 1, clip_grad_norm=max_norm,
            progress=False)  # fmt: skip
        scale = 1.0 if max_norm is None else min(1.0, max_norm / (norm + 1e-6))  # PyTorch's clip_grad_norm_
        for b, p, g in zip(before, model.parameters(), grads, strict=True):
            np.testing.assert_allclose(b - p.numpy(), scale * g, rtol=1e-9, atol=1e-15)
    assert norm > 1e-2  # so the clipped run really was clipped


def test_scheduler_steps_once_per_epoch() -> None:
    train_loader, _, _ = _moons()
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    fit(model, nn.CrossEntropyLoss(), opt, train_loader, 3, scheduler=optim.lr_scheduler.StepLR(opt, 1, gamma=0.5),
        progress=False)  # fmt: skip
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**3)


def test_reduce_on_plateau_is_given_the_monitored_loss() -> None:
    train_loader, val_loader, _ = _moons()
    model = _model()
    opt = optim.SGD(model.parameters(), lr=1e-12)  # the weights (and so val_loss) do not move: a plateau
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    fit(model, nn.CrossEntropyLoss(), opt, train_loader, 4, val_loader=val_loader, scheduler=plateau, progress=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-12 * 0.5**3)  # epochs 2, 3, 4 saw no improvement


# ---- progress bar --------------------------------------------------------------------------------------------------
def test_progress_shows_each_epochs_values_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    train_loader, val_loader, _ = _moons()
    model = _model()
    run = dict(metrics={"accuracy": accuracy}, val_loader=val_loader)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), train_loader, 2, progress=True, **run)
    err = capsys.readouterr().err
    for epoch in (1, 2):
        row = {name: values[epoch - 1] for name, values in history.metrics.items()}
        assert f"epoch {epoch}/2: " + ", ".join(f"{k} {v:.4g}" for k, v in row.items()) + "\n" in err
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), train_loader, 2, **run)  # not a terminal
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), train_loader, 2, progress=False, **run)
    assert capsys.readouterr().err == ""


# ---- History and its files -----------------------------------------------------------------------------------------
def _history() -> History:
    history = History()
    for epoch in range(5):
        history.append({
            "loss": 1 / (epoch + 1), "accuracy": 0.5 + 0.1 * epoch,
            "val_loss": 1.2 / (epoch + 1) + 0.01 * epoch**2, "val_accuracy": 0.45 + 0.1 * epoch,
        })  # fmt: skip
    return history


def test_history_plot_draws_every_curve_and_saves_a_png(tmp_path: Path) -> None:
    history = _history()
    figure = history.plot(tmp_path / "curves.png")
    panels = {ax.get_title(): ax for ax in figure.axes}
    assert set(panels) == {"loss", "accuracy"}
    for name, ax in panels.items():
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert set(lines) == {"train", "validation"}
        np.testing.assert_array_equal(lines["train"].get_xdata(), [1, 2, 3, 4, 5])
        np.testing.assert_array_equal(lines["train"].get_ydata(), history[name])
        np.testing.assert_array_equal(lines["validation"].get_ydata(), history[f"val_{name}"])
    image = matplotlib.image.imread(tmp_path / "curves.png")
    width, height = figure.get_size_inches() * 100
    assert image.shape[:2] == (round(height), round(width)) and image.std() > 0  # a drawn PNG, not a blank one
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]  # no temporary file left behind
    inline = matplotlib.image.imread(io.BytesIO(history._repr_png_()))  # what Jupyter shows for the History
    np.testing.assert_array_equal(inline, image)


def test_history_saves_and_loads_json(tmp_path: Path) -> None:
    history = _history()
    history.append({"loss": math.nan, "accuracy": 0.1, "val_loss": math.inf, "val_accuracy": 0.1})
    history.save(tmp_path / "history.json")
    data = json.loads((tmp_path / "history.json").read_text())
    assert data["accuracy"] == history["accuracy"] and data["loss"][-1] is None and data["val_loss"][-1] is None
    loaded = History.load(tmp_path / "history.json")
    assert loaded["accuracy"] == history["accuracy"] and math.isnan(loaded["loss"][-1])
    assert loaded.best_epoch("loss") == 5 and _history().best_epoch("val_loss") == 4


def test_history_rejects_an_epoch_with_other_metrics() -> None:
    with pytest.raises(ValueError, match="History.append"):
        _history().append({"loss": 1.0})


# ---- the command ---------------------------------------------------------------------------------------------------
def test_entry_point_is_installed_with_the_package() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = scripts["autograd-core"].split(":")
    assert getattr(import_module(module), function) is main


def test_command_trains_and_writes_model_curves_and_graph(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    argv = ["train", "--dataset", "moons", "--samples", "300", "--noise", "0.2", "--hidden", "16", "--batchnorm",
            "--epochs", "4", "--lr", "0.02", "--seed", "5", "--out", str(out), "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    reported = float(printed.split("test accuracy ")[1].split("%")[0]) / 100
    assert sorted(p.name for p in out.iterdir()) == ["curves.png", "graph.svg", "history.json", "model.safetensors"]

    # the model file loads into the equal PyTorch model, which gets the reported accuracy on the same test split
    X, y = make_moons(n_samples=300, noise=0.2, seed=5)
    _, X_test, _, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=5)
    twin = torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(), torch.nn.Linear(16, 2)
    )
    twin.load_state_dict(safetensors.torch.load_file(out / "model.safetensors"))
    with torch.no_grad():
        predicted = twin.eval()(torch.from_numpy(X_test)).argmax(dim=1).numpy()
    assert reported == pytest.approx(np.mean(predicted == y_test), abs=5e-5)

    history = json.loads((out / "history.json").read_text())
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"} and len(history["loss"]) == 4
    assert matplotlib.image.imread(out / "curves.png").ndim == 3
    svg = (out / "graph.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "linear" in svg


@pytest.mark.parametrize("option, bad, valid", [("--dataset", "mnist", "digits, moons, spirals, xor, blobs"),
                                                ("--optimizer", "adamax", "sgd, adagrad, rmsprop")])  # fmt: skip
def test_unknown_names_list_the_valid_ones(
    option: str, bad: str, valid: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", option, bad])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"invalid choice: '{bad}'" in err
    assert all(f"'{name}'" in err for name in valid.split(", "))


def test_unwritable_output_folder_is_reported_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--dataset", "moons", "--epochs", "1", "--out", str(blocker / "out")])
    assert exit_info.value.code == 2
    printed = capsys.readouterr()
    assert "error: argument --out: cannot write to the output folder" in printed.err and printed.out == ""


# ---- the main demo -------------------------------------------------------------------------------------------------
def test_demo_prints_the_lecture_example_then_reaches_97_percent_on_digits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # the demo writes to out/demo
    demo.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("f(w1=1.5, w2=0.5) = ")
    accuracy_line = next(line for line in lines if line.startswith("test accuracy "))
    assert float(accuracy_line.split()[2].rstrip("%")) >= 97.0
    assert (tmp_path / "out" / "demo" / "model.safetensors").is_file()


def test_train_returns_the_test_metrics(tmp_path: Path) -> None:
    args = parser().parse_args(["train", "--dataset", "blobs", "--samples", "200", "--noise", "0.3", "--hidden", "4",
                                "--epochs", "2", "--lr", "0.05", "--out", str(tmp_path), "--no-progress"])  # fmt: skip
    result = train(args)
    assert set(result) == {"loss", "accuracy"} and result["accuracy"] == 1.0  # two blobs 4 sigma apart
