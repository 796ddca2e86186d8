"""The program as Python text over numpy, one line per step, and that text compiled into functions.

    def forward(x, labels, w1, b1, constants):     # the arguments, then the tensors the function reads
        z1 = x @ w1 + b1                           # ... one line per step, with its primitive and kind
        return (z9,), (x, z2, z3)                  # the outputs, and what the backward pass reads

    def backward(g_z9, saved, constants):          # the adjoint of the output, and what the forward pass kept
        # reverse of z3 = relu(z2)
        ...
        return (g_w1, g_b1)                        # the gradient of each input that requires grad

Names follow the lectures' trace: ``w1, w2, ...`` for the tensors read that require grad, ``s1, ...`` for those
that do not (buffers), ``z1, z2, ...`` for the forward steps, ``g_z`` for the adjoint of ``z``, ``t1, ...`` for the
other values of a backward pass, ``c1, ...`` for constants that have no literal; a name the user gave a tensor is
kept. A step whose primitive is a numpy operator or function is written as that; any other calls its primitive's
forward function by the primitive's name. The functions' globals hold numpy and those forward functions only.
"""

from __future__ import annotations

import keyword
import linecache
import math
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import primitives as P
from ..primitive import Primitive
from .program import Program, reads
from .tracing import ARGUMENT, CONSTANT, LEAF, Step, Value

OPERATORS = {P.add: "+", P.subtract: "-", P.multiply: "*", P.divide: "/", P.power: "**", P.matmul: "@",
             P.less: "<", P.less_equal: "<=", P.greater: ">", P.greater_equal: ">=", P.equal: "==",
             P.not_equal: "!="}  # fmt: skip
RESERVED = {"np", "saved", "constants", "forward", "backward", "slice"}
COMMENT_COLUMN = 60
LINE = 116  # the longest line of a listing (the inputs, the saved values)


@dataclass
class Generated:
    """The text, and the functions compiled from it: ``forward(*inputs, constants)`` and one backward per output
    that requires grad, ``backward(seed, saved, constants)`` (None for the others), with their constants."""

    source: str
    forward: Callable[..., Any]
    forward_constants: tuple[Any, ...]
    backwards: list[Callable[..., Any] | None]
    backward_constants: list[tuple[Any, ...]]


def literal(x: Any) -> str | None:
    """``x`` as Python source that evaluates to an equal object of the same type (numpy as ``np``), or None."""
    if x is None or isinstance(x, (bool, str, int)):
        return repr(x)
    if isinstance(x, float):
        return repr(x) if math.isfinite(x) else "np.nan" if math.isnan(x) else ("np.inf" if x > 0 else "-np.inf")
    if x is Ellipsis:
        return "..."
    if isinstance(x, slice):
        parts = [literal(p) for p in (x.start, x.stop, x.step)]
        return None if None in parts else f"slice({', '.join(parts)})"  # type: ignore[arg-type]
    if isinstance(x, np.dtype):
        return f"np.{x.name}" if getattr(np, x.name, None) is not None and np.dtype(getattr(np, x.name)) == x else None
    if isinstance(x, np.generic) and getattr(np, type(x).__name__, None) is type(x):
        inner = literal(x.item())
        return None if inner is None else f"np.{type(x).__name__}({inner})"
    if isinstance(x, (tuple, list)):
        parts = [literal(p) for p in x]
        if None in parts:
            return None
        body = ", ".join(parts) + ("," if isinstance(x, tuple) and len(x) == 1 else "")  # type: ignore[arg-type]
        return f"({body})" if isinstance(x, tuple) else f"[{body}]"
    return None


def _identifier(text: str) -> str:
    name = re.sub(r"\W", "_", text)
    if not name or name[0].isdigit():
        name = "v_" + name
    return name + "_" if keyword.iskeyword(name) else name


class Names:
    """Every value's name, unique in the program, and the global name of each primitive called by name."""

    def __init__(self, program: Program) -> None:
        self.taken = set(RESERVED)
        self.functions: dict[str, Callable[..., Any]] = {}
        self._function_of: dict[Primitive, str] = {}
        self.of: dict[Value, str] = {}
        self._count = {"w": 0, "s": 0, "z": 0, "t": 0, "c": 0}
        steps = program.forward + [s for b in program.backwards if b is not None for s in b.steps]
        # what some step, the outputs or the backward passes read; a forward step whose result is not read (kept
        # for its effect) gets no name
        self.read = {*program.outputs, *program.saved, *(v for step in steps for v in reads(step))}
        for step in steps:
            if _spelling(step.op) is None:
                self._function(step.op)
        for value in program.inputs:
            self.of[value] = self._input_name(value)
        for step in program.forward:
            if step.out in self.read:
                label = step.out.tensor.name if step.out.tensor is not None else None  # a name the user gave
                self.of[step.out] = self.fresh(label) if label else self.numbered("z")

    def fresh(self, base: str) -> str:
        """``base`` as an identifier, with a suffix if it is taken."""
        name = _identifier(base)
        k = 1
        while name in self.taken:
            k += 1
            name = f"{_identifier(base)}_{k}"
        self.taken.add(name)
        return name

    def numbered(self, letter: str) -> str:
        while True:
            self._count[letter] += 1
            if f"{letter}{self._count[letter]}" not in self.taken:
                return self.fresh(f"{letter}{self._count[letter]}")

    def _input_name(self, value: Value) -> str:
        if value.label:
            return self.fresh(value.label)
        return self.numbered("w" if value.kind == LEAF and value.tensor.requires_grad else "s")

    def _function(self, op: Primitive) -> str:
        if op not in self._function_of:
            self._function_of[op] = name = self.fresh(op.name)
            self.functions[name] = op.forward
        return self._function_of[op]

    def function(self, op: Primitive) -> str:
        return _spelling(op) or self._function_of[op]

    def backward_value(self, value: Value, adjoint_of: dict[Value, Value]) -> str:
        """A value of a backward pass: ``g_z`` when it is the adjoint of ``z``, else a temporary."""
        if value not in self.of:
            of = adjoint_of.get(value)
            self.of[value] = self.fresh(f"g_{self.of[of]}") if of is not None and of in self.of else self.numbered("t")
        return self.of[value]


def _spelling(op: Primitive) -> str | None:
    """How numpy spells the primitive's forward (``np.exp``, ``np.add.reduce``), if it is numpy's own."""
    f = op.forward
    name = getattr(f, "__name__", "")
    owner = getattr(f, "__self__", None)
    if isinstance(owner, np.ufunc) and getattr(np, owner.__name__, None) is owner:
        return f"np.{owner.__name__}.{name}"
    return f"np.{name}" if name and getattr(np, name, None) is f else None


class Text:
    """Writes steps as lines of one function, collecting the constants they read that have no literal."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self.constants: list[Value] = []

    def operand(self, value: Value) -> str:
        if value.kind != CONSTANT:
            return self.names.of[value]
        text = literal(value.source)
        if text is None:
            if value not in self.names.of:
                self.names.of[value] = self.names.numbered("c")
            if value not in self.constants:
                self.constants.append(value)
            return self.names.of[value]
        return f"({text})" if text.startswith("-") else text

    def param(self, p: Any) -> str:
        if isinstance(p, Value):
            return self.operand(p)
        text = literal(p)
        if text is not None:
            return text
        if isinstance(p, (tuple, list)):
            inner = ", ".join(self.param(q) for q in p) + ("," if isinstance(p, tuple) and len(p) == 1 else "")
            return f"({inner})" if isinstance(p, tuple) else f"[{inner}]"
        return self.operand(Value(CONSTANT, p))

    def index(self, index: Any) -> str:
        parts = index if isinstance(index, tuple) else (index,)
        text = ", ".join(self._index_part(p) for p in parts)
        return text + "," if isinstance(index, tuple) and len(index) == 1 else text or "()"

    def _index_part(self, p: Any) -> str:
        if isinstance(p, slice) and all(q is None or isinstance(q, int) for q in (p.start, p.stop, p.step)):
            bounds = ["" if q is None else str(q) for q in (p.start, p.stop)]
            return ":".join(bounds) + ("" if p.step is None else f":{p.step}")
        return self.param(p)

    def expression(self, step: Step) -> str:
        """The right-hand side of a step: numpy's operator or method where the primitive is one, else a call."""
        op, a = step.op, [self.operand(v) for v in step.operands]
        if op in OPERATORS and len(a) == 2:
            return f"{a[0]} {OPERATORS[op]} {a[1]}"
        if op is P.negative:
            return f"-{a[0]}"
        if op is P.getitem:
            return f"{a[0]}[{self.index(step.params['index'])}]"
        if op is P.reshape:
            return f"{a[0]}.reshape({self.param(step.params['shape'])})"
        if op is P.transpose:
            axes = tuple(step.params["axes"])
            return f"{a[0]}.T" if axes == tuple(range(len(axes) - 1, -1, -1)) else f"{a[0]}.transpose({axes})"
        if op is P.astype:
            return f"{a[0]}.astype({self.param(step.params['dtype'])})"
        if op is P.linear:
            return f"{a[0]} @ {a[1]}.T" + (f" + {a[2]}" if len(a) == 3 else "")
        args = a + [f"{key}={self.param(p)}" for key, p in step.params.items()]
        return f"{self.names.function(op)}({', '.join(args)})"

    def comment(self, step: Step) -> str:
        return f"{step.op.name} ({step.op.kind})" + (f", scope {step.scope}" if step.scope else "")


def _aligned(lines: list[tuple[str, str]]) -> list[str]:
    """Code lines with their comments in one column (a line with no code is a comment of its own)."""
    width = min(max((len(code) for code, _ in lines if code), default=0), COMMENT_COLUMN)
    out = []
    for code, comment in lines:
        if not code:
            out.append(f"    # {comment}")
        else:
            out.append(f"    {code.ljust(width)}  # {comment}" if comment else f"    {code}")
    return out


def _listing(head: str, items: list[str], tail: str) -> list[str]:
    """``head + ", ".join(items) + tail`` in lines of at most LINE characters; ``head`` ends inside a bracket, so
    the items may wrap, lined up under the first."""
    text = ", ".join(items)
    if len(head) + len(text) + len(tail) <= LINE:
        return [head + text + tail]
    wrapped = textwrap.wrap(text, width=LINE - len(head), break_long_words=False)
    lines = [head + wrapped[0]] + [" " * len(head) + line for line in wrapped[1:]]
    lines[-1] += tail
    return lines


def _unpack(names: list[str], what: str) -> list[str]:
    """``(a, b) = what``, wrapped when long."""
    return _listing("    (", names, f"{',' if len(names) == 1 else ''}) = {what}")


def _tuple_tail(items: list[str]) -> str:
    return ",)" if len(items) == 1 else ")"


def _tuple(names: list[str]) -> str:
    return f"({', '.join(names)}{',' if len(names) == 1 else ''})"


def _last_reads(steps: list[Step], kept: set[Value], names: Names) -> list[str]:
    """For each step, ``; del a, b`` for the values made by these steps that it reads for the last time (and that
    the function does not return): their memory goes back at once, as with a name reused in code written by hand."""
    made = {step.out for step in steps} - kept
    last: dict[Value, int] = {}
    for i, step in enumerate(steps):
        for v in reads(step):
            if v in made:
                last[v] = i
    dying: list[list[Value]] = [[] for _ in steps]
    for v, i in last.items():
        dying[i].append(v)
    return [f"; del {', '.join(names.of[v] for v in d)}" if d else "" for d in dying]


def _forward(program: Program, names: Names) -> tuple[list[str], list[Value], dict[Value, str]]:
    """The forward function's lines, its constants, and each step's line (for the backward's headings)."""
    text = Text(names)
    body, line_of = [], {}
    for step, dels in zip(program.forward, _last_reads(program.forward, {*program.outputs, *program.saved}, names)):
        code = text.expression(step)
        if step.out in names.read:  # a step whose result nobody reads is kept for its effect: a bare call
            code = line_of[step.out] = f"{names.of[step.out]} = {code}"
        body.append((code + dels, text.comment(step)))
    lines = _listing("def forward(", [*(names.of[v] for v in program.inputs), "constants"], "):")
    if text.constants:
        lines += _unpack([names.of[c] for c in text.constants], "constants")
    lines += _aligned(body)
    outputs, saved = _tuple([names.of[v] for v in program.outputs]), [names.of[v] for v in program.saved]
    lines += _listing(f"    return {outputs}, (", saved, _tuple_tail(saved))
    return lines, text.constants, line_of


def _backward(
    program: Program, k: int, function: str, names: Names, line_of: dict[Value, str]
) -> tuple[list[str], list[Value]]:
    """The lines of output k's backward function, and its constants."""
    backward = program.backwards[k]
    assert backward is not None
    text = Text(names)
    seed = names.backward_value(backward.seed, program.adjoint_of)
    body: list[tuple[str, str]] = []
    heading = None
    for step in backward.steps:
        names.backward_value(step.out, program.adjoint_of)
    dels = _last_reads(backward.steps, {g for _, g in backward.gradients}, names)
    for step, released in zip(backward.steps, dels):
        if step.reverse_of is not heading:
            heading = step.reverse_of
            of = line_of.get(heading, names.of.get(heading, "?")) if heading is not None else "?"
            body.append(("", f"reverse step of {of}"))
        code = text.expression(step)
        body.append((f"{names.of[step.out]} = {code}{released}", text.comment(step)))
    lines = [f"def {function}({seed}, saved, constants):"]
    if program.saved:
        lines += _unpack([names.of[v] for v in program.saved], "saved")
    if text.constants:
        lines += _unpack([names.of[c] for c in text.constants], "constants")
    lines += _aligned(body)
    grads = [names.backward_value(g, program.adjoint_of) for _, g in backward.gradients]
    lines += _listing("    return (", grads, _tuple_tail(grads))
    return lines, text.constants


def _inputs_comment(program: Program, names: Names) -> list[str]:
    """One line per input: its name, dtype and shape, and what it is."""
    rows = []
    for v in program.inputs:
        what = "argument" if v.kind == ARGUMENT else "read" + (f" in scope {v.scope}" if v.scope else "")
        what += ", requires grad" if v.tensor.requires_grad else ""
        rows.append((names.of[v], f"{v.dtype} {v.shape}", what))
    widths = [max(len(row[i]) for row in rows) for i in range(2)] if rows else [0, 0]
    return [f"#   {name.ljust(widths[0])}  {kind.ljust(widths[1])}  {what}" for name, kind, what in rows]


def generate(program: Program, title: str, filename: str) -> Generated:
    """The program's source text (headed by ``title``) and the functions compiled from it."""
    names = Names(program)
    forward, forward_constants, line_of = _forward(program, names)
    functions = [k for k, b in enumerate(program.backwards) if b is not None]
    lines = [f"# {title}", "# inputs:", *_inputs_comment(program, names),
             "# (`; del v` after a step: v is not read again, so its memory goes back at once)", "", *forward]  # fmt: skip
    function_names: list[str | None] = [None] * len(program.backwards)
    backward_constants: list[tuple[Any, ...]] = [()] * len(program.backwards)
    for k in functions:
        name = "backward" if len(functions) == 1 else names.fresh(f"backward_{names.of[program.outputs[k]]}")
        text, constants = _backward(program, k, name, names, line_of)
        lines += ["", "", *text]
        function_names[k], backward_constants[k] = name, tuple(c.source for c in constants)
    source = "\n".join(lines) + "\n"
    namespace: dict[str, Any] = {"np": np, **names.functions}
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # tracebacks show the lines
    exec(compile(source, filename, "exec"), namespace)
    return Generated(
        source,
        namespace["forward"],
        tuple(c.source for c in forward_constants),
        [None if name is None else namespace[name] for name in function_names],
        backward_constants,
    )
