"""Model graphs a person can read: parameters named by module path, boxes titled by what the module is, one node
per module on request, gradients only of the drawn root, labels cut between items, and the demo's graph on a page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

import autograd_core as ag
import nn
from autograd_core import Tensor
from autograd_core.viz.labels import clip
from cli.demo import DIGITS
from cli.train import _draw_forward_graph
from tests.test_viz import cluster_blocks, svg_nodes
from tests.viz_expected import SVG

CUT_LINE = "loss = nll_loss(z6, index=([0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7, 8]), reduction=mean)"


def batch_loss(model: nn.Module, seed: int) -> Tensor:
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(6, 4)).astype(np.float32), rng.integers(0, 3, 6)
    loss = nn.CrossEntropyLoss()(model(Tensor(X)), Tensor(y))
    loss.name = "loss"
    return loss


def small_model_loss() -> tuple[nn.Module, Tensor]:
    nn.manual_seed(0)
    model = nn.MLP([4, 5, 3])
    return model, batch_loss(model, seed=0)


def summary(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d[^\s,]*", text)]


def test_parameters_are_named_by_module_path_and_boxes_titled_by_module():
    model, loss = small_model_loss()
    graph = ag.viz.draw_graph(loss, group_by_module=True, params=dict(model.named_parameters()),
                              modules=dict(model.named_modules()))  # fmt: skip
    first_lines = {lines[0] for lines in svg_nodes(graph).values()}
    assert {"0.weight", "0.bias", "2.weight", "2.bias", "z1 = linear(c1, 0.weight, 0.bias)"} <= first_lines
    assert not any(re.fullmatch(r"w\d+", line) for line in first_lines)
    rows = ag.viz.trace(loss, params=dict(model.named_parameters())).splitlines()  # the same names in the text
    assert any(row.split()[:2] == ["1", "z1"] and "linear(c1, 0.weight, 0.bias)" in row for row in rows)
    assert set(cluster_blocks(graph.source)) == {"0: Linear(4 -> 5)", "1: ReLU()", "2: Linear(5 -> 3)",
                                                 "CrossEntropyLoss", "legend"}  # fmt: skip
    # anything that says what it is: a PyTorch layer (duck-typed), or a string
    duck = ag.viz.draw_graph(loss, group_by_module=True, modules={"0": torch.nn.Linear(4, 5), "2": "the head"})
    assert {"0: Linear(4 -> 5)", "1", "2: the head"} <= set(cluster_blocks(duck.source))
    with pytest.raises(TypeError, match="params maps names to Tensors.*'x' maps to a int"):
        ag.viz.draw_graph(loss, params={"x": 3})


def test_collapse_modules_draws_one_node_per_module_in_a_chain():
    model, loss = small_model_loss()
    graph = ag.viz.draw_graph(loss, collapse_modules=True, params=dict(model.named_parameters()),
                              modules=dict(model.named_modules()))  # fmt: skip
    nodes = {node_id: lines for node_id, lines in svg_nodes(graph).items() if re.fullmatch(r"n\d+", node_id)}
    titles = {node_id: lines[0] for node_id, lines in nodes.items()}
    assert sorted(titles.values()) == ["0: Linear(4 -> 5)", "1: ReLU()", "2: Linear(5 -> 3)", "CrossEntropyLoss"]
    first = next(lines for lines in nodes.values() if lines[0].startswith("0:"))
    assert first[1:4] == ["linear", "0.weight (5, 4), 0.bias (5,)", "c1 (6, 4)"]  # the batch goes in here
    assert first[4] == "output (6, 5)"
    edges = set()
    for g in ET.fromstring(graph.pipe(format="svg")).iter(f"{SVG}g"):
        if g.get("class") == "edge":
            tail, head = g.find(f"{SVG}title").text.split("->")
            edges.add((titles[tail][0], titles[head][0]))
    assert edges == {("0", "1"), ("1", "2"), ("2", "C")}
    assert "module (drawn as one node)" in graph.source


def test_gradients_shown_are_those_of_the_drawn_root_never_stale_ones():
    model, old = small_model_loss()
    old.backward()  # leaves .grad from another batch
    loss = batch_loss(model, seed=2)
    weight = dict(model.named_parameters())["0.weight"]
    drawn = {lines[0]: lines for lines in svg_nodes(ag.viz.draw_graph(loss, params={"0.weight": weight})).values()}
    shown = summary(next(line for line in drawn["0.weight"] if line.startswith("grad ")))
    (fresh,) = ag.grad(loss, [weight], retain_graph=True)
    assert shown == pytest.approx([fresh.numpy().mean(), fresh.numpy().min(), fresh.numpy().max()], rel=1e-3, abs=1e-6)
    stale = np.asarray(weight.grad)
    assert shown != pytest.approx([stale.mean(), stale.min(), stale.max()], rel=1e-3)
    vector = Tensor(np.ones(3), requires_grad=True, name="v") * 2  # no seed for a vector root: no gradients
    assert "grad " not in ag.viz.draw_graph(vector).source


def still_open(text: str) -> str:
    """The closing brackets that ``text`` lacks, innermost first."""
    stack: list[str] = []
    for char in text:
        if char in "([":
            stack.append({"(": ")", "[": "]"}[char])
        elif char in ")]":
            stack.pop()
    return "".join(reversed(stack))


def test_long_lines_are_cut_between_items_with_brackets_closed():
    for width in range(25, len(CUT_LINE)):
        cut = clip(CUT_LINE, width)
        assert len(cut) <= width
        kept = cut[: cut.rindex("...")].removesuffix(", ").removesuffix(" ")
        assert CUT_LINE.startswith(kept) and CUT_LINE[len(kept)] in ", "  # a whole number, name or list
        assert cut[cut.rindex("...") + 3 :] == still_open(kept)
    assert clip(CUT_LINE) == "loss = nll_loss(z6, index=([0, 1, 2, 3, 4, 5, 6, 7], ...))"
    assert clip("short") == "short"


def test_the_demo_graph_fits_a_page_with_module_names(tmp_path):
    hidden = [int(w) for w in DIGITS[DIGITS.index("--hidden") + 1 : DIGITS.index("--hidden") + 3]]
    nn.manual_seed(0)
    model = nn.MLP([64, *hidden, 10], batchnorm="--batchnorm" in DIGITS, dropout=0.1)
    rng = np.random.default_rng(0)
    path = tmp_path / "graph.svg"
    _draw_forward_graph(model, nn.CrossEntropyLoss(), rng.normal(size=(4, 64)), rng.integers(0, 10, 4), path)
    svg = ET.parse(path).getroot()
    width_px = float(svg.get("width").removesuffix("pt")) * 96 / 72
    assert 800 < width_px <= 1600
    assert "scale(1 1)" in svg.find(f"{SVG}g").get("transform")  # drawn at its size, not shrunk to fit
    texts = [t.text or "" for t in svg.iter(f"{SVG}text")]
    assert {"0.weight", "0.bias", "4.weight", "8.weight", "0: Linear(64 -> 128)", "8: Linear(128 -> 10)",
            "1: BatchNorm1d(128, eps=1e-05, momentum=0.1, affine=True)"} <= set(texts)  # fmt: skip
    assert not any(re.fullmatch(r"w\d+", t) or t.startswith("grad ") for t in texts)
    assert all(len(t) <= 60 for t in texts)
