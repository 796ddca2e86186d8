"""Every layer against its torch.nn twin in float64 with copied weights: outputs, input and parameter gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import autograd_core as ag
import nn
import nn.functional as F

from .nn_twins import assert_same_as_torch

pytestmark = pytest.mark.usefixtures("float64")
rng = np.random.default_rng(0)


def test_linear_matches_torch_on_batches_and_single_vectors():
    layer = nn.Linear(4, 3)
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (3,)
    assert_same_as_torch(layer, torch.nn.Linear(4, 3), rng.standard_normal((5, 4)))
    assert_same_as_torch(layer, torch.nn.Linear(4, 3), rng.standard_normal((2, 6, 4)))  # leading axes broadcast


def test_linear_without_bias_has_no_bias_parameter():
    layer = nn.Linear(4, 2, bias=False)
    assert layer.bias is None and list(layer.state_dict()) == ["weight"]
    assert_same_as_torch(layer, torch.nn.Linear(4, 2, bias=False), rng.standard_normal((3, 4)))


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (nn.ReLU(), torch.nn.ReLU()),
        (nn.LeakyReLU(), torch.nn.LeakyReLU()),
        (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        (nn.Sigmoid(), torch.nn.Sigmoid()),
        (nn.Tanh(), torch.nn.Tanh()),
        (nn.Softplus(), torch.nn.Softplus()),
        (nn.Softplus(beta=2.0, threshold=5.0), torch.nn.Softplus(beta=2.0, threshold=5.0)),
        (nn.GELU(), torch.nn.GELU()),
        (nn.GELU("tanh"), torch.nn.GELU("tanh")),
        (nn.Softmax(dim=-1), torch.nn.Softmax(dim=-1)),
        (nn.Softmax(dim=0), torch.nn.Softmax(dim=0)),
        (nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
        (nn.Identity(), torch.nn.Identity()),
    ],
    ids=repr,
)
def test_activation_matches_torch(ours, theirs):
    x = rng.standard_normal((6, 5)) * 4  # wide enough to reach Softplus's linear part and the kinks' both sides
    assert_same_as_torch(ours, theirs, x)


def test_flatten_matches_torch():
    assert_same_as_torch(nn.Flatten(), torch.nn.Flatten(), rng.standard_normal((3, 2, 4)))
    assert_same_as_torch(nn.Flatten(0, 1), torch.nn.Flatten(0, 1), rng.standard_normal((3, 2, 4)))


@pytest.mark.parametrize("shape", [4, (3, 4)])
def test_layer_norm_matches_torch(shape):
    ours, theirs = nn.LayerNorm(shape), torch.nn.LayerNorm(shape)
    with ag.no_grad():  # not the identity initialisation, so that weight and bias matter
        ours.weight.data[...] = rng.standard_normal(ours.weight.shape)
        ours.bias.data[...] = rng.standard_normal(ours.bias.shape)
    assert_same_as_torch(ours, theirs, rng.standard_normal((2, 3, 4)) * 3 + 1)


def test_layer_norm_without_affine_matches_torch():
    assert_same_as_torch(nn.LayerNorm(5, elementwise_affine=False), torch.nn.LayerNorm(5, elementwise_affine=False),
                         rng.standard_normal((4, 5)))


def test_layer_norm_wrong_trailing_shape_is_an_error():
    with pytest.raises(ValueError, match=r"layer_norm: expected input of shape \(\*, 4\), got shape \(2, 5\)"):
        nn.LayerNorm(4)(ag.Tensor(np.zeros((2, 5))))


@pytest.mark.parametrize("kwargs", [{}, {"activation": "tanh", "batchnorm": True}, {"activation": "gelu", "dropout": 0.3}])
def test_mlp_matches_the_equivalent_torch_sequential(kwargs):
    model = nn.MLP([3, 8, 6, 2], **kwargs).eval()  # eval: dropout off, BatchNorm on running statistics
    layers: list[torch.nn.Module] = []
    for n_in, n_out in [(3, 8), (8, 6)]:
        layers.append(torch.nn.Linear(n_in, n_out))
        if kwargs.get("batchnorm"):
            layers.append(torch.nn.BatchNorm1d(n_out))
        layers.append({"tanh": torch.nn.Tanh, "gelu": torch.nn.GELU}.get(kwargs.get("activation"), torch.nn.ReLU)())
        if kwargs.get("dropout"):
            layers.append(torch.nn.Dropout(kwargs["dropout"]))
    layers.append(torch.nn.Linear(6, 2))
    twin = torch.nn.Sequential(*layers).eval()
    assert list(model.state_dict()) == list(twin.state_dict())
    assert_same_as_torch(model, twin, rng.standard_normal((5, 3)))


def test_mlp_layout_and_bad_arguments():
    model = nn.MLP([2, 4, 1], batchnorm=True, dropout=0.5)
    assert [type(m).__name__ for m in model] == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]
    assert isinstance(nn.MLP([2, 3], activation=nn.Tanh)[0], nn.Linear) and len(nn.MLP([2, 3])) == 1
    assert isinstance(nn.MLP([2, 3, 1], activation=nn.Tanh)[1], nn.Tanh)
    with pytest.raises(ValueError, match="at least an input and an output size"):
        nn.MLP([3])
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.MLP([2, 2, 2], activation="swish")
    with pytest.raises(ValueError, match="between 0 and 1, got 1.5"):
        nn.MLP([2, 2, 2], dropout=1.5)


def test_linear_wrong_width_names_the_layer_and_both_widths():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 2))
    with pytest.raises(ValueError, match=r"Linear layer '2' \(in_features=5, out_features=2.*in_features = 5.*\(6, 4\) \(width 4\)"):
        model(ag.Tensor(np.zeros((6, 3))))
    with pytest.raises(ValueError, match=r"Linear layer 'Linear'.*in_features = 3.*width 7"):
        nn.Linear(3, 1)(ag.Tensor(np.zeros((2, 7))))


def test_parameters_take_the_default_dtype():
    ag.set_default_dtype(np.float32)
    model = nn.MLP([3, 4, 2], batchnorm=True)
    ln = nn.LayerNorm(4)
    assert {p.dtype for p in [*model.parameters(), *ln.parameters()]} == {np.dtype(np.float32)}
    assert model[1].running_var.dtype == np.float32 and model[1].num_batches_tracked.dtype == np.int64
    out = model(ag.Tensor(np.ones((3, 3), dtype=np.float32)))
    assert out.dtype == np.float32  # float32 work stays float32
    ag.set_default_dtype(np.float64)
    assert nn.Linear(2, 2).weight.dtype == np.float64


def test_functional_forms_are_the_layers():
    x = ag.Tensor(rng.standard_normal((3, 4)))
    layer = nn.Linear(4, 2)
    np.testing.assert_array_equal(F.linear(x, layer.weight, layer.bias).numpy(), layer(x).numpy())
    np.testing.assert_array_equal(F.softplus(x).numpy(), nn.Softplus()(x).numpy())
    np.testing.assert_allclose(F.log_softmax(x, 1).numpy(), torch.log_softmax(torch.from_numpy(x.numpy()), 1).numpy())


def test_linear_default_init_follows_torch_bounds():
    # PyTorch: weight ~ kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias the same bound
    nn.manual_seed(1)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.01)  # U(-c, c) has std c / sqrt(3)
    assert abs(w.mean()) < 0.01 * bound
    twin = torch.nn.Linear(400, 300)
    np.testing.assert_allclose(w.std(), twin.weight.detach().numpy().std(), rtol=0.02)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.Linear("3", 2), TypeError, r"Linear: in_features must be an integer >= 0, got '3' \(str\)"),
        (lambda: nn.Linear(3, 2.0), TypeError, r"Linear: out_features must be an integer >= 0, got 2.0 \(float\)"),
        (lambda: nn.Linear(-1, 2), ValueError, "Linear: in_features must be an integer >= 0, got -1"),
        (lambda: nn.MLP([2, "8", 1]), TypeError, r"MLP: sizes\[1\] must be an integer >= 0, got '8' \(str\)"),
    ],
)
def test_layer_sizes_that_are_not_integers_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()
