"""Check the engine's derivatives against central finite differences: ``gradcheck`` and ``gradgradcheck``.

For a function f of Tensors, the engine's Jacobian is built row by row, one vjp per output entry (row k is
e_k^T J), and compared entry by entry with the central difference

    J[k, m] ~ (f(x + eps e_m)[k] - f(x - eps e_m)[k]) / (2 eps),

computed on float64 copies of the inputs, whose error is O(eps^2) plus round-off of order 1e-16 |f| / eps. An
entry passes when |engine - numeric| <= atol + rtol |numeric|, as in ``torch.autograd.gradcheck``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .backward import grad
from .functional import _as_tuple, vjp
from .grad_mode import enable_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """The engine's derivative and the finite difference disagree; the message says where and by how much."""


def gradcheck(
    func: Callable[..., Any],
    inputs: Tensor | tuple[Tensor, ...],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """True when d func / d x from the engine matches central finite differences for every input that requires
    grad, every entry of it and every entry of every output; else raises `GradcheckError` naming the output, the
    input, the indices and both values.

    ``func`` maps the Tensors ``inputs`` to a Tensor or a tuple of Tensors. Inputs that do not require grad are
    held constant. Warns when an input that is checked is not float64 (its finite differences are then computed
    in float64 anyway, but the engine's gradient keeps the input's precision).
    """
    _, inputs = _as_tuple(inputs, "inputs", "gradcheck")
    wrt = [i for i, x in enumerate(inputs) if x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    for i in wrt:
        if inputs[i].dtype != np.float64:
            warnings.warn(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}, not float64; "
                "the check may fail from round-off alone",
                stacklevel=2,
            )
    engine = _engine_jacobian(func, inputs, wrt)
    numeric = _numeric_jacobian(func, inputs, wrt, eps)
    for (out, j), a in engine.items():
        n = numeric[out, j]
        mismatch = first_mismatch(a, n, atol, rtol)
        if mismatch is not None:
            k, m = mismatch
            out_index = np.unravel_index(k, _shape_of(func, inputs, out))
            in_index = np.unravel_index(m, inputs[j].shape)
            limit = atol + rtol * abs(n[k, m])
            raise GradcheckError(
                f"gradcheck: d(output {out})[{_index(out_index)}] / d(input {j})[{_index(in_index)}]: the engine "
                f"gives {float(a[k, m])!r}, central finite differences give {float(n[k, m])!r} "
                f"(difference {abs(a[k, m] - n[k, m]):.3g} > atol + rtol * |numeric| = {limit:.3g})"
            )
    return True


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Tensor | tuple[Tensor, ...],
    grad_outputs: Tensor | tuple[Tensor, ...] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """The second-order check: `gradcheck` of (x, v) -> v^T (d func / d x), the vjp recorded with create_graph.

    ``grad_outputs`` (v, the shapes of func's outputs) default to random float64 values; they are checked as
    inputs too, since the recorded vjp depends on them.
    """
    _, inputs = _as_tuple(inputs, "inputs", "gradgradcheck")
    wrt = [i for i, x in enumerate(inputs) if x.requires_grad]
    if grad_outputs is None:
        with enable_grad():
            _, outs = _as_tuple(func(*inputs), "outputs of the function", "gradgradcheck")
        rng = np.random.default_rng(0)
        grad_outputs = tuple(Tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outs)
    _, vs = _as_tuple(grad_outputs, "grad_outputs", "gradgradcheck")

    def first_derivative(*args: Tensor) -> tuple[Tensor, ...]:
        xs = list(inputs)

        def f(*checked: Tensor) -> Any:
            for i, x in zip(wrt, checked):
                xs[i] = x
            return func(*xs)

        return vjp(f, tuple(args[: len(wrt)]), tuple(args[len(wrt) :]), create_graph=True)[1]

    return gradcheck(first_derivative, tuple(inputs[i] for i in wrt) + vs, eps, atol, rtol)


def first_mismatch(engine: np.ndarray, numeric: np.ndarray, atol: float, rtol: float) -> tuple[int, ...] | None:
    """The first index where |engine - numeric| > atol + rtol |numeric| (or either is NaN), or None where none is."""
    bad = ~(np.abs(engine - numeric) <= atol + rtol * np.abs(numeric))
    return tuple(int(k) for k in np.argwhere(bad)[0]) if bad.any() else None


def _index(index: tuple[Any, ...]) -> str:
    return ", ".join(str(int(i)) for i in index)


def _outputs(func: Callable[..., Any], inputs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    with enable_grad():
        return _as_tuple(func(*inputs), "outputs of the function", "gradcheck")[1]


def _shape_of(func: Callable[..., Any], inputs: tuple[Tensor, ...], out: int) -> tuple[int, ...]:
    return _outputs(func, inputs)[out].shape


def _engine_jacobian(
    func: Callable[..., Any], inputs: tuple[Tensor, ...], wrt: list[int]
) -> dict[tuple[int, int], np.ndarray]:
    """{(output, input): the engine's Jacobian as a (output size, input size) float64 matrix}, one vjp per row."""
    xs = tuple(x.detach().requires_grad_() if i in wrt else x for i, x in enumerate(inputs))
    outs = _outputs(func, xs)
    checked = [xs[i] for i in wrt]
    jac = {}
    for o, out in enumerate(outs):
        rows = [[] for _ in wrt]
        for k in range(out.numel()):
            e_k = np.zeros(out.numel(), dtype=out.dtype)
            e_k[k] = 1
            row = _row(out, checked, e_k.reshape(out.shape))
            for j, r in enumerate(row):
                rows[j].append(r)
        for j, i in enumerate(wrt):
            jac[o, i] = np.array(rows[j], dtype=np.float64).reshape(out.numel(), inputs[i].numel())
    return jac


def _row(out: Tensor, inputs: list[Tensor], weight: np.ndarray) -> list[np.ndarray]:
    """weight^T d out / d inputs, zeros for inputs the output does not depend on."""
    if not out.requires_grad:
        return [np.zeros(x.numel()) for x in inputs]
    found = grad(out, inputs, weight, retain_graph=True, allow_unused=True)
    return [np.zeros(x.numel()) if g is None else g._value.ravel() for x, g in zip(inputs, found)]


def _numeric_jacobian(
    func: Callable[..., Any], inputs: tuple[Tensor, ...], wrt: list[int], eps: float
) -> dict[tuple[int, int], np.ndarray]:
    """{(output, input): the central-difference Jacobian, (output size, input size)}, in float64."""
    arrays = [x._value.astype(np.float64) if i in wrt else x._value for i, x in enumerate(inputs)]

    def evaluate() -> list[np.ndarray]:
        xs = tuple(Tensor(a, requires_grad=x.requires_grad) for a, x in zip(arrays, inputs))
        return [o._value.astype(np.float64).ravel() for o in _outputs(func, xs)]

    columns: dict[tuple[int, int], list[np.ndarray]] = {}
    for i in wrt:
        flat = arrays[i].reshape(-1)  # a view: writing into it perturbs arrays[i]
        for m in range(flat.size):
            saved = flat[m]
            flat[m] = saved + eps
            up = evaluate()
            flat[m] = saved - eps
            down = evaluate()
            flat[m] = saved
            for o, (u, d) in enumerate(zip(up, down)):
                columns.setdefault((o, i), []).append((u - d) / (2 * eps))
    return {key: np.stack(cols, axis=1) for key, cols in columns.items()}
