"""The function forms ``ag.exp(x)``, ``ag.sum(x, axis=1)``, ...: each calls the Tensor method of the same name.

So that each operation is documented and defined once, these are made from the methods rather than written out;
a non-Tensor argument is made a constant Tensor first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import composites_linalg as LA
from . import composites_shapes as SH
from . import primitives as P
from . import primitives_elementwise as PE
from .tensor import Tensor, as_tensor

METHODS = (
    "exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "sqrt", "leaky_relu", "softplus", "gelu",
    "clip", "sum", "mean", "max", "min", "var", "logsumexp", "softmax", "log_softmax", "reshape", "transpose",
    "permute", "flatten", "squeeze", "unsqueeze", "expand_dims",
    # API.md's "More operations"
    "sinh", "cosh", "arcsin", "arccos", "arctan", "asin", "acos", "atan", "log2", "log10", "log1p", "expm1", "exp2",
    "erf", "rsqrt", "reciprocal", "square", "sign", "floor", "ceil", "trunc", "round", "prod", "std", "cumsum",
    "cumprod", "norm", "argmax", "argmin", "sort", "argsort", "topk", "trace", "diag", "diagonal", "tril", "triu",
    "flip", "roll", "repeat", "tile", "pad", "split", "chunk", "tensor_split", "moveaxis", "movedim", "swapaxes",
    "expand", "gather", "repeat_interleave",
    "numel", "t", "pow", "clamp", "clone",  # PyTorch habits: torch.NAME(x, ...) too
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


def _kept(a: Any) -> Any:
    """An operand as it is, except a list or tuple, made a Tensor (stacked, with its graph, if it holds Tensors);
    numbers stay numbers, so that they take the other operand's dtype."""
    return as_tensor(a) if isinstance(a, (list, tuple)) else a


def _pair(a: Any, b: Any) -> tuple[Any, Any]:
    """Two operands, the first a Tensor unless the second is, so that the result is a Tensor."""
    a, b = _kept(a), _kept(b)
    return (a if isinstance(b, Tensor) else _traced(a)), b


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product a @ b: 1-D, 2-D and batched (leading axes broadcast), as numpy's matmul."""
    a, b = _kept(a), _kept(b)
    return a @ b if isinstance(b, Tensor) else _traced(a) @ b  # a list or an array @ Tensor: Tensor.__rmatmul__


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum; where a == b each side gets half of the gradient."""
    return P.maximum(*_pair(a, b))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum; where a == b each side gets half of the gradient."""
    return P.minimum(*_pair(a, b))


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``cond`` holds, else ``b`` (broadcast together); the gradient goes to the chosen side."""
    return P.where(_traced(cond), _kept(a), _kept(b))


# ---- API.md's "More operations" of two tensors (those of one are made from the methods above) --------------------


def arctan2(y: Any, x: Any) -> Tensor:
    """The angle of the point (x, y), elementwise, in (-pi, pi]."""
    return PE.arctan2(*_pair(y, x))


atan2 = arctan2  # PyTorch's name


def logaddexp(a: Any, b: Any) -> Tensor:
    """log(e^a + e^b), elementwise, without overflow."""
    return PE.logaddexp(*_pair(a, b))


def remainder(a: Any, b: Any) -> Tensor:
    """a - floor(a / b) * b, with the sign of b: Python's, numpy's and PyTorch's ``%``."""
    return PE.remainder(*_pair(a, b))


def fmod(a: Any, b: Any) -> Tensor:
    """a - trunc(a / b) * b, with the sign of a (C's fmod)."""
    return PE.fmod(*_pair(a, b))


def outer(a: Any, b: Any) -> Tensor:
    """out[i, j] = a[i] b[j] for 1-D a and b."""
    return LA.outer(as_tensor(a), as_tensor(b))


def dot(a: Any, b: Any) -> Tensor:
    """sum_i a[i] b[i] for 1-D tensors of one length."""
    return LA.dot(as_tensor(a), as_tensor(b))


tensordot, einsum = LA.tensordot, LA.einsum
cat, vstack, hstack = SH.cat, SH.vstack, SH.hstack
