"""`Tensor`: a numpy array that is also a node of the computation graph.

A leaf is made by the user (``Tensor(1.5, requires_grad=True)``) and is a node of the graph itself; every other
Tensor is the output of one primitive and points to its node (``._node``, see node.py), which remembers that
primitive, its inputs and its parameters: one step z_t = h_t(parents) of the evaluation trace. A 0-d Tensor is the
lectures' scalar node; scalars and tensors are the same type of node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from . import inplace, rng
from .dtypes import get_default_dtype, is_floating
import warnings
import weakref

from .node import Node

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


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """``reshape(2, 3)`` and ``reshape((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class Tensor:
    """A node of the graph holding an ``np.ndarray`` value and, after a backward sweep, its gradient.

    ``Tensor(data, requires_grad=False, dtype=None, name=None)``: numpy arrays keep their dtype (and are copied);
    Python floats and lists of floats get the default dtype (float32, see ``ag.set_default_dtype``).
    """

    __slots__ = ("_value", "_grad", "requires_grad", "_name", "_node", "_hooks", "_counter", "__weakref__")
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
        if isinstance(data, Tensor):
            data = data._value
        if isinstance(data, (np.ndarray, np.generic)):
            array = np.array(data, dtype=dtype)
        else:
            array = np.array(data)
            if dtype is not None:
                array = array.astype(dtype)
            elif array.dtype == np.float64:  # Python floats: the default dtype, as torch.tensor does
                array = array.astype(get_default_dtype())
        if array.dtype == object:
            raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__} data (numpy gave dtype object)")
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
        self._counter = [0]  # the version counter: one more for each change in place (versions.py)

    @staticmethod
    def _make(value: np.ndarray, node: Node | None) -> Tensor:
        """A Tensor of ``value`` made by ``node`` (None: a leaf that does not require grad), without the checks of
        ``__init__``: the hot path of every operation."""
        t = Tensor.__new__(Tensor)
        t._value = value
        t._grad = None
        t._name = None
        t._node = node
        t._hooks = None
        t._counter = [0]
        t.requires_grad = node is not None  # a leaf may be made to require grad: then it is a node of the graph
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
        if self._value.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {self.shape} is ambiguous; use .numpy().all() or .numpy().any()")
        return bool(self._value)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __array__(self, dtype: DTypeLike | None = None, copy: bool | None = None) -> np.ndarray:
        """``np.asarray(t)``: the array itself, shared; a copy only where numpy asks for one."""
        if dtype is not None and np.dtype(dtype) != self._value.dtype:
            return self._value.astype(dtype)
        return self._value.copy() if copy else self._value

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self._value.size != 1:
            raise P.ShapeError(f"item: only one-element tensors can be converted to a Python number, got shape {self.shape}")
        return self._value.item()

    def numpy(self) -> np.ndarray:
        """The values as a numpy array: shared, not copied (writing into it writes into the tensor, untracked)."""
        return self._value

    def detach(self) -> Tensor:
        """The same value as a new leaf that does not require grad: the graph stops here. It shares the memory and
        the version counter, so a change in place through either counts for both."""
        leaf = Tensor._make(self._value, None)
        leaf._counter = self._counter
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
        return P.divide(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return P.divide(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        return P.power(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
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
        return P.reshape(self, shape=_shape_arg(shape))

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
        return P.transpose(self, axes=_shape_arg(dims))

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
        if not -max(self.ndim, 1) <= dim < max(self.ndim, 1):
            raise IndexError(f"size: dim {dim} out of range for a tensor of shape {self.shape} "
                             f"(expected -{max(self.ndim, 1)} .. {max(self.ndim, 1) - 1})")  # fmt: skip
        return self.shape[dim] if self.ndim else 1

    def numel(self) -> int:
        """The number of entries."""
        return self._value.size

    def dim(self) -> int:
        """The number of axes (``.ndim``)."""
        return self._value.ndim

    def view(self, *shape: Any) -> Tensor:
        """PyTorch's name for ``reshape``: ``view(2, -1)`` or ``view((2, -1))``."""
        return P.reshape(self, shape=_shape_arg(shape))

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

    def norm(self, p: Any = 2, dim: Axis = None, keepdim: bool = False) -> Tensor:
        """The p-norm of the entries (over ``dim``): (sum |x|^p)^(1/p); ``p`` may be inf, -inf, 0 or "fro"."""
        return C.norm(self, p, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the largest entry (of the flattened tensor, or along ``dim``); the first one at ties."""
        return C.arg_extremum(self, np.argmax, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the smallest entry (of the flattened tensor, or along ``dim``); the first one at ties."""
        return C.arg_extremum(self, np.argmin, dim, keepdim)

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
    """``x`` itself if it is a Tensor (converted if ``dtype`` differs), else a constant Tensor of it. As PyTorch's
    ``as_tensor``, a numpy array of the dtype is shared, not copied: writing into one writes into the other."""
    if isinstance(x, Tensor):
        return x if dtype is None else x.to(dtype)
    if isinstance(x, np.ndarray) and x.dtype != object and (dtype is None or x.dtype == dtype):
        return Tensor._make(x, None)
    return Tensor(x, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor sharing ``array``'s memory and dtype (PyTorch's ``from_numpy``)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    return as_tensor(array)


# The operations live in their own modules; they import Tensor, so they are imported after it is defined.
from . import composites as C  # noqa: E402
from . import primitives as P  # noqa: E402
from .backward import backward  # noqa: E402
