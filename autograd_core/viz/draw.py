"""``ag.viz.draw_graph``: the computation graph as a graphviz drawing, coloured by the lectures' kinds of step.

plan.py decides what is drawn; this file says how each item looks (its lines and colours) and builds the graphviz
drawing. ``animate`` draws the same plan with the same look, frame by frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any


from ..node import Node
from ..primitive import AFFINE, COMPOSITE, ELEMENTWISE, PRODUCT
from ..tensor import RetainGrad, Tensor
from .adjoints import Sweep, reverse_sweep, seed_for
from .formulas import step_text
from .labels import clip
from .numbering import Constant, Numbering
from .plan import Item, ModuleNode, Plan, plan_drawing
from .values import shape_text, value_text

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
MODULE_STYLE = {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#eef1f6", "color": "#555555"}
CUT_STYLE = {"shape": "plaintext", "fontcolor": "#888888"}
BOX_STYLE = {"style": "rounded,dashed", "color": "#777777", "fontcolor": "#444444"}


def step_style(kind: str) -> dict[str, str]:
    return {"shape": "box", "style": "rounded,filled", "fillcolor": KIND_COLOURS.get(kind, "#eeeeee")}


def item_style(numbering: Numbering, item: Item) -> dict[str, str]:
    """How an item is drawn: constants dashed, inputs double-bordered, steps filled by kind, the output thick."""
    if isinstance(item, ModuleNode):
        return dict(MODULE_STYLE)
    if isinstance(item, Constant):
        return dict(CONSTANT_STYLE)
    style = dict(INPUT_STYLE) if item.op is None else step_style(item.op.kind)
    if item is numbering.root:
        style["penwidth"] = "2.5"
    return style


def heading(numbering: Numbering, item: Node | Tensor | Constant) -> list[str]:
    """The lines every drawing of an item starts with: ``z7 = sin(z6)`` and ``sin, scalar`` for a step, the name
    and ``input, (3,)`` for an input, the label (and ``constant, (4, 5)``) for a constant."""
    if isinstance(item, Constant):
        return [item.label] if item.literal else [item.label, f"constant, {shape_text(item.value.shape)}"]
    if item.op is None:
        return [numbering.name[item], f"input, {shape_text(item.shape)}"]
    return [step_text(numbering, item), f"{item.op.name}, {shape_text(item.shape)}"]


def label(lines: list[str]) -> str:
    """graphviz label text: one entry per line, long lines cut cleanly, backslashes kept literal."""
    return "\n".join(clip(line).replace("\\", "\\\\") for line in lines)


def keeps_grad(node: Node | Tensor) -> bool:
    """Whether a backward leaves a ``.grad`` for the node: an input, or a step whose Tensor called retain_grad()."""
    if isinstance(node, Tensor):
        return True
    return any(isinstance(h, RetainGrad) and h.tensor() is not None for h in node._hooks or ())


def _module_lines(plan: Plan, module: ModuleNode, show_data: bool, precision: int) -> list[str]:
    """A collapsed module: its title, its operations, its parameters, the constants it uses (the batch, a running
    mean) and its output's shape (and value)."""
    numbering = plan.numbering
    steps = sorted((m for m in module.members if isinstance(m, Node)), key=numbering.step.__getitem__)
    params = [f"{numbering.name[m]} {shape_text(m.shape)}" for m in module.members if isinstance(m, Tensor)]
    constants = [f"{m.label} {shape_text(m.value.shape)}" for m in module.members
                 if isinstance(m, Constant) and not m.literal]  # fmt: skip
    lines = [plan.titles[module.path], ", ".join(dict.fromkeys(step.op.name for step in steps))]
    lines += [", ".join(names) for names in (params, constants) if names]
    if steps:
        lines.append(f"output {shape_text(steps[-1].shape)}")
        if show_data:
            lines.append(f"value {value_text(numbering.value[steps[-1]], precision)}")
    return lines


def _lines(plan: Plan, item: Item, show_data: bool, sweep: Sweep | None, show: dict[str, bool], precision: int
           ) -> list[str]:  # fmt: skip
    """An item's lines in ``draw_graph``: its heading, then its value, gradient and adjoint as asked."""
    if isinstance(item, ModuleNode):
        return _module_lines(plan, item, show_data, precision)
    lines = heading(plan.numbering, item)
    if isinstance(item, Constant):
        return lines + ([f"value {value_text(item.value, precision)}"] if show_data and not item.literal else [])
    if show_data:
        lines.append(f"value {value_text(plan.numbering.value[item], precision)}")
    adjoint = sweep.adjoint.get(item) if sweep is not None else None
    if adjoint is not None and show["grad"] and keeps_grad(item):
        lines.append(f"grad {value_text(adjoint, precision)}")
    if adjoint is not None and show["adjoints"]:
        lines.append(f"adjoint {value_text(adjoint, precision)}")
    return lines


def _is_step(item: Item) -> bool:
    return isinstance(item, ModuleNode) or (isinstance(item, Node) and item.op is not None)


def _rows(plan: Plan) -> dict[Item, tuple[list[Item], list[Item]]]:
    """For a graph drawn top to bottom: each step fed by an earlier step, with the inputs and constants that only it
    uses (in its box) in one row, half on its left and half on its right. Then a layer takes one row of the page:
    drawn on the row above, its parameters would share a row with the layer before and push it aside."""
    users: dict[Item, list[Item]] = {}
    for tail, head in plan.edges:
        users.setdefault(tail, []).append(head)
    fed_by_a_step = {head for tail, head in plan.edges if _is_step(tail)}
    beside: dict[Item, list[Item]] = {}
    for tail, heads in users.items():
        head = heads[0]
        only_user = not _is_step(tail) and len(heads) == 1 and plan.box.get(tail) == plan.box.get(head)
        if only_user and head in fed_by_a_step:
            beside.setdefault(head, []).append(tail)
    return {step: (inputs[: len(inputs) // 2], inputs[len(inputs) // 2 :]) for step, inputs in beside.items()}


def _spine(plan: Plan) -> set[Item]:
    """The main line: from the output, each step's first input that is a step, down to where none is. Drawn in
    one graphviz group, it runs straight, and the module boxes along it line up instead of stepping sideways."""
    first_step_input: dict[Item, Item] = {}
    for tail, head in plan.edges:
        if _is_step(tail) and _is_step(head):
            first_step_input.setdefault(head, tail)
    spine: set[Item] = set()
    item: Item | None = plan.items[0]
    while item is not None and item not in spine:  # a module used twice can make a cycle of stand-ins
        spine.add(item)
        item = first_step_input.get(item)
    return spine


def _legend(graph: graphviz.Digraph, rankdir: str, modules: bool, root_id: str) -> None:
    """The colours explained, in one row: across the ranks beside a graph drawn left to right, under the output of
    one drawn top to bottom (so that a model drawn narrow for a page stays narrow)."""
    entries = {f"legend_{kind}": (text, step_style(kind)) for kind, text in KIND_NAMES.items()}
    entries["legend_input"] = ("input (leaf, requires grad)", INPUT_STYLE)
    entries["legend_constant"] = ("constant (no grad)", CONSTANT_STYLE)
    if modules:
        entries["legend_module"] = ("module (drawn as one node)", MODULE_STYLE)
    across = rankdir in ("LR", "RL")
    with graph.subgraph(name="cluster_legend") as legend, legend.subgraph() as row:
        legend.attr(label="legend", style="rounded", color="#bbbbbb", fontcolor="#555555")
        row.attr(rank="" if across else "same")
        for key, (text, style) in entries.items():
            row.node(key, text, fontsize="9", **style)
        for a, b in zip(entries, list(entries)[1:]):  # invisible edges keep the entries in order
            row.edge(a, b, style="invis")
    if not across:  # the row hangs under the output, centred
        graph.edge(root_id, list(entries)[len(entries) // 2], style="invis")


def _module_boxes(plan: Plan) -> dict[str, graphviz.Digraph]:
    """One graphviz cluster per module box (and per enclosing module), titled, not yet nested."""
    import graphviz

    boxes = {}
    for k, path in enumerate(sorted(plan.titles)):
        box = graphviz.Digraph(name=f"cluster_{k}")
        box.attr(label=plan.titles[path], **BOX_STYLE)
        boxes[path] = box
    return boxes


def _nest(graph: graphviz.Digraph, boxes: dict[str, graphviz.Digraph]) -> None:
    """Each box goes into its parent once it is complete, the deepest first."""
    for path in sorted(boxes, key=lambda p: -p.count(".")):
        parent = boxes[path.rsplit(".", 1)[0]] if "." in path else graph
        parent.subgraph(boxes[path])


def _place_nodes(graph: graphviz.Digraph, plan: Plan, boxes: dict[str, graphviz.Digraph], rankdir: str,
                 labels: Mapping[Item, str], styles: Mapping[Item, dict[str, str]]) -> None:  # fmt: skip
    """Each item into its box; drawn top to bottom, a step and the inputs only it uses share a row."""
    rows = _rows(plan) if rankdir in ("TB", "BT") else {}
    in_a_row = {member for left, right in rows.values() for member in left + right}
    spine = _spine(plan)
    styles = {item: styles[item] | ({"group": "spine"} if item in spine else {}) for item in plan.items}
    for item in plan.items:
        place = boxes[plan.box[item]] if item in plan.box else graph
        if item in rows:
            left, right = rows[item]
            with place.subgraph() as row:
                row.attr(rank="same")
                for member in [*left, item, *right]:
                    row.node(plan.ids[member], labels[member], **styles[member])
        elif item not in in_a_row:  # else drawn with its row
            place.node(plan.ids[item], labels[item], **styles[item])


def _place_edges(graph: graphviz.Digraph, plan: Plan, boxes: dict[str, graphviz.Digraph], rankdir: str,
                 edge_styles: Mapping[tuple[Item, Item], dict[str, str]]) -> None:  # fmt: skip
    """An edge from each input to its user, and a "..." for each input left out."""
    rows = _rows(plan) if rankdir in ("TB", "BT") else {}
    right_of_user = {member for _, right in rows.values() for member in right}
    for tail, head in plan.edges:
        style = dict(edge_styles.get((tail, head), {}))
        if _is_step(tail) and _is_step(head):  # heavy: the main line stays straight, the inputs at its sides
            style["weight"] = "10"
        if tail in right_of_user:  # a flat edge runs left to right: drawn from the user back, the arrow turned
            style["dir"] = "forward" if style.get("dir") == "back" else "back"
            graph.edge(plan.ids[head], plan.ids[tail], **style)
        else:
            graph.edge(plan.ids[tail], plan.ids[head], **style)
    for k, head in enumerate(plan.cut, start=1):
        (boxes[plan.box[head]] if head in plan.box else graph).node(f"cut{k}", "...", **CUT_STYLE)
        graph.edge(f"cut{k}", plan.ids[head], style="dashed")


def render(
    plan: Plan,
    labels: Mapping[Item, str],
    styles: Mapping[Item, dict[str, str]],
    *,
    rankdir: str = "LR",
    legend: bool = True,
    edge_styles: Mapping[tuple[Item, Item], dict[str, str]] | None = None,
) -> graphviz.Digraph:
    """The graphviz drawing of a plan, each item with the label and style given for it."""
    import graphviz

    graph = graphviz.Digraph(name=plan.numbering.name[plan.numbering.root])
    graph.attr(rankdir=rankdir, fontname="Helvetica", labelloc="t")
    graph.attr("node", fontname="Helvetica", fontsize="11")
    graph.attr("edge", color="#555555", arrowsize="0.7")
    boxes = _module_boxes(plan)
    _place_nodes(graph, plan, boxes, rankdir, labels, styles)
    _place_edges(graph, plan, boxes, rankdir, edge_styles or {})
    _nest(graph, boxes)
    if plan.note is not None:
        graph.attr(label=plan.note)
    if legend:
        modules = any(isinstance(item, ModuleNode) for item in plan.items)
        _legend(graph, rankdir, modules, plan.ids[plan.items[0]])
    return graph


def check_max_nodes(max_nodes: int | None, what: str) -> None:
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"{what}: max_nodes must be at least 1 (or None for all), got {max_nodes}")


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
    params: Mapping[str, Tensor] | None = None,
    modules: Mapping[str, Any] | None = None,
    collapse_modules: bool = False,
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
        show_grad: show the gradient d(root)/d(node) where a backward of ``root`` leaves one (inputs, nodes with
            ``retain_grad()``): the gradient of this root, worked out by the sweep ``ag.viz.trace`` shows, never a
            ``.grad`` left over from another backward. None for a root of more than one element without ``grad``.
        max_nodes: draw at most this many nodes, those nearest the output (breadth first); the drawing's title then
            says how many steps, inputs and constants were left out, and a "..." node marks each cut input.
            None draws all.
        group_by_module: box the nodes made inside each ``ag.name_scope`` (nn modules open one per call), nested
            as the scopes are; an input or constant used only inside one scope is drawn in its box.
        adjoints: also show every node's adjoint d(root)/d(node) (the engine keeps only the inputs' gradients).
        grad: the adjoint of ``root`` to start from when ``root`` has more than one element.
        legend: draw the legend of colours.
        rankdir: graphviz layout direction, "LR" (inputs left, output right), "TB" (top to bottom: narrow, for a
            deep model on a page), "BT" or "RL".
        precision: significant digits of the numbers shown.
        params: names for Tensors, e.g. ``dict(model.named_parameters())``: a parameter then reads ``0.weight``.
        modules: what each scope is, e.g. ``dict(model.named_modules())``: a box is then titled
            ``0: Linear(64 -> 128)`` (anything with ``in_features``/``out_features``, an ``extra_repr()`` or a
            repr; or a string).
        collapse_modules: draw the steps of each module (innermost scope) as one node, with its parameters.
    """
    check_max_nodes(max_nodes, "draw_graph")
    numbering = Numbering(root, "draw_graph", params)
    seeded = grad is not None or root.numel() == 1
    sweep = reverse_sweep(numbering, seed_for(root, grad, "draw_graph")) if adjoints or (show_grad and seeded) else None
    drawn = plan_drawing(numbering, max_nodes, group_by_module, collapse_modules, dict(modules or {}))
    show = {"grad": show_grad, "adjoints": adjoints}
    labels = {item: label(_lines(drawn, item, show_data, sweep, show, precision)) for item in drawn.items}
    styles = {item: item_style(numbering, item) for item in drawn.items}
    return render(drawn, labels, styles, rankdir=rankdir, legend=legend)
