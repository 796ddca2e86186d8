"""Regression tests for what other projects' suites (HIPS autograd, tinygrad, PyTorch's test_autograd) found, each
against PyTorch itself or a closed form."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import autograd_core as ag
from autograd_core import Tensor


def test_remainder_operator_exists_and_follows_the_divisors_sign() -> None:
    x = Tensor(np.array([5.5, -5.5, 5.5, -5.5]), requires_grad=True)
    y = np.array([2.0, 2.0, -2.0, -2.0])
    z = x % y
    np.testing.assert_array_equal(z.data, [5.5 % 2.0, -5.5 % 2.0, 5.5 % -2.0, -5.5 % -2.0])  # Python's own %
    np.testing.assert_array_equal((7 % Tensor(np.array([3, -3]))).data, [1, -2])  # integers stay integers
    z.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0, 1.0])


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.bool_])
def test_true_division_of_integers_gives_the_default_float_dtype_as_pytorch(dtype: type) -> None:
    a, b = np.array([1, 2, 3], dtype=dtype), np.array([4, 1, 2], dtype=dtype)
    ours = (Tensor(a) / Tensor(b)).data
    theirs = (torch.from_numpy(a) / torch.from_numpy(b)).numpy()
    assert ours.dtype == theirs.dtype == np.float32
    np.testing.assert_array_equal(ours, theirs)
    assert (Tensor(a) / 2).dtype == (torch.from_numpy(a) / 2).numpy().dtype == np.float32
    assert (1 / Tensor(b)).dtype == np.float32  # and from the right


def test_true_division_of_integers_with_floats_follows_pytorch(float64: None) -> None:
    ints = Tensor(np.array([1, 2], dtype=np.int32))
    assert (ints / 2).dtype == np.float64  # the default dtype, float64 in this test
    assert (ints / Tensor(np.array([2.0, 4.0], dtype=np.float32))).dtype == np.float32
    assert (Tensor(np.array([2.0, 4.0])) / ints).dtype == np.float64


def test_stack_and_concatenate_take_dim() -> None:
    a, b = Tensor(np.ones((2, 3))), Tensor(np.zeros((2, 3)))
    assert ag.stack([a, b], dim=1).shape == (2, 2, 3)
    assert ag.stack([a, b], dim=-1).shape == (2, 3, 2)
    assert ag.concatenate([a, b], dim=1).shape == ag.cat([a, b], dim=1).shape == (2, 6)


def test_a_list_of_tensors_keeps_its_graph() -> None:
    x = Tensor(np.array([1.0, -2.0, 4.0]), requires_grad=True)
    m = ag.mean([x, x + 2])  # mean over 6 entries: d/dx_i = 2 / 6
    assert m.requires_grad
    np.testing.assert_allclose(m.data, (2 * x.data.sum() + 6) / 6)
    m.backward()
    np.testing.assert_allclose(x.grad, [1 / 3] * 3)
    y = Tensor(np.array(2.0), requires_grad=True)
    nested = ag.sum([[y, 3 * y], [y * y, 1.0]])  # nested lists, numbers among the tensors
    nested.backward()
    np.testing.assert_allclose(y.grad, 1 + 3 + 2 * 2.0)
    assert ag.as_tensor([1.0, 2.0]).requires_grad is False  # plain lists stay constants
    w = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    ag.maximum([w[0], w[1]], 1.0).sum().backward()  # a list operand of a two-argument function too
    np.testing.assert_array_equal(w.grad, [0.0, 1.0])


def test_a_float_to_the_power_of_an_integer_tensor_is_a_float_tensor() -> None:
    exponents = np.array([1, 2, 3])
    ours = 0.7 ** Tensor(exponents)
    theirs = 0.7 ** torch.from_numpy(exponents)
    assert ours.dtype == theirs.numpy().dtype == np.float32
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-7)
    assert (2 ** Tensor(exponents)).dtype == np.int64  # an integer base stays integer, as in PyTorch


@pytest.mark.parametrize(("values", "ddof"), [([1.0], 1), ([1.0, 2.0], 3), ([1.0, 1.0], 2), ([1.0, 2.0, 4.0], 3)])
def test_var_and_std_with_ddof_at_least_n_are_nan_or_inf_as_pytorch(values: list[float], ddof: int) -> None:
    data = np.array(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn about the degrees of freedom
        for ours, theirs in ((Tensor(data).var(ddof=ddof), torch.from_numpy(data).var(correction=ddof)),
                             (Tensor(data).std(ddof=ddof), torch.from_numpy(data).std(correction=ddof))):  # fmt: skip
            np.testing.assert_array_equal(ours.data, theirs.numpy())


REDUCTIONS_OF_0D = {
    "sum": (lambda t, a: t.sum(axis=a), lambda t, a: t.sum(dim=a)),
    "mean": (lambda t, a: t.mean(axis=a), lambda t, a: t.mean(dim=a)),
    "max": (lambda t, a: t.max(axis=a), lambda t, a: t.amax(dim=a)),
    "min": (lambda t, a: t.min(axis=a, keepdims=True), lambda t, a: t.amin(dim=a, keepdim=True)),
    "var": (lambda t, a: t.var(axis=a), lambda t, a: t.var(dim=a, correction=0)),
    "logsumexp": (lambda t, a: t.logsumexp(axis=a), lambda t, a: t.logsumexp(dim=a)),
    "softmax": (lambda t, a: t.softmax(axis=a), lambda t, a: t.softmax(dim=a)),
    "prod": (lambda t, a: t.prod(axis=a), lambda t, a: t.prod(dim=a)),
    "std": (lambda t, a: t.std(axis=a), lambda t, a: t.std(dim=a, correction=0)),
    "norm": (lambda t, a: t.norm(dim=a), lambda t, a: t.norm(dim=a)),
    "cumsum": (lambda t, a: t.cumsum(dim=a), lambda t, a: t.cumsum(dim=a)),
    "cumprod": (lambda t, a: t.cumprod(dim=a), lambda t, a: t.cumprod(dim=a)),
}


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("name", sorted(REDUCTIONS_OF_0D))
def test_reducing_a_0d_tensor_over_axis_0_or_minus_1_works_forward_and_backward(name: str, axis: int) -> None:
    ours_fn, theirs_fn = REDUCTIONS_OF_0D[name]
    ours, theirs = Tensor(np.array(1.5), requires_grad=True), torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    out, ref = ours_fn(ours, axis), theirs_fn(theirs, axis)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy())
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy())
    with pytest.raises(IndexError, match="out of range"):
        ours.prod(axis=1)


def test_grad_with_no_inputs_raises() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match="no inputs given"):
        ag.grad((x * x).sum(), [])


def test_derivative_of_zero_to_a_negative_power_wrt_the_exponent_is_minus_infinity_as_pytorch() -> None:
    base = np.array([0.0, 0.0, 0.0, 2.0])
    exponent = np.array([-1.0, -2.5, 2.0, -1.0])
    ours = Tensor(exponent, requires_grad=True)
    theirs = torch.tensor(exponent, requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        (Tensor(base) ** ours).sum().backward()
    (torch.from_numpy(base) ** theirs).sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
    assert ours.grad[0] == -np.inf and ours.grad[2] == 0.0
