"""``ag.viz.animate``: watch backprop happen, one step at a time, on the graph ``draw_graph`` draws.

Each frame (frames.py) is the same drawing: the same plan, the same colours and the same node sizes, so that
nothing moves from frame to frame but the highlight and the numbers. Node sizes are fixed to fit the widest text a
node shows in any frame (graphviz lays out one drawing holding those texts first); every frame is then laid out
by ``dot`` in one run and kept as SVG. ``Animation`` shows them in Jupyter, saves one offline HTML page
(player.py) or an animated GIF (gif.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..tensor import Tensor
from .adjoints import reverse_sweep, seed_for
from .draw import check_max_nodes, heading, item_style, label, render
from .frames import FORWARD, REVERSE, Frame, forward_frames, reverse_frames
from .numbering import Constant, Numbering
from .plan import Item, Plan, plan_drawing
from .trace import trace_text
from .values import value_text

if TYPE_CHECKING:  # graphviz is imported by a drawing, not by `import autograd_core`
    import graphviz

HIGHLIGHT = {FORWARD: "#1f5fbf", REVERSE: "#c0392b"}  # the current step's border: blue forward, red back
RECEIVED = "#e67e22"  # the border of a node whose adjoint the current step just added to
FADED = {"fillcolor": "#f4f4f4", "fontcolor": "#a0a0a0", "color": "#c8c8c8"}  # a step not computed yet
SENDING = {"color": HIGHLIGHT[REVERSE], "penwidth": "2.5", "dir": "back", "class": "sending"}  # an edge in use
BLANK = " "  # a line not known yet: kept, so that the lines above stay where they are


def _lines(numbering: Numbering, item: Item, frame: Frame, precision: int) -> list[str]:
    """What a node shows in a frame: its heading, its value once computed, its adjoint once the sweep reached it
    (and what the current step just added)."""
    if isinstance(item, Constant):
        return heading(numbering, item) + ([] if item.literal else [f"value {value_text(item.value, precision)}"])
    value = f"value {value_text(numbering.value[item], precision)}" if item in frame.known else BLANK
    adjoint = BLANK
    if item in frame.adjoint:
        adjoint = f"adjoint {value_text(frame.adjoint[item], precision)}"
        if item in frame.received and item is not numbering.root:
            adjoint += f" (+= {value_text(frame.received[item], precision)})"
    return heading(numbering, item) + [value, adjoint]


def _style(numbering: Numbering, item: Item, frame: Frame) -> dict[str, str]:
    """draw_graph's look; faded until computed; the current step's border thick and coloured (class "current",
    which the page's tests read); a node that just received part of its adjoint outlined in orange."""
    style = item_style(numbering, item)
    if isinstance(item, Constant):
        return style
    if item not in frame.known:
        style |= FADED
    if item in frame.current:
        style |= {"color": HIGHLIGHT[frame.phase], "penwidth": "3.5", "class": "current"}
    elif item in frame.received:
        style |= {"color": RECEIVED, "penwidth": "2.5", "class": "received"}
    return style


def _edge_styles(plan: Plan, frame: Frame) -> dict[tuple[Item, Item], dict[str, str]]:
    """In the sweep, the edges along which the current step sends adjoint: red and thick, the arrow turned round
    (the adjoint flows from the step back to its input)."""
    sending = {}
    for tail, head in plan.edges:
        if frame.phase != FORWARD and head in frame.current and tail in frame.received:
            sending[(tail, head)] = SENDING
    return sending


def _fixed_sizes(plan: Plan, labels: list[dict[Item, list[str]]], rankdir: str, legend: bool
                 ) -> dict[Item, dict[str, str]]:  # fmt: skip
    """Each node's size in every frame: that of the node showing, line by line, the longest text it ever shows,
    as graphviz lays it out (``-Tplain`` gives the sizes in inches), and a little room for wider letters."""
    widest = {}
    for item in plan.items:
        per_frame = [frame_labels[item] for frame_labels in labels]
        widest[item] = label([max(lines, key=len) for lines in zip(*per_frame)])
    styles = {item: item_style(plan.numbering, item) for item in plan.items}
    layout = render(plan, widest, styles, rankdir=rankdir, legend=legend).pipe(format="plain").decode()
    sizes = {}
    by_id = {plan.ids[item]: item for item in plan.items}
    for line in layout.splitlines():
        words = line.split()
        if words[0] == "node" and words[1] in by_id:
            width, height = float(words[4]) + 0.15, float(words[5])
            sizes[by_id[words[1]]] = {"width": f"{width:.3f}", "height": f"{height:.3f}", "fixedsize": "true"}
    return sizes


def _svgs(graphs: list[graphviz.Digraph]) -> list[str]:
    """Every frame laid out by one run of ``dot`` (it reads several graphs in a row); each SVG without its XML
    prologue, ready to sit inside an HTML page."""
    import graphviz

    output = graphviz.pipe("dot", "svg", "\n".join(graph.source for graph in graphs).encode()).decode()
    documents = [doc for doc in output.split("<?xml") if doc.strip()]
    return [doc[doc.index("<svg") :].strip() for doc in documents]


def _draw(plan: Plan, frames: list[Frame], rankdir: str, legend: bool, precision: int) -> None:
    """Give every frame its SVG: the same drawing, its own texts and highlights, every node at its fixed size."""
    numbering = plan.numbering
    lines = [{item: _lines(numbering, item, frame, precision) for item in plan.items} for frame in frames]
    sizes = _fixed_sizes(plan, lines, rankdir, legend)
    graphs = []
    for frame, frame_lines in zip(frames, lines):
        labels = {item: label(frame_lines[item]) for item in plan.items}
        styles = {item: _style(numbering, item, frame) | sizes[item] for item in plan.items}
        edges = _edge_styles(plan, frame)
        graphs.append(render(plan, labels, styles, rankdir=rankdir, legend=legend, edge_styles=edges))
    for frame, graph, svg in zip(frames, graphs, _svgs(graphs)):
        frame.source, frame.svg = graph.source, svg


class Animation:
    """The frames of ``ag.viz.animate``: ``len(animation)``, ``animation[k]`` (a Frame: ``.title``, ``.lines``,
    ``.svg``; Jupyter shows it), shown inline in Jupyter with controls, saved with ``.save(path)``."""

    def __init__(self, frames: list[Frame], name: str, interval: float) -> None:
        self.frames = frames
        self.name = name  # the output's name, for the page's title
        self.interval = interval  # seconds per frame when playing

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, k: int) -> Frame:
        return self.frames[k]

    def _repr_html_(self) -> str:
        from .player import player

        return player(self)

    def save(self, path: str | Path) -> Path:
        """Write ``.html`` (one self-contained page: no network, no server) or ``.gif`` (an animated picture, one
        frame per step, for slides). Returns the path."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".html", ".htm", ".gif"):
            raise ValueError(f"Animation.save: cannot write {path.name!r}: the name must end in .html or .gif")
        if suffix == ".gif":
            from .gif import write_gif

            write_gif(self, path)
        else:
            from .player import page

            path.write_text(page(self), encoding="utf-8")
        return path


def animate(
    root: Tensor,
    max_nodes: int | None = 100,
    group_by_module: bool = False,
    *,
    grad: Any = None,
    max_steps: int | None = 50,
    interval: float = 1.0,
    legend: bool = True,
    rankdir: str = "LR",
    precision: int = 4,
    params: Mapping[str, Tensor] | None = None,
    modules: Mapping[str, Any] | None = None,
) -> Animation:
    """Watch backprop happen: the forward pass step by step, then the reverse sweep step by step.

    Frames, on the graph ``draw_graph`` draws (same names, colours and boxes): t = 0, the inputs; t = 1 ... T,
    each step computed and its value appearing; the seed adjoint[z_T] = 1; t = T ... 1, each step passing
    adjoint[z_t] * dz_t/dx to its inputs x, the edges it sends along in red, each receiver outlined with its total
    so far and what it just received; last, the gradients. Under each frame, that step's lines of
    ``ag.viz.trace`` (the forward table without adjoints, then the reverse view). 2T + 3 frames in all.

    Returns an ``Animation``: Jupyter shows it with previous / next / play controls and a slider;
    ``.save("sweep.html")`` writes one offline page, ``.save("sweep.gif")`` an animated GIF.

    Args:
        root: the output z_T; the graph must still be there (before backward(), or with retain_graph=True).
        max_nodes, group_by_module, legend, rankdir, precision, params, modules: as for ``draw_graph``.
        grad: the adjoint of ``root`` to start from when it has more than one element.
        max_steps: refuse a trace of more steps than this (each step is two frames of a whole drawing); None
            animates any length.
        interval: seconds per frame when playing (the page and the GIF).
    """
    check_max_nodes(max_nodes, "animate")
    if not interval > 0:
        raise ValueError(f"animate: interval is the seconds each frame shows and must be positive, got {interval}")
    numbering = Numbering(root, "animate", params)
    if max_steps is not None and numbering.T > max_steps:
        raise ValueError(
            f"animate: the trace of {numbering.name[numbering.root]} has T = {numbering.T} steps, more than "
            f"max_steps={max_steps} (that would be {2 * numbering.T + 3} frames, each a whole drawing). Animate "
            "a smaller computation, or pass a larger max_steps (None: no limit)."
        )
    sweep = reverse_sweep(numbering, seed_for(root, grad, "animate"))
    frames = forward_frames(numbering, trace_text(numbering, None, precision, reverse=False))
    frames += reverse_frames(numbering, sweep, trace_text(numbering, sweep, precision, reverse=True))
    _draw(plan_drawing(numbering, max_nodes, group_by_module, False, dict(modules or {})), frames, rankdir, legend,
          precision)  # fmt: skip
    return Animation(frames, numbering.name[numbering.root], interval)
