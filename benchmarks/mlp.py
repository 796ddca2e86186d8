"""One SGD training step of a ReLU MLP with a softmax cross-entropy loss, in float32.

The small model (64-128-128-10, batch 32) is where per-operation overhead still shows next to BLAS; the large one
(784-1024-1024-10, batch 256) is where BLAS does nearly all the work. Every contender is written as a ``train_step``
factory: given the initial arrays it keeps its own copy of the parameters and returns ``step()``, which runs one
step (forward, loss, backward, in-place update ``W -= lr * dW``) and returns the gradients it used. The timed step
runs in float32; the correctness check runs one step of the same code from float64 copies.

Weights are stored (in, out) and a layer is ``h @ W + b`` in every contender, so all do the same arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from . import floor
from .harness import Contender, Workload

LR = 0.01

# initial parameters [W1, b1, W2, b2, ...], inputs (batch, n_in), integer labels (batch,) -> step()
TrainStep = Callable[[list[np.ndarray], np.ndarray, np.ndarray], Callable[[], list[np.ndarray]]]


def problem(
    sizes: Sequence[int], batch: int, dtype: type, seed: int = 0
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Parameters [W1, b1, ...] (W of shape (in, out), scaled by 1/sqrt(in)), inputs and integer labels.

    The values are drawn in float64 and then cast, so the float32 and float64 problems hold the same numbers.
    """
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params += [rng.standard_normal((n_in, n_out)) / np.sqrt(n_in), 0.1 * rng.standard_normal(n_out)]
    x = rng.standard_normal((batch, sizes[0]))
    labels = rng.integers(0, sizes[-1], batch)
    return [p.astype(dtype) for p in params], x.astype(dtype), labels


def numpy_gradients(
    params: list[np.ndarray], x: np.ndarray, labels: np.ndarray, activation: str = "relu"
) -> tuple[float, list[np.ndarray]]:
    """The loss and its gradients, backward written out by hand: the truth the other contenders are checked against.

    loss = -mean_i log softmax(logits_i)[label_i]; d loss / d logits = (softmax(logits) - onehot(labels)) / batch.
    Hidden layers use ``activation``, "relu" or "tanh" (the Hessian-vector product benchmark's model).
    """
    n_layers = len(params) // 2
    layer_inputs = []
    h = x
    for i in range(n_layers):
        layer_inputs.append(h)
        h = h @ params[2 * i] + params[2 * i + 1]
        if i < n_layers - 1:
            h = np.maximum(h, 0) if activation == "relu" else np.tanh(h)
    shifted = h - h.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    loss = -log_p[rows, labels].mean()
    g = np.exp(log_p)
    g[rows, labels] -= 1
    g /= len(labels)
    grads: list[np.ndarray] = [np.empty(0)] * len(params)
    for i in reversed(range(n_layers)):
        a = layer_inputs[i]
        grads[2 * i], grads[2 * i + 1] = a.T @ g, g.sum(axis=0)
        if i > 0:  # a is the previous layer's output: relu'(z) = [a > 0], tanh'(z) = 1 - a^2
            g = (g @ params[2 * i].T) * ((a > 0) if activation == "relu" else 1 - a * a)
    return float(loss), grads


def numpy_step(params0: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> Callable[[], list[np.ndarray]]:
    params = [p.copy() for p in params0]

    def step() -> list[np.ndarray]:
        _, grads = numpy_gradients(params, x, labels)
        for p, g in zip(params, grads):
            p -= LR * g
        return grads

    return step


def _tensor_ops_loss(params: list[Any]) -> Callable[[Any, np.ndarray], Any]:
    """The loss of ``ours_step``: autograd_core tensors with ``@``, ``+`` and ``relu``, and
    ``nn.functional.cross_entropy``."""
    from nn.functional import cross_entropy

    def loss_of(inputs: Any, labels: np.ndarray) -> Any:
        h = inputs
        for i in range(0, len(params) - 2, 2):
            h = (h @ params[i] + params[i + 1]).relu()
        return cross_entropy(h @ params[-2] + params[-1], labels)

    return loss_of


def _nn_model(params0: list[np.ndarray]) -> tuple[Any, list[Any]]:
    """``nn.Sequential`` of ``Linear`` and ``ReLU`` holding the given weights (``Linear`` stores them (out, in))."""
    import nn

    layers: list[nn.Module] = []
    for W, b in zip(params0[0::2], params0[1::2]):
        linear = nn.Linear(*W.shape)
        linear.weight.data, linear.bias.data = W.T.copy(), b.copy()  # the given dtype (float64 for the check)
        layers += [linear, nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    return model, list(model.parameters())


def _sgd_step(
    loss: Callable[[], Any], params: list[Any], record_first: bool = False
) -> Callable[[], list[np.ndarray]]:
    """The step of every autograd_core contender: ``loss().backward()``, then ``p -= LR * p.grad``, returning the
    gradients (in, out) as the other contenders give them. ``record_first``: call a compiled ``loss`` once now, so
    that the first step already runs the generated code (what the correctness check wants to see)."""
    if record_first:
        loss()

    def step() -> list[np.ndarray]:
        loss().backward()
        grads = [p.grad.numpy() for p in params]
        for p, g in zip(params, grads):
            weights = p.numpy()  # the arrays themselves: the update is numpy's work, as in the other contenders
            weights -= LR * g
            p.grad = None
        return grads

    return step


def ours_step(
    params0: list[np.ndarray], x: np.ndarray, labels: np.ndarray, compiled: bool = False, record_first: bool = False
) -> Callable[[], list[np.ndarray]]:
    """autograd_core tensors with ``@``, ``+`` and ``relu``, and the loss of ``nn.functional.cross_entropy``;
    ``compiled``: the loss under ``ag.compile`` (recorded on the first call, then run as generated numpy)."""
    import autograd_core as ag

    params = [ag.Tensor(p, requires_grad=True) for p in params0]  # Tensor copies numpy data
    inputs = ag.Tensor(x)
    loss_of = _tensor_ops_loss(params)
    loss_of = ag.compile(loss_of) if compiled else loss_of
    return _sgd_step(lambda: loss_of(inputs, labels), params, record_first)


def ours_nn_step(
    params0: list[np.ndarray], x: np.ndarray, labels: np.ndarray, compiled: bool = False, record_first: bool = False
) -> Callable[[], list[np.ndarray]]:
    """autograd_core through its ``nn`` package: ``Sequential`` of ``Linear`` and ``ReLU``, ``F.cross_entropy``
    (``compiled``: under ``ag.compile``). ``Linear`` stores its weight (out, in) and computes ``x @ W.T + b``;
    gradients are returned transposed back."""
    import autograd_core as ag
    import nn

    model, params = _nn_model(params0)
    inputs = ag.Tensor(x)

    def loss_of(inputs: Any, labels: np.ndarray) -> Any:
        return nn.functional.cross_entropy(model(inputs), labels)

    loss_of = ag.compile(loss_of) if compiled else loss_of
    step = _sgd_step(lambda: loss_of(inputs, labels), params, record_first)
    return lambda: [g.T if g.ndim == 2 else g for g in step()]


def torch_step(params0: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> Callable[[], list[np.ndarray]]:
    """PyTorch CPU, the same layers as plain tensor operations and ``F.cross_entropy``."""
    import torch
    import torch.nn.functional as F

    params = [torch.tensor(p, requires_grad=True) for p in params0]
    inputs, targets = torch.from_numpy(x), torch.from_numpy(labels)

    def step() -> list[np.ndarray]:
        h = inputs
        for i in range(0, len(params) - 2, 2):
            h = torch.relu(h @ params[i] + params[i + 1])
        loss = F.cross_entropy(h @ params[-2] + params[-1], targets)
        loss.backward()
        grads = [p.grad.numpy() for p in params]
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return grads

    return step


def hips_step(params0: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> Callable[[], list[np.ndarray]]:
    """HIPS autograd: the loss written with ``autograd.numpy``, differentiated by ``autograd.grad``."""
    import autograd.numpy as anp
    from autograd import grad
    from autograd.scipy.special import logsumexp

    params = [p.copy() for p in params0]
    rows = np.arange(len(labels))

    def loss(params: list[np.ndarray]) -> float:
        h = x
        for i in range(0, len(params) - 2, 2):
            h = anp.maximum(h @ params[i] + params[i + 1], 0)
        logits = h @ params[-2] + params[-1]
        return -anp.mean((logits - logsumexp(logits, axis=1, keepdims=True))[rows, labels])

    gradient = grad(loss)

    def step() -> list[np.ndarray]:
        grads = gradient(params)
        for p, g in zip(params, grads):
            p -= LR * g
        return grads

    return step


def _contender(name: str, train_step: TrainStep, float32: tuple, float64: tuple) -> Contender:
    """Timed: steps from the float32 problem; checked: the gradients of one step from the float64 problem."""
    return Contender(name, lambda: (train_step(*float32), lambda: train_step(*float64)()))


def _compiled_contender(name: str, train_step: Callable[..., Any], float32: tuple, float64: tuple) -> Contender:
    """``train_step`` with ``compiled=True``; the checked step is one of the generated code (its recording call is
    made first), and the timed one records on its first call (the harness reports that call apart)."""
    timed, checked = partial(train_step, compiled=True), partial(train_step, compiled=True, record_first=True)
    return Contender(name, lambda: (timed(*float32), lambda: checked(*float64)()))


def mlp_workload(sizes: Sequence[int], batch: int, rounds: int) -> Workload:
    float32, float64 = problem(sizes, batch, np.float32), problem(sizes, batch, np.float64)
    return Workload(
        name=f"MLP {'-'.join(map(str, sizes))}, batch {batch}, float32: one SGD step with softmax cross-entropy",
        reference="numpy by hand",
        truth=lambda: numpy_gradients(*float64)[1],
        rounds=rounds,
        contenders=[
            _contender("numpy by hand", numpy_step, float32, float64),
            _contender("bare Python engine (floor)", partial(floor.mlp_step, lr=LR), float32, float64),
            _contender("autograd_core", ours_step, float32, float64),
            _compiled_contender("autograd_core compiled", ours_step, float32, float64),
            _contender("autograd_core nn", ours_nn_step, float32, float64),
            _compiled_contender("autograd_core nn compiled", ours_nn_step, float32, float64),
            _contender("pytorch", torch_step, float32, float64),
            _contender("HIPS autograd", hips_step, float32, float64),
        ],
    )


def workloads(quick: bool) -> list[Workload]:
    return [
        mlp_workload((64, 128, 128, 10), batch=32, rounds=300),
        mlp_workload((784, 1024, 1024, 10), batch=256, rounds=30),
    ]
