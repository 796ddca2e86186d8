"""How each step reads in the lectures' notation, forward and reverse.

Forward: ``z7 = sin(z6)``, ``z9 = z7 * z8``; infix for + - * / ^ @, function form with parameters otherwise.
Reverse: the term a step adds to an input's adjoint, ``adjoint[z6] += adjoint[z7] * cos(z6)``, that is
adjoint[x] += adjoint[z] * dz/dx with the partial derivative written out. The rules computed are the engine's own
vjp rules (primitives.py); the text here only says them in words.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..node import Node
from .numbering import Numbering

INFIX = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "^", "matmul": "@"}

# The term each input's adjoint receives, per primitive: one template per input, or one for every input. {0}, {1},
# {2} are the inputs, {z} the output, {g} the output's adjoint, {xi} the input being served, and [cond] is 1
# where cond holds, else 0. Products, powers and 1-D functions read exactly as on the slides.
ADJOINT_TERMS: dict[str, tuple[str, ...] | str] = {
    # affine maps
    "add": ("{g}", "{g}"),
    "subtract": ("{g}", "-{g}"),
    "negative": ("-{g}",),
    "sum": ("{g} copied to every summed entry of {0}",),
    "mean": ("{g} / N copied to each of the N averaged entries of {0}",),
    "broadcast_to": ("{g} (summed over the broadcast axes)",),
    "reshape": ("reshape({g}, shape of {0})",),
    "transpose": ("transpose({g}, inverse axes)",),
    "getitem": ("{g} placed at the indexed entries of zeros like {0}",),
    "setitem": ("{g} with the assigned entries set to 0", "{g} at the assigned entries"),
    "scatter": ("{g} at the indexed entries",),
    "nll_loss": ("-{g} at each sample's target entry of zeros like {0} (/ N for the mean)",),
    "concatenate": "the part of {g} that came from {xi}",
    "where": ("", "{g} * [{0}]", "{g} * [not {0}]"),
    "astype": ("astype({g}, dtype of {0})",),
    "clone": ("{g}",),
    # products and powers
    "multiply": ("{g} * {1}", "{g} * {0}"),
    "divide": ("{g} / {1}", "-{g} * {0} / {1}^2"),
    "power": ("{g} * {1} * {0}^({1} - 1)", "{g} * {z} * log({0})"),
    "matmul": ("{g} @ {1}^T", "{0}^T @ {g}"),
    "linear": ("{g} @ {1}", "{g}^T @ {0}", "{g} summed over the batch"),
    # fixed one-dimensional functions
    "exp": ("{g} * exp({0})",),
    "log": ("{g} / {0}",),
    "sin": ("{g} * cos({0})",),
    "cos": ("-{g} * sin({0})",),
    "tan": ("{g} * (1 + {z}^2)",),
    "tanh": ("{g} * (1 - {z}^2)",),
    "sigmoid": ("{g} * {z} * (1 - {z})",),
    "softplus": ("{g} * sigmoid({0})",),
    "relu": ("{g} * [{z} > 0]",),
    "absolute": ("{g} * sign({0})",),
    "sqrt": ("{g} / (2 * {z})",),
    "erf": ("{g} * 2/sqrt(pi) * exp(-{0}^2)",),
    "clip": ("{g} * [lo <= {0} <= hi]",),
    # rules of their own
    "maximum": ("{g} * [{0} > {1}] (half where equal)", "{g} * [{1} > {0}] (half where equal)"),
    "minimum": ("{g} * [{0} < {1}] (half where equal)", "{g} * [{1} < {0}] (half where equal)"),
    "max": ("{g} shared by the entries of {0} equal to {z}",),
    "min": ("{g} shared by the entries of {0} equal to {z}",),
    "log_softmax": ("{g} - exp({z}) * sum({g})",),
    "softmax": ("{z} * ({g} - sum({g} * {z}))",),
    # API.md's "More operations" (primitives_elementwise.py, primitives_reductions.py, primitives_linalg.py)
    "sign": ("0 (piecewise constant)",),
    "floor": ("0 (piecewise constant)",),
    "ceil": ("0 (piecewise constant)",),
    "trunc": ("0 (piecewise constant)",),
    "round": ("0 (piecewise constant)",),
    "sinh": ("{g} * cosh({0})",),
    "cosh": ("{g} * sinh({0})",),
    "arcsin": ("{g} / sqrt(1 - {0}^2)",),
    "arccos": ("-{g} / sqrt(1 - {0}^2)",),
    "arctan": ("{g} / (1 + {0}^2)",),
    "log2": ("{g} / ({0} * log 2)",),
    "log10": ("{g} / ({0} * log 10)",),
    "log1p": ("{g} / (1 + {0})",),
    "expm1": ("{g} * ({z} + 1)",),
    "exp2": ("{g} * {z} * log 2",),
    "rsqrt": ("-{g} * {z}^3 / 2",),
    "reciprocal": ("-{g} * {z}^2",),
    "arctan2": ("{g} * {1} / ({0}^2 + {1}^2)", "-{g} * {0} / ({0}^2 + {1}^2)"),
    "logaddexp": ("{g} * exp({0} - {z})", "{g} * exp({1} - {z})"),
    "remainder": ("{g}", "-{g} * floor({0} / {1})"),
    "fmod": ("{g}", "-{g} * trunc({0} / {1})"),
    "cumsum": ("running sum of {g} from the far end",),
    "prod": ("{g} * (product of the other entries of {0})",),
    "std": ("{g} * ({0} - mean) / ((N - ddof) * {z})",),
    "norm": ("{g} * sign({0}) * (|{0}| / {z})^(p - 1)",),
    "einsum": "einsum of {g} with the other operands, onto the letters of {xi}",
}


def _param_text(value: Any) -> str:
    """A parameter as it reads in a formula: ``(3, 4)``, ``float32``, ``0:2``, ``array(5,)``."""
    if isinstance(value, slice):
        parts = ["" if p is None else str(p) for p in (value.start, value.stop, value.step)]
        return ":".join(parts[:2] if value.step is None else parts)
    if isinstance(value, np.dtype) or isinstance(value, type):
        return np.dtype(value).name
    if isinstance(value, np.ndarray):
        return str(value.tolist()) if value.size <= 6 else f"array{value.shape}"
    if value is Ellipsis:
        return "..."
    if isinstance(value, tuple):
        return "(" + ", ".join(_param_text(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return str(value)


def _index_text(index: Any) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    return ", ".join(_param_text(p) for p in parts)


def _relevant(name: str, value: Any) -> bool:
    """Parameters left at their defaults say nothing (keepdims=False, axis=None, an absent clip bound)."""
    return value is not None and not (name == "keepdims" and value is False)


def right_hand_side(numbering: Numbering, node: Node) -> str:
    """h_t(parents) for a step: ``sin(z6)``, ``z7 * z8``, ``sum(z3, axis=1)``, ``z2[0:2]``."""
    op = node.op
    operands = [numbering.operand(node, i) for i in range(len(node.inputs))]
    params = node.params or {}
    if op.name in INFIX and len(operands) == 2:
        return f"{operands[0]} {INFIX[op.name]} {operands[1]}"
    if op.name == "negative":
        return f"-{operands[0]}"
    if op.name == "getitem":
        return f"{operands[0]}[{_index_text(params['index'])}]"
    args = operands + [f"{k}={_param_text(v)}" for k, v in params.items() if _relevant(k, v)]
    return f"{op.name}({', '.join(args)})"


def step_text(numbering: Numbering, node: Node) -> str:
    """A node's line of the evaluation trace: ``z7 = sin(z6)``, or ``w1 = input`` for an input."""
    if node.op is None:
        return f"{numbering.name[node]} = input"
    return f"{numbering.name[node]} = {right_hand_side(numbering, node)}"


def adjoint_term(numbering: Numbering, node: Node, i: int) -> str:
    """What input ``i`` of ``node`` receives: ``adjoint[z7] * cos(z6)`` (for input z6 of z7 = sin(z6))."""
    operands = [numbering.operand(node, j) for j in range(len(node.inputs))]
    g = f"adjoint[{numbering.name[node]}]"
    template = ADJOINT_TERMS.get(node.op.name, "vjp_" + node.op.name + "[input {i}]({g})")
    if isinstance(template, tuple):
        template = template[i]
    return template.format(*operands, g=g, z=numbering.name[node], xi=operands[i], i=i)


def adjoint_step(numbering: Numbering, node: Node, i: int) -> str:
    """The reverse-sweep line for input ``i`` of ``node``: ``adjoint[z6] += adjoint[z7] * cos(z6)``."""
    return f"adjoint[{numbering.operand(node, i)}] += {adjoint_term(numbering, node, i)}"
