"""Per-operation overhead: long chains of small elementwise operations, where numpy's own work is tiny and what
is measured is the engine — node creation, the sweep, gradient accumulation."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from . import floor
from .harness import Contender, Workload

CHAIN_OPS = 1000  # sin and multiply, alternating


def _numpy_forward(x: np.ndarray) -> np.ndarray:
    for _ in range(CHAIN_OPS // 2):
        x = np.sin(x)
        x = x * 1.01
    return x


def numpy_gradient(x0: np.ndarray, ops: int = CHAIN_OPS) -> np.ndarray:
    """d sum(chain(x)) / dx by hand for the chain sin, *1.01, sin, *1.01, ... of ``ops`` operations: keep each
    sin's input, then walk back."""
    sin_inputs, x = [], x0
    for _ in range(ops // 2):
        sin_inputs.append(x)
        x = np.sin(x) * 1.01
    g = np.ones_like(x)
    for u in reversed(sin_inputs):
        g = g * 1.01 * np.cos(u)
    return g


def _ours_chain(x: Any) -> Any:
    y = x
    for _ in range(CHAIN_OPS // 2):
        y = y.sin()
        y = y * 1.01
    return y.sum()


def _ours(x0: np.ndarray, compiled: bool = False) -> Callable[[], list[np.ndarray]]:
    """autograd_core's gradient of the chain; ``compiled``: the chain under ``ag.compile`` (recorded on the first
    call, then run as generated numpy)."""
    import autograd_core as ag

    chain = ag.compile(_ours_chain) if compiled else _ours_chain

    def grads() -> list[np.ndarray]:
        x = ag.Tensor(x0, requires_grad=True)
        chain(x).backward()
        return [x.grad.numpy()]

    return grads


def _ours_compiled(x0: np.ndarray) -> tuple[Callable[[], Any], Callable[[], list[np.ndarray]]]:
    """Timed: a compiled chain that records on its first call; checked: another, called once to record first."""
    checked = _ours(x0, compiled=True)
    checked()
    return _ours(x0, compiled=True), checked


def _torch(x0: np.ndarray) -> tuple[Callable[[], Any], Callable[[], list[np.ndarray]]]:
    import torch

    def grads() -> list[np.ndarray]:
        x = torch.tensor(x0, requires_grad=True)
        y = x
        for _ in range(CHAIN_OPS // 2):
            y = y.sin()
            y = y * 1.01
        y.sum().backward()
        return [x.grad.numpy()]

    return grads, grads


def _hips(x0: np.ndarray) -> tuple[Callable[[], Any], Callable[[], list[np.ndarray]]]:
    import autograd.numpy as anp
    from autograd import grad

    def f(x: Any) -> Any:
        for _ in range(CHAIN_OPS // 2):
            x = anp.sin(x)
            x = x * 1.01
        return anp.sum(x)

    gradient = grad(f)

    def grads() -> list[np.ndarray]:
        return [gradient(x0)]

    return grads, grads


def chain_workload() -> Workload:
    x0 = np.random.default_rng(0).standard_normal(8)
    return Workload(
        name=f"chain of {CHAIN_OPS} elementwise ops on shape (8,) float64, forward + backward",
        reference="numpy forward only",
        truth=lambda: [numpy_gradient(x0)],
        per=CHAIN_OPS,
        unit="op",
        contenders=[
            Contender("numpy forward only", lambda: (lambda: _numpy_forward(x0), None)),
            Contender("numpy by hand (fwd+bwd)", lambda: (lambda: [numpy_gradient(x0)], lambda: [numpy_gradient(x0)])),
            Contender("bare Python engine (floor)", lambda: (lambda: floor.chain_gradient(x0, CHAIN_OPS),) * 2),
            Contender("autograd_core", lambda: (_ours(x0),) * 2),
            Contender("autograd_core compiled", lambda: _ours_compiled(x0)),
            Contender("pytorch", lambda: _torch(x0)),
            Contender("HIPS autograd", lambda: _hips(x0)),
        ],
    )


def _timed_backward(build: Callable[[], tuple[Any, Callable[[], Any]]]) -> Callable[[], float]:
    """A step that builds the graph untimed and returns the seconds its backward alone took."""

    def step() -> float:
        _, backward = build()
        start = time.perf_counter()
        backward()
        return time.perf_counter() - start

    return step


def _deep(n: int, module: str) -> tuple[Callable[[], float], Callable[[], list[np.ndarray]]]:
    x0 = np.full(16, 0.5)
    if module == "autograd_core":
        from autograd_core import Tensor as make

        def build() -> tuple[Any, Callable[[], Any]]:
            x = make(x0, requires_grad=True)
            y = x
            for _ in range(n):
                y = y * 1.0001
            out = y.sum()
            return x, out.backward
    else:
        import torch

        def build() -> tuple[Any, Callable[[], Any]]:
            x = torch.tensor(x0, requires_grad=True)
            y = x
            for _ in range(n):
                y = y * 1.0001
            out = y.sum()
            return x, out.backward

    def grads() -> list[np.ndarray]:
        x, backward = build()
        backward()
        return [np.asarray(x.grad)]

    return _timed_backward(build), grads


def depth_workloads(quick: bool) -> list[Workload]:
    sizes = [1_000, 10_000, 30_000] if quick else [1_000, 10_000, 100_000, 1_000_000]
    return [
        Workload(
            name=f"backward through a chain of {n:,} nodes on shape (16,)",
            reference="pytorch",
            truth=lambda n=n: [np.full(16, 1.0001**n)],
            per=n,
            unit="node",
            rounds=max(5, 3_000_000 // (n * 100)),  # a 1e6 chain takes seconds a round: 5 against load spikes
            contenders=[
                Contender("autograd_core", lambda n=n: _deep(n, "autograd_core")),
                Contender("pytorch", lambda n=n: _deep(n, "torch")),
            ],
        )
        for n in sizes
    ]
