"""dtype rules, error messages, and property tests over random broadcastable shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_core as ag
from autograd_core import Tensor

from .test_engine_ops import CASES, Case, _inputs

# ---- dtypes -----------------------------------------------------------------------------------------------------


def test_constructor_dtype_rules(float64: None) -> None:
    ag.set_default_dtype(np.float32)
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor(np.array([1.0])).dtype == np.float64  # numpy arrays keep their dtype
    assert Tensor(np.array([1.0], dtype=np.float32)).dtype == np.float32
    assert Tensor([1, 2]).dtype == np.int64
    assert Tensor([True]).dtype == np.bool_
    assert Tensor(1.5, dtype=np.float64).dtype == np.float64
    ag.set_default_dtype(np.float64)
    assert Tensor(1.5).dtype == np.float64 and ag.get_default_dtype() == np.float64
    with pytest.raises(TypeError, match="float32 and float64"):
        ag.set_default_dtype(np.int32)


def test_constructor_copies_arrays_and_accepts_tensors() -> None:
    a = np.ones(3)
    t = Tensor(a)
    a[0] = 5.0
    assert t.numpy()[0] == 1.0
    assert Tensor(t).numpy() is not a and Tensor(t).shape == (3,)


def test_python_numbers_take_the_tensor_dtype() -> None:
    x = Tensor(np.ones(2, dtype=np.float32))
    assert (x + 2.5).dtype == np.float32 and (2.5 * x).dtype == np.float32 and (x**2.0).dtype == np.float32
    y = Tensor(np.array([3.0]))
    assert (y * 0.1).numpy()[0] == 3.0 * 0.1  # exact float64 arithmetic, no float32 detour


def test_requires_grad_on_integer_or_boolean_data_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="floating-point"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(np.array([True]), requires_grad=True)
    with pytest.raises(TypeError, match="requires_grad_"):
        Tensor([1, 2]).requires_grad_()


def test_object_data_is_rejected() -> None:
    with pytest.raises(TypeError, match="dtype object"):
        Tensor([{"a": 1}])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_float32_work_stays_float32(case: Case) -> None:
    """Every operation, forward and backward, keeps float32 inputs in float32 (no silent float64 upcast)."""
    arrays = [a.astype(np.float32) for a in _inputs(case, np.random.default_rng(2))]
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    out = case.ours(*tensors)
    if case.name in ("radd_array", "rmatmul_array", "reshape"):  # a float64 or int64 numpy operand promotes, as numpy does
        return
    assert out.dtype == np.float32
    out.sum().backward()
    for t in tensors:
        assert t.grad.dtype == np.float32


def test_comparisons_give_boolean_tensors_without_gradient() -> None:
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    for result in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2, 2 < x):
        assert result.dtype == np.bool_ and not result.requires_grad
    np.testing.assert_array_equal((x >= 2).numpy(), [False, True, True])


def test_item_len_bool_and_repr() -> None:
    x = Tensor(np.array([1.5, 2.0]), requires_grad=True, name="x")
    assert len(x) == 2 and Tensor(3.0).item() == 3.0 and float(Tensor(2.0)) == 2.0
    assert "requires_grad=True" in repr(x) and "name='x'" in repr(x) and "op=multiply" in repr(x * 2)
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    with pytest.raises(ValueError, match="one-element"):
        x.item()


# ---- errors name the operation, the shapes and what was expected ------------------------------------------------


def test_matmul_inner_dimension_error() -> None:
    with pytest.raises(ValueError, match=r"matmul: \(3, 4\) @ \(5, 6\): inner dimensions 4 and 5 differ"):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 6)))
    with pytest.raises(ValueError, match="at least one dimension"):
        Tensor(2.0) @ Tensor(np.ones(2))
    with pytest.raises(ValueError, match=r"mT: expected a tensor of at least 2 dimensions, got shape \(3,\)"):
        Tensor(np.ones(3)).mT


def test_linear_shape_errors_name_the_weight_and_bias() -> None:
    x, w = Tensor(np.ones((2, 3))), Tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"linear: input \(2, 3\) and weight \(3, 4\): expected input \(\.\.\., in\)"):
        ag.primitives.linear(x, Tensor(np.ones((3, 4))))
    with pytest.raises(ValueError, match=r"linear: bias \(3,\) for weight \(4, 3\): expected bias \(4,\)"):
        ag.primitives.linear(x, w, Tensor(np.ones(3)))


def test_broadcasting_error_names_operation_and_shapes() -> None:
    for op, name in ((lambda a, b: a + b, "add"), (lambda a, b: a * b, "multiply"), (lambda a, b: a - b, "subtract")):
        with pytest.raises(ValueError, match=rf"{name}: .*\(3,\).*\(4,\)"):
            op(Tensor(np.ones(3)), Tensor(np.ones(4)))


def test_reshape_error_names_sizes() -> None:
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into shape \(4,\)"):
        Tensor(np.ones((2, 3))).reshape(4)


def test_index_errors() -> None:
    x = Tensor(np.ones((3, 2)))
    with pytest.raises(IndexError, match="getitem: index 5 is out of bounds"):
        x[5]
    with pytest.raises(IndexError, match="getitem"):
        x[np.array([0, 7])]
    with pytest.raises(IndexError, match="unsqueeze: dim 4 out of range"):
        x.unsqueeze(4)
    with pytest.raises(IndexError, match="transpose"):
        x.transpose(0, 3)


def test_other_argument_errors() -> None:
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"stack: shapes \(2, 3\), \(3,\): all inputs need the same shape"):
        ag.stack([x, Tensor(np.ones(3))])
    with pytest.raises(ValueError, match="concatenate: expected a non-empty"):
        ag.concatenate([])
    with pytest.raises(ValueError, match="gelu: approximate"):
        x.gelu("fast")
    with pytest.raises(ValueError, match="clip: give at least one"):
        x.clip()
    with pytest.raises(TypeError, match="either axis= or dim="):
        x.sum(axis=0, dim=1)


# ---- properties over random broadcastable shapes ----------------------------------------------------------------

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
    "maximum": (ag.maximum, torch.maximum),
    "where": (lambda a, b: ag.where(a > 0, a, b), lambda a, b: torch.where(a > 0, a, b)),
}


@settings(max_examples=25, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
    op=st.sampled_from(sorted(BINARY)),
    seed=st.integers(0, 2**16),
)
def test_binary_ops_broadcast_like_pytorch(shapes: hnp.BroadcastableShapes, op: str, seed: int) -> None:
    ours_fn, theirs_fn = BINARY[op]
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes.input_shapes]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = ours_fn(*ours), theirs_fn(*theirs)
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12)
    weights = rng.standard_normal(shapes.result_shape)
    out.backward(weights)
    ref.backward(torch.from_numpy(weights))
    for mine, their in zip(ours, theirs):
        assert mine.grad.shape == mine.shape
        np.testing.assert_allclose(mine.grad, their.grad.numpy(), rtol=1e-10, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=st.floats(-1e3, 1e3)),
    data=st.data(),
)
def test_reductions_match_pytorch_on_any_axis(x: np.ndarray, data: st.DataObject) -> None:
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    keepdims = data.draw(st.booleans())
    for name in ("sum", "mean", "logsumexp", "max"):
        ours = Tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        out = getattr(ours, name)(axis=axis, keepdims=keepdims)
        ref = getattr(theirs, "amax" if name == "max" else name)(dim=axis, keepdim=keepdims)
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-9)
        out.sum().backward()
        ref.sum().backward()
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=6), elements=st.floats(-1e4, 1e4)))
def test_softmax_is_a_finite_distribution_for_any_finite_input(x: np.ndarray) -> None:
    s = Tensor(x, requires_grad=True).softmax(axis=-1)
    assert np.isfinite(s.numpy()).all() and (s.numpy() >= 0).all()
    np.testing.assert_allclose(s.numpy().sum(axis=-1), 1.0, rtol=1e-12)
