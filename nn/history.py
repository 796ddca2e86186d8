"""`History`: the value of every metric after every epoch, as ``fit`` returns it; plots and saves itself.

Names follow Keras: ``"loss"`` and ``"accuracy"`` on the training batches (the running mean over the epoch, in
training mode), ``"val_loss"`` and ``"val_accuracy"`` on the validation set after the epoch (in eval mode).
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .files import atomic_path
from .progress import plural


class History:
    """``history["val_loss"]`` is the list of per-epoch values (epoch 1 first); ``len(history)`` the epochs run."""

    def __init__(self, metrics: Mapping[str, list[float]] | None = None) -> None:
        self.metrics: dict[str, list[float]] = {k: list(v) for k, v in (metrics or {}).items()}

    def append(self, values: Mapping[str, float]) -> None:
        """Record one epoch: a value for each metric (every epoch must name the same metrics)."""
        if self.metrics and set(values) != set(self.metrics):
            raise ValueError(
                f"History.append: this epoch has metrics {sorted(values)}, earlier epochs {sorted(self.metrics)}"
            )
        for name, value in values.items():
            self.metrics.setdefault(name, []).append(float(value))

    def __getitem__(self, name: str) -> list[float]:
        return self.metrics[name]

    def __contains__(self, name: object) -> bool:
        return name in self.metrics

    def __iter__(self) -> Iterator[str]:
        return iter(self.metrics)

    def __len__(self) -> int:
        return len(next(iter(self.metrics.values()), []))

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.metrics.items())
        return f"History({plural(len(self), 'epoch')}; last: {last})"

    def best_epoch(self, monitor: str = "val_loss") -> int:
        """The epoch (counted from 1) with the lowest value of ``monitor`` (the first of equal ones; NaN never wins)."""
        values = np.array(self.metrics[monitor], dtype=float)
        return int(np.argmin(np.where(np.isnan(values), np.inf, values))) + 1

    def plot(self, path: str | os.PathLike[str] | None = None) -> Figure:
        """One panel per metric (loss, accuracy, ...), the training curve and the validation curve against the epoch.

        Returns the matplotlib Figure; with ``path``, also saves it as a PNG. The figure is made without pyplot, so
        saving works headless (matplotlib's Agg renderer) and leaves no window open or figure held. In Jupyter,
        ending a cell with the History itself shows these curves.
        """
        names = [n for n in self.metrics if not n.startswith("val_")]
        names += [n[4:] for n in self.metrics if n.startswith("val_") and n[4:] not in names]
        epochs = np.arange(1, len(self) + 1)
        figure = Figure(figsize=(5 * len(names), 3.8), layout="constrained")
        for ax, name in zip(figure.subplots(1, len(names), squeeze=False)[0], names, strict=True):
            for key, label in ((name, "train"), (f"val_{name}", "validation")):
                if key in self.metrics:
                    ax.plot(epochs, self.metrics[key], marker="o", markersize=3, label=label)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel(name)
            ax.set_title(name)
            ax.grid(alpha=0.3)
            ax.legend()
        if path is not None:
            with atomic_path(path) as tmp:
                figure.savefig(tmp, format="png", dpi=100)
        return figure

    def _repr_png_(self) -> bytes:
        """Jupyter shows a History as its curves (a Figure made without pyplot has no inline display of its own)."""
        buffer = io.BytesIO()
        self.plot().savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the metrics as JSON: ``{"loss": [...], "val_loss": [...], ...}`` (NaN and inf written as null)."""
        clean = {k: [v if math.isfinite(v) else None for v in vs] for k, vs in self.metrics.items()}
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(clean, indent=1))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> History:
        """Read a History written by ``save`` (null read back as NaN)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls({k: [math.nan if v is None else v for v in vs] for k, vs in data.items()})
