"""The function forms ``ag.exp(x)``, ``ag.sum(x, axis=1)``, ...: each calls the Tensor method of the same name.

So that each operation is documented and defined once, these are made from the methods rather than written out;
a non-Tensor argument is made a constant Tensor first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import primitives as P
from .tensor import Tensor, as_tensor

METHODS = (
    "exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "sqrt", "leaky_relu", "softplus", "gelu",
    "clip", "sum", "mean", "max", "min", "var", "logsumexp", "softmax", "log_softmax", "reshape", "transpose",
    "permute", "flatten", "squeeze", "unsqueeze", "expand_dims",
    "numel", "t", "pow", "clamp", "norm", "argmax", "argmin", "clone",  # PyTorch habits: torch.NAME(x, ...) too
)  # fmt: skip


def _function(name: str) -> Callable[..., Tensor]:
    method = getattr(Tensor, name)

    def function(x: Any, *args: Any, **kwargs: Any) -> Tensor:
        return method(as_tensor(x), *args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = method.__doc__
    return function


globals().update({name: _function(name) for name in METHODS})


def _traced(a: Any) -> Any:
    return a if isinstance(a, Tensor) else as_tensor(a)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product a @ b: 1-D, 2-D and batched (leading axes broadcast), as numpy's matmul."""
    return a @ b if isinstance(b, Tensor) else _traced(a) @ b  # a list or an array @ Tensor: Tensor.__rmatmul__


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum; where a == b each side gets half of the gradient."""
    return P.maximum(a if isinstance(b, Tensor) else _traced(a), b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum; where a == b each side gets half of the gradient."""
    return P.minimum(a if isinstance(b, Tensor) else _traced(a), b)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``cond`` holds, else ``b`` (broadcast together); the gradient goes to the chosen side."""
    return P.where(_traced(cond), a, b)
