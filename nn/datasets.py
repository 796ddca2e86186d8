"""Datasets that need no download: scikit-learn's bundled digits and the lectures' toy problems.

Every function returns numpy arrays ``(X, y)``: X of shape (n_samples, n_features) in the default float dtype
(float32 unless ``ag.set_default_dtype`` says otherwise), y of shape (n_samples,) with integer class labels
(int64), ready for ``TensorDataset(X, y)`` and ``CrossEntropyLoss``. The generators take ``seed`` (the same seed
gives the same arrays) and ``noise`` (the standard deviation of Gaussian noise added to each coordinate; for
blobs, the spread of each blob).
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from autograd_core import get_default_dtype


def _sklearn_datasets() -> ModuleType:
    """scikit-learn takes a second or more to import: load it when a dataset is made, not with ``import nn``."""
    import sklearn.datasets

    return sklearn.datasets


def _finish(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return X.astype(get_default_dtype()), y.astype(np.int64)


def _check(name: str, n_samples: int, noise: float) -> None:
    if n_samples < 1:
        raise ValueError(f"{name}: n_samples must be at least 1, got {n_samples}")
    if noise < 0:
        raise ValueError(f"{name}: noise is a standard deviation and must be >= 0, got {noise}")


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 8x8 images of handwritten digits (UCI, bundled with scikit-learn): X (1797, 64) of pixel values
    scaled from 0..16 to [0, 1], row-major 8x8; y (1797,) the digit 0..9."""
    X, y = _sklearn_datasets().load_digits(return_X_y=True)
    return _finish(X / 16.0, y)


def make_moons(n_samples: int = 100, noise: float = 0.0, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in 2-D (scikit-learn's generator): X (n_samples, 2), y in {0, 1}."""
    _check("make_moons", n_samples, noise)
    X, y = _sklearn_datasets().make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return _finish(X, y)


def make_spirals(
    n_samples: int = 100, noise: float = 0.0, seed: int | None = None, n_classes: int = 2, turns: float = 1.5
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms in 2-D: X (n_samples, 2), y in {0, ..., n_classes - 1}.

    Arm k is the curve r(t) = t, angle(t) = 2 pi (turns * t + k / n_classes), for t drawn uniformly from [0, 1];
    samples are dealt to the arms in turn, so class sizes differ by at most one.
    """
    _check("make_spirals", n_samples, noise)
    if n_classes < 1:
        raise ValueError(f"make_spirals: n_classes must be at least 1, got {n_classes}")
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_classes
    t = rng.uniform(0.0, 1.0, n_samples)
    angle = 2 * np.pi * (turns * t + y / n_classes)
    X = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    return _finish(X + noise * rng.standard_normal(X.shape), y)


def make_xor(n_samples: int = 100, noise: float = 0.0, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: points uniform in the square [-1, 1]^2, labelled 1 where exactly one coordinate is
    positive (the quadrants no single line separates); noise is added after labelling. X (n_samples, 2)."""
    _check("make_xor", n_samples, noise)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = (X[:, 0] > 0) != (X[:, 1] > 0)
    return _finish(X + noise * rng.standard_normal(X.shape), y)


def make_blobs(
    n_samples: int = 100, noise: float = 0.5, seed: int | None = None, centers: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """``centers`` Gaussian blobs in 2-D with standard deviation ``noise``, centred evenly on the circle of
    radius 2 (two blobs at (2, 0) and (-2, 0): linearly separable for small noise). X (n_samples, 2), y the blob.
    Samples are split between the blobs as evenly as possible (scikit-learn's generator)."""
    _check("make_blobs", n_samples, noise)
    if centers < 1:
        raise ValueError(f"make_blobs: centers must be at least 1, got {centers}")
    angles = 2 * np.pi * np.arange(centers) / centers
    points = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    X, y = _sklearn_datasets().make_blobs(n_samples=n_samples, centers=points, cluster_std=noise, random_state=seed)
    return _finish(X, y)
