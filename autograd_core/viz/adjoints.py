"""The reverse sweep done in the open, so that every adjoint dz_T/dz_t can be shown, not only the inputs'.

The engine keeps the adjoints of intermediate nodes only while it sweeps (and stores just the leaves' in
``.grad``). This sweep is the same algorithm, walking ``ag.topological_order`` backwards (the numbering of the
drawing and the trace; the engine's own sweep takes the nodes newest first, another order in which every use of a
node comes before the node, so each adjoint is the same sum), calling the same vjp rules from the derivative table
on numbers, but it keeps every adjoint and every term it adds, and counts its visits. It
needs the graph, so it runs before a backward() or after backward(retain_graph=True); it does not touch ``.grad``
and does not run hooks. It hands every rule all the values (those the Numbering replays), not only those the graph
kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..backward import GraphNode, is_node, unbroadcast
from ..node import Node
from ..tensor import Tensor
from .numbering import Numbering


@dataclass
class Term:
    """One line of the sweep: step ``node`` adds ``value`` to the adjoint of its input ``i``, making it ``total``."""

    node: Node
    i: int
    value: np.ndarray
    total: np.ndarray


@dataclass
class Sweep:
    """The result: ``adjoint[node]`` = dz_T/dz_t for every node, the ``terms`` in the order they were added, and
    ``visits[node]``, how often the sweep took each node up (once each, which is why reverse mode is O(T))."""

    adjoint: dict[GraphNode, np.ndarray] = field(default_factory=dict)
    terms: list[Term] = field(default_factory=list)
    visits: dict[GraphNode, int] = field(default_factory=dict)


def seed_for(root: Tensor, grad: Any, what: str) -> np.ndarray:
    """dz_T/dz_T: ones for a one-element output, else ``grad`` (of the output's shape) must be given."""
    if grad is None:
        if root.numel() != 1:
            raise ValueError(
                f"{what}: adjoints need a one-element output or a grad= of its shape; this output has shape "
                f"{root.shape}"
            )
        return np.ones_like(root._value)
    seed = np.asarray(grad._value if isinstance(grad, Tensor) else grad, dtype=root.dtype)
    if seed.shape != root.shape:
        raise ValueError(f"{what}: grad has shape {seed.shape} but the output has shape {root.shape}")
    return seed


def reverse_sweep(numbering: Numbering, seed: np.ndarray) -> Sweep:
    """Sweep the trace from z_T down to the inputs: adjoint[x] += vjp(adjoint[z]) for every input x of every z."""
    sweep = Sweep()
    sweep.adjoint[numbering.root] = seed
    for node in reversed(numbering.order):
        sweep.visits[node] = sweep.visits.get(node, 0) + 1
        g = sweep.adjoint.get(node)
        if node.op is None or g is None:
            continue
        z, args = numbering.value[node], numbering.input_values(node)
        for i, (x, vjp) in enumerate(zip(node.inputs, node.op.vjps)):
            if vjp is None or not is_node(x):
                continue
            value = np.asarray(unbroadcast(vjp(g, z, *args, **node.params), x.shape))
            total = value if x not in sweep.adjoint else sweep.adjoint[x] + value
            sweep.adjoint[x] = total
            sweep.terms.append(Term(node, i, value, total))
    return sweep
