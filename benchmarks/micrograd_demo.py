"""micrograd's demo: a 2-16-16-1 MLP made of scalar nodes, one SGD step on 100 points of the two moons.

As in micrograd's demo notebook: labels are +-1, the loss is the mean hinge loss relu(1 - y * score) plus the L2
penalty alpha * sum(p^2) over all parameters, and one step is forward, zero grad, backward, ``p -= lr * p.grad``.
Every contender builds the same graph of scalar nodes, one node per scalar multiply, add and relu (tens of
thousands per step): micrograd with its own ``MLP``, autograd_core with 0-d Tensors, PyTorch with 0-d tensors.
This measures nothing but the cost of a node. The truth is the same model as matrices, differentiated by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.datasets import make_moons

from .harness import Contender, Workload

ALPHA = 1e-4  # the demo's L2 weight
LR = 0.1


def problem(n_points: int, sizes: Sequence[int], seed: int = 0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Parameters [W1, b1, W2, b2, W3, b3] with W of shape (out, in) (row j: neuron j's weights), points, labels +-1.

    Weights are uniform in [-1, 1] and biases 0, as micrograd's ``Neuron`` makes them.
    """
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params += [rng.uniform(-1, 1, (n_out, n_in)), np.zeros(n_out)]
    X, y = make_moons(n_samples=n_points, noise=0.1, random_state=seed)
    return params, X, 2.0 * y - 1


def numpy_gradients(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """d(total loss)/d(each parameter), the whole batch as matrices, backward by hand."""
    n_layers = len(params) // 2
    layer_inputs, h = [], X
    for i in range(n_layers):
        layer_inputs.append(h)
        h = h @ params[2 * i].T + params[2 * i + 1]
        if i < n_layers - 1:
            h = np.maximum(h, 0)
    margins = 1 - y[:, None] * h
    g = -y[:, None] * (margins > 0) / len(y)  # d mean(relu(margin)) / d score
    grads: list[np.ndarray] = [np.empty(0)] * len(params)
    for i in reversed(range(n_layers)):
        a = layer_inputs[i]
        grads[2 * i], grads[2 * i + 1] = g.T @ a, g.sum(axis=0)
        if i > 0:
            g = (g @ params[2 * i]) * (a > 0)  # relu'(z) = [relu(z) > 0], as micrograd's rule
    return [gp + 2 * ALPHA * p for gp, p in zip(grads, params)]


def _nodes(array: np.ndarray, make: Callable[[float], Any]) -> list[Any]:
    """A nested list of scalar nodes, one per entry of ``array``."""
    return [_nodes(row, make) for row in array] if array.ndim > 1 else [make(v) for v in array.tolist()]


def _scalar_step(
    params0: list[np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    make: Callable[[float], Any],
    grad_of: Callable[[Any], float],
    update: Callable[[list[Any]], None],
    wrap: Callable[[Callable[[], Any]], Callable[[], Any]] = lambda loss: loss,
) -> Callable[[], list[np.ndarray]]:
    """micrograd's demo step for any library whose scalars have ``* + relu backward``: ``make(v)`` makes a
    parameter node, ``grad_of(node)`` reads its gradient, ``update(params)`` does the SGD step and clears grads;
    ``wrap(total_loss)`` gives the function that computes the loss (``ag.compile`` for the compiled contender)."""
    layers = [(_nodes(params0[i], make), _nodes(params0[i + 1], make)) for i in range(0, len(params0), 2)]
    flat = [p for W, b in layers for row, bj in zip(W, b) for p in (*row, bj)]
    points, labels = X.tolist(), y.tolist()

    def score(x: list[Any]) -> Any:
        for k, (W, b) in enumerate(layers):
            x = [sum((wi * xi for wi, xi in zip(row, x)), bj) for row, bj in zip(W, b)]  # as micrograd's Neuron
            if k < len(layers) - 1:
                x = [v.relu() for v in x]
        return x[0]

    def total_loss() -> Any:
        losses = [(1 + -yi * score(x)).relu() for x, yi in zip(points, labels)]
        return sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in flat)

    loss = wrap(total_loss)

    def step() -> list[np.ndarray]:
        total = loss()
        total.backward()
        grads = [np.array([[grad_of(w) for w in row] for row in W]) for W, _ in layers]
        bias_grads = [np.array([grad_of(bj) for bj in b]) for _, b in layers]
        update(flat)
        return [g for pair in zip(grads, bias_grads) for g in pair]

    return step


def ours_step(
    params0: list[np.ndarray], X: np.ndarray, y: np.ndarray, compiled: bool = False, record_first: bool = False
) -> Callable[[], list[np.ndarray]]:
    """autograd_core, each scalar a 0-d float64 Tensor; ``compiled``: the loss under ``ag.compile``, recorded on
    its first call (at once with ``record_first``) and then run as generated numpy, one line per scalar step."""
    import autograd_core as ag

    def update(params: list[ag.Tensor]) -> None:
        for p in params:
            value = p.numpy()  # the 0-d array itself, changed in place
            value -= LR * p.grad.numpy()
            p.grad = None

    def wrap(total_loss: Callable[[], Any]) -> Callable[[], Any]:
        if not compiled:
            return total_loss
        loss = ag.compile(total_loss)
        if record_first:
            loss()
        return loss

    make = lambda v: ag.Tensor(np.float64(v), requires_grad=True)  # noqa: E731
    return _scalar_step(params0, X, y, make, lambda p: float(p.grad), update, wrap)


def torch_step(params0: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> Callable[[], list[np.ndarray]]:
    """PyTorch, each scalar a 0-d float64 tensor."""
    import torch

    def update(params: list[torch.Tensor]) -> None:
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None

    make = lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)  # noqa: E731
    return _scalar_step(params0, X, y, make, lambda p: p.grad.item(), update)


def micrograd_step(params0: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> Callable[[], list[np.ndarray]]:
    """micrograd itself: its ``MLP`` with our initial values, and the demo's loss and update written as there."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    sizes = [params0[0].shape[1]] + [W.shape[0] for W in params0[0::2]]
    model = MLP(sizes[0], sizes[1:])
    for layer, W, b in zip(model.layers, params0[0::2], params0[1::2]):
        for neuron, row, bj in zip(layer.neurons, W.tolist(), b.tolist()):
            for w, v in zip(neuron.w, row):
                w.data = v
            neuron.b.data = bj
    inputs = [list(map(Value, row)) for row in X.tolist()]
    labels = y.tolist()

    def step() -> list[np.ndarray]:
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        model.zero_grad()
        total_loss.backward()
        grads = []
        for layer in model.layers:
            grads.append(np.array([[w.grad for w in n.w] for n in layer.neurons]))
            grads.append(np.array([n.b.grad for n in layer.neurons]))
        for p in model.parameters():
            p.data -= LR * p.grad
        return grads

    return step


def workload(n_points: int = 100, sizes: Sequence[int] = (2, 16, 16, 1), rounds: int = 10) -> Workload:
    params, X, y = problem(n_points, sizes)
    contenders = [
        ("micrograd", micrograd_step),
        ("autograd_core (0-d Tensors)", ours_step),
        ("pytorch (0-d tensors)", torch_step),
    ]
    compiled = Contender(
        "autograd_core compiled",
        lambda: (ours_step(params, X, y, compiled=True), ours_step(params, X, y, compiled=True, record_first=True)),
    )
    return Workload(
        name=f"micrograd's demo: {'-'.join(map(str, sizes))} MLP of scalars, {n_points} points, hinge + L2, "
        "one SGD step",
        reference="micrograd",
        truth=lambda: numpy_gradients(params, X, y),
        rounds=rounds,
        contenders=[
            *(Contender(name, lambda s=s: (s(params, X, y), lambda: s(params, X, y)())) for name, s in contenders),
            compiled,
        ],
    )
