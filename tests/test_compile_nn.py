"""ag.compile on nn's models: BatchNorm's running statistics and dropout's masks over several steps, train and eval
modes, the losses, PyTorch as the independent truth for a compiled model, and fit(compile=True)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import autograd_core as ag
import nn
import optim
from autograd_core import Tensor
from cli.train import parser, train
from nn import functional as F
from nn.data import DataLoader, TensorDataset
from nn.datasets import make_moons
from nn.metrics import accuracy
from nn.training import evaluate, fit

from .nn_twins import torch_state

pytestmark = pytest.mark.usefixtures("float64")
rng = np.random.default_rng(3)


def _model(seed: int = 0) -> nn.MLP:
    nn.manual_seed(seed)
    return nn.MLP([5, 16, 12, 3], batchnorm=True, dropout=0.3)


def _train(model: nn.Module, step_loss, batches, seed: int = 1) -> tuple[list[float], list[list[np.ndarray]]]:
    """SGD with momentum over ``batches``, dropout seeded with ``seed``: the losses and every step's gradients."""
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    nn.manual_seed(seed)
    losses, grads = [], []
    for x, y in batches:
        optimizer.zero_grad()
        loss = step_loss(x, y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.numpy()))
        grads.append([p.grad.numpy().copy() for p in model.parameters()])
    return losses, grads


def _batches(n: int = 6, size: int = 8) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(rng.standard_normal((size, 5)) * (k + 1), rng.integers(0, 3, size)) for k in range(n)]


def test_batchnorm_and_dropout_over_several_steps_as_the_uncompiled_model():
    batches = _batches()
    eager, compiled = _model(), _model()
    want = _train(eager, lambda x, y: F.cross_entropy(eager(Tensor(x)), y), batches)
    step = ag.compile(lambda x, y: F.cross_entropy(compiled(x), y))
    got = _train(compiled, step, batches)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-14)
    for g_step, w_step in zip(got[1], want[1]):
        for g, w in zip(g_step, w_step):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    for key, value in eager.state_dict().items():  # weights, running statistics and the batch count
        np.testing.assert_allclose(compiled.state_dict()[key], value, rtol=1e-13, err_msg=key)
    assert int(compiled[1].num_batches_tracked.numpy()) == len(batches)
    assert step.source.count("assign(") == 6 and step.source.count("dropout_mask(") == 2


def test_dropout_draws_a_new_mask_on_every_call():
    layer = nn.Dropout(0.5)
    compiled = ag.compile(lambda x: layer(x))
    x = Tensor(np.ones((4, 50)))
    nn.manual_seed(0)
    got = [compiled(x).numpy() for _ in range(4)]
    nn.manual_seed(0)
    want = [layer(x).numpy() for _ in range(4)]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)  # the same draws as the uncompiled layer, from the same seed
    assert not np.array_equal(got[2], got[3])
    assert set(np.unique(got[3])) == {0.0, 2.0}


def test_batchnorm_with_cumulative_momentum_counts_every_call():
    bn = nn.BatchNorm1d(3, momentum=None)
    twin = nn.BatchNorm1d(3, momentum=None)
    compiled = ag.compile(lambda x: bn(x))
    for _ in range(4):
        x = rng.standard_normal((6, 3))
        compiled(x)
        twin(Tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), twin.running_mean.numpy(), rtol=1e-14)
    np.testing.assert_allclose(bn.running_var.numpy(), twin.running_var.numpy(), rtol=1e-14)
    assert int(bn.num_batches_tracked.numpy()) == 4


def test_eval_mode_records_anew_and_uses_the_running_statistics():
    model = _model()
    runs = []

    def forward(x):
        runs.append(model.training)
        return model(x)

    compiled = ag.compile(forward)
    for _ in range(3):
        compiled(rng.standard_normal((8, 5)))
    model.eval()
    x = rng.standard_normal((8, 5))
    for _ in range(2):
        np.testing.assert_allclose(compiled(x).numpy(), model(Tensor(x)).numpy(), rtol=1e-14)
    model.train()
    compiled(rng.standard_normal((8, 5)))
    assert runs == [True, False]  # recorded once per mode; the training recording is used again


def test_a_compiled_model_gives_pytorchs_gradients():
    nn.manual_seed(2)
    ours = nn.Sequential(nn.Linear(5, 7), nn.BatchNorm1d(7), nn.Tanh(), nn.Linear(7, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.BatchNorm1d(7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    theirs.double().load_state_dict(torch_state(ours))
    compiled = ag.compile(lambda x, y: F.cross_entropy(ours(x), y, label_smoothing=0.1))
    for _ in range(3):
        x, y = rng.standard_normal((9, 5)), rng.integers(0, 3, 9)
        ours.zero_grad()
        theirs.zero_grad()
        compiled(x, y).backward()
        logits = theirs(torch.from_numpy(x))
        torch.nn.functional.cross_entropy(logits, torch.from_numpy(y), label_smoothing=0.1).backward()
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-13, err_msg=name)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-12, err_msg=key)


@pytest.mark.parametrize(
    "loss",
    [
        lambda z, t, p: F.mse_loss(z, t),
        lambda z, t, p: F.huber_loss(z, t, delta=0.5),
        lambda z, t, p: F.binary_cross_entropy_with_logits(z, (t > 0).astype(np.float64), pos_weight=np.ones(3) * 2),
        lambda z, t, p: F.kl_div(z.log_softmax(axis=1), p),
        lambda z, t, p: F.cross_entropy(z, p),  # class probabilities
        lambda z, t, p: F.l1_loss(z.gelu(), t) + F.softplus(z).mean() + F.leaky_relu(z).logsumexp(axis=1).sum(),
        lambda z, t, p: nn.LayerNorm(3)(z).sigmoid().mean(),
    ],
)
def test_losses_and_layers_compiled_as_uncompiled(loss):
    W = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    compiled = ag.compile(lambda x, t, p: loss(x @ W, t, p))
    for scale in (1.0, 30.0, 1e3):  # large values: no shift or check may be kept from the first call
        x, t = rng.standard_normal((6, 4)) * scale, rng.standard_normal((6, 3))
        p = np.exp(rng.standard_normal((6, 3)))
        p /= p.sum(axis=1, keepdims=True)
        W.grad = None
        got = compiled(x, t, p)
        got.backward()
        got_grad = W.grad.numpy().copy()
        W.grad = None
        want = loss(Tensor(x) @ W, t, p)
        want.backward()
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-13)
        np.testing.assert_allclose(got_grad, W.grad, rtol=1e-12, atol=1e-14)


def _moons_loaders() -> tuple[DataLoader, DataLoader]:
    X, y = make_moons(n_samples=160, noise=0.2, seed=0)
    return (DataLoader(TensorDataset(X[:120], y[:120]), batch_size=16, shuffle=True, seed=0),
            DataLoader(TensorDataset(X[120:], y[120:]), batch_size=25))  # fmt: skip


@pytest.mark.parametrize("patience", [None, 2])
def test_fit_with_compile_trains_as_fit_does(patience):
    results = []
    for compile in (False, True):
        nn.manual_seed(0)
        model = nn.MLP([2, 16, 16, 2], batchnorm=True, dropout=0.2)
        train_loader, val_loader = _moons_loaders()
        history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.02), train_loader, 8,
                      val_loader=val_loader, metrics={"accuracy": accuracy}, patience=patience, progress=False,
                      compile=compile)  # fmt: skip
        test = evaluate(model, nn.CrossEntropyLoss(), val_loader, {"accuracy": accuracy}, compile=compile)
        results.append((history.metrics, model.state_dict(), test))
    (curves, state, test), (curves_c, state_c, test_c) = results
    assert list(curves) == list(curves_c)
    for key, values in curves.items():
        np.testing.assert_allclose(curves_c[key], values, rtol=1e-12, err_msg=key)
    for key in state:
        np.testing.assert_allclose(state_c[key], state[key], rtol=1e-12, atol=1e-15, err_msg=key)
    assert test_c == pytest.approx(test, rel=1e-12)


def test_the_command_trains_the_same_with_compile(tmp_path: Path):
    results = []
    for extra in ([], ["--compile"]):
        args = parser().parse_args(["train", "--dataset", "moons", "--samples", "300", "--hidden", "8", "8",
                                    "--batchnorm", "--dropout", "0.1", "--epochs", "3", "--out",
                                    str(tmp_path / str(len(extra))), "--no-progress", *extra])  # fmt: skip
        results.append(train(args))
    assert results[1] == pytest.approx(results[0], rel=1e-6)


def test_a_replaced_parameter_or_layer_records_anew():
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    runs = []

    def forward(x):
        runs.append(1)
        return model(x).sum()

    compiled = ag.compile(forward)
    x = rng.standard_normal((5, 3))
    compiled(x)
    compiled(x)
    model[2].weight = nn.Parameter(rng.standard_normal((2, 4)))  # a new object: not the tensor recorded
    np.testing.assert_allclose(compiled(x).numpy(), model(Tensor(x)).sum().numpy(), rtol=1e-14)
    model.add_module("1", nn.Sigmoid())  # a new layer
    np.testing.assert_allclose(compiled(x).numpy(), model(Tensor(x)).sum().numpy(), rtol=1e-14)
    assert len(runs) == 3
