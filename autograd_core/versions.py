"""Version counters: a backward never reads a value that was changed in place after it was recorded.

A rule reads the values its node kept (``node.args``, ``node.z``: what ``saves=`` declares). If one of them is
changed in place before the sweep reaches the node (``a.mul_(2)``, ``p -= lr * p.grad``, ``x[0] = 5``), the rule
would compute with the new value: a wrong gradient, silently. So, as in PyTorch, every tensor carries a version
counter that each in-place change adds one to; a node notes the version of each tensor whose value it kept, and
the sweep compares before it runs the node's rules.

The counter is a one-element array of integers, ``tensor._counter = array("q", [n])`` (an array rather than a list
because the cyclic garbage collector does not track it: a list per tensor doubled the collector's work on graphs of
scalars), shared by the tensors that share memory: a view
(``x[0]``, ``x.reshape(...)``, ``x.T``) and ``x.detach()`` hold their base's list, so a change through any of them
counts for all. ``x.data`` and ``x.numpy()`` share the memory but not the counter: as in PyTorch, changes through
them are not tracked. A value that no rule kept may change freely: only kept values are noted.
"""

from __future__ import annotations

from array import array
from typing import Any

# A new tensor's counter, at version 0, is a copy of this (``ZERO[:]``).
ZERO = array("q", (0,))


def shared_with(value: Any, inputs: tuple[Any, ...]) -> Any:
    """The counter of the input whose memory ``value`` (a numpy view) shares, or None: views share counters."""
    base = value.base
    for x in inputs:
        counter = getattr(x, "_counter", None)
        if counter is not None and (x._value is base or x._value.base is base):
            return counter
    return None


def carry_over(new: Any, version: int) -> None:
    """``new``, made by an in-place change, becomes the changed tensor: its counter continues that tensor's count
    (PyTorch's ``_version``), and its node's note of its output moves with it."""
    new._counter[0] = version
    node = new._node
    if node is not None:
        node.versions = tuple([(p, c, version if p < 0 else v) for p, c, v in node.versions])


def stale(node: Any, position: int, counter: list[int], version: int) -> None:
    """Raise: the value at ``position`` (an input, or -1 for the output) that ``node`` kept was at ``version`` when
    the node was recorded and has been changed in place since (``counter`` says how often)."""
    if position < 0:
        what, shape = "its output", node.shape
    else:
        names = node.op.input_names(len(node.args))
        what, shape = f"its input {names[position]}", node.args[position].shape
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"{what}, of shape {tuple(shape)}, that the rule of {node.op.name} reads, is at version {counter[0]}; "
        f"expected version {version} instead. Change a copy (x.clone()) instead of the value itself, or make "
        "the change after the backward"
    )
