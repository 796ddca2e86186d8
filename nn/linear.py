"""`Linear`: the affine layer y = x W^T + b, initialised as PyTorch's."""

from __future__ import annotations

import math

import numpy as np

import autograd_core as ag
from autograd_core import ShapeError, Tensor

from . import functional as F
from . import init
from .module import Module, Parameter


def check_size(owner: str, name: str, value: object) -> None:
    """A clear error for a layer size that is not an integer >= 0 (a string "3", a float 3.0, -1)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: {name} must be an integer >= 0, got {value!r} ({type(value).__name__})")
    if value < 0:
        raise ValueError(f"{owner}: {name} must be an integer >= 0, got {value}")


class Linear(Module):
    """y = x W^T + b for input (*, in_features) -> (*, out_features); weight (out_features, in_features).

    Initialised as PyTorch's: W ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform_ with a = sqrt(5)), b likewise.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        check_size("Linear", "in_features", in_features)
        check_size("Linear", "out_features", out_features)
        self.in_features = in_features
        self.out_features = out_features
        dtype = ag.get_default_dtype()
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        try:
            return F.linear(x, self.weight, self.bias)
        except ShapeError:  # the input is checked only once it failed: a layer's call is the hot path of training
            shape = np.shape(x)  # a Tensor's shape, or an array's
            if shape and shape[-1] == self.in_features:
                raise
            where = ag.current_scope() or type(self).__name__
            raise ShapeError(
                f"Linear layer {where!r} ({self.extra_repr()}): expected input with last dimension "
                f"in_features = {self.in_features}, got input of shape {shape} (width {shape[-1] if shape else 'none'})"
            ) from None

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
