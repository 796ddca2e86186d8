"""``record``: run a function on Tensors while writing down every step, then record its reverse sweep the same way.

The forward pass is the function itself, run once as usual: every operation on Tensors reports itself to the
``Tracer`` (see recording.py), which turns each into a ``Step`` over ``Value``s. A value is an argument of the
function, a tensor it reads without being given it (a *leaf*: a model's parameters and buffers), a constant (the
2 in ``2 * x``), or the result of an earlier step.

The backward pass is not written anywhere: it is what the engine's reverse sweep does. So it is recorded in the
same way, by running the sweep with ``create_graph=True`` from a seed that is itself a Tensor (``ag.grad``): the
derivative table's rules then compute with Tensors, every step they take is reported, and the steps between the
seed and the gradients of the inputs are the backward program. No rule is written twice. While the sweep runs,
each node of the forward graph carries a hook that names its adjoint (``g_z3`` for the adjoint of ``z3``) and
marks the steps that follow as its reverse step.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import primitives as P
from ..backward import grad
from ..node import Node
from ..primitive import Primitive
from ..scopes import current_scope
from ..tensor import Tensor
from . import recording
from .recording import CompileError

ARGUMENT, LEAF, CONSTANT, SEED, STEP = "argument", "leaf", "constant", "seed", "step"
_ONE_AT_A_TIME = threading.Lock()  # one recording in the process at a time (recording.tracer is one variable)


class Value:
    """One value of the recorded program. ``kind`` says where it comes from: an ``ARGUMENT`` of the function (its
    ``label`` the parameter's name), a ``LEAF`` (a tensor the function reads), a ``CONSTANT`` (``source`` holds
    it), the ``SEED`` of a backward pass, or a ``STEP``'s result. ``tensor`` holds the Tensor while recording."""

    __slots__ = ("kind", "source", "label", "shape", "dtype", "tensor", "scope")

    def __init__(self, kind: str, source: Any = None, tensor: Tensor | None = None, label: str | None = None) -> None:
        self.kind = kind
        self.scope: str | None = None  # for a leaf, the name scope where it was first read
        self.source = source
        self.tensor = tensor
        self.label = label
        data = tensor._value if tensor is not None else source
        self.shape: tuple[int, ...] = np.shape(data) if isinstance(data, np.ndarray) else ()
        self.dtype = data.dtype if isinstance(data, np.ndarray) else None

    def __repr__(self) -> str:
        return f"<{self.kind} {self.label or ''} {self.shape}>"


@dataclass(eq=False)
class Step:
    """``out = op(*operands, **params)``; arrays in ``params`` that are values of the program are Values.
    ``phase`` is 0 for the forward pass and k + 1 for the backward pass of output k; ``reverse_of`` is the
    forward value whose reverse step (its rules, and the adding up of its inputs' adjoints) this step is part of."""

    op: Primitive
    operands: tuple[Value, ...]
    params: dict[str, Any]
    out: Value
    phase: int
    reverse_of: Value | None
    scope: str | None


@dataclass
class Recording:
    """What one call recorded: ``inputs`` (the arguments, then the leaves), ``steps`` in the order they ran,
    ``outputs``, and for each output that requires grad the Value of each input's gradient (None for the others);
    ``adjoint_of`` names the adjoints, ``guards`` lists what the program assumes: (owner, attribute, value)."""

    inputs: list[Value]
    steps: list[Step]
    outputs: list[Value]
    gradients: list[dict[Value, Value] | None]
    adjoint_of: dict[Value, Value]
    guards: list[tuple[Any, str, Any]]
    results: Any = None  # what the function returned: the first call's results
    leaves: list[Tensor] = field(default_factory=list)

    def release(self) -> None:
        """Let go of the recorded call's Tensors and values: the program needs none of them (``leaves`` holds the
        tensors it reads)."""
        for value in [*self.inputs, *(step.out for step in self.steps), *self.adjoint_of]:
            value.tensor = None


def _memory(array: np.ndarray) -> tuple[Any, ...]:
    """Where an array's numbers live and how it reads them: two arrays with the same key hold the same numbers.
    (Every array of the recording stays alive while it runs, so no address is reused in the meantime.)"""
    return (array.__array_interface__["data"][0], array.shape, array.strides, array.dtype.str)


class Tracer:
    """Turns the operations of one thread into Steps while ``recording.tracer`` is this tracer."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.steps: list[Step] = []
        self.inputs: list[Value] = []
        self.value: dict[Tensor, Value] = {}  # every Tensor seen, and the Value it holds
        self.of_node: dict[Node, Value] = {}  # every graph node made while recording, and the Value it computes
        self.copies: dict[Tensor, Any] = {}  # Tensors constructed while recording, and what they were made from
        self.guards: list[tuple[Any, str, Any]] = []
        self.adjoint_of: dict[Value, Value] = {}
        self.phase = 0
        self.reverse_of: Value | None = None
        self._by_memory: dict[tuple[Any, ...], Value] = {}
        self._unindexed: list[Value] = []
        self._before: list[tuple[Tensor, np.ndarray, np.ndarray, Any]] = []  # each leaf as first seen

    # ---- what the engine reports ------------------------------------------------------------------------------
    def record(self, op: Primitive, inputs: tuple[Any, ...], params: dict[str, Any], out: Tensor) -> None:
        """One operation ran: ``out = op(*inputs, **params)``."""
        if threading.get_ident() != self.thread:
            return
        operands = tuple(self.value_of(x) for x in inputs)
        resolved = {key: self._param(p) for key, p in params.items()}
        if op is P.getitem:
            self._check_index(resolved["index"])
        scope = out._node.scope if out._node is not None else current_scope()
        self.steps.append(Step(op, operands, resolved, self._result(out), self.phase, self.reverse_of, scope))

    def made_from(self, tensor: Tensor, data: Any, requires_grad: bool) -> None:
        """``Tensor(data, requires_grad)`` is being constructed (by its ``__init__``, before it copies ``data``)."""
        if threading.get_ident() != self.thread:
            return
        if requires_grad and self._source_of(data) is not None:
            recording.refuse("a leaf that requires grad made from a computed value", "make it outside and pass it in")
        self.copies[tensor] = data

    def guard(self, owner: Any, attribute: str) -> None:
        if not any(o is owner and a == attribute for o, a, _ in self.guards):
            self.guards.append((owner, attribute, getattr(owner, attribute)))

    # ---- the Values of Tensors, arrays and constants ----------------------------------------------------------
    def value_of(self, x: Any) -> Value:
        """The Value an operand holds: a Tensor's (found, or seen for the first time), an array's (when it is the
        memory of a value of the program), or a new constant."""
        if isinstance(x, Tensor):
            value = self.value.get(x)
            if value is None:
                value = self.value[x] = self._first_sight(x)
            return value
        if isinstance(x, np.ndarray):
            found = self._in_memory(x)
            if found is None:  # a constant array: one Value wherever it is used
                found = self._by_memory[_memory(x)] = Value(CONSTANT, x)
            return found
        return Value(CONSTANT, x)

    def _first_sight(self, t: Tensor) -> Value:
        node = t._node
        if node is not None and node in self.of_node:  # the sweep wraps a forward value anew for each rule
            return self.of_node[node]
        if t in self.copies:
            found = self._copy_of(t, self.copies.pop(t))
            if found is not None:
                return found
        if not t.requires_grad:  # t.detach(), or a tensor sharing a value's memory
            found = self._in_memory(t._value)
            if found is not None:
                return found
        return self.leaf(t)

    def _source_of(self, data: Any) -> Value | None:
        """The value of the program that ``data`` (a Tensor or an array) holds, if any."""
        if isinstance(data, Tensor):
            return self.value_of(data)
        return self._in_memory(data) if isinstance(data, np.ndarray) else None

    def _copy_of(self, t: Tensor, data: Any) -> Value | None:
        """``Tensor(data)`` made while recording: when ``data`` is a value of the program, the copy is that value
        (cast to the copy's dtype); otherwise None (the copy is a constant, read afresh on every call)."""
        source = self._source_of(data)
        if source is None:
            return None
        if source.dtype == t.dtype:
            return source
        cast = Value(STEP, tensor=t)
        step = Step(P.astype, (source,), {"dtype": t.dtype}, cast, self.phase, self.reverse_of, current_scope())
        self.steps.append(step)
        return cast

    def leaf(self, t: Tensor) -> Value:
        """A tensor the function reads without being given it (a parameter, a buffer): an input of the program."""
        value = Value(LEAF, tensor=t, label=t.name)
        value.scope = current_scope()
        self.inputs.append(value)
        self._unindexed.append(value)
        grad_before = None if t._grad is None else np.array(t._grad._value, copy=True)
        self._before.append((t, t._value, t._value.copy(), grad_before))
        return value

    def argument(self, t: Tensor, label: str) -> Value:
        value = self.value[t] = Value(ARGUMENT, tensor=t, label=label)
        self.inputs.append(value)
        self._unindexed.append(value)
        return value

    def _result(self, out: Tensor) -> Value:
        value = self.value[out] = Value(STEP, tensor=out)
        if out._node is not None:
            self.of_node[out._node] = value
        self._unindexed.append(value)
        return value

    def _param(self, p: Any) -> Any:
        """A parameter with its arrays and Tensors replaced by Values (an index's arrays may be arguments)."""
        if isinstance(p, (tuple, list)):
            return type(p)(self._param(q) for q in p)
        if isinstance(p, (np.ndarray, Tensor)):
            return self.value_of(p)
        return p

    def _check_index(self, index: Any) -> None:
        for part in index if isinstance(index, tuple) else (index,):
            if isinstance(part, Value) and part.kind != CONSTANT and part.dtype == bool:
                recording.refuse("indexing with a boolean mask computed from the inputs (the result's shape "
                                 "depends on the values)", "use ag.where")  # fmt: skip

    def _in_memory(self, array: np.ndarray) -> Value | None:
        """The value whose array is ``array``'s memory (read the same way), if any."""
        for value in self._unindexed:
            self._by_memory[_memory(value.tensor._value)] = value
        self._unindexed.clear()
        return self._by_memory.get(_memory(array))

    # ---- running the function, then its reverse sweep ----------------------------------------------------------
    @contextmanager
    def active(self) -> Iterator[None]:
        """Operations of this thread are recorded inside."""
        recording.tracer = self
        try:
            yield
        finally:
            recording.tracer = None

    def argument_of(self, x: Any, label: str) -> Any:
        """What the function is given for the argument ``x``: a Tensor is an input of the program, and so is a
        numpy array, given as a Tensor that shares its memory (so that what the function does with it is
        recorded); anything else is part of the call's signature and passed as it is."""
        if isinstance(x, np.ndarray):
            x = Tensor._make(x, None)
        if isinstance(x, Tensor):
            if x in self.value:
                raise CompileError(f"ag.compile: the same tensor is given as two arguments ({label} and an earlier "
                                   "one); pass it once, or pass a copy")  # fmt: skip
            self.argument(x, label)
        return x

    def check_state(self) -> None:
        """Refuse a function that changed a tensor it reads outside any step: such a change would happen on the
        recorded call only. A leaf that is an operand of a primitive outside the derivative table may have been
        written by it (a primitive with an effect, such as BatchNorm's update of its running statistics)."""
        pure = set(P.table().values())
        operands_of_others = {v for s in self.steps if s.op not in pure for v in s.operands}
        leaves = [v for v in self.inputs if v.kind == LEAF]
        for (t, array, data, grad_before), value in zip(self._before, leaves):
            grad = None if t._grad is None else t._grad._value
            if grad_before is not None and (grad is None or not _same(grad, grad_before)) or grad_before is None and grad is not None:
                raise CompileError(
                    f"ag.compile: the compiled function changed the .grad of a tensor of shape {t.shape} (a backward() "
                    "inside it?); its gradients are computed with numpy, outside the recording. Return the loss and "
                    "call .backward() on the compiled function's result instead"
                )
            if value not in operands_of_others and (t._value is not array or not _same(t._value, data)):
                raise CompileError(
                    f"ag.compile: the compiled function changed the values of a tensor of shape {t.shape} that it "
                    "reads (a parameter or buffer) outside any operation (t.data[...] = ..., t.data = ...): the "
                    "program would not repeat it. Write it with a primitive, as BatchNorm writes its running statistics"
                )

    def record_backward(self, outputs: list[Tensor], values: list[Value]) -> list[dict[Value, Value] | None]:
        """For each output that requires grad, the reverse sweep from a symbolic seed, recorded; its result maps
        each input that requires grad (and that the output depends on) to the Value of its gradient."""
        targets = [v for v in self.inputs if v.tensor.requires_grad]
        forward_nodes = list(self.of_node)
        for node in forward_nodes:
            if node._hooks:
                raise CompileError(
                    "ag.compile: register_hook or retain_grad on a tensor computed inside the compiled function: the "
                    "program has no such tensor. Hooks on its arguments and on the tensors it reads run as usual"
                )
        gradients: list[dict[Value, Value] | None] = []
        with self._naming_adjoints(forward_nodes, targets):
            for k, (t, v) in enumerate(zip(outputs, values)):
                gradients.append(self._sweep(k, t, v, targets) if t.requires_grad else None)
        return gradients

    def _sweep(self, k: int, output: Tensor, value: Value, targets: list[Value]) -> dict[Value, Value]:
        seed = Tensor._make(np.ones(output.shape, output.dtype), None)
        seed.requires_grad = True  # so that every step of the sweep that reads it is recorded, and reported
        self.value[seed] = seed_value = Value(SEED, k, tensor=seed)
        self.adjoint_of[seed_value] = value
        self.phase, self.reverse_of = k + 1, value
        found = grad([output], [x.tensor for x in targets], grad_outputs=[seed], retain_graph=True,
                     create_graph=True, allow_unused=True)  # fmt: skip
        return {x: self.value_of(g) for x, g in zip(targets, found) if g is not None}

    @contextmanager
    def _naming_adjoints(self, forward_nodes: list[Node], targets: list[Value]) -> Iterator[None]:
        """While the sweeps run, a hook on each forward node and input names the node's complete adjoint and marks
        the steps that follow as its reverse step; the inputs' own hooks wait (they run on the compiled calls)."""
        graph_nodes = [x.tensor._graph_node for x in targets]
        waiting = [node._hooks for node in graph_nodes]
        for node in forward_nodes:
            node._hooks = [self._namer(self.of_node[node])]
        for node, x in zip(graph_nodes, targets):
            node._hooks = [self._namer(x)]
        try:
            yield
        finally:
            for node in forward_nodes:
                node._hooks = None
            for node, hooks in zip(graph_nodes, waiting):
                node._hooks = hooks

    def _namer(self, value: Value) -> Callable[[Tensor], None]:
        def name_adjoint(g: Tensor) -> None:
            self.adjoint_of.setdefault(self.value_of(g), value)
            self.reverse_of = value

        return name_adjoint


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def _as_outputs(results: Any) -> list[Tensor]:
    """The Tensors a function returned: one, or a tuple or list of them."""
    outputs = list(results) if isinstance(results, (tuple, list)) else [results]
    for out in outputs:
        if not isinstance(out, Tensor):
            raise CompileError(
                f"ag.compile: the compiled function must return a Tensor, or a tuple or list of Tensors; it returned "
                f"{type(out).__name__}"
            )
    return outputs


def record(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], labels: list[str]) -> Recording:
    """Call ``fn(*args, **kwargs)`` once, as usual, while recording it; then record the reverse sweep of each of
    its results that requires grad. ``labels`` names the arguments, positional first, then the keywords."""
    tracer = Tracer()
    with _ONE_AT_A_TIME, tracer.active():
        given = [tracer.argument_of(x, label) for x, label in zip([*args, *kwargs.values()], labels)]
        results = fn(*given[: len(args)], **dict(zip(kwargs, given[len(args) :])))
        outputs = _as_outputs(results)
        values = [tracer.value_of(t) for t in outputs]
        tracer.check_state()
        gradients = tracer.record_backward(outputs, values)
    leaves = [v.tensor for v in tracer.inputs if v.kind == LEAF]
    return Recording(tracer.inputs, tracer.steps, values, gradients, tracer.adjoint_of, tracer.guards, results, leaves)
