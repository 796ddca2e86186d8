"""Hessian-vector product of a small MLP's loss: ag.functional.hvp against torch.autograd.functional.hvp.

The model is 64-128-128-10 with tanh hidden layers and a softmax cross-entropy loss written with engine
operations, on a batch of 32, in float64; H v is taken with respect to all six parameter tensors. Both libraries
run on one thread (torch.set_num_threads(1), and numpy's BLAS limited to one thread with threadpoolctl: left
alone, its worker threads contend with everything else on a small machine and a 32x128x128 product can take
milliseconds instead of microseconds), interleaved, and the median over many repetitions is reported with the
ratio.

    python -m benchmarks.hvp [--repeats 200]

``workload()`` puts the same problem into ``python -m benchmarks``: there every contender's H v is first checked
against central differences of the hand-written numpy gradient (mlp.numpy_gradients) along v.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

import autograd_core as ag

from . import mlp
from .harness import Contender, Workload

if TYPE_CHECKING:
    import torch

SIZES = (64, 128, 128, 10)
BATCH = 32


def problem(seed: int = 0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, list[np.ndarray]]:
    """The MLP problem of mlp.py in float64 (weights of shape (in, out)), and a direction v."""
    params, x, labels = mlp.problem(SIZES, BATCH, np.float64, seed)
    rng = np.random.default_rng(seed + 1)
    v = [rng.standard_normal(p.shape) for p in params]
    return params, x, labels, v


def engine_loss(x: np.ndarray, labels: np.ndarray) -> Callable[..., ag.Tensor]:
    """Mean softmax cross-entropy of the MLP, as a function of its parameters."""
    from nn.functional import cross_entropy

    def loss(*params: ag.Tensor) -> ag.Tensor:
        h: Any = x
        for i in range(0, len(params) - 2, 2):
            h = (h @ params[i] + params[i + 1]).tanh()
        return cross_entropy(h @ params[-2] + params[-1], labels)

    return loss


def torch_loss(x: np.ndarray, labels: np.ndarray) -> Callable[..., torch.Tensor]:
    """The same loss in PyTorch."""
    import torch

    xt, lt = torch.from_numpy(x), torch.from_numpy(labels)

    def loss(*params: torch.Tensor) -> torch.Tensor:
        h = xt
        for i in range(0, len(params) - 2, 2):
            h = torch.tanh(h @ params[i] + params[i + 1])
        return torch.nn.functional.cross_entropy(h @ params[-2] + params[-1], lt)

    return loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200, help="timed calls per library")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        run(args.repeats)


def run(repeats: int) -> None:
    """Check that both libraries agree, then time them."""
    import torch

    params, x, labels, v = problem()
    f_ag, f_torch = engine_loss(x, labels), torch_loss(x, labels)
    p_ag, v_ag = tuple(ag.Tensor(p) for p in params), tuple(ag.Tensor(a) for a in v)
    p_t, v_t = tuple(torch.from_numpy(p) for p in params), tuple(torch.from_numpy(a) for a in v)

    def run_ag() -> Any:
        return ag.functional.hvp(f_ag, p_ag, v_ag)

    def run_torch() -> Any:
        return torch.autograd.functional.hvp(f_torch, p_t, v_t)

    (loss_ag, hv_ag), (loss_t, hv_t) = run_ag(), run_torch()
    error = max(np.abs(a.numpy() - b.numpy()).max() for a, b in zip(hv_ag, hv_t))
    assert abs(loss_ag.item() - loss_t.item()) < 1e-12 and error < 1e-10, f"results differ: max |H v| error {error}"

    def run_torch_vhp() -> Any:  # v^T H: the two-sweep route that ag.functional.hvp takes, for reference
        return torch.autograd.functional.vhp(f_torch, p_t, v_t)

    runs = {"autograd_core": run_ag, "torch": run_torch, "torch vhp": run_torch_vhp}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(10):  # warm-up
        for run in runs.values():
            run()
    for _ in range(repeats):  # interleaved, so that all see the same machine state
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)

    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"hvp of an MLP {'-'.join(map(str, SIZES))} loss, batch {BATCH}, float64, 1 thread, "
          f"{repeats} repetitions (max |difference| {error:.1e})")  # fmt: skip
    # the 10th percentile beside the median: on a busy machine the two drift apart (calls cut by preemption)
    for name, t in times.items():
        p10 = np.percentile(t, 10)
        print(f"  {name:14s} median {median[name] * 1e3:7.3f} ms   10th percentile {p10 * 1e3:7.3f} ms")
    print(f"  ratio autograd_core / torch hvp: {median['autograd_core'] / median['torch']:.2f}x (target <= 1.5x)")
    print(f"  ratio autograd_core / torch vhp: {median['autograd_core'] / median['torch vhp']:.2f}x")


def numpy_hvp(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray, v: list[np.ndarray]) -> list[np.ndarray]:
    """H v by differences of the hand-written gradient g along v, with the five-point stencil
    (8 (g(p + e v) - g(p - e v)) - (g(p + 2e v) - g(p - 2e v))) / 12e: error O(e^4) plus rounding over e.
    v has about 27,000 standard normal entries (norm ~160), so e = 3e-5 is a step of norm ~5e-3: the error is
    about 1e-12 against PyTorch, a thousandth of the check's tolerance.
    """
    eps = 3e-5

    def g(t: float) -> list[np.ndarray]:
        return mlp.numpy_gradients([p + t * d for p, d in zip(params, v)], x, labels, activation="tanh")[1]

    terms = zip(g(eps), g(-eps), g(2 * eps), g(-2 * eps))
    return [(8 * (a - b) - (c - d)) / (12 * eps) for a, b, c, d in terms]


def _ours_hvp(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray, v: list[np.ndarray]) -> Callable[[], Any]:
    f = engine_loss(x, labels)
    p_ag, v_ag = tuple(ag.Tensor(p) for p in params), tuple(ag.Tensor(a) for a in v)
    return lambda: [h.numpy() for h in ag.functional.hvp(f, p_ag, v_ag)[1]]


def _torch_hvp(
    params: list[np.ndarray], x: np.ndarray, labels: np.ndarray, v: list[np.ndarray], how: str
) -> Callable[[], Any]:
    import torch

    f = torch_loss(x, labels)
    p_t, v_t = tuple(torch.from_numpy(p) for p in params), tuple(torch.from_numpy(a) for a in v)
    product = torch.autograd.functional.hvp if how == "hvp" else torch.autograd.functional.vhp
    return lambda: [h.numpy() for h in product(f, p_t, v_t)[1]]


def _hips_hvp(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray, v: list[np.ndarray]) -> Callable[[], Any]:
    import autograd.numpy as anp
    from autograd import grad
    from autograd.scipy.special import logsumexp

    rows = np.arange(len(labels))

    def loss(params: list[Any]) -> Any:
        h = x
        for i in range(0, len(params) - 2, 2):
            h = anp.tanh(h @ params[i] + params[i + 1])
        logits = h @ params[-2] + params[-1]
        return -anp.mean((logits - logsumexp(logits, axis=1, keepdims=True))[rows, labels])

    def gradient_along_v(params: list[Any]) -> Any:  # (grad loss) . v; its gradient is H v
        return sum(anp.sum(g * d) for g, d in zip(grad(loss)(params), v))

    product = grad(gradient_along_v)  # reverse over reverse, as PyTorch's double backward
    return lambda: product(params)


def workload(seed: int = 0) -> Workload:
    """The Hessian-vector product for ``python -m benchmarks``; the reference is PyTorch's double backward."""
    params, x, labels, v = problem(seed)
    makers = {
        "autograd_core": lambda: _ours_hvp(params, x, labels, v),
        "pytorch": lambda: _torch_hvp(params, x, labels, v, "hvp"),
        "pytorch vhp": lambda: _torch_hvp(params, x, labels, v, "vhp"),
        "HIPS autograd": lambda: _hips_hvp(params, x, labels, v),
    }
    return Workload(
        name=f"Hessian-vector product of the MLP {'-'.join(map(str, SIZES))} loss (tanh), batch {BATCH}, float64",
        reference="pytorch",
        truth=lambda: numpy_hvp(params, x, labels, v),
        rounds=100,
        contenders=[Contender(name, lambda make=make: (lambda f: (f, f))(make())) for name, make in makers.items()],
    )


if __name__ == "__main__":
    main()
