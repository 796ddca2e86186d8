"""A primitive: one step h_t of the evaluation trace, with its forward and its vector-Jacobian products.

Calling a primitive on Tensors computes the value with numpy and returns it as a new Tensor; when recording is on
and some input requires a gradient, that Tensor's ``grad_fn`` is a new graph node (node.py) that remembers the
primitive, its inputs, its parameters and the values its rules will read. Calling it on plain numpy values just
returns the numpy result. That second mode is what makes the derivative rules cheap:

* rules are written with primitives and operators (``g * cos(x)``), never with numpy directly;
* an ordinary backward hands them numpy arrays, so they compute numbers and build nothing;
* a ``create_graph=True`` backward hands them Tensors, so the very same rule records the gradient as a new graph,
  which can be differentiated again (grad of grad, Hessians) without a second set of rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import anomaly, versions
from .compiler import recording
from .dtypes import promoted
from .grad_mode import state as grad_mode
from .node import Node

# The lectures' three kinds of trace step, and one more for operations that carry their own rule.
AFFINE = "affine"  # z = A x + b for a constant A: add, sum, reshape, transpose, indexing, concatenation
PRODUCT = "product"  # products and powers: mul, div, pow, matmul
ELEMENTWISE = "elementwise"  # a fixed one-dimensional function applied to each entry: exp, log, sin, tanh
COMPOSITE = "composite"  # none of the three, with a rule of its own: max, min, maximum, comparisons
KINDS = (AFFINE, PRODUCT, ELEMENTWISE, COMPOSITE)

# A vector-Jacobian product rule: vjp(g, z, *inputs, **params) -> the adjoint of one input, where g is the adjoint
# of the output z. Its result may still have the broadcast shape; the sweep reduces it (unbroadcast).
VJP = Callable[..., Any]


class ShapeError(ValueError, RuntimeError):
    """An operation was given shapes it cannot combine; the message names the operation and the shapes.

    Both a ValueError (numpy's kind of error for shapes) and a RuntimeError (PyTorch's), so that either habit of
    catching it works."""


class Primitive:
    """One entry of the derivative table: a name, a kind, a numpy forward and one vjp rule per input.

    ``vjps[i]`` is None for an input that carries no derivative (a condition, an index). A primitive with no vjps
    at all (comparisons, sign) gives results that never require grad.

    ``saves`` declares what the rules read: each input, by the name its rules give it and in order, maps to the
    names its own rule reads, "z" being the output. ``saves={"x": "y", "y": "x"}`` (multiply) says that x's rule
    reads y and y's rule reads x; ``saves={"x": "z"}`` (exp) that the rule reads the output alone. A node keeps the
    values that the rules of its inputs requiring grad read, and nothing else. ``saves=None`` keeps every input
    and the output: safe for a rule whose reads are not declared. A name written ``x.shape`` (or ``x.dtype``) says
    that the rule reads only that attribute: x is kept, but a change of its values in place does not matter to
    the rule, so its version is not checked (versions.py).
    """

    __slots__ = ("name", "kind", "forward", "vjps", "saves", "_ruleless", "_kept")

    def __init__(self, name: str, kind: str, forward: Callable[..., Any], *vjps: VJP | None,
                 saves: dict[str, str] | None = None) -> None:  # fmt: skip
        _check_definition(name, kind, forward, vjps)
        self.name = name
        self.kind = kind
        self.forward = forward
        # one rule per input; a variadic primitive passes a single EachInput that serves every position
        self.vjps: Sequence[VJP | None] = vjps[0] if len(vjps) == 1 and isinstance(vjps[0], EachInput) else vjps
        self.saves = saves
        # the inputs without a rule (a condition, an index): they never receive an adjoint
        self._ruleless = () if isinstance(self.vjps, EachInput) else tuple(i for i, v in enumerate(vjps) if v is None)
        self._kept: dict[tuple[int, ...], tuple[bool, tuple[int, ...], tuple[int, ...]]] = {}  # see kept()

    def __repr__(self) -> str:
        return f"<primitive {self.name} ({self.kind})>"

    def input_names(self, n: int) -> tuple[str, ...]:
        """The names of the first ``n`` inputs: those ``saves`` declares, else x0, x1, ..."""
        declared = tuple(self.saves or ())
        return declared[:n] if len(declared) >= n else tuple(f"x{i}" for i in range(n))

    def kept(self, key: tuple[int, ...]) -> tuple[bool, tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """What a node keeps, for ``key`` = (number of inputs, *positions of the inputs that require grad): whether
        it keeps the output; which inputs it drops (no rule that will be called reads them); the inputs the sweep
        will call rules for (an input without a rule, a condition or an index, never gets an adjoint); and the
        positions whose values (not just shape or dtype) a rule reads, -1 for the output, watched for changes in
        place (versions.py). Worked out once per key from ``saves``, then looked up."""
        found = self._kept.get(key)
        if found is not None:
            return found
        n, swept = key[0], tuple(i for i in key[1:] if i not in self._ruleless)
        if self.saves is None:
            found = (True, (), swept, (*range(n), -1))
        else:
            names = self.input_names(n)
            reads = [word for i in swept for word in self.saves[names[i]].split()]
            read = {word.split(".")[0] for word in reads}  # "x.shape" keeps x, but reads no value of it
            watched = tuple(i for i, name in enumerate(names) if name in reads) + ((-1,) if "z" in reads else ())
            found = ("z" in read, tuple(i for i, name in enumerate(names) if name not in read), swept, watched)
        self._kept[key] = found
        return found

    def __call__(self, *inputs: Any, **params: Any) -> Any:
        for x in inputs:
            if isinstance(x, Tensor):
                break
        else:  # numbers only, as in the rules of an ordinary backward: numpy's result, and no graph
            return self.forward(*inputs, **params)
        # the inputs' values for numpy; the graph's view of them (an operation's result by its node, a leaf or a
        # constant as itself); and the positions of those that require grad
        values, graph_inputs, grad_inputs = [], [], []
        for i, x in enumerate(inputs):
            if isinstance(x, Tensor):
                values.append(x._value)
                graph_inputs.append(x._node or x)
                if x.requires_grad:
                    grad_inputs.append(i)
            else:
                values.append(x)
                graph_inputs.append(x)
        try:
            value = self.forward(*values, **params)
        except ShapeError:
            raise
        except (ValueError, IndexError) as err:  # numpy's message names the shapes; say which operation it was
            raise type(err)(f"{self.name}: {err}") from None
        if not isinstance(value, np.ndarray):  # numpy gives scalars from 0-d work; a node always holds an array
            value = np.asarray(value)
        if value.dtype is _FLOAT64 and getattr(values[0], "dtype", None) is not _FLOAT64 and _widened(values) \
                and "dtype" not in params:  # PyTorch's promotion, not numpy's (float64 work skips it at the first test)
            value = value.astype(promoted(values))
        # the output's version counter (versions.py): a view of an input's memory shares that input's (the test
        # of .base first spares every other operation the call)
        counter = (value.base is not None and versions.shared_with(value, inputs)) or versions.FRESH
        node = None
        if grad_inputs and self.vjps and grad_mode.enabled:  # some input requires grad: record the step
            if value.dtype.kind == "c":
                raise TypeError(f"{self.name}: complex numbers are not supported; its result has dtype {value.dtype}")
            key = (len(values), *grad_inputs)
            keep_z, drop, swept, watched = self._kept.get(key) or self.kept(key)  # (the lookup, without a call)
            if swept:  # (none, when the inputs that require grad have no rule: a condition, an index)
                for i in drop:  # a value no rule reads is not kept: the user's Tensor alone decides how long it lives
                    values[i] = None
                keep = value if keep_z else None
                node = Node(self, tuple(graph_inputs), swept, tuple(values), keep, params, value, watched, counter)
        out = Tensor._make(value, node, counter)
        if anomaly.enabled:
            anomaly.check_forward(out, self, inputs)
        if recording.tracer is not None:  # ag.compile is recording: every step counts, recorded in the graph or not
            recording.tracer.record(self, inputs, params, out)
        return out


def _check_definition(name: Any, kind: Any, forward: Any, vjps: tuple[Any, ...]) -> None:
    """A user's primitive (``ag.Primitive``) is checked where it is defined, not where it first fails."""
    if not isinstance(name, str):
        raise TypeError(f"Primitive: the name must be a string, got {type(name).__name__}")
    if kind not in KINDS:
        raise ValueError(
            f"Primitive {name!r}: kind must be ag.AFFINE, ag.PRODUCT, ag.ELEMENTWISE or ag.COMPOSITE "
            f"({', '.join(map(repr, KINDS))}), got {kind!r}"
        )
    if not callable(forward):
        raise TypeError(f"Primitive {name!r}: forward must be a function of numpy arrays, got {type(forward).__name__}")
    for i, rule in enumerate(vjps):
        if rule is not None and not callable(rule) and not isinstance(rule, EachInput):
            raise TypeError(
                f"Primitive {name!r}: vjp rule {i} must be a function rule(g, z, *inputs, **params) or None (no "
                f"derivative for that input), got {type(rule).__name__}"
            )


_FLOAT64 = np.dtype(np.float64)


def _widened(values: list[Any]) -> bool:
    """Whether numpy made a float64 result that no float64 operand asked for (integers met float32 or a Python
    float); the check stops at the first float64 operand, which in float64 work is the first."""
    for v in values:
        if getattr(v, "dtype", None) is _FLOAT64:
            return False
    return True


class EachInput:
    """The vjps of a primitive with any number of inputs (concatenate): ``rule(i, g, z, *inputs)`` for input i."""

    __slots__ = ("rule",)

    def __init__(self, rule: Callable[..., Any]) -> None:
        self.rule = rule

    def __getitem__(self, i: int) -> VJP:
        rule = self.rule
        return lambda g, z, *inputs, **params: rule(i, g, z, *inputs, **params)


from .tensor import Tensor  # noqa: E402  (tensor.py imports the table, which imports this module)
