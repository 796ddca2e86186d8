"""What a recording cannot replay is refused with ag.CompileError, naming the user's line; after a refusal the
engine records nothing and the compiled function can be called again."""

from __future__ import annotations

import inspect
import re
import threading

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import Tensor
from autograd_core.compiler import recording

W = Tensor(np.arange(3.0), requires_grad=True)


def _line_of(fn, text: str) -> int:
    """The line number of the line of ``fn`` that contains ``text``."""
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def branch(x):
    if (x * W).sum() > 0:  # refused: a branch on a value
        return x.exp().sum()
    return x.sin().sum()


def number(x):
    return x * (x * W).sum().item()  # refused: a number taken out


def as_float(x):
    return x * float((x * W).sum())  # refused: a number taken out


def as_int(x):
    return x * int((x * W).sum())  # refused: a number taken out


def through_numpy(x):
    return Tensor(np.tanh(np.asarray(x * W)))  # refused: numpy on a tensor


def via_numpy_method(x):
    return Tensor((x * W).numpy() * 2)  # refused: numpy on the array


def mask_index(x):
    return (x * W)[(x * W) > 0].sum()  # refused: the result's shape depends on the values


def hook_inside(x):
    h = x * W
    h.register_hook(lambda g: g * 2)  # refused later: the program has no such tensor
    return h.sum()


def retain_inside(x):
    h = x * W
    h.retain_grad()
    return h.sum()


def write_outside_operations(x):
    h = x * W
    W.data[...] += 1  # refused: a change the program would not repeat
    return h.sum()


def backward_inside(x):
    (x * W).sum().backward()  # refused: its gradients are computed outside the recording
    return (x * W).sum()


def new_leaf_from_values(x):
    h = Tensor(x * W, requires_grad=True)  # refused: a leaf made from a computed value
    return h.sum()


def not_a_tensor(x):
    return {"loss": (x * W).sum()}


@pytest.mark.parametrize(
    ("fn", "line", "match"),
    [
        (branch, "if (x * W)", "bool"),
        (number, ".item()", r"item\(\)"),
        (as_float, "* float(", r"float\(t\)"),
        (as_int, "* int(", r"int\(t\)"),
        (through_numpy, "np.asarray", "numpy on a tensor"),
        (via_numpy_method, ".numpy()", r"t\.numpy\(\)"),
        (mask_index, "> 0]", "boolean mask"),
        (new_leaf_from_values, "requires_grad=True", "leaf that requires grad"),
    ],
)
def test_what_python_does_with_a_value_is_refused_at_the_users_line(fn, line, match):
    W.grad = None
    compiled = ag.compile(fn)
    for _ in range(2):  # the refusal repeats: nothing was kept from the first attempt
        with pytest.raises(ag.CompileError, match=match) as caught:
            compiled(Tensor(np.ones(3)))
        message = str(caught.value)
        assert __file__ in message and f"line {_line_of(fn, line)}" in message, message
    assert recording.tracer is None
    assert (Tensor(np.ones(3), requires_grad=True) * 2).sum() > 0  # the engine records as usual again


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (hook_inside, "register_hook"),
        (retain_inside, "retain_grad"),
        (write_outside_operations, "changed the values"),
        (backward_inside, r"changed the \.grad"),
        (not_a_tensor, "must return a Tensor"),
    ],
)
def test_what_the_program_could_not_repeat_is_refused(fn, match):
    saved = W.numpy().copy()
    W.grad = None
    with pytest.raises(ag.CompileError, match=match):
        ag.compile(fn)(Tensor(np.ones(3)))
    W.data[...] = saved
    W.grad = None
    assert recording.tracer is None


def test_arguments_the_signature_cannot_hold_are_refused():
    compiled = ag.compile(lambda x, options: (x * W).sum() * len(options))
    with pytest.raises(ag.CompileError, match="hashable"):
        compiled(Tensor(np.ones(3)), [1, 2])
    x = Tensor(np.ones(3))
    with pytest.raises(ag.CompileError, match="two arguments"):
        ag.compile(lambda a, b: (a * b * W).sum())(x, x)


def test_a_branch_on_a_modules_mode_or_a_python_value_is_not_refused():
    layer = nn.Dropout(0.5)
    compiled = ag.compile(lambda x, scale: layer(x) * scale if layer.training else x)
    x = Tensor(np.ones((2, 3)))
    assert compiled(x, 2.0).shape == (2, 3)
    layer.eval()
    np.testing.assert_array_equal(compiled(x, 2.0).numpy(), x.numpy())


def test_another_threads_operations_are_not_recorded_nor_refused():
    other_thread_done = threading.Event()
    recorded_started = threading.Event()
    results = {}

    def other() -> None:
        recorded_started.wait(5)
        t = Tensor(np.ones(2), requires_grad=True)
        results["bool"] = bool((t * 2).sum() > 0)  # would be refused if it were recorded
        other_thread_done.set()

    def slow(x):
        recorded_started.set()
        other_thread_done.wait(5)
        return (x * W).sum()

    thread = threading.Thread(target=other)
    thread.start()
    compiled = ag.compile(slow)
    compiled(Tensor(np.ones(3)))
    thread.join()
    assert results["bool"] is True
    forward = compiled.source.split("def backward")[0]
    assert re.findall(r"# (\w+) \(", forward) == ["multiply", "sum"]  # the other thread's steps are not there
