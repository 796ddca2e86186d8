"""ag.viz.animate: every frame against the printed trace, the numbers against the engine and the lecture's values
worked out by hand, a layout that does not move, and the GIF (the page in a real browser: test_viz_animate_browser)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import autograd_core as ag
import nn
from autograd_core import Tensor
from tests.test_viz import lecture_f, lecture_steps
from tests.viz_expected import SVG, expected_frames, name_of, svg_node_texts


def number(line: str, prefix: str) -> float:
    """The first number after ``prefix`` in a drawn line: ``value 9.425`` -> 9.425."""
    return float(line.removeprefix(prefix).split()[0])


@pytest.fixture(scope="module")
def lecture():
    f, w1, w2 = lecture_f()
    f.name = "f"
    return f, w1, w2, ag.viz.animate(f)


def test_each_frame_shows_its_steps_trace_lines_and_highlights_that_step(lecture):
    f, _, _, animation = lecture
    expected = expected_frames(f)
    assert len(animation) == len(expected) == 2 * 10 + 3
    for k, (frame, want) in enumerate(zip(animation.frames, expected)):
        assert frame.lines == want.lines, k
        current = svg_node_texts(frame.svg, "current")
        assert {name_of(lines) for lines in current.values()} == want.highlighted, k
        received = svg_node_texts(frame.svg, "received")
        assert {name_of(lines) for lines in received.values()} == set(want.receivers) - want.highlighted, k
    assert [frame.phase for frame in animation.frames] == ["forward"] * 11 + ["reverse"] * 12


def test_forward_frames_show_values_as_they_are_computed(lecture):
    f, _, _, animation = lecture
    by_hand = dict(zip([f"z{t}" for t in range(1, 10)] + ["f"], lecture_steps(1.5, 0.5)))
    for t in range(1, 11):
        drawn = {name_of(lines): lines for lines in svg_node_texts(animation[t].svg).values()}
        computed = [name for name, lines in drawn.items() if any(line.startswith("value ") for line in lines)]
        assert len([name for name in computed if name in by_hand]) == t  # the steps so far, none later
        (current,) = svg_node_texts(animation[t].svg, "current").values()
        value = number(next(line for line in current if line.startswith("value ")), "value ")
        assert value == pytest.approx(by_hand[name_of(current)], rel=1e-3, abs=1e-12)


def test_reverse_frames_add_up_to_the_engines_adjoints(lecture):
    f, w1, w2, animation = lecture
    steps = [n for n in ag.topological_order([f]) if n.op is not None]
    names = ["w1", "w2"] + [f"z{t}" for t in range(1, 10)] + ["f"]
    engine = dict(zip(names, (g.item() for g in ag.grad(f, [w1, w2, *steps], retain_graph=True))))
    received: dict[str, float] = {"f": 1.0}
    for frame in animation.frames[12:-1]:  # the steps t = 10 ... 1
        for lines in svg_node_texts(frame.svg, "received").values():
            adjoint = next(line for line in lines if line.startswith("adjoint "))
            received[name_of(lines)] = received.get(name_of(lines), 0.0) + float(adjoint.split("(+= ")[1][:-1])
        sending = [g for g in ET.fromstring(frame.svg).iter(f"{SVG}g") if "sending" in (g.get("class") or "")]
        assert len(sending) == sum("adjoint[" in line for line in frame.lines)  # one red edge per term
    final = {name_of(lines): lines for lines in svg_node_texts(animation[-1].svg).values()}
    for name, g in engine.items():
        shown = number(next(line for line in final[name] if line.startswith("adjoint ")), "adjoint ")
        assert shown == pytest.approx(g, rel=1e-3)
        assert received[name] == pytest.approx(g, rel=1e-3)  # each total is the sum of what the node received


def test_nothing_moves_from_frame_to_frame(lecture):
    *_, animation = lecture

    def layout(svg: str) -> dict[str, tuple[str, str]]:
        root = ET.fromstring(svg)
        nodes = {}
        for g in root.iter(f"{SVG}g"):
            if "node" in (g.get("class") or "").split():
                shape = next(e for e in g if e.tag in (f"{SVG}polygon", f"{SVG}path"))
                nodes[g.find(f"{SVG}title").text] = (shape.get("points") or shape.get("d"), root.get("width"))
        return nodes

    first = layout(animation[0].svg)
    assert len(first) == 15 + 6  # 12 nodes, 3 constants, the legend
    assert all(layout(frame.svg) == first for frame in animation.frames)


def test_gif_has_one_frame_per_step(lecture, tmp_path):
    *_, animation = lecture
    path = animation.save(tmp_path / "sweep.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == len(animation)  # Pillow merges equal neighbours: every frame differs
        sizes, durations = set(), []
        for k in range(gif.n_frames):
            gif.seek(k)
            sizes.add(gif.size)
            durations.append(gif.info["duration"])
    assert len(sizes) == 1 and durations[:-1] == [1000] * (len(animation) - 1) and durations[-1] == 3000


def test_html_player_holds_every_frame_and_nothing_from_outside(lecture, tmp_path):
    *_, animation = lecture
    page = animation.save(tmp_path / "sweep.html").read_text()
    frames = json.loads(re.search(r'class="ag-frames">(.*?)</script>', page, flags=re.S).group(1))
    assert [frame["svg"] for frame in frames] == [frame.svg for frame in animation.frames]
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert set(re.findall(r"https?://[^\s\\\"'<>)]+", page)) <= {"http://www.w3.org/2000/svg",
                                                              "http://www.w3.org/1999/xlink"}  # fmt: skip
    fragment = animation._repr_html_()
    assert "<script>" in fragment and "<html" not in fragment and fragment != animation._repr_html_()  # own ids


def test_names_that_look_like_html_cannot_break_the_page(tmp_path):
    x = Tensor(2.0, requires_grad=True, name="</script><!--")
    page = ag.viz.animate((x * x).sin()).save(tmp_path / "odd.html").read_text()
    assert page.count("</script>") == 2  # the frames' script and the player's
    data = re.search(r'class="ag-frames">(.*?)</script>', page, flags=re.S).group(1)
    assert "</" not in data and "<!--" not in data  # neither ends the script nor opens a comment in it
    frames = json.loads(data)
    assert "</script><!--" in frames[0]["lines"][1] and len(frames) == 2 * 2 + 3


def test_tensor_graph_with_modules_and_a_seed():
    W = Tensor(np.arange(6.0).reshape(2, 3) / 10, requires_grad=True, name="W")
    x = Tensor(np.array([1.0, -1.0, 2.0]), name="x")
    with ag.name_scope("layer"):
        h = (W @ x).tanh()
    seed = np.array([1.0, -2.0])
    animation = ag.viz.animate(h, group_by_module=True, grad=seed)
    assert len(animation) == 2 * 2 + 3
    (gradient,) = svg_node_texts(animation[-1].svg, "current").values()
    shown = [float(v) for v in re.findall(r"-?\d[^\s,]*", next(line for line in gradient if "adjoint" in line))]
    engine = ag.grad(h, [W], grad_outputs=[Tensor(seed)], retain_graph=True)[0].numpy()
    assert shown == pytest.approx([engine.mean(), engine.min(), engine.max()], rel=1e-3)
    assert 'label=layer' in animation[0].source  # the module's box
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        ag.viz.animate(h)


def test_a_models_animation_names_its_parameters_as_the_trace_does():
    nn.manual_seed(0)
    model = nn.MLP([4, 5, 3])
    rng = np.random.default_rng(0)
    loss = nn.CrossEntropyLoss()(model(Tensor(rng.normal(size=(6, 4)))), Tensor(rng.integers(0, 3, 6)))
    params = dict(model.named_parameters())
    animation = ag.viz.animate(loss, group_by_module=True, rankdir="TB", params=params,
                               modules=dict(model.named_modules()))  # fmt: skip
    expected = expected_frames(loss, params=params)
    assert [frame.lines for frame in animation.frames] == [want.lines for want in expected]
    for frame, want in zip(animation.frames, expected):
        assert {name_of(lines) for lines in svg_node_texts(frame.svg, "current").values()} == want.highlighted
    assert {"0.weight", "2.bias"} <= set(expected[0].highlighted)
    assert "label=\"0: Linear(4 -> 5)\"" in animation[0].source


def test_long_traces_are_refused_with_advice_and_cut_drawings_still_step():
    x = Tensor(0.3, requires_grad=True, name="x")
    y = x
    for _ in range(60):
        y = y.sin()
    with pytest.raises(ValueError, match=r"T = 60 steps, more than max_steps=50 .*123 frames.*max_steps"):
        ag.viz.animate(y)
    animation = ag.viz.animate(y, max_steps=None, max_nodes=5)
    assert len(animation) == 123 and "Showing 5 of 61 nodes" in animation[0].source
    assert svg_node_texts(animation[10].svg, "current") == {}  # z10 is not drawn: no highlight, still a frame
    assert animation[10].lines[1].split()[1] == "z10"
    (last,) = svg_node_texts(animation[60].svg, "current").values()
    assert name_of(last) == "z60"


def test_bad_use_is_reported(tmp_path):
    f, w1, w2 = lecture_f()
    with pytest.raises(ValueError, match="max_nodes"):
        ag.viz.animate(f, max_nodes=0)
    with pytest.raises(ValueError, match="interval .* positive, got 0"):
        ag.viz.animate(f, interval=0)
    with pytest.raises(ValueError, match=r"\.html or \.gif"):
        ag.viz.animate(f).save(tmp_path / "sweep.mp4")
    f.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        ag.viz.animate(f)


def test_importing_the_engine_loads_no_graphviz_and_no_pillow():
    code = "import sys, autograd_core; print('graphviz' in sys.modules, 'PIL' in sys.modules)"
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert result.stdout.split() == ["False", "False"]
