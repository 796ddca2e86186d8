"""A primitive: one step h_t of the evaluation trace, with its forward and its vector-Jacobian products.

Calling a primitive on Tensors computes the value with numpy and returns it as a new Tensor; when recording is on
and some input requires a gradient, that Tensor points to a new graph node (node.py) that remembers the primitive,
its inputs, its parameters and the values its rules will read. Calling it on
plain numpy values just returns the numpy result. That second mode is what makes the derivative rules cheap:

* rules are written with primitives and operators (``g * cos(x)``), never with numpy directly;
* an ordinary backward hands them numpy arrays, so they compute numbers and build nothing;
* a ``create_graph=True`` backward hands them Tensors, so the very same rule records the gradient as a new graph,
  which can be differentiated again (grad of grad, Hessians) without a second set of rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .grad_mode import state as grad_mode
from .node import Node, reads

# The lectures' three kinds of trace step, and one more for operations that carry their own rule.
AFFINE = "affine"  # z = A x + b for a constant A: add, sum, reshape, transpose, indexing, concatenation
PRODUCT = "product"  # products and powers: mul, div, pow, matmul
ELEMENTWISE = "elementwise"  # a fixed one-dimensional function applied to each entry: exp, log, sin, tanh
COMPOSITE = "composite"  # none of the three, with a rule of its own: max, min, maximum, comparisons

# A vector-Jacobian product rule: vjp(g, z, *inputs, **params) -> the gradient for one input, where g is the
# adjoint of the output z. Its result may still have the broadcast shape; the sweep reduces it (unbroadcast).
VJP = Callable[..., Any]

# Debugging aids that want to see every new node (anomaly detection, name scopes) put themselves here while
# active; when the list is empty, as it normally is, an operation pays for one truth test and nothing else.
node_observers: list[Callable[[Any, Primitive, list[Any]], None]] = []


class ShapeError(ValueError):
    """An operation was given shapes it cannot combine; the message names the operation and the shapes."""


class Primitive:
    """One entry of the derivative table: a name, a kind, a numpy forward and one vjp rule per input.

    ``vjps[i]`` is None for an input that carries no derivative (a condition, an index). A primitive with no vjps
    at all (comparisons, sign) gives results that never require grad.
    """

    __slots__ = ("name", "kind", "forward", "vjps", "_saves")

    def __init__(self, name: str, kind: str, forward: Callable[..., Any], *vjps: VJP | None) -> None:
        self.name = name
        self.kind = kind
        self.forward = forward
        # one rule per input; a variadic primitive passes a single EachInput that serves every position
        self.vjps: Sequence[VJP | None] = vjps[0] if len(vjps) == 1 and isinstance(vjps[0], EachInput) else vjps
        self._saves: dict[tuple[bool, ...], tuple[bool, tuple[bool, ...]]] = {}

    def __repr__(self) -> str:
        return f"<primitive {self.name} ({self.kind})>"

    def saves(self, grads: tuple[bool, ...]) -> tuple[bool, tuple[bool, ...]]:
        """What a node of this primitive keeps when the inputs flagged in ``grads`` require grad: whether the
        output z, and which inputs, the rules of those inputs read (worked out once per pattern of flags)."""
        found = self._saves.get(grads)
        if found is None:
            keep_z, keep = False, [False] * len(grads)
            for i, needed in enumerate(grads):
                if needed and self.vjps[i] is not None:
                    rule_z, rule_inputs = reads(self.vjps[i], len(grads))
                    keep_z = keep_z or rule_z
                    keep = [k or r for k, r in zip(keep, rule_inputs)]
            found = self._saves[grads] = (keep_z, tuple(keep))
        return found

    def __call__(self, *inputs: Any, **params: Any) -> Any:
        traced = False
        requires_grad = False
        args = []
        for x in inputs:
            if isinstance(x, Tensor):
                traced = True
                requires_grad = requires_grad or x.requires_grad
                args.append(x.data)
            else:
                args.append(x)
        try:
            value = self.forward(*args, **params)
        except ShapeError:
            raise
        except (ValueError, IndexError) as err:
            # numpy's message names the shapes; say which of our operations it came from
            raise type(err)(f"{self.name}: {err}") from None
        if not traced:
            return value
        if not isinstance(value, np.ndarray):  # numpy returns scalars from 0-d work; a node always holds an array
            value = np.asarray(value)
        node = None
        if requires_grad and self.vjps and grad_mode.enabled:
            # the graph's view of the inputs: an operation's result by its node, a leaf or a constant as itself
            vertices, grads = [], []
            for x in inputs:
                if isinstance(x, Tensor):
                    vertex = x._node
                    if vertex is None:
                        vertices.append(x)
                        grads.append(x.requires_grad)
                    else:
                        vertices.append(vertex)
                        grads.append(True)
                else:
                    vertices.append(x)
                    grads.append(False)
            node = Node(self, tuple(vertices), args, value, params, tuple(grads))
        out = Tensor._make(value, node)
        if node_observers:
            for observe in node_observers:
                observe(out, self, args)
        return out


class EachInput:
    """The vjps of a primitive with any number of inputs (concatenate): ``rule(i, g, z, *inputs)`` for input i."""

    __slots__ = ("rule",)

    def __init__(self, rule: Callable[..., Any]) -> None:
        self.rule = rule

    def __getitem__(self, i: int) -> VJP:
        rule = self.rule
        return lambda g, z, *inputs, **params: rule(i, g, z, *inputs, **params)


from .tensor import Tensor  # noqa: E402  (tensor.py imports the table, which imports this module)
