"""The program a recording describes: the steps its results need, in the order they ran, and nothing else.

A recording holds every step the call made, including checks and values nobody reads. The program keeps

* for each output that requires grad, a backward pass: the steps of its recorded sweep that lead to the inputs'
  gradients (walked back from them);
* the forward pass: the steps that lead to the outputs and to the values the backward passes read, and every step
  of a primitive outside the derivative table, which may have an effect even when its result is unused (a random
  draw, a write into a buffer);
* ``saved``: what the forward pass hands to the backward passes — the values they read, and the results of steps
  that a replay cannot repeat (see ``replay``).

Nothing is computed twice: a value is made by one step, in one of the passes, and read from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .. import primitives as P
from ..tensor import Tensor
from .tracing import CONSTANT, SEED, Recording, Step, Value


@dataclass
class Backward:
    """The backward pass of output ``output``: from the adjoint ``seed`` of that output, ``steps`` compute the
    gradient of each input that requires grad and that the output depends on, ``gradients`` (input position,
    Value); ``owned`` the gradients that are new arrays no other gradient shares (they may become ``.grad``)."""

    output: int
    seed: Value
    steps: list[Step]
    gradients: list[tuple[int, Value]]
    owned: list[bool]


@dataclass
class Program:
    """``inputs`` (the arguments, then the leaves), the ``forward`` steps, the ``outputs``, what the forward pass
    keeps for the backward passes (``saved``), and each output's ``Backward`` (None where it needs none)."""

    inputs: list[Value]
    forward: list[Step]
    outputs: list[Value]
    saved: list[Value]
    backwards: list[Backward | None]
    adjoint_of: dict[Value, Value]


def reads(step: Step) -> Iterator[Value]:
    """Every value a step reads: its operands, and the values inside its parameters (an index's arrays)."""
    yield from step.operands
    yield from _values_in(step.params.values())


def _values_in(params: Iterable[Any]) -> Iterator[Value]:
    for p in params:
        if isinstance(p, Value):
            yield p
        elif isinstance(p, (tuple, list)):
            yield from _values_in(p)


def _live(steps: list[Step], wanted: set[Value], keep: Callable[[Step], bool]) -> tuple[list[Step], set[Value]]:
    """The steps that make a ``wanted`` value, or that ``keep`` keeps, with every step they read from, in order;
    and every value those steps read (walked back once, newest step first)."""
    needed = set(wanted)
    kept = []
    for step in reversed(steps):
        if step.out in needed or keep(step):
            kept.append(step)
            needed.update(reads(step))
    kept.reverse()
    return kept, needed


def _backward(recording: Recording, k: int, gradients: dict[Value, Value]) -> tuple[Backward, set[Value]]:
    """Output k's backward pass, and the values it reads from the forward pass."""
    position = {value: i for i, value in enumerate(recording.inputs)}
    results = sorted((position[x], g) for x, g in gradients.items())
    steps = [s for s in recording.steps if s.phase == k + 1]
    kept, needed = _live(steps, {g for _, g in results}, lambda step: False)
    made_here = {s.out for s in kept}
    from_forward = {v for v in needed if v not in made_here and v.kind not in (CONSTANT, SEED)}
    seed = next(v for v in recording.adjoint_of if v.kind == SEED and v.source == k)
    once = [sum(g is h for _, h in results) == 1 for _, g in results]
    owned = [unique and g in made_here for (_, g), unique in zip(results, once)]
    return Backward(k, seed, kept, results, owned), from_forward


def build(recording: Recording) -> Program:
    """The program of a recording: its live steps, what the forward pass saves, and the names of the adjoints."""
    backwards: list[Backward | None] = []
    saved: set[Value] = set()
    for k, gradients in enumerate(recording.gradients):
        if gradients is None:
            backwards.append(None)
            continue
        backward, from_forward = _backward(recording, k, gradients)
        backwards.append(backward)
        saved |= from_forward
    pure = set(P.table().values())
    forward = [s for s in recording.steps if s.phase == 0]
    kept, _ = _live(forward, set(recording.outputs) | saved, lambda step: step.op not in pure)
    read = {v for step in kept for v in reads(step)}
    saved |= {s.out for s in kept if s.op not in pure and not s.op.vjps and s.out in read}  # for replay
    order = [*recording.inputs, *(s.out for s in kept)]
    return Program(recording.inputs, kept, recording.outputs, [v for v in order if v in saved], backwards,
                   recording.adjoint_of)  # fmt: skip


def replay(program: Program, inputs: list[Any], saved: tuple[Any, ...]) -> list[Any]:
    """The forward pass run again through the engine's own operations, on Tensors: the outputs as graphs that the
    derivative table can differentiate to any order (the path a ``create_graph=True`` sweep takes through a
    compiled call). ``inputs`` stand for the program's inputs; a step that cannot be repeated (a primitive with
    no derivative from outside the table: a random draw, a write) gives the value the call made, from ``saved``."""
    pure = set(P.table().values())
    env: dict[Value, Any] = dict(zip(program.inputs, inputs))
    env.update((v, Tensor._make(a, None) if v not in env else env[v]) for v, a in zip(program.saved, saved))
    for step in program.forward:
        if step.op not in pure and not step.op.vjps:
            continue  # its value came with saved
        operands = [env[v] if v.kind != CONSTANT else v.source for v in step.operands]
        params = {key: _resolved(p, env) for key, p in step.params.items()}
        env[step.out] = step.op(*operands, **params)
    return [env[v] for v in program.outputs]


def _resolved(p: Any, env: dict[Value, Any]) -> Any:
    """A parameter with its Values replaced by arrays again."""
    if isinstance(p, Value):
        x = env[p] if p.kind != CONSTANT else p.source
        return x._value if isinstance(x, Tensor) else x
    if isinstance(p, (tuple, list)):
        return type(p)(_resolved(q, env) for q in p)
    return p
