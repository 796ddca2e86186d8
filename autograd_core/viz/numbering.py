"""The names of a graph's nodes, shared by the printed trace and the drawing.

The lectures write the evaluation trace as z_0 = w = (w_1, ..., w_d), then one step z_t = h_t(parents) for
t = 1 ... T. Here every node gets a name in that notation:

* a leaf that requires grad is an input, ``w1``, ``w2``, ... in topological order;
* the t-th operation in topological order is step ``zt`` (so the output is ``zT``);
* a constant (a Tensor that does not require grad, or a raw number or array passed to an operation, like the 2 in
  ``2 * x``) is written as its number when it has one element, else ``c1``, ``c2``, ...

A user name (``Tensor(..., name="w1")``, or ``node.name = "a"``) replaces the generated one, and a name given
for this drawing (``params={"0.weight": tensor, ...}``, e.g. ``dict(model.named_parameters())``) replaces both.
Generated names skip any name the user took, and a repeated user name gets a prime (``h'``), so every name is
unique.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backward import GraphNode, is_node, topological_order
from ..node import Node
from ..tensor import Tensor
from .values import number

FREED = (
    "{what}: the graph of this tensor was freed by a backward() without retain_graph=True (step {name} no longer "
    "knows its inputs). Draw or trace the graph before calling backward(), or call backward(retain_graph=True)."
)
NO_GRAPH = (
    "{what}: the tensor does not require grad, so no graph was recorded: no input it was computed from has "
    "requires_grad=True, or it was computed under no_grad"
)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one drawn node each
class Constant:
    """A constant input of a step: its value, its label and whether the label is the number itself."""

    value: np.ndarray
    label: str
    literal: bool
    tensor: Tensor | None  # the Tensor, or None for a raw number or array


def _is_constant_tensor(x: Any) -> bool:
    return isinstance(x, Tensor) and not x.requires_grad


def _names_by_tensor(params: Mapping[str, Tensor] | None, what: str) -> dict[Tensor, str]:
    """``{"0.weight": tensor}`` turned round, checked: the names this drawing gives to those Tensors."""
    names: dict[Tensor, str] = {}
    for name, tensor in (params or {}).items():
        if not isinstance(tensor, Tensor):
            raise TypeError(
                f"{what}: params maps names to Tensors (e.g. dict(model.named_parameters())); {name!r} maps to a "
                f"{type(tensor).__name__}"
            )
        names.setdefault(tensor, name)  # a Tensor shared under two names keeps the first, as named_parameters does
    return names


def _fresh(base: str, taken: set[str]) -> str:
    """``base``, primed until it is not in ``taken``; then taken."""
    name = base
    while name in taken:
        name += "'"
    taken.add(name)
    return name


class Numbering:
    """The evaluation trace of ``root`` in the lectures' numbering.

    ``order``: the nodes in topological order (inputs before the steps that use them), from
    ``ag.topological_order``. ``inputs``: the leaves that require grad (z_0). ``steps``: the operations, step
    t = 1 ... T being ``steps[t - 1]``. ``name[node]``, ``step[node]`` (0 for inputs): a node's name and t.
    ``value[node]``: its value z_t. ``operand(node, i)``: how input i of a step reads (a name, or a constant's label).
    """

    def __init__(self, root: Tensor, what: str = "viz", params: Mapping[str, Tensor] | None = None) -> None:
        if not isinstance(root, Tensor):
            raise TypeError(f"{what}: expected a Tensor, got {type(root).__name__}")
        if not root.requires_grad:
            raise ValueError(NO_GRAPH.format(what=what))
        self.root: GraphNode = root._graph_node
        self.order: list[GraphNode] = topological_order([root])
        self.inputs = [node for node in self.order if node.op is None]
        self.steps = [node for node in self.order if node.op is not None]
        self.step: dict[GraphNode, int] = {node: 0 for node in self.inputs}
        self.step.update({node: t for t, node in enumerate(self.steps, start=1)})
        for node in self.steps:
            if node.inputs is None:
                raise RuntimeError(FREED.format(what=what, name=node.name or f"z{self.step[node]}"))
        taken: set[str] = set()
        self.name: dict[GraphNode | Tensor, str] = {}  # nodes, and constant Tensors with a name
        self._give_names(_names_by_tensor(params, what), taken)
        self.constants: list[Constant] = []
        self._unnamed_constants = 0
        self._constants_of: dict[Node, list[Constant | None]] = {}
        self._collect_constants(taken)

        # The values z_t. The graph keeps only what the derivative rules read, so the values of the steps are
        # worked out again here, from the inputs' and constants' values: the forward pass of the trace, replayed.
        self.value: dict[GraphNode, np.ndarray] = {}
        for node in self.order:
            if node.op is None:
                self.value[node] = node._value
            else:
                self.value[node] = np.asarray(node.op.forward(*self.input_values(node), **node.params))

    def _give_names(self, given: dict[Tensor, str], taken: set[str]) -> None:
        """Names given for this drawing, then user names, so that generated names can step around them both."""
        constant_tensors = [x for node in self.steps for x in node.inputs if _is_constant_tensor(x)]
        for x in [*self.order, *constant_tensors]:
            name = given.get(x) if isinstance(x, Tensor) else None
            if name is None:
                name = x.name
            if name is not None and x not in self.name:
                self.name[x] = _fresh(name, taken)
        for k, node in enumerate(self.inputs, start=1):
            if node not in self.name:
                self.name[node] = _fresh(f"w{k}", taken)
        for node in self.steps:
            if node not in self.name:
                self.name[node] = _fresh(f"z{self.step[node]}", taken)

    def _collect_constants(self, taken: set[str]) -> None:
        """A constant Tensor is one constant wherever it is used; a raw value is one per use."""
        shared: dict[Tensor, Constant] = {}
        for node in self.steps:
            of_node: list[Constant | None] = []
            for x in node.inputs:
                constant = shared.get(x) if isinstance(x, Tensor) else None
                if constant is None and not is_node(x):
                    constant = self._new_constant(x, taken)
                    self.constants.append(constant)
                    if isinstance(x, Tensor):
                        shared[x] = constant
                of_node.append(constant)
            self._constants_of[node] = of_node

    def input_values(self, node: Node) -> list[Any]:
        """The values of a step's inputs, in argument order: nodes' values and constants as they are."""
        return [self._value_of(x) for x in node.inputs]

    def _value_of(self, x: Any) -> Any:
        if is_node(x):
            return self.value[x]
        return x._value if isinstance(x, Tensor) else x

    def _new_constant(self, x: Any, taken: set[str]) -> Constant:
        tensor = x if isinstance(x, Tensor) else None
        value = x._value if tensor is not None else np.asarray(x)
        if tensor is not None and tensor in self.name:
            return Constant(value, self.name[tensor], False, tensor)
        if value.size == 1:
            return Constant(value, number(value), True, tensor)
        self._unnamed_constants += 1
        return Constant(value, _fresh(f"c{self._unnamed_constants}", taken), False, tensor)

    @property
    def T(self) -> int:
        """The number of steps: the output is z_T."""
        return len(self.steps)

    def constant(self, node: Node, i: int) -> Constant | None:
        """The constant given as input ``i`` of ``node``, or None when that input is a node of the graph."""
        return self._constants_of[node][i] if node.op is not None else None

    def operand(self, node: Node, i: int) -> str:
        """How input ``i`` of ``node`` reads in a formula: a node's name, or a constant's label."""
        constant = self.constant(node, i)
        if constant is None:
            return self.name[node.inputs[i]]
        if constant.literal and constant.label.startswith("-"):
            return f"({constant.label})"  # so that "z1 * -2" reads "z1 * (-2)"
        return constant.label
