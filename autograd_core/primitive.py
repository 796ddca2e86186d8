"""A primitive: one step h_t of the evaluation trace, with its forward and its vector-Jacobian products.

Calling a primitive on Tensors computes the value with numpy and returns it as a new Tensor; when recording is on
and some input requires a gradient, that Tensor points to a new graph node (node.py) that remembers the primitive,
its inputs, its parameters and the values its rules will read. Calling it on plain numpy values just returns the
numpy result. That second mode is what makes the derivative rules cheap:

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

# Debugging aids that want to see every new node (anomaly detection) put themselves here while active; when the
# list is empty, as it normally is, an operation pays for one truth test and nothing else.
node_observers: list[Callable[[Any, Primitive, list[Any]], None]] = []


class ShapeError(ValueError):
    """An operation was given shapes it cannot combine; the message names the operation and the shapes."""


class Primitive:
    """One entry of the derivative table: a name, a kind, a numpy forward and one vjp rule per input.

    ``vjps[i]`` is None for an input that carries no derivative (a condition, an index). A primitive with no vjps
    at all (comparisons, sign) gives results that never require grad.
    """

    __slots__ = ("name", "kind", "forward", "vjps", "_plans")

    def __init__(self, name: str, kind: str, forward: Callable[..., Any], *vjps: VJP | None) -> None:
        self.name = name
        self.kind = kind
        self.forward = forward
        # one rule per input; a variadic primitive passes a single EachInput that serves every position
        self.vjps: Sequence[VJP | None] = vjps[0] if len(vjps) == 1 and isinstance(vjps[0], EachInput) else vjps
        self._plans: dict[int, tuple[tuple[int, ...], bool, tuple[int, ...]]] = {}

    def __repr__(self) -> str:
        return f"<primitive {self.name} ({self.kind})>"

    def plan(self, pattern: int) -> tuple[tuple[int, ...], bool, tuple[int, ...]]:
        """How a node of this primitive is recorded, for a ``pattern`` of inputs that require grad (bit i for input
        i, then one more bit set after the last input): the inputs whose rules the sweep will call, whether those
        rules read the output z, and which inputs none of them reads. Worked out once per pattern, from the rules'
        code (see ``reads``)."""
        found = self._plans.get(pattern)
        if found is None:
            n = pattern.bit_length() - 1
            swept = tuple(i for i in range(n) if pattern >> i & 1 and self.vjps[i] is not None)
            keep_z, keep = False, [False] * n
            for i in swept:
                rule_z, rule_inputs = reads(self.vjps[i], n)
                keep_z = keep_z or rule_z
                keep = [k or r for k, r in zip(keep, rule_inputs)]
            found = self._plans[pattern] = (swept, keep_z, tuple(i for i, k in enumerate(keep) if not k))
        return found

    def __call__(self, *inputs: Any, **params: Any) -> Any:
        for x in inputs:
            if isinstance(x, Tensor):
                break
        else:  # numbers only, as in the rules of an ordinary backward: numpy's result, and no graph
            return self.forward(*inputs, **params)
        # the inputs' values for numpy; and the graph's view of the inputs (an operation's result by its node, a
        # leaf or a constant as itself), with the bits of ``pattern`` saying which of them require grad
        args, vertices = [], []
        pattern, bit = 0, 1
        for x in inputs:
            if isinstance(x, Tensor):
                args.append(x.data)
                vertex = x._node
                if vertex is not None:
                    vertices.append(vertex)
                    pattern |= bit
                else:
                    vertices.append(x)
                    if x.requires_grad:
                        pattern |= bit
            else:
                args.append(x)
                vertices.append(x)
            bit <<= 1
        try:
            value = self.forward(*args, **params)
        except ShapeError:
            raise
        except (ValueError, IndexError) as err:
            # numpy's message names the shapes; say which of our operations it came from
            raise type(err)(f"{self.name}: {err}") from None
        if not isinstance(value, np.ndarray):  # numpy returns scalars from 0-d work; a node always holds an array
            value = np.asarray(value)
        node = None
        if pattern and self.vjps and grad_mode.enabled:  # some input requires grad: record the step
            pattern |= bit  # the end marker: the plan needs the number of inputs too
            swept, keep_z, drop = self._plans.get(pattern) or self.plan(pattern)
            saved = args
            if drop:  # values no rule reads are not kept: the user's Tensor alone decides how long they live
                saved = args.copy()
                for i in drop:
                    saved[i] = None
            node = Node(self, tuple(vertices), swept, tuple(saved), value if keep_z else None, params, value.shape)
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
