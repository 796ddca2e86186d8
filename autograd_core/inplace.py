"""Changes in place (``add_``, ``-=``, ``t[idx] = v``, ``zero_`` ...) with PyTorch's rules.

Three cases, decided by whether the change would be recorded (recording on, and the tensor or an operand
requires grad):

* not recorded (under ``no_grad``, or nothing requires grad): the new values are written into the tensor's own
  memory, so every view of it and every array from ``.numpy()`` sees them. This is what an update of a parameter
  wants: ``with ag.no_grad(): p -= lr * p.grad``.
* recorded, on a leaf that requires grad: a RuntimeError. The leaf's gradient would belong to a value that no
  longer exists; PyTorch refuses it in the same words.
* recorded, on any other tensor: the change becomes a step of the graph. The new value is computed out of place,
  as a new node, and the tensor takes that value and that node as its own (PyTorch's "rebase_history"): later
  operations see the new value and differentiate through the change.

In every case the tensor's version counter goes up by one (versions.py), so a backward that needs the old value
raises instead of computing with the new one. The result must keep the tensor's shape and kind of dtype: a
float result does not go into an integer tensor, and ``a += b`` cannot make ``a`` larger by broadcasting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import versions
from .grad_mode import state as grad_mode

LEAF = (
    "a leaf Variable that requires grad is being used in an in-place operation. Change its values under "
    "ag.no_grad() (as an optimizer step does), or change a copy (x.clone())"
)
VIEW_OF_LEAF = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation. Change the leaf under "
    "ag.no_grad(), or change a copy (x.clone())"
)


def recorded(tensor: Any, operands: tuple[Any, ...]) -> bool:
    """Whether a change of ``tensor`` by ``operands`` would be a step of the graph; raises for a leaf (or a view
    of a leaf) that requires grad, which may not change while recording."""
    if not grad_mode.enabled:
        return False
    if tensor.requires_grad:
        node = tensor._node
        if node is None:
            raise RuntimeError(LEAF)
        if _views_a_leaf(tensor):
            raise RuntimeError(VIEW_OF_LEAF)
        return True
    return any(getattr(x, "requires_grad", False) for x in operands)


def _views_a_leaf(tensor: Any) -> bool:
    """Whether ``tensor`` is a view (of a view ...) of a leaf: a view shares its base's counter, so the walk goes up
    through the steps that hold the same counter until it meets a Tensor with no node holding it."""
    counter = tensor._counter
    if counter is versions.FRESH:  # a tensor that shares its memory holds a counter of its own
        return False
    steps = [tensor._node]
    while steps:
        for x in steps.pop().inputs or ():
            if getattr(x, "_counter", None) is counter:  # the same memory: a leaf Tensor, or a step to go up from
                if getattr(x, "_node", False) is None:  # (steps have no _node)
                    return True
                steps.append(x)
    return False


def _fits(name: str, tensor: Any, shape: tuple[int, ...]) -> None:
    """The new values must broadcast to the tensor's shape: an in-place change cannot make the tensor larger."""
    try:
        joint = np.broadcast_shapes(tensor.shape, shape)
    except ValueError:
        joint = None
    if joint != tensor.shape:
        raise RuntimeError(
            f"{name}: output with shape {list(tensor.shape)} doesn't match the broadcast shape "
            f"{list(joint) if joint is not None else list(shape)}: an in-place operation cannot change the shape "
            "of the tensor it writes into"
        )


def _holds(name: str, tensor: Any, dtype: np.dtype) -> None:
    """A computed result must be of a kind the tensor holds: a float result does not go into an integer tensor."""
    if not np.can_cast(dtype, tensor.dtype, "same_kind"):
        raise RuntimeError(
            f"{name}: result type {dtype} can't be cast to the desired output type {tensor.dtype}; convert the "
            f"tensor first (x = x.to(ag.{dtype}))"
        )


def rebase(name: str, tensor: Any, compute: Callable[[], Any]) -> Any:
    """The recorded case: ``tensor`` becomes ``compute()``, the new value computed out of place as a new node.

    No array is written: nodes that kept the old value stay right, yet they raise at the backward, as PyTorch's
    do, because the tensor's counter moves on first. The tensor then holds the new array, with a counter of its
    own (continuing the count), so that later changes of it do not count against the old value.
    """
    versions.bump(tensor)  # first: the node that reads the old value now is made after the change
    new = compute()
    _fits(name, tensor, new.shape)
    _holds(name, tensor, new.dtype)
    if new.dtype != tensor.dtype:
        new = new.astype(tensor.dtype)
    versions.own(new)[0] = tensor._counter[0]  # the new counter goes on with the count (PyTorch's _version)
    tensor._value, tensor._node, tensor._counter = new._value, new._node, new._counter
    tensor.requires_grad = new.requires_grad
    return tensor


def write(name: str, tensor: Any, values: Any, computed: bool = True) -> Any:
    """The unrecorded case: ``values`` (an array or a number, broadcast to the tensor's shape) into its memory.
    A ``computed`` result must be of the tensor's kind; values given to copy in (``copy_``, ``fill_``) are cast,
    as PyTorch casts them."""
    values = np.asarray(values)
    _fits(name, tensor, values.shape)
    if computed:
        _holds(name, tensor, values.dtype)
    try:
        np.copyto(tensor._value, values, casting="unsafe")
    except ValueError as err:  # a read-only array: a broadcast view, or numpy's
        raise RuntimeError(f"{name}: cannot write into this tensor's memory ({err})") from None
    versions.bump(tensor)
    return tensor


def update(name: str, tensor: Any, compute: Callable[[], Any]) -> Any:
    """``tensor <- compute()`` in place (``clamp_``), by the rules above; ``compute`` returns the new value out of
    place, as a Tensor, recorded when recording is on."""
    if recorded(tensor, ()):
        return rebase(name, tensor, compute)
    return write(name, tensor, compute()._value)


def overwrite(name: str, tensor: Any, values: Any, where: Callable[..., Any]) -> Any:
    """``tensor <- values`` (broadcast; ``zero_``, ``fill_``, ``copy_``, the random fills), cast to the tensor's
    dtype. Recorded as ``where(False, tensor, values)``: the gradient reaches ``values``, none the old value."""
    if recorded(tensor, (values,)):
        return rebase(name, tensor, lambda: where(np.zeros(tensor.shape, np.bool_), tensor, values))
    return write(name, tensor, getattr(values, "_value", values), computed=False)


def arithmetic(name: str, tensor: Any, ufunc: np.ufunc, compute: Callable[[], Any], other: Any) -> Any:
    """``tensor <- ufunc(tensor, other)`` (``+= -= *= /=``). Unrecorded, numpy writes the result straight into the
    tensor's memory (``out=``): the optimizer-step path, with no temporary array."""
    if recorded(tensor, (other,)):
        return rebase(name, tensor, compute)
    operand = getattr(other, "_value", other)  # a Tensor's values; an array or a number as it is
    try:
        ufunc(tensor._value, operand, out=tensor._value, casting="same_kind")
    except (TypeError, ValueError):  # say which rule failed, in PyTorch's words
        result = ufunc(tensor._value, operand)
        _fits(name, tensor, result.shape)
        _holds(name, tensor, result.dtype)
        raise
    versions.bump(tensor)
    return tensor


def setitem(tensor: Any, index: Any, value: Any, assign: Callable[..., Any]) -> None:
    """``tensor[index] = value``: written into the memory, or recorded as ``assign(tensor, value, index=...)``
    (the table's ``setitem``: the gradient reaches ``value`` at ``index`` and the old value elsewhere)."""
    if recorded(tensor, (value,)):
        rebase("setitem", tensor, lambda: assign(tensor, value, index=index))
        return
    tensor._value[index] = getattr(value, "_value", value)
    versions.bump(tensor)
