"""`Node`: one recorded step z_t = h_t(inputs) of the evaluation trace, keeping only what its derivative rules read.

An operation on Tensors returns a new Tensor (the value the user holds) whose ``grad_fn`` is a new node: the
primitive, the node's inputs and its parameters. The graph's nodes are these steps and the leaves that require
grad (a leaf Tensor is a node of its own: the sweep leaves its gradient there). Nothing in the graph points back
to an operation's Tensor, so a value that no rule reads is freed as soon as the user lets go of its Tensor, as in
PyTorch: ``(x * 2).sin() * 3`` keeps ``x * 2``, because sine's rule reads its input (cos(x)), but not the sine,
because the rule of a product with 3 reads only the 3.

What a node keeps is declared by its primitive (``saves=`` in the derivative table): of the values the rules read,
those that the rules of its inputs requiring grad read.

The node interface, read-only for everyone but the sweep:

    op        the Primitive (``.name``, ``.kind``, ``.forward``, ``.vjps``)
    inputs    one entry per argument: a Node (an earlier step), a leaf Tensor, or a constant (a number, an array,
              a Tensor that does not require grad); None once a backward has freed the node
    params    the keyword parameters of the operation (``axis=``, ``shape=`` ...)
    shape     the output's shape, ``dtype`` its dtype; ``name`` the user's name for it, or None
    scope     the name scope the node was made in ("encoder.fc1"), or None
    saved     the values kept for the rules, by name ({"x": ..., "z": ...}); empty for a node that keeps nothing
    grad_inputs  the positions of the inputs the sweep sends an adjoint to: those that required grad when the
              step was recorded and have a rule
    watched   the positions of the inputs whose values the rules read, and -1 if they read the output: the
              sweep checks that none of them was changed in place after the node was made (versions.py)
    _counter  the version counter of the Tensor the node made, which the nodes that read it check
"""

from __future__ import annotations

from itertools import count
from typing import Any

from . import scopes

# Every node (and every leaf Tensor) is numbered when it is made. A node is always made after its inputs, so the
# numbers order the graph: the sweep visits the newest node first, and then always finds a node's uses swept.
next_number = count().__next__


class Node:
    """A step of the graph: ``op`` applied to ``inputs`` with ``params`` (see the module's docstring).

    The rules receive ``args`` (the input values, None where no rule reads one) and ``z`` (the output, or None).
    """

    __slots__ = ("op", "inputs", "grad_inputs", "args", "z", "params", "shape", "dtype", "name", "scope", "_hooks",
                 "origin", "_number", "watched", "_counter")  # fmt: skip
    requires_grad = True  # every node lies on a path from an input that requires grad

    def __init__(self, op: Any, inputs: tuple[Any, ...], grad_inputs: tuple[int, ...], args: tuple[Any, ...],
                 z: Any, params: dict[str, Any], value: Any, watched: tuple[int, ...],
                 counter: Any) -> None:  # fmt: skip
        self.op = op
        self.inputs: tuple[Any, ...] | None = inputs
        self.grad_inputs = grad_inputs
        self.args: tuple[Any, ...] | None = args
        self.z = z
        self.params = params
        self.shape: tuple[int, ...] = value.shape
        self.dtype = value.dtype
        self.name: str | None = None
        self.scope: str | None = scopes.state.path if scopes.open_anywhere else None
        self._hooks: list[Any] | None = None  # register_hook's functions, called on the node's complete adjoint
        self.origin: tuple[int, str] | None = None  # (trace step, user's line), recorded under detect_anomaly
        self._number = next_number()
        self.watched = watched
        self._counter = counter

    @property
    def saved(self) -> dict[str, Any]:
        """The values this node keeps for its rules, by the names the rules give them (and "z" for the output)."""
        if self.args is None:
            return {}
        names = self.op.input_names(len(self.args))
        kept = {name: value for name, value in zip(names, self.args) if value is not None}
        if self.z is not None:
            kept["z"] = self.z
        return kept

    def free(self) -> None:
        """Let go of the inputs and the kept values: what a backward without ``retain_graph`` does once the node
        has passed its adjoint on."""
        self.inputs = self.args = self.z = None

    @property
    def freed(self) -> bool:
        return self.inputs is None

    def __reduce__(self) -> Any:
        raise TypeError(
            f"cannot copy or pickle a graph node ({self.op.name}): copy.deepcopy or pickle a leaf Tensor, or "
            ".detach() a result first (as PyTorch, only leaves can be copied)"
        )

    def __repr__(self) -> str:
        return f"<node {self.op.name}, shape {self.shape}>"
