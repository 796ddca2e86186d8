"""Every loss, as a class and as a function, against torch.nn.functional in float64: values and input gradients,
for each reduction; stability at extreme inputs; and the errors for bad targets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import autograd_core as ag
import nn
import nn.functional as F

pytestmark = pytest.mark.usefixtures("float64")
rng = np.random.default_rng(2)
REDUCTIONS = ["mean", "sum", "none"]


def _as_torch(target):
    return torch.from_numpy(np.asarray(target))


def check_loss(ours, theirs, x: np.ndarray, target, reduction: str, **kwargs) -> None:
    """Our loss and torch's on the same input: equal values and equal input gradients (random adjoint for 'none')."""
    xa = ag.Tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    la = ours(xa, target, reduction=reduction, **kwargs)
    lt = theirs(xt, _as_torch(target), reduction=reduction, **{k: _as_torch(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()})
    np.testing.assert_allclose(la.numpy(), lt.detach().numpy(), rtol=1e-10, atol=1e-12)
    adjoint = rng.standard_normal(la.shape)
    (la * adjoint).sum().backward()
    (lt * torch.from_numpy(adjoint)).sum().backward()
    np.testing.assert_allclose(xa.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("ours", "theirs"), [(F.mse_loss, TF.mse_loss), (F.l1_loss, TF.l1_loss), (F.huber_loss, TF.huber_loss)])
def test_regression_losses_match_torch(ours, theirs, reduction):
    x, y = rng.standard_normal((6, 3)) * 2, rng.standard_normal((6, 3))
    check_loss(ours, theirs, x, y, reduction)


@pytest.mark.parametrize("delta", [0.3, 2.5])
def test_huber_delta_matches_torch(delta):
    check_loss(F.huber_loss, TF.huber_loss, rng.standard_normal(20) * 3, rng.standard_normal(20), "mean", delta=delta)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_with_class_indices_matches_torch(reduction, label_smoothing):
    x, y = rng.standard_normal((7, 5)) * 3, rng.integers(0, 5, size=7)
    check_loss(F.cross_entropy, TF.cross_entropy, x, y, reduction, label_smoothing=label_smoothing)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_with_class_probabilities_matches_torch(label_smoothing):
    x = rng.standard_normal((4, 3))
    probs = rng.dirichlet(np.ones(3), size=4)
    for reduction in REDUCTIONS:
        check_loss(F.cross_entropy, TF.cross_entropy, x, probs, reduction, label_smoothing=label_smoothing)


def test_cross_entropy_on_one_sample_and_on_extra_axes_matches_torch():
    check_loss(F.cross_entropy, TF.cross_entropy, rng.standard_normal(4), np.array(2), "mean")
    check_loss(F.cross_entropy, TF.cross_entropy, rng.standard_normal((3, 4, 5)), rng.integers(0, 4, (3, 5)), "mean",
               label_smoothing=0.1)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_torch(reduction):
    x = TF.log_softmax(torch.from_numpy(rng.standard_normal((6, 4))), 1).numpy()
    check_loss(F.nll_loss, TF.nll_loss, x, rng.integers(0, 4, 6), reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_matches_torch(reduction):
    p = rng.uniform(0.01, 0.99, (5, 2))
    check_loss(F.binary_cross_entropy, TF.binary_cross_entropy, p, rng.uniform(0, 1, (5, 2)), reduction)


def test_bce_clamps_its_logs_at_minus_100_like_torch():
    p = np.array([0.0, 1.0, 1e-60, 0.5])
    y = np.array([1.0, 0.0, 1.0, 0.5])
    value = F.binary_cross_entropy(ag.Tensor(p), y, reduction="none")
    np.testing.assert_allclose(value.numpy(), TF.binary_cross_entropy(torch.from_numpy(p), torch.from_numpy(y), reduction="none").numpy())
    np.testing.assert_allclose(value.numpy()[:3], 100.0)
    xa = ag.Tensor(np.array([0.0, 1.0]), requires_grad=True)
    F.binary_cross_entropy(xa, np.array([0.0, 1.0])).backward()  # log(0) is on the unused side: no NaN
    assert np.all(np.isfinite(xa.grad.numpy()))


# probabilities at 0 and 1 and within 1e-12 of them (where PyTorch's gradient is clamped), and around
EDGE_P = [0.0, 1e-60, 1e-50, 1e-20, 1e-13, 1e-12, 2e-12, 1e-11, 1e-5, 0.3, 0.5, 1 - 1e-5, 1 - 1e-11, 1 - 1e-13, 1.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_at_and_near_0_and_1_matches_torch_in_values_and_both_gradients(dtype, reduction):
    p, y = (a.ravel().astype(dtype) for a in np.meshgrid(EDGE_P, [0.0, 1.0, 0.3, 0.5]))
    pa, ya = ag.Tensor(p, requires_grad=True), ag.Tensor(y, requires_grad=True)
    pt, yt = torch.tensor(p, requires_grad=True), torch.tensor(y, requires_grad=True)
    ours, theirs = F.binary_cross_entropy(pa, ya, reduction), TF.binary_cross_entropy(pt, yt, reduction=reduction)
    assert ours.dtype == dtype
    adjoint = rng.standard_normal(ours.shape).astype(dtype)
    (ours * adjoint).sum().backward()
    (theirs * torch.from_numpy(adjoint)).sum().backward()
    rtol = 3e-7 if dtype == np.float32 else 1e-14  # a few units in the last place
    for a, b in ((ours.data, theirs.detach()), (pa.grad, pt.grad)):
        np.testing.assert_allclose(a, b.numpy(), rtol=rtol, atol=0)
    # the target's gradient: PyTorch's takes its logs unclamped (infinite at p = 0 and 1); ours, the derivative of
    # the value, clamps them at -100 as the value does, so the two agree where neither log is below -100
    with np.errstate(divide="ignore"):
        unclamped = (np.log(p) > -100) & (np.log1p(-p) > -100)
    assert not np.isfinite(yt.grad.numpy()).all() and np.isfinite(ya.grad.numpy()).all()
    np.testing.assert_allclose(ya.grad.numpy()[unclamped], yt.grad.numpy()[unclamped], rtol=rtol, atol=0)


def test_bce_of_a_nan_probability_is_an_error_as_in_torch():
    p = np.array([0.5, np.nan])
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        TF.binary_cross_entropy(torch.from_numpy(p), torch.zeros(2, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"input must hold probabilities in \[0, 1\], got NaN"):
        F.binary_cross_entropy(ag.Tensor(p), np.zeros(2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch(reduction):
    x, y = rng.standard_normal((5, 3)) * 3, rng.uniform(0, 1, (5, 3))
    check_loss(F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, x, y, reduction)
    check_loss(F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, x, y, reduction,
               pos_weight=np.array([0.5, 2.0, 3.0]))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")  # torch's advice to use batchmean
@pytest.mark.parametrize("reduction", [*REDUCTIONS, "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    x = TF.log_softmax(torch.from_numpy(rng.standard_normal((4, 5))), 1).numpy()
    t = rng.dirichlet(np.ones(5), size=4)
    if log_target:
        t = np.log(t)
    else:
        t[0, 1] = 0.0  # a zero target probability contributes 0, not 0 * log 0 = NaN
    check_loss(F.kl_div, TF.kl_div, x, t, reduction, log_target=log_target)


def test_kl_div_batchmean_is_the_kl_divergence():
    p, q = rng.dirichlet(np.ones(3), size=2), rng.dirichlet(np.ones(3), size=2)
    value = nn.KLDivLoss()(ag.Tensor(np.log(q)), p)
    np.testing.assert_allclose(value.item(), np.mean(np.sum(p * np.log(p / q), axis=1)))


def test_loss_classes_call_the_functions_with_their_options():
    x, y = ag.Tensor(rng.standard_normal((4, 3))), rng.integers(0, 3, 4)
    pairs = [
        (nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1), F.cross_entropy(x, y, "sum", 0.1)),
        (nn.NLLLoss(reduction="none"), F.nll_loss(x, y, "none")),
    ]
    for loss, expected in pairs:
        np.testing.assert_array_equal(loss(x, y).numpy(), expected.numpy())
    t = rng.uniform(0, 1, (4, 3))
    s = x.sigmoid()
    assert nn.MSELoss()(x, t).item() == F.mse_loss(x, t).item()
    assert nn.L1Loss(reduction="sum")(x, t).item() == F.l1_loss(x, t, "sum").item()
    assert nn.HuberLoss(delta=0.5)(x, t).item() == F.huber_loss(x, t, delta=0.5).item()
    assert nn.BCELoss()(s, t).item() == F.binary_cross_entropy(s, t).item()
    assert nn.BCEWithLogitsLoss(pos_weight=np.full(3, 2.0))(x, t).item() == F.binary_cross_entropy_with_logits(x, t, pos_weight=np.full(3, 2.0)).item()
    assert nn.KLDivLoss(reduction="sum")(x.log_softmax(1), t).item() == F.kl_div(x.log_softmax(1), t, "sum").item()
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss(reduction='mean', label_smoothing=0.0)  [train mode]"


# ---- stability --------------------------------------------------------------------------------------------------


def test_cross_entropy_on_huge_logits_is_finite_and_matches_torch():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]])
    for y in (np.array([1, 0]), np.array([0, 1])):
        check_loss(F.cross_entropy, TF.cross_entropy, x, y, "mean")
    ag.set_default_dtype(np.float32)
    xa = ag.Tensor(x.astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(xa, np.array([1, 2]))
    loss.backward()
    assert loss.dtype == np.float32 and np.isfinite(loss.item()) and np.all(np.isfinite(xa.grad.numpy()))
    np.testing.assert_allclose(loss.item(), 1.25e4, rtol=1e-6)  # (1e4 - (-1e4) + 1e4 - 5e3) / 2 nats


def test_bce_with_logits_on_plus_minus_1000_is_finite_and_matches_torch():
    x = np.array([1000.0, -1000.0, 1000.0, -1000.0])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    check_loss(F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, x, y, "none")
    ag.set_default_dtype(np.float32)
    xa = ag.Tensor(x.astype(np.float32), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(xa, y.astype(np.float32), reduction="none")
    loss.sum().backward()
    np.testing.assert_array_equal(loss.numpy(), [0, 0, 1000, 1000])
    np.testing.assert_array_equal(xa.grad, [0, 0, 1, -1])


def test_float32_losses_stay_float32_with_float64_targets():
    ag.set_default_dtype(np.float32)
    x = ag.Tensor(np.zeros(3, dtype=np.float32), requires_grad=True)
    assert F.mse_loss(x, np.ones(3)).dtype == np.float32  # a constant float64 target takes the input's dtype
    assert F.binary_cross_entropy_with_logits(x, np.ones(3), pos_weight=np.array([1.0, 2.0, 3.0])).dtype == np.float32
    assert F.cross_entropy(x.reshape(1, 3), np.array([[0.2, 0.3, 0.5]]), label_smoothing=0.1).dtype == np.float32
    assert F.kl_div(x, np.full(3, 1 / 3)).dtype == np.float32


# ---- bad targets ------------------------------------------------------------------------------------------------


def test_wrong_target_shape_is_an_error_that_names_both_shapes():
    x = ag.Tensor(np.zeros((4, 1)))
    for fn in (F.mse_loss, F.l1_loss, F.huber_loss, F.binary_cross_entropy_with_logits, F.kl_div):
        with pytest.raises(ValueError, match=r"target shape \(4,\) differs from input shape \(4, 1\)"):
            fn(x, np.zeros(4))
    with pytest.raises(ValueError, match=r"class-index target of shape \(4, 1\) does not fit input of shape \(4, 3\); expected shape \(4,\)"):
        F.cross_entropy(ag.Tensor(np.zeros((4, 3))), np.zeros((4, 1), dtype=np.int64))
    with pytest.raises(ValueError, match=r"cross_entropy \(class-probability target\): target shape \(4, 2\)"):
        F.cross_entropy(ag.Tensor(np.zeros((4, 3))), np.zeros((4, 2)))


def test_wrong_target_dtype_is_an_error_that_names_it():
    with pytest.raises(TypeError, match="mse_loss: target has dtype int64; expected floating-point"):
        F.mse_loss(ag.Tensor(np.zeros(3)), np.array([1, 2, 3]))
    with pytest.raises(TypeError, match="nll_loss: class-index targets need an integer dtype, got bool"):
        F.nll_loss(ag.Tensor(np.zeros((2, 3))), np.array([True, False]))
    with pytest.raises(ValueError, match=r"class-probability target\): target shape \(2,\)"):
        F.cross_entropy(ag.Tensor(np.zeros((2, 3))), np.array([1.0, 0.0]))  # float class numbers are not indices


@pytest.mark.parametrize("bad, dtype", [(3, np.int64), (-1, np.int64), (-128, np.int8), (255, np.uint8)])
def test_class_out_of_range_is_an_error_that_names_the_class(bad, dtype):
    with pytest.raises(IndexError, match=f"cross_entropy: target holds class {bad}, outside 0..2 for input with 3 classes"):
        nn.CrossEntropyLoss()(ag.Tensor(np.zeros((2, 3))), np.array([0, bad], dtype=dtype))
    with pytest.raises(IndexError, match=f"nll_loss: target holds class {bad}"):
        nn.NLLLoss()(ag.Tensor(np.zeros((2, 3))), np.array([bad, 0], dtype=dtype))


def test_bad_options_are_errors():
    with pytest.raises(ValueError, match="MSELoss: reduction must be one of 'mean', 'sum', 'none'; got 'avg'"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="mse_loss: reduction must be one of"):
        F.mse_loss(ag.Tensor(np.zeros(2)), np.zeros(2), reduction="batchmean")
    assert nn.KLDivLoss(reduction="mean").reduction == "mean"
    with pytest.raises(ValueError, match="label_smoothing must be between 0 and 1, got 1.5"):
        F.cross_entropy(ag.Tensor(np.zeros((2, 3))), np.array([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="delta must be positive, got 0"):
        F.huber_loss(ag.Tensor(np.zeros(2)), np.zeros(2), delta=0)
    with pytest.raises(ValueError, match=r"input must hold probabilities in \[0, 1\], got values from -0.5 to 2.0"):
        nn.BCELoss()(ag.Tensor(np.array([-0.5, 2.0])), np.zeros(2))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.uint8, np.uint64])
def test_class_targets_of_any_integer_dtype_pick_the_same_classes(dtype):
    logits = np.random.default_rng(0).standard_normal((4, 3))
    target = np.array([2, 0, 1, 2])
    expected = -np.mean(logits[np.arange(4), target] - np.log(np.exp(logits).sum(axis=1)))
    got = nn.functional.cross_entropy(ag.Tensor(logits), target.astype(dtype))
    np.testing.assert_allclose(got.item(), expected, rtol=1e-12)
