"""BatchNorm1d over several training steps and then in eval against torch.nn.BatchNorm1d; dropout's statistics."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import autograd_core as ag
import nn

from .nn_twins import assert_same_as_torch, torch_state

pytestmark = pytest.mark.usefixtures("float64")
rng = np.random.default_rng(1)


def _randomise_affine(bn: nn.BatchNorm1d) -> None:
    with ag.no_grad():
        bn.weight.data[...] = rng.standard_normal(bn.weight.shape)
        bn.bias.data[...] = rng.standard_normal(bn.bias.shape)


@pytest.mark.parametrize(("shape", "momentum"), [((8, 4), 0.1), ((5, 3, 6), 0.3), ((6, 4), None)])
def test_batchnorm_training_steps_then_eval_match_torch(shape, momentum):
    ours = nn.BatchNorm1d(shape[1], momentum=momentum)
    _randomise_affine(ours)
    theirs = torch.nn.BatchNorm1d(shape[1], momentum=momentum).double()
    theirs.load_state_dict(torch_state(ours))
    for step in range(4):
        x = rng.standard_normal(shape) * (step + 1) + step
        assert_same_as_torch(ours, theirs, x, seed=step)
        for key in ("running_mean", "running_var", "num_batches_tracked"):
            np.testing.assert_allclose(getattr(ours, key).numpy(), getattr(theirs, key).numpy(), rtol=1e-12, err_msg=key)
    assert int(ours.num_batches_tracked.numpy()) == 4
    ours.eval()
    theirs.eval()
    assert_same_as_torch(ours, theirs, rng.standard_normal(shape))


def test_batchnorm_running_variance_is_unbiased_and_batch_statistics_biased():
    bn = nn.BatchNorm1d(2, momentum=1.0)  # momentum 1: the running estimates become this batch's
    x = rng.standard_normal((5, 2))
    out = bn(ag.Tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), x.mean(0))
    np.testing.assert_allclose(bn.running_var.numpy(), x.var(0, ddof=1))  # B/(B-1) times the biased variance
    np.testing.assert_allclose(out.numpy(), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5))


def test_batchnorm_without_affine_matches_torch():
    ours, theirs = nn.BatchNorm1d(3, affine=False), torch.nn.BatchNorm1d(3, affine=False)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_same_as_torch(ours, theirs, rng.standard_normal((4, 3)))


def test_batchnorm_buffers_get_no_gradient_and_are_not_parameters():
    bn = nn.BatchNorm1d(3)
    out = bn(ag.Tensor(rng.standard_normal((4, 3)), requires_grad=True))
    out.sum().backward()
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    for buffer in bn.buffers():
        assert not buffer.requires_grad and buffer.grad is None and buffer.is_leaf


def test_batchnorm_batch_of_one_in_training_is_an_error_and_changes_nothing():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"more than 1 value per channel when training, got input of shape \(1, 3\)"):
        bn(ag.Tensor(np.ones((1, 3))))
    assert int(bn.num_batches_tracked.numpy()) == 0 and np.all(bn.running_var.numpy() == 1)
    bn.eval()
    assert bn(ag.Tensor(np.ones((1, 3)))).shape == (1, 3)  # in eval a single sample is fine


def test_batchnorm_wrong_channels_or_rank_is_an_error():
    bn = nn.BatchNorm1d(4)
    with pytest.raises(ValueError, match=r"batch_norm: expected input of shape \(N, C\) or \(N, C, L\) with C = 4, got shape \(8, 3\)"):
        bn(ag.Tensor(np.zeros((8, 3))))
    with pytest.raises(ValueError, match=r"got shape \(4,\)"):
        bn(ag.Tensor(np.zeros(4)))


def test_dropout_statistics_and_scaling():
    nn.manual_seed(3)
    drop = nn.Dropout(0.3)
    x = ag.Tensor(np.ones((400, 500)), requires_grad=True)
    out = drop(x)
    kept = out.numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.005  # 200000 Bernoulli(0.7): standard error 0.001
    np.testing.assert_allclose(out.numpy()[kept], 1 / 0.7)  # inverted dropout: kept units scaled by 1/(1-p)
    assert abs(out.numpy().mean() - 1.0) < 0.01  # so the expectation is unchanged
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.numpy())  # the gradient flows through the kept units, scaled alike


def test_dropout_is_the_identity_in_eval_and_for_p_zero_and_zero_for_p_one():
    x = ag.Tensor(rng.standard_normal((3, 4)))
    assert nn.Dropout(0.5).eval()(x) is x
    assert nn.Dropout(0.0)(x) is x
    np.testing.assert_array_equal(nn.Dropout(1.0)(x).numpy(), np.zeros((3, 4)))


def test_dropout_masks_repeat_with_a_seed_and_differ_between_calls():
    drop = nn.Dropout(0.5)
    x = ag.Tensor(np.ones((10, 10)))
    nn.manual_seed(7)
    first, second = drop(x).numpy(), drop(x).numpy()
    nn.manual_seed(7)
    np.testing.assert_array_equal(drop(x).numpy(), first)
    assert not np.array_equal(first, second)


def test_dropout_keeps_float32():
    ag.set_default_dtype(np.float32)
    x = ag.Tensor(np.ones((4, 4), dtype=np.float32))
    assert nn.Dropout(0.5)(x).dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.2])
def test_dropout_rejects_p_outside_0_1(p):
    with pytest.raises(ValueError, match=f"between 0 and 1, got {p}"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="dropout probability"):
        nn.functional.dropout(ag.Tensor(np.ones(3)), p)


@pytest.mark.parametrize("p, kind", [("0.5", "str"), (None, "NoneType"), (True, "bool")])
def test_dropout_p_that_is_not_a_number_is_named(p, kind):
    for make, owner in ((lambda: nn.Dropout(p), "Dropout"), (lambda: nn.MLP([2, 3, 1], dropout=p), "MLP"),
                        (lambda: nn.functional.dropout(ag.Tensor(np.ones(3)), p), "dropout")):  # fmt: skip
        with pytest.raises(TypeError, match=rf"{owner}: dropout probability p must be a number between 0 and 1, "
                                            rf"got {re.escape(repr(p))} \({kind}\)"):  # fmt: skip
            make()
