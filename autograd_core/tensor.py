"""`Tensor`: a numpy array that is also a node of the computation graph.

A leaf is made by the user (``Tensor(1.5, requires_grad=True)``) and is a node of the graph itself; every other
Tensor is the output of one primitive and points to its node (``._node``, see node.py), which remembers that
primitive, its inputs and its parameters: one step z_t = h_t(parents) of the evaluation trace. A 0-d Tensor is the
lectures' scalar node; scalars and tensors are the same type of node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
import warnings
import weakref

import numpy as np
from numpy.typing import DTypeLike

from . import inplace, rng, versions
from .dtypes import get_default_dtype, is_floating

from .compiler import recording
from .node import Node, next_number

Axis = int | tuple[int, ...] | None

NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf "
    "Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
    "you access the leaf Tensor instead."
)  # PyTorch's words


def _pick_axis(axis: Axis, dim: Axis) -> Axis:
    """Reductions take numpy's ``axis=`` and PyTorch's ``dim=``; at most one of them."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give either axis= or dim=, not both")
        return dim
    return axis


def _pick_keepdims(keepdims: bool, keepdim: bool | None) -> bool:
    return keepdims if keepdim is None else keepdim


def _shape_arg(shape: tuple[Any, ...], what: str) -> tuple[int, ...]:
    """``reshape(2, 3)`` and ``reshape((2, 3))`` alike; every entry an integer."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{what}: expected integers, got {n!r} ({type(n).__name__}) in {shape}")
    return tuple(shape)


def _from_python(data: Any) -> np.ndarray:
    """numpy's array of a Python number or (nested) list, with an error that names ragged rows."""
    try:
        return np.array(data)
    except ValueError:
        rows = data if isinstance(data, (list, tuple)) else []
        lengths = sorted({len(row) for row in rows if isinstance(row, (list, tuple))})
        raise ValueError(
            f"Tensor: the nested lists are ragged (rows of lengths {lengths} at one depth); every row at one depth "
            "needs the same length"
        ) from None


class Tensor:
    """A node of the graph holding an ``np.ndarray`` value and, after a backward sweep, its gradient.

    ``Tensor(data, requires_grad=False, dtype=None, name=None)``: numpy arrays keep their dtype (and are copied);
    Python floats and lists of floats get the default dtype (float32, see ``ag.set_default_dtype``).
    """

    __slots__ = ("_value", "_grad", "requires_grad", "_name", "_node", "_hooks", "_number", "_counter", "__weakref__")
    __array_ufunc__ = None  # numpy defers to our operators: ndarray * Tensor calls Tensor.__rmul__
    # As a node of the graph, a leaf is a step with no operation and no inputs (an operation's result is never a
    # node itself: its grad_fn is).
    op = inputs = None

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: DTypeLike | None = None,
        name: str | None = None,
    ) -> None:
        if recording.tracer is not None:  # ag.compile: a Tensor made from a recorded value stands for that value
            recording.tracer.made_from(self, data, requires_grad)
        if isinstance(data, Tensor):
            data = data._value
        if isinstance(data, (np.ndarray, np.generic)):
            array = np.array(data, dtype=dtype)
        else:
            array = _from_python(data)
            if dtype is not None:
                array = array.astype(dtype)
            elif array.dtype == np.float64:  # Python floats: the default dtype, as torch.tensor does
                array = array.astype(get_default_dtype())
        if array.dtype.kind not in "biuf":  # numbers only: objects, strings and complex numbers have no place here
            raise TypeError(
                f"Tensor: expected real numbers (bool, int or float), got {type(data).__name__} data of dtype "
                f"{array.dtype}" + ("; complex numbers are not supported" if array.dtype.kind == "c" else "")
            )
        if requires_grad and not np.issubdtype(array.dtype, np.floating):
            raise TypeError(
                f"Tensor: requires_grad=True needs floating-point data, got dtype {array.dtype}; "
                "only floating-point tensors can have gradients (pass dtype=np.float32 or np.float64)"
            )
        self._value: np.ndarray = array  # the numbers (.numpy(), np.asarray(t)); .data is a Tensor of them
        self._grad: Tensor | None = None
        self.requires_grad: bool = bool(requires_grad)
        self._name: str | None = name
        self._node: Node | None = None
        self._hooks: list[Any] | None = None
        self._number = next_number()  # as a node's (node.py); a copy keeps it, which orders it as well
        self._counter = versions.FRESH  # the version counter: one more for each change in place (versions.py)

    @staticmethod
    def _make(value: np.ndarray, node: Node | None, counter: Any = versions.FRESH) -> Tensor:
        """A Tensor of ``value`` made by ``node`` (None: a leaf that does not require grad), with the version
        ``counter`` (versions.py), without the checks of ``__init__``: the hot path of every operation."""
        t = Tensor.__new__(Tensor)
        t._value = value
        t._grad = None
        t._name = None
        t._node = node
        t._hooks = None
        t._counter = counter
        t.requires_grad = node is not None
        if node is None:  # a leaf may be made to require grad: then it is a node of the graph, numbered as one
            t._number = next_number()
        return t

    # ---- attributes -------------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._value.shape

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._value.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made (and results of operations that record nothing)."""
        return self._node is None

    @property
    def name(self) -> str | None:
        """The name drawings and traces show for this node (an operation's result keeps it on its graph node)."""
        return self._name if self._node is None else self._node.name

    @name.setter
    def name(self, name: str | None) -> None:
        if self._node is None:
            self._name = name
        else:
            self._node.name = name

    @property
    def grad_fn(self) -> Node | None:
        """The node of the step that made this tensor (see node.py), or None for a leaf."""
        return self._node

    @property
    def _graph_node(self) -> Tensor | Node:
        """This tensor's node in the graph: its ``grad_fn``, or the tensor itself for a leaf."""
        return self if self._node is None else self._node

    @property
    def T(self) -> Tensor:
        """All axes reversed (a plain transpose for a matrix)."""
        return P.transpose(self, axes=tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        """The last two axes swapped: the transpose of each matrix in a batch (as torch's and numpy's ``.mT``)."""
        if self.ndim < 2:
            raise ValueError(f"mT: expected a tensor of at least 2 dimensions, got shape {self.shape}")
        n = self.ndim
        return P.transpose(self, axes=(*range(n - 2), n - 1, n - 2))

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._value)

    def __repr__(self) -> str:
        body = np.array2string(self._value, separator=", ", precision=4, threshold=20, prefix="Tensor(")
        extras = []
        if self._value.dtype != get_default_dtype() and np.issubdtype(self._value.dtype, np.floating):
            extras.append(f"dtype={self._value.dtype}")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        if self._node is not None:
            extras.append(f"op={self._node.op.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"Tensor({', '.join([body, *extras])})"

    __hash__ = object.__hash__  # nodes are dictionary keys in the sweep; == is elementwise, as in numpy

    def __bool__(self) -> bool:
        if recording.tracer is not None:  # ag.compile: a branch on a value cannot be replayed
            recording.refuse("bool(t), a branch on a tensor's value", "use ag.where")
        if self._value.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {self.shape} is ambiguous; use .numpy().all() or .numpy().any()")
        return bool(self._value)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __array__(self, dtype: DTypeLike | None = None, copy: bool | None = None) -> np.ndarray:
        """``np.asarray(t)``: the array itself, shared; a copy only where numpy asks for one."""
        if recording.tracer is not None and self._value.dtype.kind == "f":  # ag.compile: numpy's work is not recorded
            recording.refuse("numpy on a tensor, np.asarray(t)", "use ag operations")  # (integers enter as indices)
        if dtype is not None and np.dtype(dtype) != self._value.dtype:
            return self._value.astype(dtype)
        return self._value.copy() if copy else self._value

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if recording.tracer is not None:  # ag.compile: a number in Python is not recorded (float(t), int(t) too)
            recording.refuse("t.item(), float(t) or int(t)", "keep the value a Tensor")
        if self._value.size != 1:
            raise P.ShapeError(f"item: only one-element tensors can be converted to a Python number, got shape {self.shape}")
        return self._value.item()

    def numpy(self) -> np.ndarray:
        """The values as a numpy array: shared, not copied (writing into it writes into the tensor, untracked)."""
        if recording.tracer is not None and self._value.dtype.kind == "f":  # ag.compile: numpy's work is not recorded;
            recording.refuse("t.numpy()", "use ag operations")  # integer labels enter as indices, tracked by memory
        return self._value

    def detach(self) -> Tensor:
        """The same value as a new leaf that does not require grad: the graph stops here. It shares the memory and
        the version counter, so a change in place through either counts for both."""
        leaf = Tensor._make(self._value, None)
        leaf._counter = versions.own(self)
        return leaf

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf; returns self."""
        if self._node is not None:
            raise RuntimeError(
                "requires_grad_: you can only change requires_grad of leaf tensors; "
                "use .detach().requires_grad_() to make a new leaf from this value"
            )
        if requires_grad and not np.issubdtype(self.dtype, np.floating):
            raise TypeError(f"requires_grad_: only floating-point tensors can require grad, got dtype {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``.grad`` becomes None, as PyTorch's ``set_to_none``)."""
        self._grad = None

    def astype(self, dtype: DTypeLike) -> Tensor:
        """A copy in another dtype; the gradient is cast back on the way down (an integer or boolean copy carries
        no gradient, as in PyTorch)."""
        dtype = np.dtype(dtype)
        return P.astype(self if is_floating(dtype) else self.detach(), dtype=dtype)

    # ---- the backward sweep -----------------------------------------------------------------------------------
    def backward(
        self,
        grad: Tensor | np.ndarray | float | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``grad`` is the adjoint to start from (``ones`` for a scalar, required otherwise). The graph is freed as it
        is swept unless ``retain_graph=True``; ``create_graph=True`` records the sweep itself (see ``ag.grad`` for
        differentiable results).
        """
        backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    def register_hook(self, fn: Callable[[Tensor], Tensor | np.ndarray | None]) -> RemovableHandle:
        """Call ``fn(grad)`` when this node's gradient is complete; a non-None result replaces the gradient.

        Returns a handle whose ``.remove()`` takes the hook away again.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does not require grad")
        node = self._graph_node
        if node._hooks is None:
            node._hooks = []
        node._hooks.append(fn)
        return RemovableHandle(node._hooks, fn)

    def retain_grad(self) -> None:
        """Keep this non-leaf node's gradient in ``.grad`` after a backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: cannot retain the gradient of a tensor that does not require grad")
        if self._node is not None and not self._retains_grad():
            self.register_hook(RetainGrad(self))

    # ---- operators --------------------------------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return P.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return P.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return P.subtract(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return P.subtract(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return P.multiply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return P.multiply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        if self._value.dtype.kind in "biu":  # integers divide as floats, with PyTorch's dtype (numpy's is float64)
            return _true_divide(self, other)
        return P.divide(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        if self._value.dtype.kind in "biu":
            return _true_divide(other, self)
        return P.divide(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        return P.power(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        if isinstance(base, float) and self._value.dtype.kind in "biu":  # 0.7 ** an integer tensor: floats, as PyTorch
            return P.power(base, self.astype(get_default_dtype()))
        # the base takes our dtype, so that 2 ** float32 and its gradient's log(2) stay float32
        return P.power(np.asarray(base, dtype=self.dtype), self)

    def __neg__(self) -> Tensor:
        return P.negative(self)

    def __abs__(self) -> Tensor:
        return P.absolute(self)

    def __matmul__(self, other: Any) -> Tensor:
        return P.matmul(self, _operand(other, self))

    def __rmatmul__(self, other: Any) -> Tensor:
        return P.matmul(_operand(other, self), self)

    def __lt__(self, other: Any) -> Tensor:
        return P.less(self, other)

    def __le__(self, other: Any) -> Tensor:
        return P.less_equal(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return P.greater(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return P.greater_equal(self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return P.equal(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return P.not_equal(self, other)

    def __getitem__(self, index: Any) -> Tensor:
        return P.getitem(self, index=_plain_index(index))

    # ---- one-dimensional functions (each also ag.NAME) --------------------------------------------------------
    def exp(self) -> Tensor:
        """e^x, elementwise."""
        return P.exp(self)

    def log(self) -> Tensor:
        """Natural logarithm, elementwise."""
        return P.log(self)

    def sin(self) -> Tensor:
        """sin x, elementwise."""
        return P.sin(self)

    def cos(self) -> Tensor:
        """cos x, elementwise."""
        return P.cos(self)

    def tan(self) -> Tensor:
        """tan x, elementwise."""
        return P.tan(self)

    def tanh(self) -> Tensor:
        """tanh x, elementwise."""
        return P.tanh(self)

    def sigmoid(self) -> Tensor:
        """1 / (1 + e^-x), elementwise, without overflow for large |x|."""
        return P.sigmoid(self)

    def relu(self) -> Tensor:
        """max(x, 0), elementwise; relu'(0) = 0."""
        return P.relu(self)

    def abs(self) -> Tensor:
        """|x|, elementwise; abs'(0) = 0."""
        return P.absolute(self)

    def sqrt(self) -> Tensor:
        """Square root, elementwise."""
        return P.sqrt(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """x for x > 0, negative_slope * x otherwise; the derivative at 0 is negative_slope, as PyTorch's."""
        return C.leaky_relu(self, negative_slope)

    def softplus(self, beta: float = 1.0) -> Tensor:
        """log(1 + e^(beta x)) / beta, elementwise, stable for large |x|."""
        return C.softplus(self, beta)

    def gelu(self, approximate: str = "none") -> Tensor:
        """x Phi(x) with the exact erf form, or PyTorch's tanh approximation (``approximate="tanh"``)."""
        return C.gelu(self, approximate)

    def clip(self, lo: float | None = None, hi: float | None = None, *, min: float | None = None,
             max: float | None = None) -> Tensor:  # fmt: skip
        """Clamp each entry to [lo, hi] (PyTorch's keywords ``min=``, ``max=`` too); the gradient passes where
        lo <= x <= hi (PyTorch's clamp)."""
        return P.clip(self, lo=lo if min is None else min, hi=hi if max is None else max)

    # ---- reductions and normalisations ------------------------------------------------------------------------
    def sum(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None) -> Tensor:
        """Sum over ``axis`` (an int, a tuple, or None for all)."""
        return P.sum(self, axis=_pick_axis(axis, dim), keepdims=_pick_keepdims(keepdims, keepdim))

    def mean(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None) -> Tensor:
        """Mean sum(x) / N over ``axis``, N being the number of entries each mean combines."""
        return P.mean(self, axis=_pick_axis(axis, dim), keepdims=_pick_keepdims(keepdims, keepdim))

    def max(self, dim: int | Tensor | None = None, keepdim: bool = False, *, axis: Axis = None,
            keepdims: bool = False) -> Any:  # fmt: skip
        """Largest entry: over ``axis`` (values only); along ``dim`` (PyTorch's named tuple ``(values, indices)``);
        of ``self`` and another Tensor elementwise (``x.max(y)``). Ties share the gradient evenly."""
        return C.extremum(self, "max", dim, keepdim, axis, keepdims)

    def min(self, dim: int | Tensor | None = None, keepdim: bool = False, *, axis: Axis = None,
            keepdims: bool = False) -> Any:  # fmt: skip
        """Smallest entry: over ``axis`` (values only); along ``dim`` (``(values, indices)``); elementwise with
        another Tensor. Ties share the gradient evenly."""
        return C.extremum(self, "min", dim, keepdim, axis, keepdims)

    def var(
        self, axis: Axis = None, ddof: int = 0, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """Variance sum((x - mean)^2) / (N - ddof) over ``axis`` (ddof=0: numpy's default, the biased estimate)."""
        return C.var(self, _pick_axis(axis, dim), ddof, _pick_keepdims(keepdims, keepdim))

    def logsumexp(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None) -> Tensor:
        """log(sum(exp(x))) over ``axis``, computed as m + log(sum(exp(x - m))) with m the maximum."""
        return C.logsumexp(self, _pick_axis(axis, dim), _pick_keepdims(keepdims, keepdim))

    def softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """exp(x_i) / sum_j exp(x_j) along ``axis``, stable for large |x|."""
        return P.softmax(self, axis=_pick_axis(axis if dim is None else None, dim))

    def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """x_i - logsumexp(x) along ``axis``."""
        return P.log_softmax(self, axis=_pick_axis(axis if dim is None else None, dim))

    # ---- shapes -----------------------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """The same entries in a new shape (``-1`` infers one dimension); ``reshape(2, 3)`` or ``reshape((2, 3))``."""
        return P.reshape(self, shape=_shape_arg(shape, "reshape"))

    def transpose(self, dim0: int = 0, dim1: int = 1) -> Tensor:
        """Swap two axes, as PyTorch's ``transpose`` (``.T`` reverses all axes)."""
        axes = list(range(self.ndim))
        try:
            axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        except IndexError:
            raise IndexError(f"transpose: dims ({dim0}, {dim1}) out of range for a tensor of shape {self.shape}") from None
        return P.transpose(self, axes=tuple(axes))

    def permute(self, *dims: Any) -> Tensor:
        """Reorder the axes: ``permute(2, 0, 1)`` or ``permute((2, 0, 1))``."""
        return P.transpose(self, axes=_shape_arg(dims, "permute"))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge the axes from ``start_dim`` to ``end_dim`` into one (all of them by default)."""
        return C.flatten(self, start_dim, end_dim)

    def squeeze(self, axis: Axis = None, *, dim: Axis = None) -> Tensor:
        """Drop axes of length 1 (all, or those in ``axis``; a named axis of another length is kept, as PyTorch)."""
        return C.squeeze(self, _pick_axis(axis, dim))

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert an axis of length 1 at position ``dim``."""
        return C.unsqueeze(self, dim)

    def expand_dims(self, axis: int) -> Tensor:
        """numpy's name for ``unsqueeze``."""
        return C.unsqueeze(self, axis)

    # ---- more operations: API.md's "More operations", each also ag.NAME (docs/operations.md) -----------------------
    # Entries of the derivative table are in primitives_elementwise.py, primitives_reductions.py and
    # primitives_linalg.py; compositions of entries in composites_reductions.py, composites_shapes.py and
    # composites_linalg.py.

    # elementwise
    def sinh(self) -> Tensor:
        """sinh x, elementwise."""
        return PE.sinh(self)

    def cosh(self) -> Tensor:
        """cosh x, elementwise."""
        return PE.cosh(self)

    def arcsin(self) -> Tensor:
        """arcsin x, elementwise, for -1 <= x <= 1 (PyTorch's asin)."""
        return PE.arcsin(self)

    def arccos(self) -> Tensor:
        """arccos x, elementwise, for -1 <= x <= 1 (PyTorch's acos)."""
        return PE.arccos(self)

    def arctan(self) -> Tensor:
        """arctan x, elementwise (PyTorch's atan)."""
        return PE.arctan(self)

    def log2(self) -> Tensor:
        """Base-2 logarithm, elementwise."""
        return PE.log2(self)

    def log10(self) -> Tensor:
        """Base-10 logarithm, elementwise."""
        return PE.log10(self)

    def log1p(self) -> Tensor:
        """log(1 + x), elementwise, accurate for tiny x."""
        return PE.log1p(self)

    def expm1(self) -> Tensor:
        """e^x - 1, elementwise, accurate for tiny x."""
        return PE.expm1(self)

    def exp2(self) -> Tensor:
        """2^x, elementwise."""
        return PE.exp2(self)

    def erf(self) -> Tensor:
        """The error function (2 / sqrt(pi)) * integral_0^x e^(-t^2) dt, elementwise."""
        return P.erf(self)

    def rsqrt(self) -> Tensor:
        """1 / sqrt(x), elementwise."""
        return PE.rsqrt(self)

    def reciprocal(self) -> Tensor:
        """1 / x, elementwise."""
        return PE.reciprocal(self)

    def square(self) -> Tensor:
        """x^2, elementwise; composed as x * x, whose product rule gives 2 x g."""
        return P.multiply(self, self)

    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of each entry; a zero derivative, as PyTorch's (docs/kinks.md)."""
        return P.sign(self)

    def floor(self) -> Tensor:
        """The largest integer <= x, elementwise; a zero derivative."""
        return PE.floor(self)

    def ceil(self) -> Tensor:
        """The smallest integer >= x, elementwise; a zero derivative."""
        return PE.ceil(self)

    def trunc(self) -> Tensor:
        """x rounded towards zero, elementwise; a zero derivative."""
        return PE.trunc(self)

    def round(self, decimals: int = 0) -> Tensor:
        """x rounded to ``decimals`` places, halves to even (as numpy and PyTorch); a zero derivative."""
        return PE.round(self, decimals=decimals)

    def arctan2(self, other: Any) -> Tensor:
        """The angle of the point (other, self), elementwise: arctan(self / other) in the right quadrant."""
        return PE.arctan2(self, other)

    def logaddexp(self, other: Any) -> Tensor:
        """log(e^self + e^other), elementwise, without overflow."""
        return PE.logaddexp(self, other)

    def remainder(self, other: Any) -> Tensor:
        """self - floor(self / other) * other: the remainder with the divisor's sign (Python's and PyTorch's %)."""
        return PE.remainder(self, other)

    def fmod(self, other: Any) -> Tensor:
        """self - trunc(self / other) * other: the remainder with the dividend's sign (C's fmod)."""
        return PE.fmod(self, other)

    def __mod__(self, other: Any) -> Tensor:
        return PE.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return PE.remainder(other, self)

    asin, acos, atan, atan2 = arcsin, arccos, arctan, arctan2  # PyTorch's names

    # reductions and orderings
    def prod(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None) -> Tensor:
        """Product of the entries over ``axis``; its gradient is right where entries are 0 (docs/kinks.md)."""
        return RD.prod(self, _pick_axis(axis, dim), _pick_keepdims(keepdims, keepdim))

    def std(
        self, axis: Axis = None, ddof: int = 0, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """Standard deviation sqrt(var) over ``axis``, var as ``var`` gives it (ddof=0 by default)."""
        return RD.std(self, _pick_axis(axis, dim), ddof, _pick_keepdims(keepdims, keepdim))

    def cumsum(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """Running sums z_i = x_0 + ... + x_i along ``axis`` (None: over the flattened tensor, as numpy)."""
        return RD.cumsum(self, _pick_axis(axis, dim))

    def cumprod(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """Running products z_i = x_0 ... x_i along ``axis`` (None: the flattened tensor); right with zeros."""
        return RD.cumprod(self, _pick_axis(axis, dim))

    def norm(self, p: Any = 2, dim: Axis = None, keepdim: bool = False, *, ord: Any = None, axis: Axis = None,
             keepdims: bool | None = None) -> Tensor:  # fmt: skip
        """The p-norm of the entries over ``dim`` (all by default): (sum |x|^p)^(1/p); p may be inf, -inf, 0 or "fro"
        (= 2). PyTorch's meaning, with numpy's keywords ``ord=``, ``axis=``, ``keepdims=`` accepted too."""
        return RD.norm(self, p if ord is None else ord, _pick_axis(axis, dim), keepdim if keepdims is None else keepdims)

    def argmax(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None) -> Tensor:
        """The position of the largest entry over ``axis`` (of the flattened tensor for None); the first of ties."""
        return RD.argmax(self, _pick_axis(axis, dim), _pick_keepdims(keepdims, keepdim))

    def argmin(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None) -> Tensor:
        """The position of the smallest entry over ``axis`` (of the flattened tensor for None); the first of ties."""
        return RD.argmin(self, _pick_axis(axis, dim), _pick_keepdims(keepdims, keepdim))

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False, *, axis: int | None = None) -> Any:
        """``(values, indices)``: the entries along ``dim`` in order and where each came from, as PyTorch's sort.
        Always stable: equal entries keep their order (``stable`` is accepted for PyTorch's sake)."""
        return RD.sort(self, dim if axis is None else axis, descending)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False, *, axis: int | None = None) -> Tensor:
        """The positions that sort the entries along ``dim``; stable, as ``sort``."""
        return RD.argsort(self, dim if axis is None else axis, descending)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        """``(values, indices)`` of the k largest (``largest=False``: smallest) entries along ``dim``, in order."""
        return RD.topk(self, k, dim, largest)

    # linear algebra
    def outer(self, other: Tensor) -> Tensor:
        """out[i, j] = self[i] other[j] for two 1-D tensors."""
        return LA.outer(self, other)

    def dot(self, other: Tensor) -> Tensor:
        """sum_i self[i] other[i] for two 1-D tensors of one length."""
        return LA.dot(self, other)

    def trace(self) -> Tensor:
        """The sum of the main diagonal of a 2-D tensor."""
        return LA.trace(self)

    def diag(self, diagonal: int = 0, *, k: int | None = None) -> Tensor:
        """1-D: the square matrix with these entries on diagonal ``diagonal`` (numpy's ``k``); 2-D: that diagonal."""
        return LA.diag(self, diagonal if k is None else k)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1, *, axis1: int | None = None,
                 axis2: int | None = None) -> Tensor:  # fmt: skip
        """The entries [i, i + offset] of the plane (dim1, dim2) (numpy's axis1, axis2), as a new last axis."""
        return LA.diagonal(self, offset, dim1 if axis1 is None else axis1, dim2 if axis2 is None else axis2)

    def tril(self, diagonal: int = 0, *, k: int | None = None) -> Tensor:
        """The entries on and below diagonal ``diagonal`` of the last two axes, zeros above."""
        return LA.tril(self, diagonal if k is None else k)

    def triu(self, diagonal: int = 0, *, k: int | None = None) -> Tensor:
        """The entries on and above diagonal ``diagonal`` of the last two axes, zeros below."""
        return LA.triu(self, diagonal if k is None else k)

    # shapes
    def flip(self, *axes: Any, dims: Any = None, axis: Axis = None) -> Tensor:
        """The entries in reverse order along the given axes: ``flip(0, 1)``, ``flip((0, 1))``, PyTorch's ``dims=``
        or numpy's ``axis=`` (numpy's default, None, flips every axis)."""
        return SH.flip(self, _shape_arg(axes, "flip") if axes else dims if dims is not None else axis)

    def roll(self, shifts: Any, dims: Any = None, *, axis: Any = None) -> Tensor:
        """Entries moved ``shifts`` places along ``dims``, wrapping round (None: along the flattened tensor)."""
        return SH.roll(self, shifts, dims if axis is None else axis)

    def repeat(self, *sizes: Any) -> Tensor:
        """PyTorch's repeat: ``sizes[i]`` copies side by side along axis i (numpy's tile; numpy's repeat is
        ``repeat_interleave``). ``repeat(2, 3)`` or ``repeat((2, 3))``."""
        return SH.repeat(self, _shape_arg(sizes, "repeat"))

    def tile(self, *reps: Any) -> Tensor:
        """numpy's tile: ``reps[i]`` copies along axis i, ``reps`` padded with 1s in front when short."""
        return SH.tile(self, _shape_arg(reps, "tile"))

    def pad(self, pad_width: Any, value: float = 0, *, mode: str = "constant",
            constant_values: float | None = None) -> Tensor:  # fmt: skip
        """numpy's pad, constant mode: ``pad_width`` entries of ``value`` before and after each axis."""
        if mode != "constant":
            raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
        return SH.pad(self, pad_width, value if constant_values is None else constant_values)

    def split(self, split_size_or_sections: Any, dim: int = 0, *, axis: int | None = None) -> tuple[Tensor, ...]:
        """PyTorch's split: pieces of the given size along ``dim`` (the last may be shorter), or of the given sizes."""
        return SH.split(self, split_size_or_sections, dim if axis is None else axis)

    def chunk(self, chunks: int, dim: int = 0, *, axis: int | None = None) -> tuple[Tensor, ...]:
        """PyTorch's chunk: ``chunks`` pieces of ceil(n / chunks) entries along ``dim`` (fewer if they run out)."""
        return SH.chunk(self, chunks, dim if axis is None else axis)

    def tensor_split(self, indices_or_sections: Any, dim: int = 0, *, axis: int | None = None) -> tuple[Tensor, ...]:
        """numpy's array_split: n pieces as equal as can be, or the pieces between the given indices."""
        return SH.tensor_split(self, indices_or_sections, dim if axis is None else axis)

    def moveaxis(self, source: Any, destination: Any) -> Tensor:
        """The axes ``source`` moved to positions ``destination``, the others keeping their order."""
        return SH.moveaxis(self, source, destination)

    movedim = moveaxis  # PyTorch's other name

    def swapaxes(self, axis0: int, axis1: int, /) -> Tensor:
        """Swap two axes: ``transpose(axis0, axis1)``."""
        return self.transpose(axis0, axis1)

    def expand(self, *sizes: Any) -> Tensor:
        """PyTorch's expand: broadcast to ``sizes`` (-1 keeps an axis; axes of length 1 are copied out)."""
        return SH.expand(self, _shape_arg(sizes, "expand"))

    def gather(self, dim: int, index: Any) -> Tensor:
        """PyTorch's gather: out[i][j] = self[index[i][j]][j] for dim 0 (numpy's take_along_axis)."""
        return SH.gather(self, dim, index)

    def repeat_interleave(self, repeats: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        """Each entry repeated ``repeats`` times in place along ``dim`` (None: flattened), numpy's repeat."""
        return SH.repeat_interleave(self, repeats, dim if axis is None else axis)

    # ---- PyTorch habits: the names a PyTorch program reaches for (docs/coming-from-pytorch.md) ------------------
    # -- dtype conversions: each returns self when the dtype is already right, as PyTorch's do
    def to(self, *args: Any, dtype: DTypeLike | None = None) -> Tensor:
        """This tensor in ``dtype``: ``to(ag.float64)``, ``to(other_tensor)`` (its dtype), ``to("cpu")`` (itself:
        every tensor lives on the CPU)."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, str) and arg.split(":")[0] == "cpu":
                continue
            else:
                try:
                    dtype = np.dtype(arg)
                except TypeError:
                    raise TypeError(f"to: expected a dtype, a Tensor or 'cpu', got {arg!r} (only the CPU is supported)") from None
        return self if dtype is None else self._converted(np.dtype(dtype))

    def type(self, dtype: DTypeLike | None = None) -> Tensor | str:
        """This tensor in ``dtype``; without an argument, the dtype's name."""
        return self.dtype.name if dtype is None else self._converted(np.dtype(dtype))

    def float(self) -> Tensor:
        """As float32 (``ag.float``, whatever the default dtype)."""
        return self._converted(np.dtype(np.float32))

    def double(self) -> Tensor:
        """As float64."""
        return self._converted(np.dtype(np.float64))

    def half(self) -> Tensor:
        """As float16."""
        return self._converted(np.dtype(np.float16))

    def long(self) -> Tensor:
        """As int64 (truncated towards 0; carries no gradient)."""
        return self._converted(np.dtype(np.int64))

    def int(self) -> Tensor:
        """As int32 (truncated towards 0; carries no gradient)."""
        return self._converted(np.dtype(np.int32))

    def bool(self) -> Tensor:
        """As booleans: nonzero entries are True."""
        return self._converted(np.dtype(np.bool_))

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor in ``other``'s dtype."""
        return self._converted(other.dtype)

    def _converted(self, dtype: np.dtype) -> Tensor:
        return self if dtype == self.dtype else self.astype(dtype)

    @property
    def device(self) -> str:
        """Where the values live: always "cpu" (numpy), so that ``x.to(y.device)`` runs."""
        return "cpu"

    def contiguous(self) -> Tensor:
        """Itself: numpy copies where a layout needs it, so every tensor is as good as contiguous here."""
        return self

    # -- sizes and shapes
    def size(self, dim: int | None = None) -> Any:
        """The shape as a tuple, or the length of axis ``dim`` (PyTorch's ``size()``; numpy's count is ``numel()``)."""
        if dim is None:
            return self.shape
        if not -self.ndim <= dim < self.ndim:
            raise IndexError(f"size: dim {dim} out of range for a tensor of shape {self.shape} "
                             f"(expected -{self.ndim} .. {self.ndim - 1})")  # fmt: skip
        return self.shape[dim]

    def numel(self) -> int:
        """The number of entries."""
        return self._value.size

    def dim(self) -> int:
        """The number of axes (``.ndim``)."""
        return self._value.ndim

    def view(self, *shape: Any) -> Tensor:
        """PyTorch's name for ``reshape``: ``view(2, -1)`` or ``view((2, -1))``."""
        return P.reshape(self, shape=_shape_arg(shape, "view"))

    def t(self) -> Tensor:
        """The transpose of a matrix; a vector or a scalar as it is (PyTorch's ``t()``, for at most 2 axes)."""
        if self.ndim > 2:
            raise P.ShapeError(f"t: expects a tensor with at most 2 dimensions, got shape {self.shape}; use transpose or .mT")
        return self if self.ndim < 2 else P.transpose(self, axes=(1, 0))

    # -- arithmetic, reductions and copies
    def pow(self, exponent: Any) -> Tensor:
        """``self ** exponent``, elementwise."""
        return P.power(self, exponent)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Each entry clamped to [min, max] (either may be None); the gradient passes where min <= x <= max."""
        return P.clip(self, lo=min, hi=max)

    def matmul(self, other: Any) -> Tensor:
        """``self @ other``."""
        return self @ other

    def clone(self) -> Tensor:
        """A copy of the values that stays in the graph: the gradient flows back to ``self``."""
        return P.clone(self)

    def tolist(self) -> Any:
        """The values as (nested) Python lists of numbers; a 0-d tensor gives one number."""
        return self._value.tolist()

    # -- .data and .grad: Tensors, as PyTorch's
    @property
    def data(self) -> Tensor:
        """The values as a new Tensor that shares this one's memory and records nothing: a leaf that does not
        require grad. Changes through it are not tracked by the version counter (as in PyTorch: ``.detach()``
        shares the counter). ``t.data = x`` replaces the values (a Tensor or an array, any shape)."""
        return Tensor._make(self._value, None)

    @data.setter
    def data(self, values: Any) -> None:
        self._value = values._value if isinstance(values, Tensor) else np.asarray(values)

    @property
    def grad(self) -> Tensor | None:
        """The gradient a backward accumulated here: None before, then a Tensor of this shape and dtype that does
        not require grad, or a graph after ``backward(create_graph=True)``. Only leaves (and tensors that called
        ``retain_grad()``) get one: reading it on another tensor warns, as PyTorch does."""
        if self._grad is None and self._node is not None and not self._retains_grad():
            warnings.warn(NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, grad: Tensor | None) -> None:
        if grad is not None:
            if not isinstance(grad, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(grad).__name__}")
            if grad.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: {grad.shape}, the tensor's is {self.shape}")
            if grad.dtype != self.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: {grad.dtype}, the tensor's is {self.dtype}")
        self._grad = grad

    def _retains_grad(self) -> bool:
        node = self._node
        return node is not None and any(isinstance(h, RetainGrad) and h.tensor() is self for h in node._hooks or ())

    # -- in place (inplace.py): into the memory under no_grad, a recorded step otherwise; each counts a version
    @property
    def _version(self) -> int:
        """How many times this tensor's memory was changed in place (PyTorch's ``_version``)."""
        return self._counter[0]

    def __iadd__(self, other: Any) -> Tensor:
        return inplace.arithmetic("add_", self, np.add, lambda: self + other, other)

    def __isub__(self, other: Any) -> Tensor:
        return inplace.arithmetic("sub_", self, np.subtract, lambda: self - other, other)

    def __imul__(self, other: Any) -> Tensor:
        return inplace.arithmetic("mul_", self, np.multiply, lambda: self * other, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return inplace.arithmetic("div_", self, np.true_divide, lambda: self / other, other)

    def __ipow__(self, exponent: Any) -> Tensor:
        return inplace.arithmetic("pow_", self, np.power, lambda: self**exponent, exponent)

    def __setitem__(self, index: Any, value: Any) -> None:
        """``t[index] = value``, with numpy's indexing and broadcasting (``value`` cast to t's dtype)."""
        inplace.setitem(self, _plain_index(index), value, P.setitem)

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        """``self += alpha * other``, in place; returns self."""
        return self.__iadd__(other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        """``self -= alpha * other``, in place; returns self."""
        return self.__isub__(other if alpha == 1 else other * alpha)

    def mul_(self, other: Any) -> Tensor:
        """``self *= other``, in place; returns self."""
        return self.__imul__(other)

    def div_(self, other: Any) -> Tensor:
        """``self /= other``, in place; returns self."""
        return self.__itruediv__(other)

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Clamp each entry to [min, max] in place; returns self."""
        return inplace.update("clamp_", self, lambda: P.clip(self, lo=min, hi=max))

    def zero_(self) -> Tensor:
        """Fill with 0 in place; returns self (``p.grad.zero_()``)."""
        return inplace.overwrite("zero_", self, 0, P.where)

    def fill_(self, value: Any) -> Tensor:
        """Fill with one number (or a 0-d Tensor) in place; returns self."""
        if isinstance(value, Tensor) and value.ndim:
            raise RuntimeError(f"fill_: only a 0-d value tensor fills a tensor, got one of shape {value.shape}")
        return inplace.overwrite("fill_", self, value, P.where)

    def copy_(self, src: Any) -> Tensor:
        """Copy ``src``'s values in (broadcast to this shape, cast to this dtype); returns self."""
        return inplace.overwrite("copy_", self, src, P.where)

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator: np.random.Generator | None = None) -> Tensor:
        """Fill with draws from N(mean, std^2) in place (from ``ag.default_generator``); returns self."""
        draws = (generator or rng.default_generator).normal(mean, std, self.shape)
        return inplace.overwrite("normal_", self, draws.astype(self.dtype), P.where)

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator: np.random.Generator | None = None) -> Tensor:
        """Fill with draws from U(a, b) in place (PyTorch's ``uniform_(from, to)``); returns self."""
        draws = (generator or rng.default_generator).uniform(a, b, self.shape)
        return inplace.overwrite("uniform_", self, draws.astype(self.dtype), P.where)


class RemovableHandle:
    """Returned by ``register_hook``: ``.remove()`` unregisters the hook."""

    def __init__(self, hooks: list[Any], fn: Any) -> None:
        self._hooks = hooks
        self._fn = fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


class RetainGrad:
    """The hook that ``retain_grad`` registers on a node; the sweep recognises it and stores the gradient in the
    ``.grad`` of ``tensor()``, once every other hook has run. A weak reference: the graph never keeps the tensor
    alive (tensor -> node -> hook -> tensor would be a cycle that holds its memory until the collector runs)."""

    __slots__ = ("tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self.tensor = weakref.ref(tensor)


def _plain_index(index: Any) -> Any:
    """Indices may hold Tensors (integer or boolean); numpy wants their arrays."""
    if isinstance(index, Tensor):
        return index._value
    if isinstance(index, tuple):
        return tuple(i._value if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _operand(x: Any, like: Tensor) -> Any:
    """The other operand of ``like @ x`` as a Tensor or an array (lists and numbers take ``like``'s dtype, as in
    ``__rpow__``), so that the matmul rules can read its ``.shape``."""
    return x if isinstance(x, (Tensor, np.ndarray)) else np.asarray(x, dtype=like.dtype)


def as_tensor(x: Any, dtype: DTypeLike | None = None) -> Tensor:
    """``x`` itself if it is a Tensor (converted if ``dtype`` differs); a (nested) list or tuple holding Tensors
    stacked into one, their graphs kept (``ag.mean([x, y])`` is the mean of x and y, differentiable in both);
    anything else a constant Tensor of it. As PyTorch's ``as_tensor``, a numpy array of the dtype is shared, not
    copied: writing into one writes into the other."""
    if isinstance(x, Tensor):
        return x if dtype is None else x.to(dtype)
    if isinstance(x, (list, tuple)) and _holds_a_tensor(x):
        stacked = C.stack([as_tensor(item) for item in x])
        return stacked if dtype is None else stacked.to(dtype)
    if isinstance(x, np.ndarray) and x.dtype != object and (dtype is None or x.dtype == dtype):
        return Tensor._make(x, None)
    return Tensor(x, dtype=dtype)


def _holds_a_tensor(items: list[Any] | tuple[Any, ...]) -> bool:
    """Whether a Tensor lies anywhere in the nested lists and tuples ``items``."""
    pending = list(items)
    while pending:
        item = pending.pop()
        if isinstance(item, Tensor):
            return True
        if isinstance(item, (list, tuple)):
            pending.extend(item)
    return False


def _true_divide(a: Any, b: Any) -> Tensor:
    """a / b where an operand is an integer (or boolean) tensor, with PyTorch's dtypes: integer operands are first
    converted to the other operand's float dtype, or to the default dtype if neither is a float array or tensor
    (numpy would give float64, even for int32 / int32)."""
    kinds = [x.dtype.kind if isinstance(x, (Tensor, np.ndarray)) else None for x in (a, b)]
    dtype = next((x.dtype for x, kind in zip((a, b), kinds) if kind == "f"), get_default_dtype())
    return P.divide(*(x.astype(dtype) if kind and kind in "biu" else x for x, kind in zip((a, b), kinds)))


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor sharing ``array``'s memory and dtype (PyTorch's ``from_numpy``)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    return as_tensor(array)


# The operations live in their own modules; they import Tensor, so they are imported after it is defined.
from . import composites as C  # noqa: E402
from . import primitives as P  # noqa: E402
from . import composites_linalg as LA  # noqa: E402
from . import composites_reductions as RD  # noqa: E402
from . import composites_shapes as SH  # noqa: E402
from . import primitives_elementwise as PE  # noqa: E402
from .backward import backward  # noqa: E402
