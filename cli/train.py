"""``autograd-core train``: train an MLP on a bundled dataset and write what came out of it.

    autograd-core train --dataset digits --hidden 128 128 --optimizer adam --epochs 30 --batchnorm --dropout 0.1
    autograd-core train --dataset digits --compile    # the same numbers, the model run as generated code
    autograd-core demo          # the lectures' example, then the command above (the README's first command)

``train`` splits the data (stratified) into training, validation and test sets, trains with ``nn.training.fit``
(a progress bar per epoch on a terminal), reports the test accuracy and writes to the output folder (``--out``):
``model.safetensors`` (``nn.save``), ``history.json`` and ``curves.png`` (the loss and accuracy curves), and
``graph.svg`` (the graph of one forward pass, drawn by ``ag.viz``).

Every option is checked before any work, each refusal an argparse usage error. The outputs are written into a
fresh folder beside ``--out`` that replaces it whole at the end (nn.files.atomic_folder): a run that fails or is
interrupted leaves ``--out`` as it was, never holding files of two runs, and leaves no empty folder behind.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

import nn
import optim
from autograd_core import Tensor, get_default_dtype, viz
from nn import datasets
from nn.containers import ACTIVATIONS
from nn.data import DataLoader, TensorDataset
from nn.files import atomic_folder, atomic_path
from nn.metrics import accuracy
from nn.progress import plural
from nn.training import Diverged, evaluate, fit
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


# what a run writes into its output folder; a folder holding anything else is not replaced
OUTPUTS = ("model.safetensors", "history.json", "curves.png", "graph.svg")


class UsageError(ValueError):
    """Options that do not fit together (or this machine); ``run`` reports it as argparse's usage error."""


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _nonnegative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not (value > 0 and math.isfinite(value)):  # written so that nan fails too
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def _nonnegative_float(text: str) -> float:
    value = float(text)
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def _probability(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be a probability in [0, 1), got {text}")
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
    data.add_argument("--noise", type=_nonnegative_float, default=0.1, help="noise of a generated dataset")
    data.add_argument("--test-fraction", type=_fraction, default=0.2, help="held out for the test accuracy")
    data.add_argument("--val-fraction", type=_fraction, default=0.1, help="held out for validation")
    model = train.add_argument_group("model")
    model.add_argument("--hidden", type=_positive_int, nargs="*", default=[128, 128], help="hidden layer sizes")
    model.add_argument("--activation", choices=ACTIVATIONS, default="relu", help="after each hidden layer")
    model.add_argument("--batchnorm", action="store_true", help="BatchNorm1d after each hidden Linear")
    model.add_argument("--dropout", type=_probability, default=0.0, help="dropout probability after each hidden layer")
    training = train.add_argument_group("training")
    training.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="the update rule")
    training.add_argument("--lr", type=_positive_float, default=None,
                          help="learning rate; None: the optimizer's default")  # fmt: skip
    training.add_argument("--weight-decay", type=_nonnegative_float, default=None,
                          help="L2 penalty, as the optimizer applies it; None: the optimizer's default (AdamW 0.01, "
                               "others 0; rprop has none)")  # fmt: skip
    training.add_argument("--cosine", action="store_true", help="cosine-annealed learning rate over the epochs")
    training.add_argument("--epochs", type=_positive_int, default=30, help="passes over the training set")
    training.add_argument("--batch-size", type=_positive_int, default=64, help="samples per mini-batch")
    training.add_argument("--patience", type=_positive_int, default=None,
                          help="early stopping: after this many epochs without a new lowest val_loss")  # fmt: skip
    training.add_argument("--clip-grad-norm", type=_positive_float, default=None,
                          help="clip the gradients' total norm to this; None: no clipping")  # fmt: skip
    training.add_argument("--seed", type=_nonnegative_int, default=0,
                          help="data split, initialisation, dropout, shuffling")  # fmt: skip
    training.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                          help="progress bars; None: only on a terminal or in a notebook")  # fmt: skip
    training.add_argument("--compile", action="store_true",
                          help="run the model and loss as generated numpy code (ag.compile): same numbers, faster")  # fmt: skip
    train.add_argument("--out", type=Path, default=None, help="output folder; None: out/DATASET")
    train.set_defaults(usage_error=train.error)  # how run() reports a UsageError: this subcommand's usage
    return top


def _output_folder(args: argparse.Namespace) -> Path:
    return args.out if args.out is not None else Path("out") / args.dataset


def _data_shape(args: argparse.Namespace) -> tuple[int, int, int]:
    """(samples, features, classes) of the dataset, known before it is made."""
    if args.dataset == "digits":
        return 1797, 64, 10  # scikit-learn's bundled 8x8 digits
    return args.samples, 2, 2  # the generators' points in the plane, two classes


def _memory_needed(args: argparse.Namespace) -> int:
    """A generous estimate, in bytes, of the memory a run takes at its peak."""
    samples, features, classes = _data_shape(args)
    sizes = [features, *args.hidden, classes]
    params = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    # weights, gradients, up to three optimizer state arrays, a work array, the best epoch's copy, the saved copy;
    # the data and its three splits; the activations and their gradients of a training or an evaluation batch
    values = 8 * params + 4 * samples * features + 6 * max(args.batch_size, 512) * sum(sizes)
    return values * np.dtype(get_default_dtype()).itemsize


def _available_memory() -> int | None:
    """Bytes of memory available now (Linux's MemAvailable), or None where that cannot be told."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    return None


def check(args: argparse.Namespace) -> None:
    """Raise a UsageError for options that do not fit together, the output folder or this machine's memory."""
    if args.optimizer == "rprop" and args.weight_decay is not None:
        raise UsageError("argument --weight-decay: rprop has no weight decay")
    needed, available = _memory_needed(args), _available_memory()
    if available is not None and needed > available:
        fewer = "" if args.dataset == "digits" else " or fewer --samples"
        raise UsageError(
            f"the model and data would need about {needed / 2**30:,.1f} GiB of memory, more than the "
            f"{available / 2**30:,.1f} GiB available; use fewer or narrower --hidden layers{fewer}"
        )
    out = _output_folder(args)
    if out.exists() and not out.is_dir():
        raise UsageError(f"argument --out: {out} is a file, not a folder")
    try:
        foreign = sorted(p.name for p in out.iterdir() if p.name not in OUTPUTS) if out.is_dir() else []
    except OSError as err:
        raise UsageError(f"argument --out: cannot read the output folder {out}: {err.strerror or err}") from None
    if foreign:
        listed = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise UsageError(f"argument --out: {out} holds files that no run wrote ({listed}); a run replaces its "
                         "folder whole, so give a new folder or one an earlier run wrote")  # fmt: skip


def _split(args: argparse.Namespace) -> tuple[np.ndarray, ...]:
    """(X_train, X_val, X_test, y_train, y_val, y_test), stratified by class."""
    make = DATASETS[args.dataset]
    X, y = make() if args.dataset == "digits" else make(n_samples=args.samples, noise=args.noise, seed=args.seed)
    try:
        X_rest, X_test, y_rest, y_test = train_test_split(
            X, y, test_size=args.test_fraction, stratify=y, random_state=args.seed
        )
        X_train, X_val, y_train, y_val = train_test_split(
            X_rest, y_rest, test_size=args.val_fraction / (1 - args.test_fraction), stratify=y_rest,
            random_state=args.seed,
        )  # fmt: skip
    except ValueError as err:  # scikit-learn's: a set that cannot hold every class
        raise UsageError(f"argument --samples: {len(y)} samples are too few to split into training, validation "
                         f"and test sets that each hold every class ({err})") from None  # fmt: skip
    return X_train, X_val, X_test, y_train, y_val, y_test


def _draw_forward_graph(model: nn.Module, loss_fn: nn.Module, X: np.ndarray, y: np.ndarray, path: Path) -> None:
    """Draw the graph of the loss of one small batch as SVG, top to bottom to fit a page: a box per layer titled by
    what it is (``0: Linear(64 -> 128)``), parameters named by their place (``0.weight``), no gradients (none were
    computed for this batch). Eval mode: the drawing changes no BatchNorm running statistics."""
    model.eval()
    loss = loss_fn(model(Tensor(X)), Tensor(y))
    loss.name = "loss"
    graph = viz.draw_graph(loss, show_grad=False, max_nodes=None, group_by_module=True, rankdir="TB",
                           params=dict(model.named_parameters()), modules=dict(model.named_modules()))  # fmt: skip
    with atomic_path(path) as tmp:  # Digraph.pipe gives the SVG bytes without .render's leftover DOT source file
        tmp.write_bytes(graph.pipe(format="svg"))


def _model(args: argparse.Namespace, features: int, classes: int) -> tuple[nn.MLP, optim.Optimizer, Any]:
    """The MLP, its optimizer and the learning-rate schedule (or None) that the options ask for."""
    nn.manual_seed(args.seed)
    sizes = [features, *args.hidden, classes]
    model = nn.MLP(sizes, activation=args.activation, batchnorm=args.batchnorm, dropout=args.dropout)
    # only the options given: each optimizer keeps its own defaults (AdamW's weight decay is 0.01)
    given = (("lr", args.lr), ("weight_decay", args.weight_decay))
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), **{k: v for k, v in given if v is not None})
    scheduler = CosineAnnealingLR(optimizer, T_max=args.epochs) if args.cosine else None
    return model, optimizer, scheduler


def _stopped_early(args: argparse.Namespace, history: nn.history.History) -> str:
    """What the summary adds when early stopping ended the run before ``--epochs``."""
    if len(history) == args.epochs:
        return ""
    return (f"; stopped early: val_loss had not improved for {plural(args.patience, 'epoch')}, so the weights of "
            f"epoch {history.best_epoch()} were kept")  # fmt: skip


def _test_and_write(
    args: argparse.Namespace, folder: Path, model: nn.MLP, loss_fn: nn.Module, history: nn.history.History,
    seconds: float, X_test: np.ndarray, y_test: np.ndarray,
) -> dict[str, float]:  # fmt: skip
    """Print the test loss and accuracy, write the outputs into ``folder``, and return the test values."""
    test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=512)
    with threadpool_limits(limits=1, user_api="blas"):
        test = evaluate(model, loss_fn, test_loader, {"accuracy": accuracy}, compile=args.compile)
    print(f"test accuracy {test['accuracy']:.2%} on {len(y_test)} samples (loss {test['loss']:.4f}); "
          f"{plural(len(history), 'epoch')} trained in {seconds:.1f} s{_stopped_early(args, history)}")  # fmt: skip
    nn.save(model, folder / "model.safetensors")
    history.save(folder / "history.json")
    history.plot(folder / "curves.png")
    _draw_forward_graph(model, loss_fn, X_test[:4], y_test[:4], folder / "graph.svg")
    return test


def train(args: argparse.Namespace) -> dict[str, float]:
    """Train as the arguments say; print and return the test loss and accuracy.

    Raises UsageError for options that do not fit (before any work), ``nn.training.Diverged`` for a loss or weights
    that became NaN or inf, and KeyboardInterrupt for Ctrl-C (``nn.training.TrainingInterrupted`` during training),
    saying where the run was; in each case the output folder is left as it was.
    """
    check(args)
    out = _output_folder(args)
    X_train, X_val, X_test, y_train, y_val, y_test = _split(args)
    with contextlib.ExitStack() as stack:
        try:
            folder = stack.enter_context(atomic_folder(out))  # made now, so that an unwritable --out stops us here
        except OSError as err:
            reason = err.strerror or err
            raise UsageError(f"argument --out: cannot write to the output folder {out}: {reason}") from None
        model, optimizer, scheduler = _model(args, X_train.shape[1], int(y_train.max()) + 1)
        loss_fn = nn.CrossEntropyLoss()
        print(f"{args.dataset}: {len(y_train)} training, {len(y_val)} validation, {len(y_test)} test samples; "
              f"model {model}")  # fmt: skip
        start = time.perf_counter()
        # one BLAS thread: for matrices this small, waking threads costs more than it saves (10x on a busy machine);
        # numpy's overflow warnings are left out, since fit reports a loss or weights that became NaN or inf itself
        with threadpool_limits(limits=1, user_api="blas"), np.errstate(over="ignore", invalid="ignore"):
            history = fit(
                model, loss_fn, optimizer,
                DataLoader(TensorDataset(X_train, y_train), args.batch_size, shuffle=True, seed=args.seed),
                args.epochs, val_loader=DataLoader(TensorDataset(X_val, y_val), batch_size=512),
                scheduler=scheduler, metrics={"accuracy": accuracy}, patience=args.patience,
                clip_grad_norm=args.clip_grad_norm, progress=args.progress, compile=args.compile,
            )  # fmt: skip
            seconds = time.perf_counter() - start
        try:
            test = _test_and_write(args, folder, model, loss_fn, history, seconds, X_test, y_test)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(f"interrupted after {plural(len(history), 'epoch')} of training, while testing "
                                    "and writing the results") from None  # fmt: skip
    print(f"wrote to {out}/: model.safetensors (nn.load it), history.json, curves.png (loss and accuracy), "
          "graph.svg (the graph of one forward pass)")  # fmt: skip
    return test


def run(args: argparse.Namespace) -> int:
    """``train``, with what stops it said in one line and no traceback; returns the exit status.

    Options that do not fit: argparse's usage error (status 2). A loss that diverged: status 1. Ctrl-C: 130, the
    status of a program that SIGINT ended.
    """
    out = _output_folder(args)
    try:
        train(args)
    except UsageError as err:
        args.usage_error(str(err))  # prints the usage and the message, and exits
    except (Diverged, KeyboardInterrupt) as err:
        left = f"nothing written, {out} {'left as it was' if out.exists() else 'not made'}"
        if isinstance(err, Diverged):
            print(f"autograd-core train: {err.what}; try a smaller --lr or --clip-grad-norm 1; {left}", file=sys.stderr)
            return 1
        print(f"autograd-core train: {err or 'interrupted before training began'}; {left}", file=sys.stderr)
        return 130
    return 0
