"""`Node`: one recorded step z_t = h_t(inputs) of the evaluation trace, keeping only what its derivative rules read.

An operation on Tensors returns a new Tensor (the value the user holds) that points to a new node (``t._node``):
the primitive, the nodes of its inputs and its parameters. The graph is made of nodes; a leaf that requires grad is
a node of its own, the Tensor itself, since the sweep leaves its gradient there. Nothing in the graph points back
to an operation's Tensor, so a value that no rule reads is freed as soon as the user lets go of its Tensor, as in
PyTorch: ``(x * 2).sin() * 3`` keeps ``x * 2``, because sine's rule reads its input (cos(x)), but not the sine,
because the rule of a product with 3 reads only the 3.

What a rule reads is found once, from its code: the parameters (``z``, ``x``, ``y`` ...) that its body loads. A
node keeps the inputs (and the output z) that the rules of its inputs requiring grad read, and None in the places
of the others.
"""

from __future__ import annotations

import dis
import inspect
from collections.abc import Callable
from itertools import count
from typing import Any

# Every node and every tensor is numbered when it is made. A node is always made after its inputs, so the numbers
# order the graph: the backward sweep visits the newest node first and then always finds a node's uses swept.
next_number = count().__next__

# The innermost name scope open while nodes are made ("encoder.fc1"), or None outside every scope. scopes.py keeps
# it current and each new node records it, so that a drawing can box the nodes each layer made.
scope: str | None = None


def reads(rule: Callable[..., Any], inputs: int) -> tuple[bool, tuple[bool, ...]]:
    """Whether the rule ``rule(g, z, *inputs, **params)`` reads z, and which of the ``inputs`` inputs it reads.

    A rule that takes ``*inputs`` (or is no plain function) reads them all, as far as we can tell.
    """
    code = getattr(rule, "__code__", None)
    if code is None or code.co_flags & inspect.CO_VARARGS:
        return True, (True,) * inputs
    loaded: set[str] = set()
    for instruction in dis.get_instructions(code):
        # LOAD_FAST and its variants in newer Pythons (LOAD_FAST_LOAD_FAST names two variables at once); a
        # parameter that an inner function uses is loaded as a cell
        if instruction.opname.startswith("LOAD_FAST") or instruction.opname in ("LOAD_DEREF", "LOAD_CLOSURE"):
            names = instruction.argval
            loaded.update(names if isinstance(names, tuple) else (names,))
    parameters = code.co_varnames[: code.co_argcount]  # g, z, then one per input
    named = [name in loaded for name in parameters[2:]]  # an input without a parameter of its own is not read
    return len(parameters) > 1 and parameters[1] in loaded, tuple((named + [False] * inputs)[:inputs])


class Node:
    """A step of the graph: ``_op`` applied to ``_inputs`` (nodes, leaf Tensors, or constants) with ``_params``.

    ``_swept`` lists the inputs that required grad when the step was recorded and have a rule: the sweep passes
    the adjoint to those alone. ``_args`` holds the input values that their rules read (None elsewhere) and ``_z``
    the output if a rule reads it. ``_number`` orders the node after its inputs; ``shape`` is the output's;
    ``name`` is the user's name for it, if any.
    """

    __slots__ = ("_op", "_inputs", "_swept", "_args", "_params", "_z", "_number", "_hooks", "shape", "name",
                 "_scope", "_origin")
    requires_grad = True  # every node lies on a path from an input that requires grad

    def __init__(
        self,
        op: Any,
        inputs: tuple[Any, ...],
        swept: tuple[int, ...],
        args: tuple[Any, ...],
        z: Any,
        params: Any,
        shape: tuple[int, ...],
    ) -> None:
        self._op = op
        self._inputs = inputs
        self._swept = swept
        self._args = args
        self._params = params
        self._z = z
        self._number = next_number()
        self._hooks: list[Any] | None = None
        self.shape = shape
        self.name: str | None = None
        self._scope = scope

    def __setstate__(self, state: tuple[None, dict[str, Any]]) -> None:
        """A copy (``copy.deepcopy`` of a Tensor or a model) gets a number of its own, made after its inputs'."""
        for field, value in state[1].items():
            setattr(self, field, value)
        self._number = next_number()

    def __repr__(self) -> str:
        return f"<node {self._number}: {self._op.name}, shape {self.shape}>"
