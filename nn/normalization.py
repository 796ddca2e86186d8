"""`BatchNorm1d` and `LayerNorm`: normalise activations, then scale and shift them with learned parameters."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from . import functional as F
from .module import Module, Parameter


class BatchNorm1d(Module):
    """Normalise each of C channels over the batch: input (N, C) or (N, C, L).

    Training uses the batch's mean and biased variance and updates the buffers ``running_mean`` and
    ``running_var`` (PyTorch's convention: running = (1 - momentum) running + momentum batch, with the unbiased
    variance B/(B-1) var_B); ``momentum=None`` gives the cumulative average over all batches seen
    (``num_batches_tracked`` counts them). Evaluation normalises with the running estimates. With ``affine`` the
    result is scaled by ``weight`` (ones at first) and shifted by ``bias`` (zeros).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        dtype = ag.get_default_dtype()
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
        self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
        batches = int(self.num_batches_tracked) + 1
        momentum = 1.0 / batches if self.momentum is None else self.momentum
        out = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, True, momentum, self.eps)
        self.num_batches_tracked.fill_(batches)  # counted only once the batch was accepted
        return out

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class LayerNorm(Module):
    """Normalise each sample over its last dims (``normalized_shape``), then scale by ``weight`` and add ``bias``."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True) -> None:
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = ag.get_default_dtype()
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
