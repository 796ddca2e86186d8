"""Module conventions: registration, walking order, state dicts (keys as torch's), loading and its errors,
train/eval, repr, name scopes; initialisers; gradient clipping against torch."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
import torch

import autograd_core as ag
import nn

from .nn_twins import torch_state

pytestmark = pytest.mark.usefixtures("float64")
rng = np.random.default_rng(3)


class Encoder(nn.Module):
    def __init__(self, torch_twin: bool = False) -> None:
        super().__init__()
        lib = torch.nn if torch_twin else nn
        self.fc1 = lib.Linear(3, 4)
        self.norm = lib.BatchNorm1d(4)
        self.fc2 = lib.Linear(4, 2)

    def forward(self, x):
        return self.fc2(self.norm(self.fc1(x)).tanh())


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = Encoder()
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(2, 1))
        self.scale = nn.Parameter(np.array(2.0))

    def forward(self, x):
        return self.head(self.encoder(x)) * self.scale


class TorchNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = torch.nn.Module()
        self.encoder.fc1 = torch.nn.Linear(3, 4)
        self.encoder.norm = torch.nn.BatchNorm1d(4)
        self.encoder.fc2 = torch.nn.Linear(4, 2)
        self.head = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 1))
        self.scale = torch.nn.Parameter(torch.tensor(2.0))


def test_registration_and_walking_order_follow_torch():
    net, twin = Net(), TorchNet()
    assert list(net.state_dict()) == list(twin.state_dict())
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in twin.named_parameters()]
    assert [n for n, _ in net.named_buffers()] == [n for n, _ in twin.named_buffers()]
    assert [n for n, _ in net.named_modules()] == [n for n, _ in twin.named_modules()]
    assert [n for n, _ in net.named_children()] == ["encoder", "head"]
    assert [type(m).__name__ for m in net.children()] == ["Encoder", "Sequential"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert len(list(net.parameters(recurse=False))) == 1


def test_shared_parameters_and_modules_are_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.Tanh(), layer)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    shared = torch.nn.Linear(2, 2)
    twin = torch.nn.Sequential(shared, torch.nn.Tanh(), shared)
    assert list(model.state_dict()) == list(twin.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    twin.double().load_state_dict(torch_state(model))


def test_reassigning_an_attribute_moves_it_between_registries():
    m = nn.Module()
    m.thing = nn.Parameter(np.zeros(2))
    m.thing = nn.Linear(2, 2)
    assert list(m.state_dict()) == ["thing.weight", "thing.bias"]
    with pytest.raises(TypeError, match="cannot assign int as child module 'thing'"):
        m.thing = 3
    del m.thing
    m.thing = 3
    assert m.thing == 3 and m.state_dict() == {}
    layer = nn.Linear(2, 2)
    layer.bias = None
    assert layer.bias is None and list(layer.state_dict()) == ["weight"]
    with pytest.raises(TypeError, match="cannot assign ndarray as parameter 'weight'"):
        layer.weight = np.zeros((2, 2))
    del layer.weight
    assert list(layer.state_dict()) == []


def test_assignment_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\)"):
        Broken()


def test_forward_results_match_the_torch_twin_through_the_state_dict():
    net, twin = Net(), TorchNet().double()
    twin.load_state_dict(torch_state(net))
    x = rng.standard_normal((5, 3))
    enc = twin.encoder
    expected = twin.head(enc.fc2(enc.norm(enc.fc1(torch.from_numpy(x))).tanh())) * twin.scale
    np.testing.assert_allclose(net(ag.Tensor(x)).numpy(), expected.detach().numpy(), rtol=1e-12)


def test_state_dict_holds_numpy_copies():
    layer = nn.Linear(2, 3)
    sd = layer.state_dict()
    assert all(type(v) is np.ndarray for v in sd.values())
    sd["weight"][...] = 0
    assert np.any(layer.weight.numpy() != 0)


def test_load_state_dict_copies_values_in_and_keeps_dtypes():
    source, target = nn.MLP([2, 3, 1], batchnorm=True), nn.MLP([2, 3, 1], batchnorm=True)
    source(ag.Tensor(rng.standard_normal((4, 2))))  # move the running statistics away from their start
    ag.set_default_dtype(np.float32)
    target32 = nn.MLP([2, 3, 1], batchnorm=True)
    for model in (target, target32):
        weight = model[0].weight
        result = model.load_state_dict(source.state_dict())
        assert result == nn.IncompatibleKeys([], []) and model[0].weight is weight  # in place
        for key, value in model.state_dict().items():
            np.testing.assert_allclose(value, source.state_dict()[key], rtol=1e-6)
    assert target32[0].weight.dtype == np.float32 and target32[1].num_batches_tracked.numpy() == 1


def test_load_state_dict_names_every_missing_unexpected_and_mismatched_key():
    model = nn.MLP([2, 3, 1])
    sd = model.state_dict()
    del sd["0.bias"], sd["2.weight"]
    sd["extra.weight"] = np.zeros(1)
    sd["0.weight"] = np.zeros((3, 5))
    with pytest.raises(RuntimeError) as err:
        model.load_state_dict(sd)
    message = str(err.value)
    assert "missing keys: 0.bias, 2.weight" in message
    assert "unexpected keys: extra.weight" in message
    assert "0.weight: expected shape (3, 2), got (3, 5)" in message
    with pytest.raises(RuntimeError, match=r"0.weight: expected shape \(3, 2\), got \(3, 5\)") as err:
        model.load_state_dict(sd, strict=False)  # a shape mismatch is an error even when not strict
    assert "missing" not in str(err.value)
    sd["0.weight"] = np.ones((3, 2))
    result = model.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["0.bias", "2.weight"] and result.unexpected_keys == ["extra.weight"]
    assert np.all(model[0].weight.numpy() == 1)


def test_a_state_dict_that_fails_on_a_later_key_loads_nothing():
    model = nn.MLP([2, 3, 1], batchnorm=True)
    before = model.state_dict()
    source = nn.MLP([2, 3, 1], batchnorm=True).state_dict()  # other random weights: loading them would show
    for key, bad in (("1.num_batches_tracked", "three"), ("3.bias", [[1.0], [2.0, 3.0]])):
        with pytest.raises(RuntimeError, match=rf"values that are not arrays of real numbers: {re.escape(key)}: "):
            model.load_state_dict({**source, key: bad})
        for name, value in model.state_dict().items():  # "0.weight", before the bad key, is untouched too
            np.testing.assert_array_equal(value, before[name])


def test_complex_values_are_refused_not_cut_to_their_real_parts():
    layer = nn.Linear(2, 1)
    before = layer.state_dict()
    with pytest.warns(UserWarning, match="discards the imaginary part"):  # PyTorch only warns, and loads 1.0
        torch.nn.Linear(2, 1).load_state_dict({"weight": torch.tensor([[1 + 2j, 0j]]), "bias": torch.zeros(1)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning either: an error comes first
        with pytest.raises(RuntimeError, match=r"weight: complex values \(dtype complex128\).*imaginary parts"):
            layer.load_state_dict({"weight": np.array([[1 + 2j, 0]]), "bias": np.zeros(1)})
    np.testing.assert_array_equal(layer.weight.data, before["weight"])


def test_load_state_dict_takes_torch_tensors():
    twin = torch.nn.Linear(3, 2).double()
    layer = nn.Linear(3, 2)
    layer.load_state_dict(twin.state_dict())
    np.testing.assert_array_equal(layer.weight.numpy(), twin.weight.detach().numpy())


def test_train_eval_and_zero_grad_reach_every_module():
    net = Net()
    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net(ag.Tensor(rng.standard_normal((4, 3)))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_repr_shows_layers_sizes_and_mode():
    model = nn.MLP([2, 8, 1], batchnorm=True, dropout=0.25)
    expected = (
        "MLP(\n"
        "  (0): Linear(in_features=2, out_features=8, bias=True)\n"
        "  (1): BatchNorm1d(8, eps=1e-05, momentum=0.1, affine=True)\n"
        "  (2): ReLU()\n"
        "  (3): Dropout(p=0.25)\n"
        "  (4): Linear(in_features=8, out_features=1, bias=True)\n"
        ")"
    )
    assert repr(model) == expected + "  [train mode]"
    assert repr(model.eval()) == expected + "  [eval mode]"
    model[3].train()
    assert repr(model).endswith("[mixed train/eval mode]")
    nested = repr(Net())
    assert "(encoder): Encoder(\n    (fc1): Linear(in_features=3, out_features=4, bias=True)" in nested
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True)  [train mode]"


def scope_of(x: ag.Tensor | ag.Node) -> str | None:
    """The name scope of a result's node, or of a node of the graph (None for a leaf: no step made it)."""
    node = x.grad_fn if isinstance(x, ag.Tensor) else x
    return node.scope if isinstance(node, ag.Node) else None


def test_calls_open_name_scopes_named_by_attribute_path():
    net = Net()
    out = net(ag.Tensor(rng.standard_normal((4, 3))))
    scopes = {scope_of(node) for node in ag.topological_order([out])}
    assert {"encoder.fc1", "encoder.norm", "encoder.fc2", "head.0", "head.1"} <= scopes
    assert scope_of(out) is None  # the model's own multiply is at the top level
    lone = nn.Linear(3, 2)(ag.Tensor(np.ones((1, 3))))
    assert scope_of(lone) == "Linear"
    assert scope_of(nn.Sequential(nn.Linear(3, 2))(ag.Tensor(np.ones((1, 3))))) == "0"


def test_a_failed_call_closes_its_scope():
    """A layer that raises must not leave its scope open for the nodes made after it."""
    x = ag.Tensor(np.ones((1, 3)), requires_grad=True)
    with ag.name_scope("outer"):
        with pytest.raises(ValueError, match="Linear layer 'outer.0'"):
            nn.Sequential(nn.Linear(4, 2))(x)
        assert scope_of(x * 2) == "outer"
    assert scope_of(x * 2) is None


def test_forward_is_required():
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        nn.Module()(1)


# ---- init -------------------------------------------------------------------------------------------------------


def _big() -> nn.Parameter:
    return nn.Parameter(np.empty((300, 200)))  # fan_in 200, fan_out 300


@pytest.mark.parametrize(
    ("name", "kwargs", "expected_std"),
    [
        ("normal_", {"mean": 0.5, "std": 2.0}, 2.0),
        ("uniform_", {"a": -3.0, "b": 3.0}, 3.0 / math.sqrt(3)),
        ("xavier_uniform_", {}, math.sqrt(2.0 / 500)),
        ("xavier_normal_", {"gain": 2.0}, 2.0 * math.sqrt(2.0 / 500)),
        ("kaiming_uniform_", {"nonlinearity": "relu"}, math.sqrt(2.0 / 200)),
        ("kaiming_uniform_", {"a": math.sqrt(5)}, math.sqrt(1.0 / 3 / 200)),
        ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2.0 / 300)),
        ("kaiming_normal_", {"a": 0.2}, math.sqrt(2.0 / (1 + 0.04) / 200)),
    ],
)
def test_random_initialisers_have_torchs_spread_and_repeat_with_a_generator(name, kwargs, expected_std):
    fill = getattr(nn.init, name)
    t = _big()
    assert fill(t, **kwargs, generator=np.random.default_rng(5)) is t
    np.testing.assert_allclose(t.numpy().std(), expected_std, rtol=0.02)  # 60000 draws: ~0.3% standard error
    twin = getattr(torch.nn.init, name)(torch.empty(300, 200, dtype=torch.float64), **kwargs)
    np.testing.assert_allclose(t.numpy().std(), twin.std().item(), rtol=0.02)
    np.testing.assert_allclose(t.numpy().mean(), twin.mean().item(), atol=0.03 * expected_std)
    again = fill(_big(), **kwargs, generator=np.random.default_rng(5))
    np.testing.assert_array_equal(t.numpy(), again.numpy())


def test_uniform_bounds_and_constant_fills():
    t = nn.init.xavier_uniform_(_big())
    assert np.abs(t.numpy()).max() <= math.sqrt(6.0 / 500)
    assert np.all(nn.init.zeros_(t).numpy() == 0) and np.all(nn.init.ones_(t).numpy() == 1)
    ag.set_default_dtype(np.float32)
    assert nn.init.normal_(nn.Parameter(np.zeros((2, 2), dtype=np.float32))).dtype == np.float32


def test_calculate_gain_matches_torch():
    for name, param in [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
                        ("leaky_relu", 0.2), ("selu", None)]:
        assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        nn.init.calculate_gain("swish")


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match=r"at least 2 dimensions \(out, in, ...\), got shape \(5,\)"):
        nn.init.xavier_uniform_(nn.Parameter(np.zeros(5)))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan'"):
        nn.init.kaiming_uniform_(_big(), mode="fan")


# ---- gradient clipping ------------------------------------------------------------------------------------------


def _grads_pair(scale: float):
    grads = [rng.standard_normal((3, 4)) * scale, rng.standard_normal(5) * scale]
    ours = [nn.Parameter(np.zeros_like(g)) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad = ag.tensor(g)
        q.grad = torch.from_numpy(g.copy())
    return ours, theirs


@pytest.mark.parametrize(("scale", "norm_type"), [(10.0, 2.0), (0.01, 2.0), (10.0, 1.0), (10.0, math.inf)])
def test_clip_grad_norm_matches_torch(scale, norm_type):
    ours, theirs = _grads_pair(scale)
    total = nn.utils.clip_grad_norm_(ours, 1.0, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)


def test_clip_grad_value_matches_torch_and_skips_missing_grads():
    ours, theirs = _grads_pair(3.0)
    no_grad = nn.Parameter(np.zeros(2))
    nn.utils.clip_grad_value_([*ours, no_grad], 0.5)
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad, q.grad.numpy())
    assert no_grad.grad is None


def test_clip_grad_norm_keeps_float32_and_can_refuse_nonfinite_norms():
    p = nn.Parameter(np.zeros(3, dtype=np.float32))
    p.grad = ag.tensor([3.0, 4.0, 0.0], dtype=ag.float32)
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    assert p.grad.dtype == np.float32
    p.grad = ag.tensor([np.inf, 0, 0], dtype=ag.float32)
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is inf"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
