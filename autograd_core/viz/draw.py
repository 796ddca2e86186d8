"""``ag.viz.draw_graph``: the computation graph as a graphviz drawing, coloured by the lectures' kinds of step."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from ..backward import GraphNode
from ..node import Node
from ..primitive import AFFINE, COMPOSITE, ELEMENTWISE, PRODUCT
from ..tensor import RetainGrad, Tensor
from .adjoints import reverse_sweep, seed_for
from .formulas import step_text
from .numbering import Constant, Numbering
from .values import count, shape_text, value_text

if TYPE_CHECKING:  # graphviz is imported by a drawing, not by `import autograd_core`
    import graphviz

# The fill of a step by the lectures' kind of primitive, and how the legend names it.
KIND_COLOURS = {AFFINE: "#cfe2f3", PRODUCT: "#fce5cd", ELEMENTWISE: "#d9ead3", COMPOSITE: "#e4d7f5"}
KIND_NAMES = {
    AFFINE: "affine map (+, -, sum, reshape, ...)",
    PRODUCT: "product or power (*, /, ^, @)",
    ELEMENTWISE: "1-D function (exp, sin, tanh, ...)",
    COMPOSITE: "own rule (max, min, ...)",
}
INPUT_STYLE = {"shape": "box", "style": "filled,bold", "fillcolor": "#fff2cc", "peripheries": "2"}
CONSTANT_STYLE = {"shape": "box", "style": "dashed", "color": "#888888", "fontcolor": "#555555"}
CUT_STYLE = {"shape": "plaintext", "fontcolor": "#888888"}
LONGEST_LINE = 48  # characters; a longer formula is cut with "..."

Item = Node | Tensor | Constant  # what one drawn node shows: a step, an input, or a constant


def _step_style(kind: str) -> dict[str, str]:
    return {"shape": "box", "style": "rounded,filled", "fillcolor": KIND_COLOURS.get(kind, "#eeeeee")}


def _label(lines: list[str]) -> str:
    """graphviz label text: one entry per line, backslashes kept literal, long lines cut."""
    cut = [line if len(line) <= LONGEST_LINE else line[: LONGEST_LINE - 3] + "..." for line in lines]
    return "\n".join(line.replace("\\", "\\\\") for line in cut)


def _inputs_of(numbering: Numbering, node: GraphNode) -> list[Item]:
    """What feeds a drawn step: the graph nodes and constants it was computed from, in argument order."""
    if node.op is None:
        return []
    return [numbering.constant(node, i) or x for i, x in enumerate(node.inputs)]


def _stored_grad(node: GraphNode) -> Any:
    """The ``.grad`` kept for a node: an input's own, or that of the Tensor whose ``retain_grad()`` hooked the step."""
    if isinstance(node, Tensor):
        return None if node._grad is None else node._grad._value
    retained = [h.tensor()._grad for h in node._hooks or () if isinstance(h, RetainGrad) and h.tensor() is not None
                and h.tensor()._grad is not None]
    return retained[0]._value if retained else None


def _nearest(numbering: Numbering, max_nodes: int | None) -> list[Item]:
    """The nodes to draw: all, or the ``max_nodes`` nearest the output (breadth first from it). No recursion."""
    kept: list[Item] = [numbering.root]
    seen = {id(numbering.root)}
    queue: deque[Item] = deque([numbering.root])
    while queue:
        item = queue.popleft()
        if isinstance(item, Constant):
            continue
        for x in _inputs_of(numbering, item):
            if id(x) in seen:
                continue
            if max_nodes is not None and len(kept) >= max_nodes:
                return kept
            seen.add(id(x))
            kept.append(x)
            queue.append(x)
    return kept


def _scopes(numbering: Numbering, kept: list[Item]) -> dict[int, str]:
    """id(item) -> the module scope it is drawn in: a step's own; an input's or a constant's when every step that
    uses it lies in one scope (so a layer's weights sit in the layer's box)."""
    scope: dict[int, str] = {}
    users: dict[int, set[str | None]] = {}
    for item in kept:
        if isinstance(item, Node):
            s = item.scope if isinstance(item, Node) else None
            if s is not None:
                scope[id(item)] = s
            for x in _inputs_of(numbering, item):
                users.setdefault(id(x), set()).add(s)
    for item in kept:
        key = id(item)
        if key not in scope and len(users.get(key, ())) == 1:
            (s,) = users[key]
            if s is not None:
                scope[key] = s
    return scope


def _legend(graph: graphviz.Digraph, rankdir: str) -> None:
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="rounded", color="#bbbbbb", fontcolor="#555555")
        for kind, text in KIND_NAMES.items():
            legend.node(f"legend_{kind}", text, **_step_style(kind))
        legend.node("legend_input", "input (leaf, requires grad)", **INPUT_STYLE)
        legend.node("legend_constant", "constant (no grad)", **CONSTANT_STYLE)
        if rankdir in ("LR", "RL"):  # invisible edges lay the legend out as one row across the ranks
            keys = [*(f"legend_{kind}" for kind in KIND_NAMES), "legend_input", "legend_constant"]
            for a, b in zip(keys, keys[1:]):
                legend.edge(a, b, style="invis")


def draw_graph(
    root: Tensor,
    show_data: bool = True,
    show_grad: bool = True,
    max_nodes: int | None = 100,
    group_by_module: bool = False,
    *,
    adjoints: bool = False,
    grad: Any = None,
    legend: bool = True,
    rankdir: str = "LR",
    precision: int = 4,
) -> graphviz.Digraph:
    """Draw the graph that computed ``root``; returns a ``graphviz.Digraph``.

    Jupyter shows the result inline; ``.render("graph", format="svg")`` saves it (needs Graphviz's ``dot``).
    Every node shows its name and step as in ``ag.viz.trace`` (``z7 = sin(z6)``; user names where given, inputs
    ``w1, w2, ...``), its operation and shape, and optionally its value and gradient: in full for a scalar, as
    ``mean, min, max`` for a tensor. Steps are filled by the lectures' kind of primitive (affine map, product or
    power, 1-D function, own rule), explained in a legend; inputs (leaves that require grad) have a bold double
    border, constants (Tensors without grad, raw numbers such as the 2 in ``2 * x``) a dashed grey one.

    The graph's structure must still be there: draw before ``backward()`` or after ``backward(retain_graph=True)``
    (a plain backward frees it, and drawing then raises an error that says so).

    Args:
        root: the output node.
        show_data: show each node's value.
        show_grad: show ``.grad`` where it is stored (inputs after a backward, nodes with ``retain_grad()``).
        max_nodes: draw at most this many nodes, those nearest the output (breadth first); the drawing's title then
            says how many steps, inputs and constants were left out, and a "..." node marks each cut input.
            None draws all.
        group_by_module: box the nodes made inside each ``ag.name_scope`` (nn modules open one per call), nested
            as the scopes are; an input or constant used only inside one scope is drawn in its box.
        adjoints: also show every node's adjoint d(root)/d(node), computed by the sweep that ``ag.viz.trace``
            shows (the engine keeps only the inputs' gradients).
        grad: the adjoint of ``root`` to start from when ``root`` has more than one element.
        legend: draw the legend of colours.
        rankdir: graphviz layout direction, "LR" (inputs left, output right) or "BT", "TB", "RL".
        precision: significant digits of the numbers shown.
    """
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be at least 1 (or None for all), got {max_nodes}")
    import graphviz

    numbering = Numbering(root, "draw_graph")
    sweep = reverse_sweep(numbering, seed_for(root, grad, "draw_graph")) if adjoints else None
    kept = _nearest(numbering, max_nodes)
    ids = {id(item): f"n{k}" for k, item in enumerate(kept)}
    scope = _scopes(numbering, kept) if group_by_module else {}

    graph = graphviz.Digraph(name=numbering.name[numbering.root])
    graph.attr(rankdir=rankdir, fontname="Helvetica", labelloc="t")
    graph.attr("node", fontname="Helvetica", fontsize="11")
    graph.attr("edge", color="#555555", arrowsize="0.7")

    clusters: dict[str, graphviz.Digraph] = {}

    def place(item: Item) -> graphviz.Digraph:
        """The (sub)graph an item is drawn in: its scope's box, made with its enclosing boxes on first use."""
        path = scope.get(id(item))
        if path is None:
            return graph
        parts = path.split(".")
        for depth in range(1, len(parts) + 1):
            name = ".".join(parts[:depth])
            if name not in clusters:
                box = graphviz.Digraph(name=f"cluster_{len(clusters)}")
                box.attr(label=name, style="rounded,dashed", color="#777777", fontcolor="#444444")
                clusters[name] = box
        return clusters[path]

    for item in kept:
        if isinstance(item, Constant):
            lines = [item.label] if item.literal else [item.label, f"constant, {shape_text(item.value.shape)}"]
            if show_data and not item.literal:
                lines.append(f"value {value_text(item.value, precision)}")
            place(item).node(ids[id(item)], _label(lines), **CONSTANT_STYLE)
            continue
        node = item
        if node.op is None:
            lines = [numbering.name[node], f"input, {shape_text(node.shape)}"]
            style = dict(INPUT_STYLE)
        else:
            lines = [step_text(numbering, node), f"{node.op.name}, {shape_text(node.shape)}"]
            style = _step_style(node.op.kind)
        if show_data:
            lines.append(f"value {value_text(numbering.value[node], precision)}")
        stored = _stored_grad(node)
        if show_grad and stored is not None:
            lines.append(f"grad {value_text(stored, precision)}")
        if sweep is not None and node in sweep.adjoint:
            lines.append(f"adjoint {value_text(sweep.adjoint[node], precision)}")
        if node is numbering.root:
            style["penwidth"] = "2.5"
        place(node).node(ids[id(node)], _label(lines), **style)

    cut = 0
    for item in kept:
        if isinstance(item, Constant):
            continue
        for x in _inputs_of(numbering, item):
            if id(x) in ids:
                graph.edge(ids[id(x)], ids[id(item)])
            else:
                cut += 1
                stub = f"cut{cut}"
                place(item).node(stub, "...", **CUT_STYLE)
                graph.edge(stub, ids[id(item)], style="dashed")

    # nested boxes: each box goes into its parent once it is complete, the deepest first
    for name in sorted(clusters, key=lambda n: -n.count(".")):
        parent = clusters[name.rsplit(".", 1)[0]] if "." in name else graph
        parent.subgraph(clusters[name])

    total = len(numbering.order) + len(numbering.constants)
    if len(kept) < total:
        drawn = {id(item) for item in kept}
        steps = sum(id(x) not in drawn for x in numbering.steps)
        inputs = sum(id(x) not in drawn for x in numbering.inputs)
        constants = sum(id(c) not in drawn for c in numbering.constants)
        graph.attr(label=(
            f"Showing {len(kept)} of {total} nodes, those nearest the output. Not drawn: {count(steps, 'step')}, "
            f"{count(inputs, 'input')}, {count(constants, 'constant')}; '...' marks where the graph goes on. "
            "Raise max_nodes (None: all) to see more."
        ))
    if legend:
        _legend(graph, rankdir)
    return graph
