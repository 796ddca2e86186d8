"""ag.viz: the drawing (rendered by the real `dot`) and the printed trace, against the engine and finite differences."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor, primitives
from autograd_core.lecture import lecture_example
from autograd_core.node import Node
from autograd_core.viz.formulas import ADJOINT_TERMS

SVG = "{http://www.w3.org/2000/svg}"


# ---- helpers: read what the user sees ----------------------------------------------------------------------------


def lecture_f(w1: float = 1.5, w2: float = 0.5) -> tuple[Tensor, Tensor, Tensor]:
    a = Tensor(w1, requires_grad=True, name="w1", dtype="float64")
    b = Tensor(w2, requires_grad=True, name="w2", dtype="float64")
    return lecture_example(a, b), a, b


def lecture_steps(w1: float, w2: float) -> list[float]:
    """The values z1 ... z10 of the lecture example's trace, worked out by hand."""
    z1 = 2 * math.pi * w1
    z2 = z1 / w2
    z3 = math.sin(z2)
    z4 = 3 * w1
    z5 = z4 / w2
    z6 = 2 * w2
    z7 = math.exp(z6)
    z8 = z5 - z7
    z9 = z3 + z8
    return [z1, z2, z3, z4, z5, z6, z7, z8, z9, z9 * z8]


def trace_rows(text: str) -> dict[str, dict[str, str]]:
    """The forward table of a trace: name -> its cells (t, step, shape, value, adjoint), in printed order."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["t", "step"])
    header = re.split(r"\s{2,}", lines[start].strip())
    rows: dict[str, dict[str, str]] = {}
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        if not cells[0].isdigit():  # a constant: no step number
            cells = [""] + cells
        row = dict(zip(header, cells))
        rows[row["step"].split(" = ")[0]] = row
    return rows


def svg_nodes(graph) -> dict[str, list[str]]:
    """Rendered by dot: graphviz node id -> the lines of text drawn in that node."""
    root = ET.fromstring(graph.pipe(format="svg"))
    nodes = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            nodes[g.find(f"{SVG}title").text] = [t.text or "" for t in g.iter(f"{SVG}text")]
    return nodes


def drawn_names(graph) -> set[str]:
    """The names of the drawn graph nodes (the first word of each node's first line), legend and cuts left out."""
    return {
        lines[0].split(" = ")[0]
        for node_id, lines in svg_nodes(graph).items()
        if re.fullmatch(r"n\d+", node_id) and len(lines) > 1
    }


def cluster_blocks(source: str) -> dict[str, str]:
    """label -> the text of each ``subgraph cluster_*`` block of a dot source (nested blocks included)."""
    blocks = {}
    for match in re.finditer(r"subgraph (\"?cluster_[^ {]*) \{", source):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(source[i], 0)
            i += 1
        body = source[match.end() : i - 1]
        label = re.search(r"label=(\"[^\"]*\"|\S+)", body).group(1).strip('"')
        blocks[label] = body
    return blocks


def node_attrs(source: str) -> dict[str, str]:
    """graphviz id -> the attribute text of its node statement (quoted labels may span lines)."""
    return dict(re.findall(r'\t(\w+) \[((?:[^\]"]|"[^"]*")*)\]', source))


def node_id_with(source: str, first_line: str) -> str:
    """The graphviz id of the node whose label starts with ``first_line``."""
    match = re.search(rf"\t(n\d+) \[label=\"?{re.escape(first_line)}[\n\" ]", source)
    assert match, f"no node labelled {first_line!r} in\n{source}"
    return match.group(1)


def central_difference(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad


# ---- the drawing -------------------------------------------------------------------------------------------------


def test_svg_shows_every_node_with_name_op_shape_value_and_gradient(tmp_path):
    f, w1, w2 = lecture_f()
    f.backward(retain_graph=True)
    graph = ag.viz.draw_graph(f)
    path = graph.render(tmp_path / "lecture", format="svg")
    assert open(path).read().lstrip().startswith("<?xml")
    texts = svg_nodes(graph)
    steps = [n for n in ag.topological_order([f]) if n.op is not None]
    # 10 steps, 2 inputs, 3 raw constants (2 pi, 3, 2), and the legend's 6 entries
    assert len(steps) == 10 and len(texts) == 10 + 2 + 3 + 6
    every_line = [line for lines in texts.values() for line in lines]
    for t, (node, value) in enumerate(zip(steps, lecture_steps(1.5, 0.5)), start=1):
        label = next(lines for lines in texts.values() if lines[0].startswith(f"z{t} = "))
        assert label[1] == f"{node.op.name}, scalar"
        assert float(label[2].removeprefix("value ")) == pytest.approx(value, rel=1e-3, abs=1e-12)
    for x in (w1, w2):
        label = next(lines for lines in texts.values() if lines[0] == x.name)
        assert label[1] == "input, scalar"
        assert float(label[3].removeprefix("grad ")) == pytest.approx(x.grad.item(), rel=1e-3)
    for constant in ("6.28319", "3", "2"):
        assert constant in every_line
    assert "z3 = sin(z2)" in every_line and "z2 = z1 / w2" in every_line


def test_colours_follow_the_kind_of_primitive_and_inputs_differ_from_constants():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True, name="x")
    c = Tensor(np.array([3.0, 4.0]), name="c")  # a constant Tensor
    y = ag.maximum((x * c).exp() + 2, x).sum()
    source = ag.viz.draw_graph(y).source
    attrs = node_attrs(source)
    fills = {i: m.group(1) for i, a in attrs.items() if (m := re.search(r'fillcolor="(#[0-9a-f]+)"', a))}

    def fill(first_line: str) -> str:
        return fills[node_id_with(source, first_line)]

    assert fill("z1 = x * c") == fills["legend_product"]
    assert fill("z2 = exp(z1)") == fills["legend_elementwise"]
    assert fill("z3 = z2 + 2") == fills["legend_affine"]
    assert fill("z4 = maximum(z3, x)") == fills["legend_composite"]
    assert len({fills[f"legend_{k}"] for k in ("affine", "product", "elementwise", "composite")}) == 4
    input_line = attrs[node_id_with(source, "x")]
    constant_line = attrs[node_id_with(source, "c")]
    assert "peripheries=2" in input_line and "dashed" not in input_line
    assert "style=dashed" in constant_line and "peripheries" not in constant_line
    assert re.search(r"\[label=2 [^\]]*style=dashed", source)  # the raw 2 of "+ 2" is a constant node


def test_show_data_and_show_grad_switch_their_lines():
    f, w1, w2 = lecture_f()
    f.backward(retain_graph=True)
    everything = " ".join(line for lines in svg_nodes(ag.viz.draw_graph(f)).values() for line in lines)
    bare = " ".join(
        line for lines in svg_nodes(ag.viz.draw_graph(f, show_data=False, show_grad=False)).values() for line in lines
    )
    assert "value " in everything and "grad " in everything
    assert "value " not in bare and "grad " not in bare and "z3 = sin(z2)" in bare


def test_drawn_adjoints_agree_with_the_engine():
    f, w1, w2 = lecture_f()
    steps = [n for n in ag.topological_order([f]) if n.op is not None]
    texts = svg_nodes(ag.viz.draw_graph(f, adjoints=True))
    engine = ag.grad(f, steps, retain_graph=True)
    for t, (node, g) in enumerate(zip(steps, engine), start=1):
        label = next(lines for lines in texts.values() if lines[0].startswith(f"z{t} = "))
        assert float(label[-1].removeprefix("adjoint ")) == pytest.approx(g.item(), rel=1e-3)


def test_max_nodes_keeps_those_nearest_the_output_and_says_what_was_left_out():
    x = Tensor(0.3, requires_grad=True, name="x")
    y = x
    for _ in range(50):
        y = y.sin()
    graph = ag.viz.draw_graph(y, max_nodes=10)
    nodes = svg_nodes(graph)
    drawn = [lines[0] for node_id, lines in nodes.items() if re.fullmatch(r"n\d+", node_id)]
    assert sorted(drawn) == sorted(f"z{t} = sin(z{t - 1})" for t in range(41, 51))
    assert sum(node_id.startswith("cut") for node_id in nodes) == 1
    note = "".join(t.text for t in ET.fromstring(graph.pipe(format="svg")).iter(f"{SVG}text")
                   if t.text and t.text.startswith("Showing"))
    assert "Showing 10 of 51 nodes" in note and "Not drawn: 40 steps, 1 input, 0 constants" in note
    everything = ag.viz.draw_graph(y, max_nodes=None)
    assert len([i for i in svg_nodes(everything) if re.fullmatch(r"n\d+", i)]) == 51
    assert "Showing" not in everything.source
    with pytest.raises(ValueError, match="max_nodes"):
        ag.viz.draw_graph(y, max_nodes=0)


def test_group_by_module_boxes_the_nodes_of_each_scope_nested():
    W = Tensor(np.ones((3, 2)), requires_grad=True, name="W")
    x = Tensor(np.array([1.0, 2.0]), name="x")
    with ag.name_scope("layer1"):
        h = (W @ x).tanh()
    with ag.name_scope("head"):
        with ag.name_scope("inner"):
            s = h.sum()
        y = s * 2
    source = ag.viz.draw_graph(y, group_by_module=True).source
    blocks = cluster_blocks(source)
    assert set(blocks) == {"layer1", "head", "head.inner", "legend"}
    assert f"\t{node_id_with(source, 'z1 = W @ x')} " in blocks["layer1"]
    assert f"\t{node_id_with(source, 'W')} " in blocks["layer1"]  # used only inside layer1
    assert f"\t{node_id_with(source, 'z3 = sum(z2)')} " in blocks["head.inner"]
    assert blocks["head.inner"] in blocks["head"]  # nested
    assert f"\t{node_id_with(source, 'z4 = z3 * 2')} " in blocks["head"].replace(blocks["head.inner"], "")
    assert "cluster_" not in ag.viz.draw_graph(y, legend=False).source


def test_a_graph_freed_by_backward_gives_a_helpful_error():
    f, w1, w2 = lecture_f()
    f.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        ag.viz.draw_graph(f)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        ag.viz.trace(f)
    with pytest.raises(ValueError, match="does not require grad"):
        ag.viz.trace(Tensor(1.0) * 2)


# ---- the trace ---------------------------------------------------------------------------------------------------


def test_trace_lists_the_lecture_example_in_topological_order():
    f, w1, w2 = lecture_f()
    text = ag.viz.trace(f)
    rows = trace_rows(text)
    assert "T = 10 steps" in text and "inputs z0 = (w1, w2)" in text
    names = list(rows)
    assert names[:2] == ["w1", "w2"] and names[2:] == [f"z{t}" for t in range(1, 11)]
    steps = [n for n in ag.topological_order([f]) if n.op is not None]
    for t, node in enumerate(steps, start=1):
        row = rows[f"z{t}"]
        assert row["t"] == str(t)
        position = {name: k for k, name in enumerate(names)}
        for p in node.inputs:  # every input is listed before the step that uses it
            if isinstance(p, Tensor):
                parent_name = p.name or f"z{steps.index(p) + 1}"
                assert position[parent_name] < position[f"z{t}"]
    assert rows["z3"]["step"] == "z3 = sin(z2)"
    assert rows["z10"]["step"] == "z10 = z9 * z8"
    assert rows["z8"]["step"] == "z8 = z5 - z7"


def test_trace_values_and_adjoints_agree_with_the_engine_and_finite_differences():
    f, w1, w2 = lecture_f(1.3, 0.7)
    rows = trace_rows(ag.viz.trace(f, precision=12))
    steps = [n for n in ag.topological_order([f]) if n.op is not None]
    engine = ag.grad(f, [w1, w2, *steps], retain_graph=True)
    values = [1.3, 0.7, *lecture_steps(1.3, 0.7)]
    for name, value, g in zip(["w1", "w2"] + [f"z{t}" for t in range(1, 11)], values, engine):
        assert float(rows[name]["value"]) == pytest.approx(value, rel=1e-10, abs=1e-12)
        assert float(rows[name]["adjoint dz10/dz_t"]) == pytest.approx(g.item(), rel=1e-10)

    def f_of(w: np.ndarray) -> float:
        return ((math.sin(2 * math.pi * w[0] / w[1]) + 3 * w[0] / w[1] - math.exp(2 * w[1]))
                * (3 * w[0] / w[1] - math.exp(2 * w[1])))

    fd = central_difference(f_of, np.array([1.3, 0.7]))
    assert float(rows["w1"]["adjoint dz10/dz_t"]) == pytest.approx(fd[0], rel=1e-6)
    assert float(rows["w2"]["adjoint dz10/dz_t"]) == pytest.approx(fd[1], rel=1e-6)
    assert w1.grad is None  # the trace's own sweep leaves .grad alone


def test_reverse_view_follows_the_sweep_and_visits_each_node_once():
    f, w1, w2 = lecture_f()
    f.name = "f"
    text = ag.viz.trace(f, reverse=True, precision=12)
    steps_in_order = re.findall(r"^t = (\d+): ", text, flags=re.M)
    assert steps_in_order == [str(t) for t in range(10, 0, -1)]
    assert "adjoint[z2] += adjoint[z3] * cos(z2)" in text
    assert "adjoint[z8] += adjoint[f] * z9" in text
    terms = re.findall(r"^\s+adjoint\[(\S+)\] \+= .*?\+= (\S+)\s+-> (\S+)$", text, flags=re.M)
    # one term per (step, input requiring grad): counted from the graph itself
    edges = sum(isinstance(x, (Node, Tensor)) and x.requires_grad
                for n in ag.topological_order([f]) if n.op for x in n.inputs)
    assert len(terms) == edges == 15
    final = {name: float(total) for name, _, total in terms}  # the last total of each node is its adjoint
    dw1, dw2 = ag.grad(f, [w1, w2], retain_graph=True)
    assert final["w1"] == pytest.approx(dw1.item(), rel=1e-10)
    assert final["w2"] == pytest.approx(dw2.item(), rel=1e-10)
    assert "Visited 12 nodes (10 steps, 2 inputs), each visited once" in text and "T = 10" in text


def test_names_are_shared_by_trace_and_drawing_and_stable():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)  # unnamed: w1
    v = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, name="v")
    h = (x * v).tanh()
    h.name = "h"
    y = ((h + v) ** 2).sum() / 3
    rows = trace_rows(ag.viz.trace(y))
    assert set(rows) == drawn_names(ag.viz.draw_graph(y))
    assert {"w1", "v", "h"} <= set(rows)
    assert rows["h"]["step"] == "h = tanh(z1)" and rows["z1"]["step"] == "z1 = w1 * v"
    assert ag.viz.trace(y) == ag.viz.trace(y)


def test_repeated_and_clashing_user_names_stay_unique():
    a = Tensor(1.0, requires_grad=True, name="z3")  # takes the name step 3 would get
    b = a * 2
    b.name = "h"
    c = b.exp()
    c.name = "h"
    d = c + a
    rows = trace_rows(ag.viz.trace(d))
    assert list(rows) == ["z3", "h", "h'", "z3'"]
    assert rows["z3'"]["step"] == "z3' = h' + z3"


def test_tensor_graph_trace_shows_shapes_summaries_parameters_and_true_adjoints():
    rng = np.random.default_rng(0)
    W = Tensor(rng.normal(size=(3, 4)), requires_grad=True, name="W")
    b = Tensor(rng.normal(size=(3,)), requires_grad=True, name="b")
    x = rng.normal(size=(4, 5))  # a raw array constant: c1
    h = (W @ x).transpose(1, 0) + b  # b broadcast over the rows
    y = (h[0:2] ** 2).sum(axis=1).mean()
    text = ag.viz.trace(y, precision=12)
    rows = trace_rows(text)
    assert rows["c1"]["step"] == "c1 = constant" and rows["c1"]["shape"] == "(4, 5)"
    assert rows["z1"]["step"] == "z1 = W @ c1" and rows["z1"]["shape"] == "(3, 5)"
    assert rows["z2"]["step"] == "z2 = transpose(z1, axes=(1, 0))"
    assert rows["z4"]["step"] == "z4 = z3[0:2]"
    assert rows["z5"]["step"] == "z5 = z4 ^ 2"
    assert rows["z6"]["step"] == "z6 = sum(z5, axis=1)"
    assert rows["z1"]["value"].startswith("mean ")
    mean, lo, hi = (float(v) for v in re.findall(r"-?\d\S*", rows["z1"]["value"].replace(",", "")))
    z1 = W.numpy() @ x
    assert (mean, lo, hi) == pytest.approx((z1.mean(), z1.min(), z1.max()), rel=1e-9)
    steps = [n for n in ag.topological_order([y]) if n.op is not None]
    engine = ag.grad(y, [W, b, *steps], retain_graph=True)

    def summary(a: np.ndarray) -> tuple[float, ...]:
        return (float(a.mean()), float(a.min()), float(a.max())) if a.size > 1 else (float(a),)

    names = ["W", "b"] + [f"z{t}" for t in range(1, len(steps) + 1)]
    header = next(k for k in rows["W"] if k.startswith("adjoint"))
    for name, g in zip(names, engine):
        shown = tuple(float(v) for v in re.findall(r"-?\d[^\s,]*", rows[name][header]))
        assert shown == pytest.approx(summary(g.numpy()), rel=1e-9, abs=1e-12), name

    def loss(w_flat: np.ndarray) -> float:
        h = (w_flat.reshape(3, 4) @ x).T + b.numpy()
        return float((h[0:2] ** 2).sum(axis=1).mean())

    fd = central_difference(loss, W.numpy().copy())
    assert summary(fd) == pytest.approx(summary(engine[0].numpy()), rel=1e-5)


def test_non_scalar_outputs_need_a_seed_for_adjoints():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    y = x.exp()
    assert "adjoint" not in ag.viz.trace(y)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        ag.viz.trace(y, adjoints=True)
    rows = trace_rows(ag.viz.trace(y, grad=np.array([1.0, 0.0]), precision=12))
    header = next(k for k in rows["x"] if k.startswith("adjoint"))
    shown = [float(v) for v in re.findall(r"-?\d[^\s,]*", rows["x"][header])]
    assert shown == pytest.approx([math.e / 2, 0.0, math.e])  # mean, min, max of (e, 0)
    with pytest.raises(ValueError, match="reverse=True"):
        ag.viz.trace(y, adjoints=False, reverse=True)


def test_every_primitive_of_the_table_has_an_adjoint_formula_for_each_input():
    for name, primitive in primitives.table().items():
        if not primitive.vjps:  # comparisons: their results never require grad, so never reach a sweep
            continue
        assert name in ADJOINT_TERMS, f"formulas.ADJOINT_TERMS lacks {name}"
        terms = ADJOINT_TERMS[name]
        if isinstance(terms, tuple):
            assert len(terms) == len(primitive.vjps), name


def test_the_readme_picture_script_writes_an_svg_and_the_sweeps_gif(tmp_path, capsys):
    from PIL import Image

    from autograd_core.viz import example

    out = tmp_path / "docs" / "lecture.svg"
    example.main([str(out)])
    svg = out.read_text()
    assert "<svg" in svg and "z3 = sin(z2)" in svg and "f = z9 * z8" in svg
    with Image.open(out.parent / "lecture-sweep.gif") as gif:
        assert gif.n_frames == 2 * 10 + 3
    printed = capsys.readouterr().out
    assert "Evaluation trace of f: T = 10 steps" in printed and "each visited once" in printed
    assert sorted(p.name for p in out.parent.iterdir()) == ["lecture-sweep.gif", "lecture.svg"]  # no temporary file
    assert oct(out.stat().st_mode & 0o777) == oct((out.parent / "lecture-sweep.gif").stat().st_mode & 0o777) == "0o644"


def test_the_readme_shows_the_trace_that_trace_prints():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("## See the graph") :]
    block = section[section.index("```text\n") + len("```text\n") :]
    block = block[: block.index("```")]
    f, w1, w2 = lecture_f()
    f.name = "f"
    printed = ag.viz.trace(f, reverse=True).splitlines()
    shown = [line for line in block.splitlines() if line and line != "..."]
    assert len(shown) > 20 and all(line in printed for line in shown)


def test_edges_join_each_step_to_its_inputs():
    f, w1, w2 = lecture_f()
    graph = ag.viz.draw_graph(f)
    root = ET.fromstring(graph.pipe(format="svg"))
    first_line = {node_id: lines[0] for node_id, lines in svg_nodes(graph).items()}
    into: dict[str, list[str]] = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "edge":
            tail, head = g.find(f"{SVG}title").text.split("->")
            into.setdefault(first_line[head].split(" = ")[0], []).append(first_line[tail].split(" = ")[0])
    # read off the formula by hand: f = (sin(2 pi w1 / w2) + a) * a with a = 3 w1 / w2 - exp(2 w2)
    expected = {
        "z1": ["6.28319", "w1"], "z2": ["z1", "w2"], "z3": ["z2"], "z4": ["3", "w1"], "z5": ["z4", "w2"],
        "z6": ["2", "w2"], "z7": ["z6"], "z8": ["z5", "z7"], "z9": ["z3", "z8"], "z10": ["z9", "z8"],
    }
    assert {k: sorted(v) for k, v in into.items()} == {k: sorted(v) for k, v in expected.items()}
