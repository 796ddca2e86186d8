"""Metrics for ``fit``: functions ``metric(outputs, targets) -> float`` of numpy arrays, the mean over the batch's
samples (so that ``fit`` gets the epoch's value as the batch-size-weighted mean of the batches' values)."""

from __future__ import annotations

import numpy as np


def accuracy(outputs: np.ndarray, targets: np.ndarray) -> float:
    """The fraction of samples classified right.

    outputs (N, C) scores or logits: the prediction is the arg max over classes; outputs (N,) or (N, 1) with one
    logit per sample (binary, as for ``BCEWithLogitsLoss``): the prediction is 1 where the logit is > 0.
    targets (N,) class indices, or 0/1 values of outputs' shape for the binary case.
    """
    outputs = np.asarray(outputs)
    targets = np.asarray(targets)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        predicted = outputs.argmax(axis=1)
    elif outputs.ndim in (1, 2):
        predicted = (outputs > 0).reshape(-1)
    else:
        raise ValueError(f"accuracy: outputs must have shape (N, C), (N, 1) or (N,), got {outputs.shape}")
    targets = targets.reshape(-1)
    if targets.shape != predicted.shape:
        raise ValueError(
            f"accuracy: {predicted.shape[0]} predictions from outputs of shape {outputs.shape} but targets of "
            f"shape {targets.shape}; expected one class index (or 0/1 label) per sample"
        )
    return float(np.mean(predicted == targets))
