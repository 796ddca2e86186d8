"""Datasets and mini-batches, as ``torch.utils.data``: ``Dataset``, ``TensorDataset`` and ``DataLoader``.

Batches are Tensors that do not require grad, as PyTorch's: ``model(xb)``, ``xb.shape``, ``(pred == yb).sum()``.
A batch of a dataset whose samples are tuples is a tuple of Tensors, each with the batch as its first axis:

>>> X, y = np.zeros((10, 3)), np.arange(10)
>>> for xb, yb in DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True, seed=0):
...     xb.shape, yb.shape            # (4, 3) (4,), then (4, 3) (4,), then the partial (2, 3) (2,)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor


class Dataset:
    """A map-style dataset: ``len(ds)`` samples, ``ds[i]`` the i-th (an array, a number or a tuple of them).

    Subclasses implement ``__len__`` and ``__getitem__``; they may also implement ``__getitems__(indices)``
    returning a whole batch at once (as PyTorch's DataLoader allows), which the DataLoader then uses.
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")


class TensorDataset(Dataset):
    """Samples are the rows of equally long arrays: ``ds[i] == (arrays[0][i], arrays[1][i], ...)``.

    ``TensorDataset(X, y)`` with X of shape (N, ...) and y of shape (N, ...), Tensors or arrays; samples and batches
    are Tensors sharing the arrays' memory where numpy's indexing does (a row is a view, a batch a copy).
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        self.arrays = tuple(np.asarray(a) for a in arrays)  # a Tensor by its values (np.asarray shares them)
        lengths = [len(a) if a.ndim else None for a in self.arrays]
        if None in lengths:
            raise ValueError(f"TensorDataset: array {lengths.index(None)} is 0-d; every array needs a first axis")
        for i, n in enumerate(lengths[1:], start=1):
            if n != lengths[0]:
                raise ValueError(
                    f"TensorDataset: arrays have different lengths: array 0 has {lengths[0]} rows, "
                    f"array {i} has {n}; every array must have one row per sample"
                )

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(ag.as_tensor(a[index]) for a in self.arrays)

    def __getitems__(self, indices: np.ndarray) -> tuple[Tensor, ...]:
        """A whole batch by one fancy-indexing per array (no per-sample Python loop)."""
        return tuple(ag.as_tensor(a[indices]) for a in self.arrays)


def collate(samples: Sequence[Any]) -> Any:
    """Stack samples (Tensors, arrays or numbers) into a batch Tensor; a tuple of samples gives a tuple of batches
    (PyTorch's default_collate: Python floats become float64, ints int64, arrays and Tensors keep their dtype)."""
    first = samples[0]
    if isinstance(first, tuple):
        return tuple(collate([s[i] for s in samples]) for i in range(len(first)))
    return ag.as_tensor(np.stack([np.asarray(s) for s in samples]))


class DataLoader:
    """Mini-batches of a dataset, with PyTorch's semantics.

    ``len(loader)`` batches per pass: ceil(N / batch_size), or floor with ``drop_last=True`` (which drops the last,
    partial batch). Without shuffling, batches follow the dataset's order. With ``shuffle=True`` every pass (epoch)
    draws a new permutation from a generator made once from ``seed``: the same seed gives the same sequence of
    epochs. With ``seed=None`` the permutations come from the project's generator, so ``ag.manual_seed`` makes them
    repeat, as ``torch.manual_seed`` does for a DataLoader without a generator.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = None if seed is None else np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        if not self.shuffle:
            order = np.arange(n)
        elif self.generator is not None:
            order = self.generator.permutation(n)
        else:
            order = ag.default_generator.permutation(n)
        fetch_batch = getattr(self.dataset, "__getitems__", None)
        for b in range(len(self)):
            indices = order[b * self.batch_size : (b + 1) * self.batch_size]
            if fetch_batch is not None:
                yield fetch_batch(indices)
            else:
                yield collate([self.dataset[int(i)] for i in indices])
