"""``ag.viz.trace``: the evaluation trace z_1 ... z_T as text, and the reverse sweep over it, step by step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..backward import GraphNode
from ..node import Node
from ..tensor import Tensor
from .adjoints import Sweep, Term, reverse_sweep, seed_for
from .formulas import adjoint_step, step_text
from .numbering import Numbering
from .values import count, shape_text, value_text


def _table(rows: list[list[str]]) -> list[str]:
    """Rows of cells as left-aligned columns (the first column right-aligned: it holds t)."""
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].rjust(widths[0])] + [cell.ljust(w) for cell, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
    return lines


@dataclass
class TraceText:
    """The lines of a trace, kept by what they belong to, so that the animation can show each step its own lines.

    ``forward_head``: the title, the column header and the constants; ``row[node]``: a node's line of the forward
    table. ``reverse_head``: the sweep's title and the seed; ``sweep_lines[node]``: a step's lines of the reverse
    sweep (its heading, then one line per term it adds); ``reverse_tail``: the visits and the result.
    """

    forward_head: list[str]
    row: dict[GraphNode, str]
    reverse_head: list[str] = field(default_factory=list)
    sweep_lines: dict[Node, list[str]] = field(default_factory=dict)
    reverse_tail: list[str] = field(default_factory=list)

    def lines(self, numbering: Numbering) -> list[str]:
        """Everything, in the order ``trace`` prints it."""
        forward = [self.row[node] for node in numbering.inputs + numbering.steps]
        sweep = [line for node in reversed(numbering.steps) for line in self.sweep_lines.get(node, [])]
        return self.forward_head + forward + self.reverse_head + sweep + self.reverse_tail


def _forward(numbering: Numbering, sweep: Sweep | None, precision: int) -> TraceText:
    root = numbering.name[numbering.root]
    inputs = ", ".join(numbering.name[x] for x in numbering.inputs)
    title = f"Evaluation trace of {root}: T = {numbering.T} steps z_t = h_t(parents), inputs z0 = ({inputs})"
    header = ["t", "step", "shape", "value"] + ([f"adjoint d{root}/dz_t"] if sweep is not None else [])
    rows = [header]
    for c in numbering.constants:
        if not c.literal:
            rows.append(["", f"{c.label} = constant", shape_text(c.value.shape), value_text(c.value, precision)]
                        + ([""] if sweep is not None else []))
    nodes = numbering.inputs + numbering.steps  # inputs first, as z0 on the slides: still topological
    for node in nodes:
        row = [str(numbering.step[node]), step_text(numbering, node), shape_text(node.shape),
               value_text(numbering.value[node], precision)]
        if sweep is not None:
            adjoint = sweep.adjoint.get(node)
            row.append("-" if adjoint is None else value_text(adjoint, precision))
        rows.append(row)
    lines = _table(rows)
    return TraceText([title] + lines[: len(lines) - len(nodes)], dict(zip(nodes, lines[len(lines) - len(nodes) :])))


def _reverse(numbering: Numbering, sweep: Sweep, precision: int, text: TraceText) -> None:
    root = numbering.name[numbering.root]
    text.reverse_head = [
        "",
        f"Reverse sweep from t = {numbering.T} down to 1, adjoint[v] = d{root}/dv: "
        "each step z adds adjoint[z] * dz/dx to the adjoint of each of its inputs x",
        f"adjoint[{root}] = {value_text(sweep.adjoint[numbering.root], precision)}",
    ]
    terms_of: dict[Node, list[Term]] = {}
    for term in sweep.terms:
        terms_of.setdefault(term.node, []).append(term)
    # one table for the whole sweep, so the terms line up from step to step; a step's heading spans the row
    rows = [["   ", adjoint_step(numbering, term.node, term.i), f"+= {value_text(term.value, precision)}",
             f"-> {value_text(term.total, precision)}"] for term in sweep.terms]  # fmt: skip
    aligned = iter(_table(rows or [[""]]))
    for node in reversed(numbering.steps):
        lines = [f"t = {numbering.step[node]}: {step_text(numbering, node)}"]
        if node not in sweep.adjoint:
            lines.append("    no adjoint reaches this step: nothing to pass on")
        lines += [next(aligned) for _ in terms_of.get(node, [])]
        text.sweep_lines[node] = lines
    text.reverse_tail = _summary(numbering, sweep, precision)


def _summary(numbering: Numbering, sweep: Sweep, precision: int) -> list[str]:
    """The sweep's last lines: T, the visits, and the inputs' gradients."""
    root = numbering.name[numbering.root]
    once = all(sweep.visits.get(node) == 1 for node in numbering.order) and len(sweep.visits) == len(numbering.order)
    visited = "each visited once" if once else "NOT each visited once"
    results = ", ".join(
        f"d{root}/d{numbering.name[x]} = {value_text(sweep.adjoint[x], precision)}"
        for x in numbering.inputs if x in sweep.adjoint
    )
    return [
        f"Visited {len(sweep.visits)} nodes ({numbering.T} steps, {count(len(numbering.inputs), 'input')}), "
        f"{visited}: the sweep costs O(T), T = {numbering.T}.",
        f"Result: {results}",
    ]


def trace_text(numbering: Numbering, sweep: Sweep | None, precision: int, reverse: bool) -> TraceText:
    """The trace's lines by node: the forward table (with the adjoint column if ``sweep`` is given), and the
    reverse sweep if asked (which needs ``sweep``)."""
    text = _forward(numbering, sweep, precision)
    if reverse:
        _reverse(numbering, sweep, precision, text)
    return text


def trace(
    root: Tensor,
    *,
    adjoints: bool | None = None,
    reverse: bool = False,
    grad: Any = None,
    precision: int = 6,
    params: Mapping[str, Tensor] | None = None,
) -> str:
    """The evaluation trace of ``root``: one line per node in topological order, in the lectures' notation.

    Each line reads ``t  z7 = sin(z6)  shape  value  adjoint``: the step number t (0 for the inputs z0 = w), the step
    (infix for + - * / ^ @, function form with its parameters otherwise), its shape, its value (in full for a
    scalar, ``mean, min, max`` for a tensor) and its adjoint dz_T/dz_t. Constants with more than one element are
    listed first as ``c1 = constant``; one-element constants appear as numbers in the steps. Names are those of
    ``draw_graph``: user names where given, else ``w1, w2, ...`` for inputs and ``z1 ... zT`` for steps.

    The adjoints come from a reverse sweep that ``trace`` runs itself with the engine's vjp rules, keeping every
    node's adjoint (the engine stores only the inputs' ``.grad``); ``.grad`` is left untouched and hooks are not
    run. It needs the graph: trace before ``backward()`` or after ``backward(retain_graph=True)``.

    Args:
        root: the output z_T.
        adjoints: show the adjoint column; None (default) shows it when ``root`` has one element or ``grad`` is given.
        reverse: also list the reverse sweep step by step (``adjoint[z6] += adjoint[z7] * cos(z6)``), with T and a
            check that each node was visited once.
        grad: the adjoint of ``root`` to start from (shape of ``root``); ones for a one-element root.
        precision: significant digits of the numbers shown.
        params: names for Tensors, e.g. ``dict(model.named_parameters())``, as in ``draw_graph``.
    """
    numbering = Numbering(root, "trace", params)
    if adjoints is None:
        adjoints = root.numel() == 1 or grad is not None
    if reverse and not adjoints:
        raise ValueError("trace: reverse=True lists the sweep that computes the adjoints, so it needs adjoints=True")
    sweep = reverse_sweep(numbering, seed_for(root, grad, "trace")) if adjoints else None
    return "\n".join(trace_text(numbering, sweep, precision, reverse).lines(numbering)) + "\n"
