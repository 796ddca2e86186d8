"""What the graph keeps: a node holds the values its derivative rules read, and nothing else.

Truths: which values a rule reads is checked against the rules' formulas as written in the derivative table;
whether an array is still alive is asked of the array itself (a weak reference); gradients are checked against
closed forms.
"""

from __future__ import annotations

import dis
import gc
import inspect
import weakref
from typing import Any

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor, primitives
def alive(ref: weakref.ref) -> bool:
    gc.collect()  # only reference counts should matter; collect anyway, so that a cycle cannot hide a leak
    return ref() is not None


def loaded_names(rule: Any) -> set[str]:
    """The variables a function's body loads (LOAD_FAST and its variants; a parameter an inner function uses is
    loaded as a cell): what the rule reads, found from its code, independently of the declaration."""
    loaded: set[str] = set()
    for instruction in dis.get_instructions(rule.__code__):
        if instruction.opname.startswith("LOAD_FAST") or instruction.opname in ("LOAD_DEREF", "LOAD_CLOSURE"):
            names = instruction.argval
            loaded.update(names if isinstance(names, tuple) else (names,))
    return loaded


def uses_only_attribute(rule: Any, name: str, attribute: str) -> bool:
    """Whether every load of ``name`` in the rule (and the functions it calls by name from the table's module) is
    followed by reading ``attribute``: ``x.shape`` and nothing else of x."""
    codes = [rule.__code__] + [getattr(primitives, n).__code__ for n in rule.__code__.co_names
                               if inspect.isfunction(getattr(primitives, n, None))]  # fmt: skip
    for code in codes:
        instructions = list(dis.get_instructions(code))
        for k, instruction in enumerate(instructions):
            if instruction.opname.startswith("LOAD_FAST") and instruction.argval == name:
                following = instructions[k + 1]
                if not (following.opname == "LOAD_ATTR" and following.argval == attribute):
                    return False
    return True


DECLARED = [(name, i) for name, p in primitives.table().items() if p.saves is not None
            for i in range(len(p.saves)) if i < len(p.vjps) and p.vjps[i] is not None]  # fmt: skip


@pytest.mark.parametrize("name, i", DECLARED)
def test_every_declaration_says_exactly_what_its_rule_reads(name: str, i: int) -> None:
    primitive = primitives.table()[name]
    rule = primitive.vjps[i]
    parameters = inspect.signature(rule).parameters
    positional = [p for p, v in parameters.items() if v.kind == v.POSITIONAL_OR_KEYWORD]
    assert positional[:2] == ["g", "z"], "a rule takes g and z first"
    assert positional[2:] == list(primitive.saves), "saves names the inputs as the rule does, in order"
    candidates = {"z", *primitive.saves}
    declared = primitive.saves[positional[2 + i]].split()
    assert loaded_names(rule) & candidates == {word.split(".")[0] for word in declared}
    for word in declared:  # "x.shape": the rule reads that attribute of x and nothing else of it
        if "." in word:
            name, attribute = word.split(".")
            assert uses_only_attribute(rule, name, attribute), f"{name} is read beyond .{attribute}"


def test_every_differentiable_entry_declares_its_reads_or_is_variadic() -> None:
    undeclared = [name for name, p in primitives.table().items() if p.vjps and p.saves is None]
    assert undeclared == ["concatenate", "einsum"]  # any number of inputs: each keeps them all


def test_a_node_keeps_the_declared_values_of_the_inputs_that_require_grad() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = Tensor(np.array([3.0, 4.0]))
    assert set((x * y).grad_fn.saved) == {"y"}  # x's rule reads y; y needs no gradient
    assert set((x / y).grad_fn.saved) == {"y"}
    assert set((y / x).grad_fn.saved) == {"x", "y"}  # d(y/x)/dx = -y / x^2: reads both inputs ...
    assert (y / x).grad_fn.saved["y"] is x.numpy()  # ... the divisor x named y in divide's own rule, -a / b^2
    assert set(x.exp().grad_fn.saved) == {"z"}
    assert set((x + y).grad_fn.saved) == set()


def test_a_primitive_that_declares_nothing_keeps_everything() -> None:
    twice = ag.primitive.Primitive("twice", ag.primitive.AFFINE, lambda x: 2 * x, lambda g, z, x: 2 * g)
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert set(twice(x).grad_fn.saved) == {"x0", "z"}


def test_a_value_no_rule_reads_is_freed_with_its_tensor_and_the_gradient_stays_right() -> None:
    x = Tensor(np.linspace(-1.0, 1.0, 5), requires_grad=True)
    s = x.sin()
    value = weakref.ref(s.numpy())
    y = s * 3.0  # the multiply's rule for s reads only the 3.0
    del s
    assert not alive(value)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 3.0 * np.cos(x.numpy()), rtol=1e-12)


def test_a_value_a_rule_reads_lives_until_backward_frees_the_graph() -> None:
    x = Tensor(np.linspace(-1.0, 1.0, 5), requires_grad=True)
    h = x * 2.0
    kept = weakref.ref(h.numpy())
    e = h.exp()
    output = weakref.ref(e.numpy())
    y = e.sin().sum()  # sin reads its input e; exp reads its output e, not its input h
    del h, e
    assert not alive(kept)
    assert alive(output)
    y.backward()
    assert not alive(output)
    u = 2.0 * x.numpy()
    np.testing.assert_allclose(x.grad, np.cos(np.exp(u)) * np.exp(u) * 2.0, rtol=1e-12)


def test_a_constant_operand_keeps_the_other_operand_only_when_the_constant_needs_a_gradient() -> None:
    x = Tensor(np.arange(1.0, 4.0), requires_grad=True)
    c = Tensor(np.array([2.0, -1.0, 0.5]))  # a constant tensor: no gradient wanted
    h = x * 2.0
    value = weakref.ref(h.numpy())
    y = h * c
    del h
    assert not alive(value)  # d(hc)/dh = c: h's value is not needed
    w = Tensor(np.array([2.0, -1.0, 0.5]), requires_grad=True)
    h = x * 2.0
    value = weakref.ref(h.numpy())
    z = h * w
    del h
    assert alive(value)  # d(hw)/dw = h
    (y.sum() + z.sum()).backward()
    np.testing.assert_allclose(w.grad, 2.0 * x.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, 2.0 * (c.numpy() + w.numpy()), rtol=1e-12)


def test_second_derivatives_through_values_that_were_not_kept() -> None:
    x = Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    y = ((x * 2.0).sin() * 3.0).sum()  # the sine's output is not kept; its input 2x is
    (g,) = ag.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), 6.0 * np.cos(2.0 * x.numpy()), rtol=1e-12)
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), -12.0 * np.sin(2.0 * x.numpy()), rtol=1e-12)


def test_the_trace_shows_values_the_graph_did_not_keep() -> None:
    x = Tensor(0.7, requires_grad=True, dtype=np.float64, name="x")
    y = (x.sin() * 3.0) + 1.0  # sin(x) and 3 sin(x) are read by no rule
    text = ag.viz.trace(y, precision=12)
    assert f"{np.sin(0.7):.12g}" in text and f"{3 * np.sin(0.7):.12g}" in text


def test_retain_grad_and_names_live_on_the_node_of_an_intermediate_result() -> None:
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    h = x.exp()
    h.retain_grad()
    h.name = "h"
    assert h.grad_fn.name == "h" and h.name == "h"
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, 2.0 * np.exp(x.numpy()), rtol=1e-12)
    np.testing.assert_allclose(x.grad, 2.0 * np.exp(2.0 * x.numpy()), rtol=1e-12)
