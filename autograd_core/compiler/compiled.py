"""``ag.compile(fn)``: record ``fn`` once per signature, then run the generated program, as one node of the graph.

A call's signature is the shapes, dtypes and ``requires_grad`` of its Tensor arguments (and numpy arrays), the
value of every other argument, and the grad mode; a recording also holds only while each module ``fn`` called
keeps its training mode, parameters, buffers and sub-modules (``guard``) and each tensor it reads keeps its shape,
dtype and ``requires_grad``. The
first call with a new signature runs ``fn`` as usual while recording it (its results are those of that ordinary
call) and generates the program; later calls run the program.

The results of a later call are Tensors made by one node each: a primitive whose forward is the generated forward
pass and whose rule for each input reads that input's gradient off the generated backward pass, run once per call
and adjoint. So ``.backward()``, ``ag.grad``, hooks on parameters and optimizers meet an ordinary graph. The node's
last input is the ``Call`` holding what the forward pass saved: a sweep that lets go of the node's inputs lets go
of those values too, as it would of the values of the steps they stand for.
"""

from __future__ import annotations

import functools
import inspect
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import anomaly, versions
from ..backward import _accumulate, _seed, grad
from ..grad_mode import state as grad_mode
from ..node import Node
from ..primitive import COMPOSITE, Primitive
from ..tensor import Tensor
from . import recording
from .codegen import Generated, generate
from .program import Backward, Program, build, replay
from .recording import CompileError, unchanged
from .tracing import Recording, record

_programs_made = itertools.count(1)  # numbers the generated files that tracebacks show


def _describe(x: Any) -> Any:
    """An argument's part of the signature."""
    if isinstance(x, Tensor):
        return x._value.shape, x._value.dtype, x.requires_grad
    if isinstance(x, np.ndarray):
        return "array", x.shape, x.dtype
    return "value", type(x), x


def _signature(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """What selects a recording: the arguments' parts, the keywords' and the grad mode (a dictionary key)."""
    keywords = tuple((k, _describe(x)) for k, x in kwargs.items()) if kwargs else ()
    return tuple(map(_describe, args)), keywords, grad_mode.enabled


UNHASHABLE = (
    "ag.compile: an argument that is neither a Tensor nor a numpy array must be hashable (a number, a string, a tuple "
    "of them): its value is part of the call's signature"
)


class Call:
    """One call of a compiled function: what its forward pass saved, and each backward pass's last gradients."""

    __slots__ = ("compiled", "outputs", "saved", "_last")

    def __init__(self, compiled: Compiled, outputs: tuple[Any, ...], saved: tuple[Any, ...]) -> None:
        self.compiled = compiled
        self.outputs = outputs
        self.saved = saved
        self._last: dict[int, tuple[Any, tuple[Any, ...]]] = {}

    def __repr__(self) -> str:
        return "saved"  # how a drawing or a printed trace writes this input of the node (a constant, to them)

    def __format__(self, spec: str) -> str:
        return repr(self)

    def gradients(self, k: int, g: Any) -> tuple[Any, ...]:
        """Output k's backward pass from the adjoint ``g``: run once for the rules of all the node's inputs."""
        last = self._last.get(k)
        if last is None or last[0] is not g:
            last = self._last[k] = (g, self.compiled.backward(k, g, self.saved))
        return last[1]

    def differentiable_gradients(self, k: int, g: Tensor, inputs: tuple[Any, ...]) -> tuple[Tensor, ...]:
        """Under ``create_graph``: the forward pass replayed through the engine's operations, and its gradients
        taken by the engine's own rules, so that they can be differentiated again."""
        last = self._last.get(k)
        if last is None or last[0] is not g:
            program, backward = self.compiled.program, self.compiled.program.backwards[k]
            assert backward is not None
            outputs = replay(program, list(inputs), self.saved)
            wrt = [inputs[i] for i, _ in backward.gradients]
            found = grad([outputs[k]], wrt, grad_outputs=[g], create_graph=True, allow_unused=True)
            zeros = [Tensor._make(np.zeros(x.shape, x.dtype), None) for x in wrt]
            last = self._last[k] = (g, tuple(z if f is None else f for f, z in zip(found, zeros)))
        return last[1]


def _rule(k: int, j: int) -> Callable[..., Any]:
    """The vjp of a compiled output k for its input whose gradient is the j-th of the backward pass."""

    def vjp(g: Any, z: Any, *inputs: Any) -> Any:
        call = inputs[-1]
        if isinstance(g, Tensor):
            return call.differentiable_gradients(k, g, inputs[:-1])[j]
        return call.gradients(k, g)[j]

    return vjp


class CompiledResult(Tensor):
    """A result of a compiled call. Its ``backward()``, when its graph is this node over leaves without hooks,
    runs the generated backward pass and accumulates into the leaves itself: what the reverse sweep would do on
    this graph of one step, without working out its order. Anything else goes to the engine's sweep."""

    __slots__ = ()

    def backward(self, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        node = self._node
        if create_graph or anomaly.enabled or node is None or node.freed or not _over_leaves(node):
            return super().backward(grad, retain_graph, create_graph)
        if node._number < versions.last_change:  # as the sweep does: no value the program saved changed in place
            versions.check(node)
        call: Call = node.args[-1]  # type: ignore[index]
        backward = call.compiled.program.backwards[call.compiled.output_of[node.op]]
        assert backward is not None
        grads = call.compiled.backward(backward.output, _seed(self, grad, False, "backward"), call.saved)
        for (i, _), g, owned in zip(backward.gradients, grads, backward.owned):
            leaf = node.inputs[i]  # type: ignore[index]
            if owned and leaf._grad is None and type(g) is np.ndarray and g.base is None and g.dtype == leaf.dtype:
                leaf._grad = Tensor._make(g, None)  # a new array that nothing else holds: it can be the gradient
            else:
                _accumulate(leaf, g)
        if not retain_graph:
            node.free()


def _over_leaves(node: Node) -> bool:
    """Whether the node and the inputs it sends gradients to have no hooks, and those inputs are leaves."""
    if node._hooks:
        return False
    inputs = node.inputs
    for i in node.grad_inputs:
        x = inputs[i]  # type: ignore[index]
        if x.op is not None or x._hooks:
            return False
    return True


def _as_input(x: Tensor | np.ndarray) -> Tensor:
    """An argument as an input of the node: a numpy array as a Tensor sharing its memory."""
    return x if isinstance(x, Tensor) else Tensor._make(x, None)


def _result(value: Any, node: Node, counter: Any) -> CompiledResult:
    """A CompiledResult of ``value`` made by ``node``, with the version ``counter`` (what ``Tensor._make`` does for
    a Tensor)."""
    t = Tensor.__new__(CompiledResult)
    t._value, t._grad, t._name, t._node, t._hooks, t.requires_grad = value, None, None, node, None, True
    t._counter = counter
    return t


class Compiled:
    """The program of one signature: its generated functions, what it reads, and what it assumes."""

    def __init__(self, recording: Recording, program: Program, generated: Generated, name: str) -> None:
        self.program = program
        self.generated = generated
        self.leaves = recording.leaves
        self.leaf_state = [(t._value.shape, t._value.dtype, t.requires_grad) for t in self.leaves]
        self.guards = recording.guards
        self.shape = type(recording.results) if isinstance(recording.results, (tuple, list)) else None
        position = {v: i for i, v in enumerate(program.inputs)}
        self.returns_input = [position.get(v) for v in program.outputs]
        self.ops: list[Primitive | None] = []
        self.output_of: dict[Primitive, int] = {}
        self.grad_positions = [() if b is None else tuple(i for i, _ in b.gradients) for b in program.backwards]
        n = len(program.inputs)
        for k, backward in enumerate(program.backwards):
            differentiable = backward is not None and self.returns_input[k] is None
            op = self._output_op(k, backward, n, name) if differentiable else None  # type: ignore[arg-type]
            self.ops.append(op)
            if op is not None:
                self.output_of[op] = k

    @staticmethod
    def _output_op(k: int, backward: Backward, n: int, name: str) -> Primitive:
        vjps: list[Any] = [None] * (n + 1)  # the last input, the Call, has no derivative
        for j, (i, _) in enumerate(backward.gradients):
            vjps[i] = _rule(k, j)
        # no saves=: the node keeps every input and the output, and a change of any of them in place raises at the
        # backward, since the values the program saved for it may be any of them (versions.py)
        return Primitive(f"compiled {name}" + (f"[{k}]" if k else ""), COMPOSITE, _output_k(k), *vjps)

    def holds(self) -> bool:
        """Whether the recording still describes a call: the same training modes, the same tensors read."""
        for owner, name, value in self.guards:
            if not unchanged(getattr(owner, name), value):
                return False
        for t, (shape, dtype, requires_grad) in zip(self.leaves, self.leaf_state):
            if t._value.shape != shape or t._value.dtype != dtype or t.requires_grad != requires_grad:
                return False
        return True

    def backward(self, k: int, g: Any, saved: tuple[Any, ...]) -> tuple[Any, ...]:
        function = self.generated.backwards[k]
        assert function is not None
        return function(g, saved, self.generated.backward_constants[k])

    def __call__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        given = (*args, *kwargs.values()) if kwargs else args
        inputs = [_as_input(x) for x in given if isinstance(x, (Tensor, np.ndarray))] + self.leaves
        arrays = [x._value for x in inputs]
        outputs, saved = self.generated.forward(*arrays, self.generated.forward_constants)
        call = Call(self, outputs, saved)
        node_inputs, values = (*[x._graph_node for x in inputs], call), (*arrays, call)
        results = []
        for k, value in enumerate(outputs):
            source, op = self.returns_input[k], self.ops[k]
            if source is not None:
                results.append(inputs[source])
            elif op is None:
                results.append(Tensor._make(np.asarray(value), None))
            else:
                value = np.asarray(value)  # a view of an input's memory shares its version counter (versions.py)
                counter = versions.shared_with(value, inputs) or versions.FRESH
                # a node that keeps every input and the output (what a primitive with no saves= records)
                _, _, swept, watched = op.kept((len(values), *self.grad_positions[k]))
                node = Node(op, node_inputs, swept, values, value, {}, value, watched, counter)
                results.append(_result(value, node, counter))
        return results[0] if self.shape is None else self.shape(results)


def _output_k(k: int) -> Callable[..., Any]:
    """The forward of a compiled output's node: the value the generated forward pass computed for the call (the
    node's last input), so that a drawing that replays the graph's steps finds it."""

    def forward(*values: Any) -> Any:
        return values[-1].outputs[k]

    return forward


class CompiledFunction:
    """What ``compile(fn)`` returns: call it as ``fn``; ``.source`` is the generated text of the last signature."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self._programs: dict[Any, list[Compiled]] = {}
        self._last: Compiled | None = None
        functools.update_wrapper(self, fn, updated=())  # fn's name and docstring (its __dict__ is its own)

    @property
    def source(self) -> str:
        """The generated Python text of the last signature called."""
        if self._last is None:
            raise RuntimeError(f"ag.compile: {self.__qualname__} has not been called yet; it records on its first call")
        return self._last.generated.source

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if recording.recording_here() or anomaly.enabled:
            return self.fn(*args, **kwargs)  # inside another recording it is recorded as part of that one
        key = _signature(args, kwargs)
        try:
            candidates = self._programs.get(key, ())
        except TypeError:
            raise CompileError(UNHASHABLE) from None
        for compiled in candidates:
            if compiled.holds():
                self._last = compiled
                return compiled(args, kwargs)
        return self._record(key, args, kwargs)

    def _record(self, key: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        labels = _labels(self.fn, len(args), list(kwargs))
        recorded = record(self.fn, args, kwargs, labels)
        program = build(recorded)
        name = getattr(self.fn, "__qualname__", type(self.fn).__name__)
        title, filename = _title(name, args, kwargs, labels, recorded), f"<ag.compile {name} #{next(_programs_made)}>"
        generated = generate(program, title, filename)
        self._last = Compiled(recorded, program, generated, name)
        self._programs.setdefault(key, []).append(self._last)
        recorded.release()
        return recorded.results


def _labels(fn: Callable[..., Any], positional: int, keywords: list[str]) -> list[str]:
    """The names of the arguments of a call: the function's parameter names, then the keywords."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    names = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    rest = next((p.name for p in parameters if p.kind == p.VAR_POSITIONAL), "arg")
    return [names[i] if i < len(names) else f"{rest}{i}" for i in range(positional)] + keywords


def _title(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], labels: list[str], recorded: Recording) -> str:
    parts = [f"{label} {x.dtype} {x.shape}" if isinstance(x, (Tensor, np.ndarray)) else f"{label}={x!r}"
             for x, label in zip((*args, *kwargs.values()), labels)]  # fmt: skip
    mode = "grad mode on" if grad_mode.enabled else "grad mode off (no backward pass)"
    training = [value for _, attribute, value in recorded.guards if attribute == "training"]
    modes = f"; {sum(training)} of {len(training)} modules training" if training else ""
    return f"ag.compile of {name}({', '.join(parts)}); {mode}{modes}"


def compile(fn: Callable[..., Any]) -> CompiledFunction:  # noqa: A001  (the name users know from torch.compile)
    """``fn`` recorded on its first call for each signature and then run as generated straight-line numpy, its
    backward pass included; see the module's docstring and docs/compile.md. ``.source`` holds the text."""
    return CompiledFunction(fn)
