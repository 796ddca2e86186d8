"""Version counters: a backward never reads a value that was changed in place after it was recorded.

A rule reads the values its node kept (``node.args``, ``node.z``: what ``saves=`` declares). If one of them is
changed in place before the sweep reaches the node (``a.mul_(2)``, ``p -= lr * p.grad``, ``x[0] = 5``), the rule
would compute with the new value: a wrong gradient, silently. So, as in PyTorch, every tensor carries a version
counter that each change in place moves on, and the sweep checks before it runs a node's rules.

The counter is three integers:

    counter[0]  the version: how many times the memory was changed in place (PyTorch's ``_version``)
    counter[1]  when it was last changed: a number from the count that numbers the nodes (node.py), larger
                than every node made before the change, smaller than every node made after it (-1: never)
    counter[2]  when it was changed the time before (for the error message)

A node is numbered when it is made, so "a value it kept was changed after it was made" is one comparison,
``counter[1] > node._number``, and recording a node notes nothing: the sweep finds the counters through the
node's inputs (a leaf Tensor's ``_counter``; a step's ``node._counter``, the counter of the Tensor that step made)
at the positions its rules read (``node.watched``; -1 for the output).

Most tensors are never changed in place, so they all hold one counter, ``FRESH``: a tuple, which costs an
operation nothing to make and cannot be written. Before its first change in place, or its first view, a tensor
gets a counter of its own (``own``: an array, which the cyclic garbage collector need not track), and so does
the node that made it.

Tensors that share memory share the counter: a view (``x[0]``, ``x.reshape(...)``, ``x.T``) and ``x.detach()``
hold their base's, so a change through any of them counts for all. ``x.data`` and ``x.numpy()`` share the memory
but not the counter: as in PyTorch, changes through them are not tracked. A value that no rule kept may change
freely: only the values the rules read are watched.
"""

from __future__ import annotations

from array import array
from typing import Any

from .node import next_number

# The counter of every tensor whose memory was never changed in place nor viewed by another tensor.
FRESH = (0, -1, -1)

# When the latest change in place, of any tensor, was made: a node made after it has nothing to check.
last_change = -1


def own(tensor: Any) -> array:
    """The tensor's own counter, made from ``FRESH`` the first time it is needed (a change in place, a view).

    Every Tensor that stands for a node's output holds the node's counter (the user's Tensor, and those a
    ``create_graph`` sweep or a compiled call makes for the same value): the node's, when it already has one of its
    own, is adopted; a new one is given to the node too, where the nodes that read the value find it."""
    counter = tensor._counter
    if counter is FRESH:
        node = tensor._node
        counter = node._counter if node is not None and node._counter is not FRESH else array("q", FRESH)
        tensor._counter = counter
        if node is not None:
            node._counter = counter
    return counter


def bump(tensor: Any) -> None:
    """Count one change in place of the tensor's memory, made now."""
    global last_change
    counter = own(tensor)
    counter[0] += 1
    counter[2] = counter[1]
    counter[1] = last_change = next_number()


def check(node: Any) -> None:
    """Raise if a value that ``node``'s rules read was changed in place after the node was made (the sweep calls
    this only for a node older than the latest change)."""
    for i in node.watched:
        x = node.inputs[i] if i >= 0 else node  # a step (its output's counter) or a Tensor; constants have none
        counter = getattr(x, "_counter", FRESH)
        if counter[1] > node._number:
            stale(node, i, counter)


def shared_with(value: Any, inputs: tuple[Any, ...]) -> Any:
    """The counter of the input whose memory ``value`` (a numpy view) shares, or None: views share counters."""
    base = value.base
    if base is None:  # not a view
        return None
    for x in inputs:
        memory = getattr(x, "_value", None)  # a Tensor's
        if memory is not None and (memory is base or memory.base is base):
            return own(x)
    return None


def stale(node: Any, position: int, counter: array) -> None:
    """Raise: the value at ``position`` (an input, or -1 for the output) that ``node`` kept has been changed in
    place since the node was made."""
    if position < 0:
        what, shape = "its output", node.shape
    else:
        names = node.op.input_names(len(node.args))
        what, shape = f"its input {names[position]}", node.args[position].shape
    version, before = counter[0], counter[2]
    # the version when the node was made: one less, unless it was changed again since (then only a bound is known)
    expected = f"{version - 1}" if before < node._number else f"{version - 2} or lower"
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"{what}, of shape {tuple(shape)}, that the rule of {node.op.name} reads, is at version {version}; "
        f"expected version {expected} instead. Change a copy (x.clone()) instead of the value itself, or make "
        "the change after the backward"
    )
