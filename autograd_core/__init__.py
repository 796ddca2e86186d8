"""autograd_core: reverse-mode automatic differentiation on a graph of Tensor nodes.

>>> import autograd_core as ag
>>> w = ag.Tensor(1.5, requires_grad=True)
>>> y = (w * w).sin()
>>> y.backward()
>>> w.grad            # 2 w cos(w^2)
"""

# tensor.py first: it defines Tensor and then loads the operation modules that build on it
from .tensor import Tensor, as_tensor, from_numpy  # noqa: I001

from . import functional, primitives
from . import functions as _functions
from .anomaly import AnomalyError, detect_anomaly
from .backward import grad, topological_order
from .compiler import CompileError
from .compiler.compiled import compile
from .composites import concatenate, stack
from .dtypes import bool_ as bool, float16, float32, float64, int8, int32, int64, uint8, get_default_dtype, set_default_dtype
from .dtypes import float32 as float, float64 as double, int32 as int, int64 as long  # PyTorch's aliases
from .factories import (arange, empty, eye, full, full_like, linspace, normal, ones, ones_like, rand, randint, randn,
                        randperm, tensor, zeros, zeros_like)  # fmt: skip
from .rng import default_generator, manual_seed
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .doctor import check_primitive
from .node import Node
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .primitive import AFFINE, COMPOSITE, ELEMENTWISE, PRODUCT, Primitive, ShapeError
from .scopes import current_scope, name_scope
from .functions import matmul, maximum, minimum, where
from .functions import arctan2, atan2, cat, dot, einsum, fmod, hstack, logaddexp, outer, remainder, tensordot, vstack
globals().update({name: getattr(_functions, name) for name in _functions.METHODS})
from . import viz  # noqa: E402  (draws and prints graphs of the engine above)

__all__ = [
    "AFFINE", "COMPOSITE", "ELEMENTWISE", "PRODUCT", "Primitive", "check_primitive",
    "AnomalyError", "CompileError", "GradcheckError", "ShapeError", "Tensor", "as_tensor", "compile", "concatenate", "current_scope", "detect_anomaly", "enable_grad",
    "functional", "get_default_dtype", "grad", "gradcheck", "gradgradcheck", "is_grad_enabled", "matmul", "maximum", "minimum", "name_scope", "Node", "no_grad", "primitives", "set_default_dtype",
    "set_grad_enabled", "stack", "topological_order", "where", *_functions.METHODS,
    "arctan2", "atan2", "cat", "dot", "einsum", "fmod", "hstack", "logaddexp", "outer", "remainder", "tensordot", "vstack",
    "bool", "float16", "float32", "float64", "int8", "int32", "int64", "uint8", "float", "double", "int", "long",
    "arange", "empty", "eye", "full", "full_like", "linspace", "normal", "ones", "ones_like", "rand", "randint", "randn", "randperm",
    "tensor", "zeros", "zeros_like", "default_generator", "manual_seed", "from_numpy",
]  # fmt: skip
