"""The floor: the least any reverse-mode engine written in Python can cost on the chain and the MLPs.

This is a measuring instrument, not an engine anyone should use. It records one slotted object per operation on a
list (the tape), and its backward walks the tape once, newest first, calling each node's rule on plain numpy
arrays. It has nothing else: no checks of shapes or dtypes, no broadcasting, no grad mode, no hooks, no freeing,
no modules, no second order; its operations are exactly the ones those workloads use. The numpy calls it makes
are the ones numpy by hand makes, so what it adds to numpy by hand is the cost of Python itself: an object and a
call per operation. autograd_core's ratio above it is the price of being a general engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


class Node:
    """One operation's output: its ``value``, its adjoint ``grad`` once the backward reaches it, and what its rule
    needs: ``rule(g, saved)`` gives the adjoints of ``inputs``, in order."""

    __slots__ = ("value", "grad", "inputs", "rule", "saved")

    def __init__(self, value: np.ndarray, inputs: tuple[Node, ...] = (), rule: Any = None, saved: Any = None) -> None:
        self.value, self.grad, self.inputs, self.rule, self.saved = value, None, inputs, rule, saved


class Tape:
    """The operations of one forward pass, in the order they were made, and the backward that walks them."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []

    def record(self, value: np.ndarray, inputs: tuple[Node, ...], rule: Callable[..., tuple], saved: Any) -> Node:
        node = Node(value, inputs, rule, saved)
        self.nodes.append(node)
        return node

    def backward(self, root: Node) -> None:
        """Adjoints of every node from d root / d root = 1; leaves (nodes without a rule) keep theirs in .grad."""
        root.grad = np.ones_like(root.value)
        for node in reversed(self.nodes):  # newest first: every use of a node was recorded after it
            g, node.grad = node.grad, None
            for x, gx in zip(node.inputs, node.rule(g, node.saved)):
                x.grad = gx if x.grad is None else x.grad + gx
        self.nodes.clear()

    # ---- the chain's operations ----
    def sin(self, x: Node) -> Node:
        return self.record(np.sin(x.value), (x,), lambda g, x: (g * np.cos(x),), x.value)

    def scale(self, x: Node, c: float) -> Node:
        return self.record(x.value * c, (x,), lambda g, c: (g * c,), c)

    def sum(self, x: Node) -> Node:
        return self.record(x.value.sum(), (x,), lambda g, shape: (np.broadcast_to(g, shape),), x.value.shape)

    # ---- the MLP's operations ----
    def linear(self, x: Node | np.ndarray, w: Node, b: Node) -> Node:
        """x W^T + b with W (out, in), as nn.Linear and PyTorch store it. A constant x (the data, an array rather
        than a node) gets no adjoint: only the weight's and the bias's are computed, as every contender does."""
        if isinstance(x, Node):
            return self.record(x.value @ w.value.T + b.value, (x, w, b), _linear_rule, (x.value, w.value))
        return self.record(x @ w.value.T + b.value, (w, b), lambda g, x: (g.T @ x, g.sum(axis=0)), x)

    def relu(self, x: Node) -> Node:
        z = np.maximum(x.value, 0)
        return self.record(z, (x,), lambda g, z: (g * (z > 0),), z)

    def log_softmax(self, x: Node) -> Node:
        shifted = x.value - x.value.max(axis=1, keepdims=True)
        z = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return self.record(z, (x,), lambda g, z: (g - np.exp(z) * g.sum(axis=1, keepdims=True),), z)

    def nll_loss(self, x: Node, labels: np.ndarray) -> Node:
        """-mean_n x[n, labels[n]]."""
        rows = np.arange(len(labels))
        return self.record(-x.value[rows, labels].mean(), (x,), _nll_rule, (x.value, rows, labels))


def _linear_rule(g: np.ndarray, saved: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, ...]:
    x, w = saved
    return g @ w, g.T @ x, g.sum(axis=0)


def _nll_rule(g: np.ndarray, saved: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray]:
    x, rows, labels = saved
    gx = np.zeros_like(x)
    gx[rows, labels] = -g / len(rows)
    return (gx,)


def chain_gradient(x0: np.ndarray, ops: int) -> list[np.ndarray]:
    """d sum(chain(x)) / dx for the chain sin, *1.01, sin, *1.01, ... of ``ops`` operations (engine.py's)."""
    tape = Tape()
    x = y = Node(x0)
    for _ in range(ops // 2):
        y = tape.scale(tape.sin(y), 1.01)
    tape.backward(tape.sum(y))
    return [x.grad]


def mlp_step(params0: list[np.ndarray], x: np.ndarray, labels: np.ndarray, lr: float) -> Callable[[], list[np.ndarray]]:
    """mlp.py's train_step contract: a ReLU MLP with softmax cross-entropy, one SGD step per call. Weights are kept
    (out, in), as nn.Linear keeps them; the gradients are returned (in, out), as the other contenders give them."""
    weights = [Node(w.T.copy()) for w in params0[0::2]]
    biases = [Node(b.copy()) for b in params0[1::2]]

    def step() -> list[np.ndarray]:
        tape = Tape()
        h = x
        for w, b in zip(weights[:-1], biases[:-1]):
            h = tape.relu(tape.linear(h, w, b))
        tape.backward(tape.nll_loss(tape.log_softmax(tape.linear(h, weights[-1], biases[-1])), labels))
        grads = []
        for w, b in zip(weights, biases):
            grads += [w.grad.T, b.grad]
            w.value -= lr * w.grad
            b.value -= lr * b.grad
            w.grad = b.grad = None
        return grads

    return step
