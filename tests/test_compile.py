"""ag.compile against the uncompiled function (the engine, itself checked against finite differences and PyTorch
elsewhere), against central differences where the engine is not the reference, and the generated source."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.compiler.compiled import CompiledResult

from .conftest import numerical_grad

pytestmark = pytest.mark.usefixtures("float64")
rng = np.random.default_rng(7)


def leaf(*shape: int) -> Tensor:
    return Tensor(rng.standard_normal(shape), requires_grad=True)


class Counted:
    """A function that counts its own runs: a compiled function runs it only when it records."""

    def __init__(self, fn):
        self.fn, self.runs = fn, 0

    def __call__(self, *args, **kwargs):
        self.runs += 1
        return self.fn(*args, **kwargs)


def many_ops(x: Tensor, W: Tensor, b: Tensor) -> Tensor:
    """A function that reaches most of the derivative table: broadcasting, reductions, indexing, extrema."""
    h = (x @ W.T + b).tanh()  # (5, 3)
    s = h.softmax(axis=1) * h.log_softmax(axis=1).exp() + h.logsumexp(axis=0, keepdims=True)
    m = ag.maximum(h, 0.1 * h) - ag.where(h > 0, h.sigmoid(), h.relu()) + h.clip(-0.5, 0.5) ** 2
    r = (s / (1 + m * m)).reshape(3, 5).T[1:, ::2] + x[:4, :2].abs().sqrt()
    return r.mean() + r.max() - (r.var(axis=0) * r.sum(axis=1, keepdims=True)[0]).sum() + x.sum() * 0.5


def values_and_grads(fn, x: Tensor, params: list[Tensor]) -> tuple[np.ndarray, list[np.ndarray]]:
    for p in params:
        p.grad = None
    out = fn(x, *params)
    out.backward()
    return out.numpy().copy(), [p.grad.numpy().copy() for p in params]


def test_later_calls_run_the_generated_program_and_agree_with_the_uncompiled_function():
    W, b = leaf(3, 4), leaf(3)
    counted = Counted(many_ops)
    compiled = ag.compile(counted)
    for call in range(4):
        x = Tensor(rng.standard_normal((5, 4)) + call)  # new values each call: nothing may be kept from the first
        got, got_grads = values_and_grads(compiled, x, [W, b])
        want, want_grads = values_and_grads(many_ops, x, [W, b])
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)
        for g, w in zip(got_grads, want_grads):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-13)
    assert counted.runs == 1  # recorded once, then run as generated code
    assert isinstance(compiled(x, W, b), CompiledResult) and compiled(x, W, b).grad_fn.op.name.startswith("compiled")


def test_gradients_agree_with_central_differences():
    W, b = leaf(3, 4), leaf(3)
    x = rng.standard_normal((5, 4))
    compiled = ag.compile(many_ops)
    compiled(Tensor(x), W, b)  # the recording call
    _, grads = values_and_grads(compiled, Tensor(x), [W, b])

    def f(arrays):
        return float(many_ops(Tensor(x), Tensor(arrays[0]), Tensor(arrays[1])).numpy())

    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, numerical_grad(f, [W.numpy().copy(), b.numpy().copy()], i), rtol=1e-6, atol=1e-8)


def test_a_compiled_mlp_gives_pytorchs_gradients():
    Ws = [rng.standard_normal((8, 4)), rng.standard_normal((3, 8))]
    bs = [rng.standard_normal(8), rng.standard_normal(3)]
    params = [Tensor(a, requires_grad=True) for pair in zip(Ws, bs) for a in pair]
    x, labels = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)

    @ag.compile
    def loss(x, labels):
        h = (x @ params[0].T + params[1]).tanh()
        logits = h @ params[2].T + params[3]
        return -logits.log_softmax(axis=1)[np.arange(6), labels].mean()

    loss(x, labels)
    loss(x, labels).backward()
    theirs = [torch.tensor(a, requires_grad=True) for pair in zip(Ws, bs) for a in pair]
    h = torch.tanh(torch.from_numpy(x) @ theirs[0].T + theirs[1])
    torch.nn.functional.cross_entropy(h @ theirs[2].T + theirs[3], torch.from_numpy(labels)).backward()
    for ours, t in zip(params, theirs):
        np.testing.assert_allclose(ours.grad, t.grad.numpy(), rtol=1e-12)


def test_a_new_signature_records_again():
    counted = Counted(lambda x, scale=1.0: (x * scale).exp().sum())
    compiled = ag.compile(counted)
    x = leaf(3)
    compiled(x)
    compiled(leaf(3))  # the same signature
    assert counted.runs == 1
    compiled(leaf(4))  # shape
    compiled(Tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True))  # dtype
    compiled(Tensor(rng.standard_normal(3)))  # requires_grad
    with ag.no_grad():  # grad mode
        compiled(leaf(3))
    compiled(leaf(3), scale=2.0)  # the value of an argument that is not a tensor
    assert counted.runs == 6
    for args in [(leaf(3),), (leaf(4),), (leaf(3),)]:
        compiled(*args)
    assert counted.runs == 6  # every signature is kept
    np.testing.assert_allclose(compiled(x, scale=2.0).numpy(), np.exp(2 * x.numpy()).sum(), rtol=1e-15)


def test_a_parameter_of_a_new_shape_or_requires_grad_records_again():
    W = leaf(2, 3)
    counted = Counted(lambda x: (x @ W).sum())
    compiled = ag.compile(counted)
    x = Tensor(rng.standard_normal((4, 2)))
    compiled(x)
    W.data = rng.standard_normal((2, 5))
    np.testing.assert_allclose(compiled(x).numpy(), (x.numpy() @ W.numpy()).sum(), rtol=1e-14)
    W.requires_grad_(False)
    assert not compiled(x).requires_grad
    assert counted.runs == 3


def test_gradients_reach_arguments_parameters_and_the_graph_before_the_call():
    a, W = leaf(3), leaf(3, 3)
    compiled = ag.compile(lambda x: ((W @ x).sin() * x).sum())
    for _ in range(2):
        a.grad = W.grad = None
        x = a * 2  # a graph before the call: the compiled node's input is its node
        compiled(x).backward()
    want_a = 2 * (W.numpy().T @ (np.cos(W.numpy() @ x.numpy()) * x.numpy()) + np.sin(W.numpy() @ x.numpy()))
    np.testing.assert_allclose(a.grad, want_a, rtol=1e-13)
    np.testing.assert_allclose(W.grad, np.outer(np.cos(W.numpy() @ x.numpy()) * x.numpy(), x.numpy()), rtol=1e-13)


def test_gradients_accumulate_and_a_second_backward_needs_retain_graph():
    W = leaf(3)
    compiled = ag.compile(lambda x: (x * W).exp().sum())
    x = Tensor(rng.standard_normal(3))
    compiled(x)
    out = compiled(x)
    out.backward(retain_graph=True)
    out.backward()
    np.testing.assert_allclose(W.grad, 2 * x.numpy() * np.exp(x.numpy() * W.numpy()), rtol=1e-14)
    with pytest.raises(RuntimeError, match="retain_graph"):
        out.backward()


def test_hooks_on_parameters_ag_grad_and_an_optimizer_see_an_ordinary_graph():
    import optim

    W = leaf(3, 3)
    seen = []
    W.register_hook(lambda g: seen.append(g.numpy().copy()))
    compiled = ag.compile(lambda x: (W @ x).tanh().sum())
    x = Tensor(rng.standard_normal(3))
    compiled(x)
    (gW,) = ag.grad(compiled(x), [W])
    assert W.grad is None and len(seen) == 1
    np.testing.assert_allclose(gW.numpy(), np.outer(1 - np.tanh(W.numpy() @ x.numpy()) ** 2, x.numpy()), rtol=1e-14)
    before = W.numpy().copy()
    optimizer = optim.SGD([W], lr=0.5)
    optimizer.zero_grad()
    compiled(x).backward()
    optimizer.step()
    np.testing.assert_allclose(W.numpy(), before - 0.5 * gW.numpy(), rtol=1e-14)
    assert len(seen) == 2
    np.testing.assert_allclose(seen[1], gW.numpy(), rtol=1e-14)


def test_a_hook_that_replaces_the_gradient_of_a_parameter_is_honoured():
    W = leaf(3)
    W.register_hook(lambda g: g * 10)
    compiled = ag.compile(lambda x: (x * W).sum())
    x = Tensor(rng.standard_normal(3))
    compiled(x)
    compiled(x).backward()
    np.testing.assert_allclose(W.grad, 10 * x.numpy(), rtol=1e-15)


def test_create_graph_falls_back_to_the_engines_rules_for_second_derivatives():
    W = leaf(3, 3)

    def f(x):
        return ((W @ x).tanh() * x).sum()

    compiled = ag.compile(f)
    x = leaf(3)
    compiled(x)
    for fn in (compiled, f):
        (gx,) = ag.grad(fn(x), [x], create_graph=True)
        x.grad = W.grad = None
        (gx * gx).sum().backward()
        if fn is compiled:
            got = (x.grad.numpy().copy(), W.grad.numpy().copy())
    np.testing.assert_allclose(got[0], x.grad, rtol=1e-12)
    np.testing.assert_allclose(got[1], W.grad, rtol=1e-12)
    np.testing.assert_allclose(ag.functional.hessian(compiled, x).numpy(), ag.functional.hessian(f, x).numpy(), rtol=1e-12)


def test_several_results_each_with_its_own_backward():
    W = leaf(4, 3)
    counted = Counted(lambda x: ((x @ W).tanh().sum(), x @ W, W))
    compiled = ag.compile(counted)
    x = Tensor(rng.standard_normal((2, 4)))
    compiled(x)
    loss, logits, same = compiled(x)
    assert same is W  # a result that is an input is that very tensor
    (loss + (logits * logits).sum()).backward()
    z = x.numpy() @ W.numpy()
    np.testing.assert_allclose(W.grad, x.numpy().T @ (1 - np.tanh(z) ** 2 + 2 * z), rtol=1e-13)
    assert counted.runs == 1


def test_numpy_arguments_and_integer_indices_are_inputs_never_constants():
    W = leaf(5, 4)
    compiled = ag.compile(lambda x, rows, cols: (x @ W)[rows, cols].exp().sum())
    for _ in range(3):
        x, rows, cols = rng.standard_normal((3, 5)), rng.integers(0, 3, 6), rng.integers(0, 4, 6)
        W.grad = None
        out = compiled(x, rows, cols)
        out.backward()
        z = x @ W.numpy()
        np.testing.assert_allclose(out.numpy(), np.exp(z[rows, cols]).sum(), rtol=1e-14)
        want = np.zeros_like(z)
        np.add.at(want, (rows, cols), np.exp(z[rows, cols]))
        np.testing.assert_allclose(W.grad, x.T @ want, rtol=1e-13)


def test_without_grad_mode_there_is_no_backward_pass():
    W = leaf(3)
    compiled = ag.compile(lambda x: (x * W).sum())
    with ag.no_grad():
        compiled(Tensor(np.ones(3)))
        out = compiled(Tensor(np.ones(3)))
    assert not out.requires_grad and out.grad_fn is None
    assert "def backward" not in compiled.source and "grad mode off" in compiled.source


def test_float32_stays_float32():
    W = Tensor(rng.standard_normal((3, 3)).astype(np.float32), requires_grad=True)
    compiled = ag.compile(lambda x: (W @ x).sigmoid().mean() * 2.5)
    x = Tensor(rng.standard_normal(3).astype(np.float32))
    compiled(x)
    out = compiled(x)
    out.backward()
    assert out.dtype == np.float32 and W.grad.dtype == np.float32


def test_compiled_functions_nest_and_run_as_the_uncompiled_under_detect_anomaly():
    W = leaf(3)
    inner_runs = Counted(lambda x: (x * W).sin())
    inner = ag.compile(inner_runs)
    outer = ag.compile(lambda x: inner(x).sum() + inner(x * 2).sum())
    x = Tensor(rng.standard_normal(3))
    for _ in range(3):
        W.grad = None
        outer(x).backward()
    assert inner_runs.runs == 2  # recorded as part of the outer function, twice in its first call
    np.testing.assert_allclose(W.grad, x.numpy() * np.cos(x.numpy() * W.numpy()) + 2 * x.numpy() * np.cos(2 * x.numpy() * W.numpy()))
    with ag.detect_anomaly():
        inner(x)
    assert inner_runs.runs == 3


def test_the_source_compiles_and_reads_in_the_order_of_the_trace():
    W = Tensor(rng.standard_normal((3, 3)), requires_grad=True, name="W")
    compiled = ag.compile(lambda x: ((W @ x).exp() * 3).sin().sum())
    x = Tensor(rng.standard_normal(3))
    with pytest.raises(RuntimeError, match="not been called"):
        compiled.source
    compiled(x)
    source = compiled.source
    compile(source, "<test>", "exec")  # plain Python
    forward, backward = source.split("def backward")
    steps = re.findall(r"# (\w+) \((\w+)\)", forward)
    assert steps == [("matmul", "product"), ("exp", "elementwise"), ("multiply", "product"),
                     ("sin", "elementwise"), ("sum", "affine")]  # fmt: skip
    assert "def forward(x, W, constants):" in forward and "z1 = W @ x" in forward
    headings = re.findall(r"# reverse step of (z\d) =", backward)
    assert headings == ["z5", "z4", "z3", "z2", "z1"]  # the sweep: newest step first
    assert "return (g_W,)" in backward


def test_steps_nothing_reads_are_left_out_and_nothing_is_computed_twice():
    W = leaf(3)

    def f(x):
        unused = (x * W).cos()  # noqa: F841
        y = (x * W).exp()
        return y.sum() + y.mean()

    compiled = ag.compile(f)
    compiled(Tensor(np.ones(3)))
    forward = compiled.source.split("def backward")[0]
    assert "cos" not in forward
    assert forward.count("np.exp(") == 1 and forward.count(" * ") == 1  # the unused x * W is left out too


def test_names_the_user_gave_are_kept():
    W = Tensor(rng.standard_normal(3), requires_grad=True, name="weights")

    def f(x):
        h = x * W
        h.name = "hidden"
        return h.exp().sum()

    compiled = ag.compile(f)
    compiled(Tensor(np.ones(3)))
    assert "hidden = x * weights" in compiled.source and "g_weights" in compiled.source


def test_a_long_chain_is_one_line_per_step_and_matches_the_engine():
    compiled = ag.compile(lambda x: _chain(x, 300))
    x = leaf(8)
    compiled(x)
    x.grad = None
    compiled(x).backward()
    got = x.grad.numpy().copy()
    x.grad = None
    _chain(x, 300).backward()
    np.testing.assert_allclose(got, x.grad, rtol=1e-14)
    forward = compiled.source.split("def backward")[0]
    assert forward.count("np.sin(") == 150 and forward.count("* 1.01") == 150


def _chain(x: Tensor, ops: int) -> Tensor:
    for _ in range(ops // 2):
        x = x.sin() * 1.01
    return x.sum()


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, W: (Tensor(x) * W).sum(),  # a Tensor made from a numpy argument is that argument
        lambda x, W: (Tensor(Tensor(x) * 2, dtype=np.float32).astype(np.float64) * W).sum(),  # a cast copy
        lambda x, W: ((Tensor(x) * W).detach() * W).sum(),  # detach: the same value, no gradient through it
        lambda x, W: (Tensor(np.asarray([1.0, 2.0, 3.0])) * x * W).sum(),  # a constant made inside
    ],
)
def test_tensors_made_inside_from_the_inputs_follow_the_inputs(fn):
    W = leaf(3)
    compiled = ag.compile(fn)
    for _ in range(3):
        x = rng.standard_normal(3)
        W.grad = None
        got = compiled(x, W)
        got.backward()
        got_grad = W.grad.numpy().copy()
        W.grad = None
        want = fn(x, W)
        want.backward()
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
        np.testing.assert_allclose(got_grad, W.grad, rtol=1e-6)


def test_keywords_and_the_shape_of_the_results_are_kept():
    W = leaf(3)
    compiled = ag.compile(lambda x, *, power=2: [(x * W) ** power, (x * W).sum()])
    x = Tensor(rng.standard_normal(3))
    for _ in range(2):
        out = compiled(x, power=3)
        assert isinstance(out, list) and len(out) == 2
        np.testing.assert_allclose(out[0].numpy(), (x.numpy() * W.numpy()) ** 3, rtol=1e-15)
    assert "def forward(x, W" not in compiled.source and "power=3" in compiled.source
