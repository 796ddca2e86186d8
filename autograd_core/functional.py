"""Derivatives of whole functions: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, as torch.autograd.functional.

Each takes a function ``func`` of one Tensor or a tuple of Tensors and returns results of the same structure:
a tuple ``inputs`` gives tuple results, a single Tensor gives a single Tensor. ``vjp``, ``jvp`` and ``hvp`` return
``(func(inputs), result)``. With ``create_graph=False`` (the default) every result is detached; with
``create_graph=True`` the results are graphs again and can be differentiated further. An input that an output
does not depend on gets zeros, or a ``RuntimeError`` under ``strict=True``.

Costs, for T the length of the evaluation trace:

* ``vjp``: one forward pass and one reverse sweep.
* ``jvp``: three passes, never a Jacobian. The vjp u -> J^T u is linear in u, so the vjp of *that* map with
  respect to u, weighted by v, is (J^T)^T v = J v (the "double-vjp" construction).
* ``hvp``: three passes, never a Hessian. The gradient g(x) is recorded as a graph and swept once more with v as
  its weight: v^T (dg/dx) = v^T H = (H v)^T, since the Hessian of a twice continuously differentiable function is
  symmetric. (PyTorch's ``hvp`` uses a longer route that needs no symmetry; where the second derivatives are
  continuous, and so almost everywhere for relu networks, both give the same numbers.)
* ``jacobian``: one reverse sweep per output entry (a row of the Jacobian each); ``hessian`` is the Jacobian of
  the gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .backward import grad
from .grad_mode import enable_grad
from .primitives import concatenate, reshape
from .tensor import Tensor

Tensors = Tensor | tuple[Tensor, ...]


def _as_tuple(value: Any, what: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether ``value`` was a tuple or list, its Tensors as a tuple); anything else is a TypeError."""
    is_tuple = isinstance(value, (tuple, list))
    values = tuple(value) if is_tuple else (value,)
    for i, v in enumerate(values):
        if not isinstance(v, Tensor):
            where = f" at index {i}" if is_tuple else ""
            raise TypeError(f"{fn}: the {what} must be a Tensor or a tuple of Tensors, got {type(v).__name__}{where}")
    return is_tuple, values


def _unpack(values: Sequence[Any], is_tuple: bool) -> Any:
    return tuple(values) if is_tuple else values[0]


def _prepare(inputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """Fresh nodes to differentiate with respect to.

    Without ``create_graph`` a detached leaf of each input; with it, an identity node of an input that requires
    grad, so that the results stay connected to the graph the input came from (as PyTorch's ``view_as``).
    """
    with enable_grad():  # the identity node must be recorded even when the caller is inside no_grad
        return tuple(
            reshape(x, shape=x.shape) if create_graph and x.requires_grad else x.detach().requires_grad_()
            for x in inputs
        )


def _call(func: Callable[..., Any], inputs: tuple[Tensor, ...], fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    with enable_grad():
        outputs = func(*inputs)
    return _as_tuple(outputs, "outputs of the function", fn)


def _weights(v: Any, like: tuple[Tensor, ...], what: str, fn: str) -> tuple[Tensor, ...]:
    """``v`` as a tuple of Tensors with the shapes (and dtypes) of ``like``; None only where each has one entry."""
    if v is None:
        for i, t in enumerate(like):
            if t.numel() != 1:
                raise RuntimeError(
                    f"{fn}: v can be omitted only when every one of the {what} has a single entry; "
                    f"entry {i} has shape {t.shape}, so pass v"
                )
        return tuple(Tensor(np.ones_like(t._value)) for t in like)
    if not isinstance(v, (Tensor, tuple, list)):
        v = Tensor(v)  # a numpy array
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(like):
        raise ValueError(f"{fn}: v has {len(vs)} entries but there are {len(like)} {what}")
    for i, (a, t) in enumerate(zip(vs, like)):
        if a.shape != t.shape:
            raise ValueError(
                f"{fn}: entry {i} of v has shape {a.shape} but entry {i} of the {what} has shape {t.shape}"
            )
    return tuple(a if a.dtype == t.dtype else a.astype(t.dtype) for a, t in zip(vs, like))


def _grad(
    outputs: Sequence[Tensor],
    inputs: Sequence[Tensor],
    weights: Sequence[Tensor] | None,
    create_graph: bool,
    strict: bool,
    fn: str,
) -> tuple[Tensor, ...]:
    """sum_k weights_k^T d(outputs_k)/d(inputs), one Tensor per input; zeros for an input nothing depends on."""
    weights = list(weights) if weights is not None else [None] * len(outputs)
    used = [(o, w) for o, w in zip(outputs, weights) if o.requires_grad]  # the others are constants of the inputs
    found: Sequence[Tensor | None] = [None] * len(inputs)
    if used:
        found = grad([o for o, _ in used], list(inputs), [w for _, w in used],
                     retain_graph=True, create_graph=create_graph, allow_unused=True)  # fmt: skip
    results = []
    for i, (x, g) in enumerate(zip(inputs, found)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"{fn}: the output is independent of input {i} (shape {x.shape}), not allowed with strict=True"
                )
            g = Tensor(np.zeros_like(x._value))
        results.append(g if create_graph else g.detach())
    return tuple(results)


def _outputs(outputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    return outputs if create_graph else tuple(o.detach() for o in outputs)


def vjp(
    func: Callable[..., Any], inputs: Tensors, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), v^T J)``: the vector-Jacobian product, one reverse sweep.

    ``v`` has the shape of func's output (a tuple for tuple outputs); the result has the shape of ``inputs``.
    """
    is_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, "vjp")
    vs = _weights(v, outs, "outputs", "vjp")
    result = _grad(outs, xs, vs, create_graph, strict, "vjp")
    return _unpack(_outputs(outs, create_graph), out_tuple), _unpack(result, is_tuple)


def jvp(
    func: Callable[..., Any], inputs: Tensors, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), J v)``: the Jacobian-vector product (directional derivative along ``v``), three passes.

    ``v`` has the shape of ``inputs``; the result has the shape of func's output.
    """
    is_tuple, xs = _as_tuple(inputs, "inputs", "jvp")
    xs = _prepare(xs, create_graph)
    vs = _weights(v, xs, "inputs", "jvp")
    out_tuple, outs = _call(func, xs, "jvp")
    # J^T u for a free u of the outputs' shapes: a graph that is linear in u ...
    us = tuple(Tensor(np.zeros_like(o._value), requires_grad=True) for o in outs)
    jt_u = _grad(outs, xs, us, True, strict, "jvp")
    # ... whose vjp with respect to u, weighted by v, is J v
    result = _grad(jt_u, us, vs, create_graph, False, "jvp")
    return _unpack(_outputs(outs, create_graph), out_tuple), _unpack(result, out_tuple)


def hvp(
    func: Callable[..., Any], inputs: Tensors, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), H v)`` for a function with a single-entry output: the Hessian-vector product, three passes.

    ``v`` has the shape of ``inputs``, and so has the result.
    """
    is_tuple, xs = _as_tuple(inputs, "inputs", "hvp")
    xs = _prepare(xs, create_graph)
    vs = _weights(v, xs, "inputs", "hvp")
    out = _scalar_output(func, xs, "hvp")
    g = _grad([out], xs, None, True, strict, "hvp")
    result = _grad(g, xs, vs, create_graph, strict, "hvp")  # v^T (dg/dx) = (H v)^T: H is symmetric
    return _outputs((out,), create_graph)[0], _unpack(result, is_tuple)


def _scalar_output(func: Callable[..., Any], xs: tuple[Tensor, ...], fn: str) -> Tensor:
    out_tuple, outs = _call(func, xs, fn)
    if out_tuple or outs[0].numel() != 1:
        shape = f"{len(outs)} outputs" if out_tuple else f"shape {outs[0].shape}"
        raise RuntimeError(f"{fn}: the function must return a single Tensor with a single entry, got {shape}")
    return outs[0]


def jacobian(func: Callable[..., Any], inputs: Tensors, create_graph: bool = False, strict: bool = False) -> Any:
    """The Jacobian d func(inputs) / d inputs, one reverse sweep per output entry.

    For one output and one input, a Tensor of shape ``output.shape + input.shape``; for tuple outputs and tuple
    inputs, ``result[i][j]`` is d output_i / d input_j (a tuple over whichever side is a tuple).
    """
    is_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, "jacobian")
    blocks = []
    for out in outs:
        rows = []  # one vjp per entry of this output: the rows of d out / d inputs
        for k in range(out.numel()):
            e_k = np.zeros(out.numel(), dtype=out.dtype)
            e_k[k] = 1
            rows.append(_grad([out], xs, [Tensor(e_k.reshape(out.shape))], create_graph, strict, "jacobian"))
        blocks.append(tuple(_stack([row[j] for row in rows], out.shape + x.shape) for j, x in enumerate(xs)))
    return _unpack([_unpack(block, is_tuple) for block in blocks], out_tuple)


def _stack(rows: list[Tensor], shape: tuple[int, ...]) -> Tensor:
    """Rows of one shape put together as one Tensor of ``shape`` (a graph again when the rows are)."""
    if not any(r.requires_grad for r in rows):
        return Tensor(np.stack([r._value for r in rows]).reshape(shape))
    return reshape(concatenate(*[reshape(r, shape=(-1,)) for r in rows], axis=0), shape=shape)


def hessian(func: Callable[..., Any], inputs: Tensors, create_graph: bool = False, strict: bool = False) -> Any:
    """The Hessian of a function with a single-entry output: the Jacobian of its gradient.

    For one input, a Tensor of shape ``input.shape + input.shape``; for a tuple of inputs, ``result[i][j]`` is
    d^2 func / d input_i d input_j.
    """
    is_tuple, _ = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs: Tensor) -> Tensors:
        return _unpack(_grad([_scalar_output(func, xs, "hessian")], xs, None, True, strict, "hessian"), is_tuple)

    return jacobian(gradient, inputs, create_graph, strict)
