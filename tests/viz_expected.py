"""What each frame of ``ag.viz.animate`` must show, read off the printed ``ag.viz.trace`` (not from the animation's
own code): the trace's lines of the step, and the names of the nodes to highlight.

The forward frames show the forward table without adjoints (``trace(root, adjoints=False)``): t = 0 the header and
the inputs' rows, then the header and one row per step. The reverse frames show ``trace(root, reverse=True)``: the
sweep's explanation and seed, one block per step ("t = 10: f = z9 * z8" and its terms), and the last two lines.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import autograd_core as ag
from autograd_core import Tensor

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Expected:
    lines: list[str]
    highlighted: set[str]  # node names
    receivers: list[str]  # the nodes the step adds to, in the order of its terms (reverse steps)


def _cells(row: str) -> list[str]:
    return re.split(r"\s{2,}", row.strip())


def _forward(root: Tensor, options: dict[str, Any]) -> list[Expected]:
    lines = ag.viz.trace(root, adjoints=False, **options).splitlines()
    header, rows = lines[1], lines[2:]
    inputs = [row for row in rows if _cells(row)[0] == "0"]
    constants = [row for row in rows if not _cells(row)[0].isdigit()]
    steps = [row for row in rows if _cells(row)[0].isdigit() and _cells(row)[0] != "0"]
    names = [_cells(row)[1].split(" = ")[0] for row in inputs]
    frames = [Expected([header, *constants, *inputs], set(names), [])]
    for row in steps:
        frames.append(Expected([header, row], {_cells(row)[1].split(" = ")[0]}, []))
    return frames


def _reverse(root: Tensor, options: dict[str, Any], inputs: set[str]) -> list[Expected]:
    lines = ag.viz.trace(root, reverse=True, **options).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Reverse sweep"))
    seed = lines[start + 1]
    frames = [Expected(lines[start : start + 2], {seed.split("[")[1].split("]")[0]}, [])]
    body, tail = lines[start + 2 : -2], lines[-2:]
    for line in body:
        if line.startswith("t = "):
            frames.append(Expected([line], {line.split(": ", 1)[1].split(" = ")[0]}, []))
        else:
            frames[-1].lines.append(line)
            if "adjoint[" in line:
                frames[-1].receivers.append(line.split("adjoint[")[1].split("]")[0])
    return frames + [Expected(tail, inputs, [])]


def expected_frames(root: Tensor, precision: int = 4, params: dict[str, Tensor] | None = None) -> list[Expected]:
    """Every frame of ``ag.viz.animate(root, precision=precision, params=params)``, as the printed trace says."""
    options = {"precision": precision, "params": params}
    forward = _forward(root, options)
    return forward + _reverse(root, options, forward[0].highlighted)


def svg_node_texts(svg: str, css_class: str | None = None) -> dict[str, list[str]]:
    """graphviz node id -> the lines of text drawn in it, for the nodes whose class list holds ``css_class``."""
    nodes = {}
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        classes = (g.get("class") or "").split()
        if "node" in classes and (css_class is None or css_class in classes):
            nodes[g.find(f"{SVG}title").text] = [t.text or "" for t in g.iter(f"{SVG}text")]
    return nodes


def name_of(lines: list[str]) -> str:
    """A drawn node's name: its first line up to " = " (``z3 = sin(z2)`` -> ``z3``; ``w1`` -> ``w1``)."""
    return lines[0].split(" = ")[0]
