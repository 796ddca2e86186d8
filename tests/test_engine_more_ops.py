"""API.md's "More operations" beyond the op table (test_engine_ops.py): derivatives at kinks and ties against
closed forms and PyTorch, second derivatives of the compositions, bad input, and shapes and axes drawn by
hypothesis for the reductions and shape operations against PyTorch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_core as ag
from autograd_core import Tensor


def grads(f: Callable[[Any], Any], data: np.ndarray, f_torch: Callable[[Any], Any] | None = None) -> tuple[Any, Any]:
    """The gradient of sum(f(x)) at ``data``, ours and PyTorch's (``f`` written once for both, unless ``f_torch``)."""
    ours, theirs = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    f(ours).sum().backward()
    (f_torch or f)(theirs).sum().backward()
    return ours.grad.numpy(), theirs.grad.numpy()


# ---- kinks and ties (docs/kinks.md) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),
        ([2.0, 0.0, 4.0], [0.0, 8.0, 0.0]),  # one zero: only its own entry has a gradient
        ([2.0, 0.0, 4.0, 0.0], [0.0, 0.0, 0.0, 0.0]),  # two zeros: the product stays 0 whatever moves
        ([0.0], [1.0]),
    ],
)
def test_prod_gradient_is_the_product_of_the_others_with_zeros_too(data: list[float], expected: list[float]) -> None:
    ours, theirs = grads(lambda x: x.prod(), np.array(data))
    np.testing.assert_array_equal(ours, expected)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("data", [[2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 5.0], [1.5, 0.0, -2.0]])
def test_prod_and_cumprod_hessians_with_zeros_match_pytorch(data: list[float]) -> None:
    """Second derivatives where entries are 0: the running products have no division to go wrong."""
    x, w = np.array(data), np.arange(1.0, len(data) + 1)
    ours = ag.functional.hessian(lambda t: t.prod(), Tensor(x))
    theirs = torch.autograd.functional.hessian(lambda t: t.prod(), torch.from_numpy(x))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-12)
    ours = ag.functional.hessian(lambda t: (t.cumprod(0) * w).sum(), Tensor(x))
    theirs = torch.autograd.functional.hessian(lambda t: (t.cumprod(0) * torch.from_numpy(w)).sum(), torch.from_numpy(x))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-12)


def test_sort_ties_keep_their_order_and_each_value_returns_its_gradient_to_its_entry() -> None:
    data = np.array([1.0, 3.0, 1.0, 2.0, 3.0])
    x = Tensor(data, requires_grad=True)
    values, indices = x.sort()
    np.testing.assert_array_equal(indices.data, [0, 2, 3, 1, 4])  # the earlier of equal entries first
    _, descending = x.sort(descending=True)
    np.testing.assert_array_equal(descending.data, [1, 4, 3, 0, 2])  # stable in that direction too
    np.testing.assert_array_equal(indices.data, torch.from_numpy(data).sort(stable=True).indices.numpy())
    (values * Tensor(np.arange(1.0, 6.0))).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 4.0, 2.0, 3.0, 5.0])  # position k of the sort sends k + 1 back


def test_topk_ties_take_the_earlier_entry() -> None:
    x = Tensor(np.array([2.0, 5.0, 5.0, 1.0]), requires_grad=True)
    values, indices = x.topk(2)
    np.testing.assert_array_equal(indices.data, [1, 2])
    low = x.topk(1, largest=False)
    assert low.indices.item() == 3 and low.values.item() == 1.0
    top = x.topk(1)
    assert top.indices.item() == 1
    top.values.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0, 0.0])


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "sign"])
def test_piecewise_constant_functions_carry_a_zero_derivative_as_pytorch(name: str) -> None:
    data = np.array([-1.5, -0.5, 0.0, 0.5, 1.5, 2.7])  # halves round to even, in both
    x = Tensor(data, requires_grad=True)
    out = getattr(x, name)()
    assert out.requires_grad  # as PyTorch's: a result that requires grad, with a zero gradient
    np.testing.assert_array_equal(out.data, getattr(torch.from_numpy(data), name)().numpy())
    ours, theirs = grads(lambda t: getattr(t, name)(), data)
    np.testing.assert_array_equal(ours, np.zeros(6))
    np.testing.assert_array_equal(ours, theirs)
    g = Tensor(np.array([np.inf, 1.0, 1.0, 1.0, 1.0, 1.0]))  # zeros, not inf * 0 = NaN
    out.backward(g)
    np.testing.assert_array_equal(x.grad, np.zeros(6))


@pytest.mark.parametrize("p", [2, 1, 3, float("inf")])
def test_norm_gradient_at_zero_is_zero_as_pytorch(p: float) -> None:
    ours, theirs = grads(lambda t: t.norm(p=p), np.zeros(3))
    np.testing.assert_array_equal(ours, theirs)
    assert np.isfinite(ours).all()


def test_norm_ties_at_infinity_share_the_gradient_and_huge_entries_do_not_overflow() -> None:
    ours, theirs = grads(lambda t: t.norm(p=float("inf")), np.array([3.0, -3.0, 1.0]))
    np.testing.assert_allclose(ours, [0.5, -0.5, 0.0])
    np.testing.assert_allclose(ours, theirs)
    big = Tensor(np.array([3e200, 4e200]), requires_grad=True)
    n = big.norm()
    np.testing.assert_allclose(n.data, 5e200)  # sum of squares would be inf
    n.backward()
    np.testing.assert_allclose(big.grad, [0.6, 0.8])
    assert Tensor(np.array([1e30, 1.0], dtype=np.float32)).norm().data == np.float32(1e30)


def test_std_of_a_constant_slice_has_zero_gradient_as_pytorch() -> None:
    data = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    ours, theirs = grads(lambda t: t.std(dim=1), data, lambda t: t.std(dim=1, correction=0))
    np.testing.assert_array_equal(ours[0], [0.0, 0.0, 0.0])  # sqrt(var) composed would give NaN
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# ---- the compositions, to second order --------------------------------------------------------------------------

GATHER = np.array([[0, 2, 1], [1, 1, 0]])

# Each composition of the table's entries, differentiated twice against finite differences (the entries themselves
# are checked so in test_derivative_table.py).
COMPOSED: dict[str, Callable[[Tensor], Tensor]] = {
    "cumprod": lambda x: x.cumprod(1),
    "sort": lambda x: x.sort(dim=0).values * x,
    "topk": lambda x: x.topk(2, dim=1).values ** 2,
    "norm_inf": lambda x: x.norm(p=float("inf"), dim=0) ** 2,
    "square": lambda x: x.square().sum(1) ** 2,
    "outer_dot": lambda x: ag.outer(x[0], x[1]) ** 2 * ag.dot(x[0], x[2]),
    "tensordot_einsum": lambda x: ag.tensordot(x, x, dims=([1], [1])) ** 2 + ag.einsum("ij,ij->i", x, x),
    "trace_diagonal_diag": lambda x: x[:, :3].trace() * x.diagonal(1) + ag.diag(x[0]).sum() ** 2,
    "tril_triu": lambda x: x.tril() * x.triu(1) + x.tril() ** 2,
    "flip_roll": lambda x: x.flip(0) * x.roll(1, 1),
    "repeat_tile_expand": lambda x: (x.repeat(2, 1) ** 2).sum() + x.tile(2).sum() * x[:, :1].expand(3, 4).sum(),
    "pad": lambda x: x.pad(1, value=2.0) ** 2,
    "splits": lambda x: ag.cat([p**2 for p in x.split([1, 3], dim=1)], dim=1) * ag.cat(x.tensor_split(2, dim=1), dim=1),
    "chunk_stacks": lambda x: ag.vstack(x.chunk(2)) * ag.hstack([x[:, :2], x[:, 2:]]) ** 2,
    "moveaxis_gather": lambda x: x.moveaxis(0, 1).gather(0, GATHER) ** 3,
    "repeat_interleave": lambda x: x.repeat_interleave(np.array([2, 0, 1]), dim=0) ** 2,
}


@pytest.mark.parametrize("name", sorted(COMPOSED))
def test_compositions_differentiate_twice(name: str) -> None:
    x = Tensor(np.random.default_rng(3).standard_normal((3, 4)), requires_grad=True)
    assert ag.gradcheck(COMPOSED[name], x)
    assert ag.gradgradcheck(COMPOSED[name], x)


# ---- bad input: errors that name the operation, the shapes and what was expected --------------------------------


X = Tensor(np.ones((2, 3)))
BAD_INPUT = [
    (lambda: X.gather(1, np.array([[0, 3]])), IndexError, r"gather: index values must lie in \[0, 3\)"),
    (lambda: X.gather(1, np.array([0, 1])), TypeError, r"gather: index must be an integer tensor of 2 dimensions"),
    (lambda: X.gather(0, np.zeros((1, 4), dtype=int)), ValueError, r"gather: index of shape \(1, 4\) is larger"),
    (lambda: ag.einsum("ij,jk", X, X), ValueError, r"einsum: .*\(2, 3\).*\(2, 3\)|einsum: .*operands"),
    (lambda: ag.einsum("ijk", X), ValueError, r"einsum: operand 0 has shape \(2, 3\), but its subscripts 'ijk'"),
    (lambda: ag.einsum("ij,jk", X), ValueError, r"einsum: the subscripts 'ij,jk' name 2 operands, but 1"),
    (lambda: X.topk(4), IndexError, r"topk: k = 4 is out of range for a dimension of size 3"),
    (lambda: X.repeat(2), ValueError, r"repeat: 1 counts for a tensor of shape \(2, 3\)"),
    (lambda: X.split([1, 2]), ValueError, r"split: sizes \[1, 2\] must be non-negative and add up to 2"),
    (lambda: X.expand(4, 3), ValueError, r"expand: a tensor of shape \(2, 3\) cannot be expanded to \(4, 3\)"),
    (lambda: X.pad(-1), ValueError, "pad: pad_width -1 has negative widths"),
    (lambda: X.pad(1.5), TypeError, "pad: pad_width must be an int"),
    (lambda: X.norm(p=-1), ValueError, "norm: p must be a number > 0, inf, -inf, 0 or 'fro'"),
    (lambda: X.cumsum(dim=2), IndexError, r"cumsum: dim 2 is out of range for a tensor of shape \(2, 3\)"),
    (lambda: Tensor(np.ones(3)).trace(), ValueError, r"trace: expected a 2-D tensor"),
    (lambda: ag.dot(Tensor(np.ones(3)), Tensor(np.ones(4))), ValueError, "dot: the vectors have lengths 3 and 4"),
    (lambda: ag.outer(X, X), ValueError, r"outer: expected two 1-D tensors, got shapes \(2, 3\)"),
    (lambda: ag.tensordot(X, X, dims=([1], [0])), ValueError, r"tensordot: axes \[1\] of shape \(2, 3\)"),
    (lambda: X.diagonal(dim1=1, dim2=-1), ValueError, "diagonal: the two axes must differ"),
    (lambda: Tensor(np.ones(3)).tril(), ValueError, r"tril: expected a tensor of at least 2 dimensions"),
    (lambda: X.roll((1, 2), 0), ValueError, "roll: 2 shifts for 1 dims"),
    (lambda: X.repeat_interleave(np.array([1, 2]), dim=1), ValueError, r"repeat_interleave: repeats of shape \(2,\)"),
    (lambda: X.pad(1, mode="reflect"), ValueError, "pad: only mode='constant'"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_INPUT, ids=[m[:24] for _, _, m in BAD_INPUT])
def test_errors_name_the_operation_and_what_was_expected(call: Callable[[], Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


# ---- shapes and axes drawn by hypothesis, against PyTorch -------------------------------------------------------

# name -> (ours, theirs), each a function of the tensor and a drawn axis
REDUCTIONS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "prod": (lambda t, a, k: t.prod(dim=a, keepdim=k), lambda t, a, k: t.prod(dim=a, keepdim=k)),
    "std": (lambda t, a, k: t.std(dim=a, keepdim=k), lambda t, a, k: t.std(dim=a, keepdim=k, correction=0)),
    "norm": (lambda t, a, k: t.norm(p=3, dim=a, keepdim=k), lambda t, a, k: t.norm(p=3, dim=a, keepdim=k)),
    "cumsum": (lambda t, a, k: t.cumsum(dim=a), lambda t, a, k: t.cumsum(dim=a)),
    "cumprod": (lambda t, a, k: t.cumprod(dim=a), lambda t, a, k: t.cumprod(dim=a)),
    "sort": (lambda t, a, k: t.sort(dim=a, descending=k).values, lambda t, a, k: t.sort(dim=a, descending=k).values),
    "topk": (lambda t, a, k: t.topk(1, dim=a, largest=k).values, lambda t, a, k: t.topk(1, dim=a, largest=k).values),
    "argmax": (lambda t, a, k: t.argmax(dim=a, keepdim=k), lambda t, a, k: t.argmax(dim=a, keepdim=k)),
    "flip": (lambda t, a, k: t.flip(a), lambda t, a, k: t.flip(a)),
    "roll": (lambda t, a, k: t.roll(2 if k else -1, a), lambda t, a, k: t.roll(2 if k else -1, a)),
    "split": (lambda t, a, k: t.split(2, dim=a)[-1], lambda t, a, k: t.split(2, dim=a)[-1]),
    "tensor_split": (lambda t, a, k: t.tensor_split(2, dim=a)[0], lambda t, a, k: t.tensor_split(2, dim=a)[0]),
    "moveaxis": (lambda t, a, k: t.moveaxis(a, 0), lambda t, a, k: t.moveaxis(a, 0)),
    "repeat_interleave": (lambda t, a, k: t.repeat_interleave(2, dim=a), lambda t, a, k: t.repeat_interleave(2, dim=a)),
    "diagonal": (lambda t, a, k: t.diagonal(int(k), a, (a + 1) % t.ndim),
                 lambda t, a, k: t.diagonal(int(k), a, (a + 1) % t.ndim)),
}


@settings(max_examples=60, deadline=None)
@given(
    x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4),
                 elements=st.floats(-3, 3).filter(lambda v: abs(v) > 0.1), unique=True),  # no ties: PyTorch's topk
                                                                                          # leaves their order open
    name=st.sampled_from(sorted(REDUCTIONS)),
    data=st.data(),
)  # fmt: skip
def test_reductions_and_shape_operations_match_pytorch_on_any_axis(x: np.ndarray, name: str, data: st.DataObject) -> None:
    if name == "diagonal" and x.ndim < 2:
        return
    axis, flag = data.draw(st.integers(-x.ndim, x.ndim - 1)), data.draw(st.booleans())
    ours_fn, theirs_fn = REDUCTIONS[name]
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours_fn(ours, axis, flag), theirs_fn(theirs, axis, flag)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    if name == "argmax":
        return
    weights = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(weights)
    ref.backward(torch.from_numpy(weights))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), elements=st.floats(-2, 2)),
    data=st.data(),
)
def test_repeat_tile_pad_and_permutations_match_pytorch(x: np.ndarray, data: st.DataObject) -> None:
    reps = tuple(data.draw(st.lists(st.integers(1, 3), min_size=x.ndim, max_size=x.ndim + 1)))
    widths = tuple(tuple(data.draw(st.lists(st.integers(0, 2), min_size=2, max_size=2))) for _ in range(x.ndim))
    order = tuple(data.draw(st.permutations(range(x.ndim))))
    flat_widths = tuple(w for pair in reversed(widths) for w in pair)  # PyTorch's pad: last axis first
    cases = [
        (lambda t: t.repeat(*reps), lambda t: t.repeat(*reps)),
        (lambda t: t.tile(reps[1:]), lambda t: t.tile(reps[1:])),
        (lambda t: t.pad(widths, value=1.5), lambda t: torch.nn.functional.pad(t, flat_widths, value=1.5)),
        (lambda t: t.moveaxis(tuple(range(x.ndim)), order), lambda t: t.moveaxis(tuple(range(x.ndim)), order)),
    ]
    for ours_fn, theirs_fn in cases:
        ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, ref = ours_fn(ours), theirs_fn(theirs)
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12)
        weights = np.random.default_rng(1).standard_normal(out.shape)
        out.backward(weights)
        ref.backward(torch.from_numpy(weights))
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
