"""The frames of the animation: what is known at each step of the forward pass and of the reverse sweep.

A frame is a state, not yet a picture: the step it shows (``current``), the nodes whose value is known, the
adjoints summed so far, what the current step just added to each of its inputs, and the trace's lines for the
step, exactly as ``ag.viz.trace`` prints them. The frames, in order:

* forward, t = 0: the inputs (and constants) are given;
* forward, t = 1 ... T: step z_t is computed, its value appears;
* reverse, the seed: adjoint[z_T] = 1 (or ``grad``);
* reverse, t = T ... 1: step z_t passes adjoint[z_t] * dz_t/dx to each input x; the totals grow;
* the result: the inputs' gradients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..backward import GraphNode
from .adjoints import Sweep, Term
from .numbering import Numbering
from .trace import TraceText

FORWARD, REVERSE = "forward", "reverse"


@dataclass(eq=False)
class Frame:
    """One frame (see the module's docstring). ``adjoint[node]``: its adjoint summed so far; ``received[node]``:
    what the current step added to it; ``source``: the picture in graphviz's language, ``svg``: as drawn by dot."""

    phase: str
    title: str
    lines: list[str]
    current: set[GraphNode]
    known: set[GraphNode]
    adjoint: dict[GraphNode, np.ndarray] = field(default_factory=dict)
    received: dict[GraphNode, np.ndarray] = field(default_factory=dict)
    source: str = ""
    svg: str = ""

    def _repr_html_(self) -> str:
        """Jupyter shows a frame as its picture with the trace's lines under it."""
        from html import escape

        text = escape("\n".join([self.title, *self.lines]))
        return f"<div>{self.svg}<pre>{text}</pre></div>"


def forward_frames(numbering: Numbering, text: TraceText) -> list[Frame]:
    """The inputs given, then one frame per step computed: its row of the trace's forward table under it."""
    header = text.forward_head[1:]  # the column names and the constants
    inputs = ", ".join(numbering.name[x] for x in numbering.inputs)
    known = set(numbering.inputs)
    frames = [Frame(FORWARD, f"forward, t = 0: the inputs z0 = ({inputs}) are given",
                    header + [text.row[x] for x in numbering.inputs], set(numbering.inputs), set(known))]  # fmt: skip
    for node in numbering.steps:
        known.add(node)
        title = f"forward, t = {numbering.step[node]} of {numbering.T}: {numbering.name[node]} is computed"
        frames.append(Frame(FORWARD, title, [header[0], text.row[node]], {node}, set(known)))
    return frames


def reverse_frames(numbering: Numbering, sweep: Sweep, text: TraceText) -> list[Frame]:
    """The seed, then one frame per step swept (from t = T down to 1), then the gradients."""
    known = set(numbering.order)
    root = numbering.root
    adjoint = {root: sweep.adjoint[root]}
    frames = [Frame(REVERSE, f"reverse: the sweep starts from adjoint[{numbering.name[root]}]", text.reverse_head[1:],
                    {root}, known, dict(adjoint), dict(adjoint))]  # fmt: skip
    terms_of: dict[GraphNode, list[Term]] = {}
    for term in sweep.terms:
        terms_of.setdefault(term.node, []).append(term)
    for node in reversed(numbering.steps):
        received: dict[GraphNode, np.ndarray] = {}
        for term in terms_of.get(node, []):
            x = node.inputs[term.i]
            received[x] = term.value if x not in received else received[x] + term.value
            adjoint[x] = term.total
        title = f"reverse, t = {numbering.step[node]}: {numbering.name[node]} passes its adjoint to its inputs"
        frames.append(Frame(REVERSE, title, text.sweep_lines[node], {node}, known, dict(adjoint), received))
    frames.append(Frame(REVERSE, "reverse, done: every node visited once, the gradient is complete",
                        text.reverse_tail, set(numbering.inputs), known, dict(adjoint)))  # fmt: skip
    return frames
