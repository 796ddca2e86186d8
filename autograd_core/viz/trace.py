"""``ag.viz.trace``: the evaluation trace z_1 ... z_T as text, and the reverse sweep over it, step by step."""

from __future__ import annotations

from typing import Any

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


def _forward(numbering: Numbering, sweep: Sweep | None, precision: int) -> list[str]:
    root = numbering.name[numbering.root]
    inputs = ", ".join(numbering.name[x] for x in numbering.inputs)
    lines = [f"Evaluation trace of {root}: T = {numbering.T} steps z_t = h_t(parents), inputs z0 = ({inputs})"]
    header = ["t", "step", "shape", "value"] + ([f"adjoint d{root}/dz_t"] if sweep is not None else [])
    rows = [header]
    for c in numbering.constants:
        if not c.literal:
            rows.append(["", f"{c.label} = constant", shape_text(c.value.shape), value_text(c.value, precision)]
                        + ([""] if sweep is not None else []))
    for node in numbering.inputs + numbering.steps:  # inputs first, as z0 on the slides: still topological
        row = [str(numbering.step[node]), step_text(numbering, node), shape_text(node.shape),
               value_text(numbering.value[node], precision)]
        if sweep is not None:
            adjoint = sweep.adjoint.get(node)
            row.append("-" if adjoint is None else value_text(adjoint, precision))
        rows.append(row)
    return lines + _table(rows)


def _reverse(numbering: Numbering, sweep: Sweep, precision: int) -> list[str]:
    root = numbering.name[numbering.root]
    lines = [
        "",
        f"Reverse sweep from t = {numbering.T} down to 1, adjoint[v] = d{root}/dv: "
        "each step z adds adjoint[z] * dz/dx to the adjoint of each of its inputs x",
        f"adjoint[{root}] = {value_text(sweep.adjoint[numbering.root], precision)}",
    ]
    terms_of: dict[Node, list[Term]] = {}
    for term in sweep.terms:
        terms_of.setdefault(term.node, []).append(term)
    # one table for the whole sweep, so the terms line up from step to step; a step's heading spans the row
    rows: list[list[str] | str] = []
    for node in reversed(numbering.steps):
        rows.append(f"t = {numbering.step[node]}: {step_text(numbering, node)}")
        if node not in sweep.adjoint:
            rows.append("    no adjoint reaches this step: nothing to pass on")
        for term in terms_of.get(node, []):
            rows.append(["   ", adjoint_step(numbering, node, term.i),
                         f"+= {value_text(term.value, precision)}", f"-> {value_text(term.total, precision)}"])
    aligned = iter(_table([row for row in rows if isinstance(row, list)] or [[""]]))
    lines += [row if isinstance(row, str) else next(aligned) for row in rows]
    once = all(sweep.visits.get(node) == 1 for node in numbering.order) and len(sweep.visits) == len(numbering.order)
    visited = "each visited once" if once else "NOT each visited once"
    lines.append(
        f"Visited {len(sweep.visits)} nodes ({numbering.T} steps, {count(len(numbering.inputs), 'input')}), "
        f"{visited}: "
        f"the sweep costs O(T), T = {numbering.T}."
    )
    results = ", ".join(
        f"d{root}/d{numbering.name[x]} = {value_text(sweep.adjoint[x], precision)}"
        for x in numbering.inputs if x in sweep.adjoint
    )
    lines.append(f"Result: {results}")
    return lines


def trace(
    root: Tensor,
    *,
    adjoints: bool | None = None,
    reverse: bool = False,
    grad: Any = None,
    precision: int = 6,
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
    """
    numbering = Numbering(root, "trace")
    if adjoints is None:
        adjoints = root.numel() == 1 or grad is not None
    if reverse and not adjoints:
        raise ValueError("trace: reverse=True lists the sweep that computes the adjoints, so it needs adjoints=True")
    sweep = reverse_sweep(numbering, seed_for(root, grad, "trace")) if adjoints else None
    lines = _forward(numbering, sweep, precision)
    if reverse:
        lines += _reverse(numbering, sweep, precision)
    return "\n".join(lines) + "\n"
