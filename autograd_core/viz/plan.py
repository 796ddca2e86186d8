"""What a drawing shows, decided before any graphviz: the items drawn, their module boxes, and the edges.

An item is a step (a Node), an input (a leaf Tensor that requires grad), a constant, or, with ``collapse_modules``,
a whole module drawn as one node. ``draw_graph`` and ``animate`` draw the same plan; they differ only in the
labels and colours they give its items.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..backward import GraphNode
from ..node import Node
from ..tensor import Tensor
from .labels import box_titles
from .numbering import Constant, Numbering
from .values import count


@dataclass(eq=False)  # compared and hashed by identity, as the other items are
class ModuleNode:
    """A module drawn as one node: the steps made in scope ``path``, with the inputs (its parameters) and the
    constants that only those steps use."""

    path: str
    members: list[Node | Tensor | Constant] = field(default_factory=list)


Item = Node | Tensor | Constant | ModuleNode  # what one drawn node shows


@dataclass
class Plan:
    """``items`` in drawing order with their graphviz ``ids``; ``box[item]``: the scope path of the module box it
    sits in (absent: none); ``titles``: each box's title; ``edges``: (input, user) pairs, both drawn; ``cut``: for
    each input left out, the item that uses it (a "..." marks it); ``note``: what was left out, or None."""

    numbering: Numbering
    items: list[Item]
    ids: dict[Item, str]
    box: dict[Item, str]
    titles: dict[str, str]
    edges: list[tuple[Item, Item]]
    cut: list[Item]
    note: str | None


def inputs_of(numbering: Numbering, node: GraphNode | Constant) -> list[Node | Tensor | Constant]:
    """What feeds a drawn step: the graph nodes and constants it was computed from, in argument order."""
    if isinstance(node, Constant) or node.op is None:
        return []
    return [numbering.constant(node, i) or x for i, x in enumerate(node.inputs)]


def nearest(numbering: Numbering, max_nodes: int | None) -> list[Node | Tensor | Constant]:
    """The nodes to draw: all, or the ``max_nodes`` nearest the output (breadth first from it). No recursion."""
    kept: list[Node | Tensor | Constant] = [numbering.root]
    seen = {numbering.root}
    queue: deque[Node | Tensor | Constant] = deque([numbering.root])
    while queue:
        for x in inputs_of(numbering, queue.popleft()):
            if x in seen:
                continue
            if max_nodes is not None and len(kept) >= max_nodes:
                return kept
            seen.add(x)
            kept.append(x)
            queue.append(x)
    return kept


def scopes(numbering: Numbering, kept: list[Node | Tensor | Constant]) -> dict[Item, str]:
    """The module scope each item is drawn in: a step's own; an input's or a constant's when every step that uses
    it lies in one scope (so a layer's weights sit in the layer's box)."""
    scope: dict[Item, str] = {}
    users: dict[Item, set[str | None]] = {}
    for item in kept:
        if isinstance(item, Node):
            if item.scope is not None:
                scope[item] = item.scope
            for x in inputs_of(numbering, item):
                users.setdefault(x, set()).add(item.scope)
    for item in kept:
        if item not in scope and len(users.get(item, ())) == 1:
            (only,) = users[item]
            if only is not None:
                scope[item] = only
    return scope


def _collapse(kept: list[Item], scope: dict[Item, str]) -> dict[Item, Item]:
    """Each item's stand-in when every module is drawn as one node: its ModuleNode, or itself."""
    modules: dict[str, ModuleNode] = {}
    stand_in: dict[Item, Item] = {}
    for item in kept:
        if item in scope:
            module = modules.setdefault(scope[item], ModuleNode(scope[item]))
            module.members.append(item)
            stand_in[item] = module
        else:
            stand_in[item] = item
    return stand_in


def _note(numbering: Numbering, kept: list[Node | Tensor | Constant]) -> str | None:
    """The drawing's title when nodes were left out: how many of each kind, and how to see them."""
    total = len(numbering.order) + len(numbering.constants)
    if len(kept) == total:
        return None
    drawn = set(kept)
    steps = sum(x not in drawn for x in numbering.steps)
    inputs = sum(x not in drawn for x in numbering.inputs)
    constants = sum(c not in drawn for c in numbering.constants)
    return (
        f"Showing {len(kept)} of {total} nodes, those nearest the output. Not drawn: {count(steps, 'step')}, "
        f"{count(inputs, 'input')}, {count(constants, 'constant')}; '...' marks where the graph goes on. "
        "Raise max_nodes (None: all) to see more."
    )


def _parent(path: str) -> str | None:
    return path.rsplit(".", 1)[0] if "." in path else None


def _boxes(items: list[Item], scope: dict[Item, str], group_by_module: bool) -> dict[Item, str]:
    """The box each drawn item sits in: its scope's, or for a collapsed module the box of the enclosing scope."""
    if not group_by_module:
        return {}
    box: dict[Item, str] = {}
    for item in items:
        path = _parent(item.path) if isinstance(item, ModuleNode) else scope.get(item)
        if path is not None:
            box[item] = path
    return box


def plan_drawing(
    numbering: Numbering,
    max_nodes: int | None,
    group_by_module: bool,
    collapse_modules: bool = False,
    modules: dict[str, Any] | None = None,
) -> Plan:
    """Decide what to draw (see the module's docstring)."""
    kept = nearest(numbering, max_nodes)
    scope = scopes(numbering, kept) if group_by_module or collapse_modules else {}
    stand_in = _collapse(kept, scope) if collapse_modules else {item: item for item in kept}
    items = list(dict.fromkeys(stand_in[item] for item in kept))
    edges: list[tuple[Item, Item]] = []
    cut: list[Item] = []
    for item in kept:
        for x in inputs_of(numbering, item):
            if x not in stand_in:
                cut.append(stand_in[item])
            elif stand_in[x] is not stand_in[item]:
                edges.append((stand_in[x], stand_in[item]))
    if collapse_modules:  # one edge between two modules, however many tensors pass between them
        edges = list(dict.fromkeys(edges))
    box = _boxes(items, scope, group_by_module)
    paths = {module.path for module in items if isinstance(module, ModuleNode)} | set(box.values())
    every_level = {".".join(p.split(".")[:depth]) for p in paths for depth in range(1, p.count(".") + 2)}
    return Plan(numbering, items, {item: f"n{k}" for k, item in enumerate(items)}, box,
                box_titles(every_level, modules), edges, cut, _note(numbering, kept))  # fmt: skip
