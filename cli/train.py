"""``autograd-core train``: train an MLP on a bundled dataset and write what came out of it.

    autograd-core train --dataset digits --hidden 128 128 --optimizer adam --epochs 30 --batchnorm --dropout 0.1
    autograd-core train --dataset digits --compile    # the same numbers, the model run as generated code
    autograd-core demo          # the lectures' example, then the command above (the README's first command)

``train`` splits the data (stratified) into training, validation and test sets, trains with ``nn.training.fit``
(a progress bar per epoch on a terminal), reports the test accuracy and writes to the output folder (``--out``):
``model.safetensors`` (``nn.save``), ``history.json`` and ``curves.png`` (the loss and accuracy curves), and
``graph.svg`` (the graph of one forward pass, drawn by ``ag.viz``).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

import nn
import optim
from autograd_core import Tensor, viz
from nn import datasets
from nn.containers import ACTIVATIONS
from nn.data import DataLoader, TensorDataset
from nn.files import atomic_path
from nn.metrics import accuracy
from nn.training import evaluate, fit
from optim.lr_scheduler import CosineAnnealingLR

DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "digits": datasets.load_digits,
    "moons": datasets.make_moons,
    "spirals": datasets.make_spirals,
    "xor": datasets.make_xor,
    "blobs": datasets.make_blobs,
}
OPTIMIZERS: dict[str, type[optim.Optimizer]] = {
    "sgd": optim.SGD,
    "adagrad": optim.Adagrad,
    "rmsprop": optim.RMSprop,
    "adadelta": optim.Adadelta,
    "adam": optim.Adam,
    "adamw": optim.AdamW,
    "rprop": optim.Rprop,
}


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value < 0.5:
        raise argparse.ArgumentTypeError(f"must be a fraction between 0 and 0.5, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    """The command line: ``train`` with its options, and ``demo``."""
    top = argparse.ArgumentParser(prog="autograd-core", description="Train MLPs with autograd-core.")
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="the lectures' example, then an MLP trained on digits (the README's demo)")
    train = commands.add_parser("train", help="train an MLP classifier and write the model, curves and graph",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)  # fmt: skip
    data = train.add_argument_group("data")
    data.add_argument("--dataset", choices=DATASETS, default="digits", help="digits, or a generated toy problem")
    data.add_argument("--samples", type=_positive_int, default=1000, help="samples of a generated dataset")
    data.add_argument("--noise", type=float, default=0.1, help="noise of a generated dataset")
    data.add_argument("--test-fraction", type=_fraction, default=0.2, help="held out for the test accuracy")
    data.add_argument("--val-fraction", type=_fraction, default=0.1, help="held out for validation")
    model = train.add_argument_group("model")
    model.add_argument("--hidden", type=_positive_int, nargs="*", default=[128, 128], help="hidden layer sizes")
    model.add_argument("--activation", choices=ACTIVATIONS, default="relu", help="after each hidden layer")
    model.add_argument("--batchnorm", action="store_true", help="BatchNorm1d after each hidden Linear")
    model.add_argument("--dropout", type=float, default=0.0, help="dropout probability after each hidden layer")
    training = train.add_argument_group("training")
    training.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="the update rule")
    training.add_argument("--lr", type=float, default=None, help="learning rate; None: the optimizer's default")
    training.add_argument("--weight-decay", type=float, default=0.0, help="L2 penalty, as the optimizer applies it")
    training.add_argument("--cosine", action="store_true", help="cosine-annealed learning rate over the epochs")
    training.add_argument("--epochs", type=_positive_int, default=30, help="passes over the training set")
    training.add_argument("--batch-size", type=_positive_int, default=64, help="samples per mini-batch")
    training.add_argument("--patience", type=_positive_int, default=None,
                          help="early stopping: after this many epochs without a new lowest val_loss")  # fmt: skip
    training.add_argument("--clip-grad-norm", type=float, default=None,
                          help="clip the gradients' total norm to this; None: no clipping")  # fmt: skip
    training.add_argument("--seed", type=int, default=0, help="data split, initialisation, dropout, shuffling")
    training.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                          help="progress bars; None: only on a terminal or in a notebook")  # fmt: skip
    training.add_argument("--compile", action="store_true",
                          help="run the model and loss as generated numpy code (ag.compile): same numbers, faster")  # fmt: skip
    train.add_argument("--out", type=Path, default=None, help="output folder; None: out/DATASET")
    return top


def check_output_folder(folder: Path) -> None:
    """Make the folder and try writing a file there, so that an unwritable folder is reported before training."""
    probe = folder / f".autograd-core-write-test-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise SystemExit(f"autograd-core train: cannot write to the output folder {folder}: {err.strerror or err}")


def _split(args: argparse.Namespace) -> tuple[np.ndarray, ...]:
    """(X_train, X_val, X_test, y_train, y_val, y_test), stratified by class."""
    make = DATASETS[args.dataset]
    X, y = make() if args.dataset == "digits" else make(n_samples=args.samples, noise=args.noise, seed=args.seed)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=args.test_fraction, stratify=y, random_state=args.seed
    )
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=args.val_fraction / (1 - args.test_fraction), stratify=y_rest, random_state=args.seed
    )
    return X_train, X_val, X_test, y_train, y_val, y_test


def _draw_forward_graph(model: nn.Module, loss_fn: nn.Module, X: np.ndarray, y: np.ndarray, path: Path) -> None:
    """Draw the graph of the loss of one small batch as SVG, a box per layer (eval mode: the drawing changes no
    BatchNorm running statistics)."""
    model.eval()
    loss = loss_fn(model(Tensor(X)), Tensor(y))
    loss.name = "loss"
    with atomic_path(path) as tmp:  # Digraph.pipe gives the SVG bytes without .render's leftover DOT source file
        tmp.write_bytes(viz.draw_graph(loss, max_nodes=None, group_by_module=True).pipe(format="svg"))


def train(args: argparse.Namespace) -> dict[str, float]:
    """Train as the arguments say; print and return the test loss and accuracy."""
    out = args.out if args.out is not None else Path("out") / args.dataset
    check_output_folder(out)
    X_train, X_val, X_test, y_train, y_val, y_test = _split(args)
    classes = int(y_train.max()) + 1
    nn.manual_seed(args.seed)
    sizes = [X_train.shape[1], *args.hidden, classes]
    model = nn.MLP(sizes, activation=args.activation, batchnorm=args.batchnorm, dropout=args.dropout)
    options = {"weight_decay": args.weight_decay} | ({} if args.lr is None else {"lr": args.lr})
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), **options)
    scheduler = CosineAnnealingLR(optimizer, T_max=args.epochs) if args.cosine else None
    loss_fn = nn.CrossEntropyLoss()
    print(f"{args.dataset}: {len(y_train)} training, {len(y_val)} validation, {len(y_test)} test samples; "
          f"model {model}")  # fmt: skip
    start = time.perf_counter()
    # one BLAS thread: for matrices this small, waking threads costs more than it saves (10x more on a busy machine)
    with threadpool_limits(limits=1, user_api="blas"):
        history = fit(
            model, loss_fn, optimizer,
            DataLoader(TensorDataset(X_train, y_train), args.batch_size, shuffle=True, seed=args.seed),
            args.epochs, val_loader=DataLoader(TensorDataset(X_val, y_val), batch_size=512), scheduler=scheduler,
            metrics={"accuracy": accuracy}, patience=args.patience, clip_grad_norm=args.clip_grad_norm,
            progress=args.progress, compile=args.compile,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=512)
        test = evaluate(model, loss_fn, test_loader, {"accuracy": accuracy}, compile=args.compile)
    print(f"test accuracy {test['accuracy']:.2%} on {len(y_test)} samples (loss {test['loss']:.4f}); "
          f"{len(history)} epochs trained in {seconds:.1f} s")  # fmt: skip
    nn.save(model, out / "model.safetensors")
    history.save(out / "history.json")
    history.plot(out / "curves.png")
    _draw_forward_graph(model, loss_fn, X_test[:4], y_test[:4], out / "graph.svg")
    print(f"wrote to {out}/: model.safetensors (nn.load it), history.json, curves.png (loss and accuracy), "
          "graph.svg (the graph of one forward pass)")  # fmt: skip
    return test

