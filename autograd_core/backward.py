"""Reverse mode: one topological sweep from the outputs back to the inputs.

The forward pass recorded the evaluation trace z_1 ... z_T as a graph. Reverse mode walks it once, from z_T back
to z_1, carrying for each node its adjoint dz_T/dz_t. When a node is reached, every node that used it has already
been swept and has sent its share, so its adjoint is complete: the node passes it through its primitive's vjp
rules to its own inputs (adding up where an input was used more than once) and is never looked at again. Each node
is visited once, so the sweep costs O(T), a small constant times the forward pass (Baur-Strassen).

The sweep visits nodes in the order of Kahn's algorithm: it first counts how many times each node is used, and
a node becomes ready when all of its uses have been swept. Nothing here recurses: a chain of a million nodes is as safe as a chain of ten.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import anomaly
from .grad_mode import enable_grad, no_grad
from .primitives import reshape, sum
from .tensor import RETAIN_GRAD, Tensor


def _consumer_counts(roots: Sequence[Tensor]) -> dict[Tensor, int]:
    """For every node below the roots that requires grad: how many recorded uses (edges) it has in the graph."""
    counts = dict.fromkeys(roots, 0)
    stack = list(counts)
    while stack:
        inputs = stack.pop()._inputs
        if inputs is None:
            continue
        for x in inputs:
            if isinstance(x, Tensor) and x.requires_grad:
                if x in counts:
                    counts[x] += 1
                else:
                    counts[x] = 1
                    stack.append(x)
    return counts


def topological_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """Every node the roots depend on that requires grad, each once, inputs before the nodes that use them.

    This is the reverse of the order in which the sweep visits the nodes (see ``_sweep``).
    """
    waiting = _consumer_counts(roots)
    ready = [root for root in waiting if waiting[root] == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for x in node._inputs or ():
            if isinstance(x, Tensor) and x.requires_grad:
                waiting[x] -= 1
                if waiting[x] == 0:
                    ready.append(x)
    order.reverse()
    return order


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum a gradient of a broadcast result down to the ``shape`` of the input that was broadcast.

    Broadcasting copies an input along new leading axes and along axes of length 1; the adjoint of a copy is the
    sum of the copies' adjoints. This is the one place where broadcasting is undone.
    """
    g_shape = g.shape
    if g_shape == shape:
        return g
    lead = len(g_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1)
    return reshape(sum(g, axis=axes, keepdims=True), shape=shape)


_FREED = (
    "Trying to backward through the graph a second time: its saved values were freed after the first backward. "
    "Specify retain_graph=True on the first backward (or ag.grad) if you need to sweep it again."
)


def _sweep(
    roots: Sequence[Tensor],
    seeds: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    capture: dict[Tensor, int] | None = None,
) -> list[Any]:
    """Propagate ``seeds`` (the roots' adjoints) back through the graph.

    Leaves accumulate into ``.grad``; with ``capture`` (node -> position) the adjoints of those nodes are returned
    instead and no ``.grad`` is touched. Under ``create_graph`` the adjoints are Tensors and the rules record them.
    """
    # A node is ready once every node that used it has sent its share of the adjoint: count the uses first.
    if capture is None:
        waiting = _consumer_counts(roots)
    else:  # as torch.autograd.grad: sweep (and free) only what lies between the roots and the inputs
        waiting, ends = _leading_to(roots, capture)
    adjoints: dict[Tensor, Any] = {}
    for root, seed in zip(roots, seeds):
        adjoints[root] = seed if root not in adjoints else adjoints[root] + seed
    ready = [root for root in waiting if waiting[root] == 0]
    captured: list[Any] = [None] * len(capture) if capture is not None else []
    check = anomaly.enabled  # read once: the loop below runs once per node and is the hot path of every backward

    while ready:
        node = ready.pop()
        del waiting[node]  # neither the sweep nor its bookkeeping hold on to a node once it is swept
        g = adjoints.pop(node, None)  # complete now; None if no path carries a derivative here
        if g is not None and node._hooks:
            g = _run_hooks(node, g, create_graph)
        op = node._op
        if capture is not None:
            if node in capture:
                captured[capture[node]] = g
            if op is None or node in ends:
                continue
        elif op is None:  # a leaf: the end of every path through it
            if g is not None:
                _accumulate(node, g)
            continue
        inputs = node._inputs
        if inputs is None:
            raise RuntimeError(_FREED)
        # the rules see numbers in an ordinary sweep, and graph nodes when the sweep itself is being recorded
        args, z = (inputs, node) if create_graph else (node._args, node.data)
        params = node._params
        vjps = op.vjps
        for i, x in enumerate(inputs):
            if not (isinstance(x, Tensor) and x in waiting):
                continue
            if g is not None and (vjp := vjps[i]) is not None:
                gx = vjp(g, z, *args, **params)
                if gx.shape != x.data.shape:  # most rules already give the input's shape: skip the call
                    gx = unbroadcast(gx, x.data.shape)
                if check:
                    anomaly.check_backward(node, i, gx)
                previous = adjoints.get(x)
                adjoints[x] = gx if previous is None else previous + gx
            uses = waiting[x] - 1
            waiting[x] = uses
            if not uses:
                ready.append(x)
        if not retain_graph:
            node._inputs = node._args = None
    return captured


def _leading_to(roots: Sequence[Tensor], targets: dict[Tensor, int]) -> tuple[dict[Tensor, int], set[Tensor]]:
    """Uses counted as in ``_consumer_counts``, but only for the nodes below the roots that are a target or have a
    target below them; and the targets with no such node below them (the sweep stops there, so their own inputs
    are neither swept nor freed)."""
    users: dict[Tensor, list[Tensor]] = {root: [] for root in roots}  # every node below the roots -> its uses
    up = [root for root in users if root in targets or _freed(root)]
    stack = list(users)
    while stack:
        node = stack.pop()
        for x in node._inputs or ():
            if isinstance(x, Tensor) and x.requires_grad:
                if x in users:
                    users[x].append(node)
                else:
                    users[x] = [node]
                    stack.append(x)
                    if x in targets or _freed(x):
                        up.append(x)
    # Up from the targets through their users: every node with a target below it. Every user of such a node has
    # one too, so all of its uses count.
    counts = {node: len(users[node]) for node in up}
    while up:
        for user in users[up.pop()]:
            if user not in counts:
                counts[user] = len(users[user])
                up.append(user)
    ends = {t for t in targets if t in counts and not any(x in counts for x in _tensor_inputs(t))}
    return counts, ends


def _freed(node: Tensor) -> bool:
    """A node whose inputs an earlier sweep let go of; kept in the sweep, so that reaching it raises an error."""
    return node._op is not None and node._inputs is None


def _tensor_inputs(node: Tensor) -> list[Tensor]:
    return [x for x in node._inputs or () if isinstance(x, Tensor)]


def _run_hooks(node: Tensor, g: Any, create_graph: bool) -> Any:
    """Call the node's hooks in order; each sees a Tensor and may return a replacement.

    ``retain_grad`` stores the gradient after every other hook has run, whatever the order of registration, as
    in PyTorch: ``.grad`` shows the gradient that the sweep passes on.
    """
    for hook in list(node._hooks):
        if hook is RETAIN_GRAD:
            continue
        result = hook(g if create_graph else Tensor._node(g, None, None, None, None))
        if result is not None:
            result = result if create_graph or not isinstance(result, Tensor) else result.data
            if np.shape(result) != node.shape:
                raise RuntimeError(f"hook on a node of shape {node.shape} returned a gradient of shape {np.shape(result)}")
            g = result
    if RETAIN_GRAD in node._hooks:
        _accumulate(node, g)
    return g


def _accumulate(node: Tensor, g: Any) -> None:
    """``node.grad += g``; the first gradient is copied, so that .grad never aliases another array."""
    value = g.data if isinstance(g, Tensor) else g
    if node.grad is None:
        node.grad = np.array(value, dtype=node.data.dtype)
    else:
        node.grad += value


def _seed(output: Tensor, grad: Any, create_graph: bool, what: str) -> Any:
    """The adjoint a sweep starts from: ones for a scalar output, else the given ``grad`` of the output's shape."""
    if grad is None:
        if output.size != 1:
            raise RuntimeError(
                f"{what}: grad can be implicitly created only for scalar outputs; this output has shape "
                f"{output.shape}, so pass a gradient of that shape"
            )
        seed = np.ones_like(output.data)
    else:
        seed = grad.data if isinstance(grad, Tensor) else np.asarray(grad, dtype=output.dtype)
        if seed.shape != output.shape:
            raise ValueError(f"{what}: the gradient has shape {seed.shape} but the output has shape {output.shape}")
    if create_graph:
        return grad if isinstance(grad, Tensor) else Tensor._node(seed, None, None, None, None)
    return seed


def _check_differentiable(output: Tensor, what: str) -> None:
    if not isinstance(output, Tensor):
        raise TypeError(f"{what}: expected a Tensor, got {type(output).__name__}")
    if not output.requires_grad:
        raise RuntimeError(
            f"{what}: the tensor does not require grad and has no graph: no input it was computed from has "
            "requires_grad=True (or it was computed under no_grad)"
        )


def backward(
    output: Tensor,
    grad: Tensor | np.ndarray | float | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulate d(output)/d(leaf), weighted by ``grad``, into ``leaf.grad`` for every leaf that requires grad."""
    _check_differentiable(output, "backward")
    seed = _seed(output, grad, create_graph, "backward")
    retain = create_graph if retain_graph is None else retain_graph
    with enable_grad() if create_graph else no_grad(), anomaly.sweeping():
        _sweep([output], [seed], retain, create_graph)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as ``torch.autograd.grad``.

    Returns a tuple with one Tensor per input; ``.grad`` attributes are not touched. ``grad_outputs`` weights each
    output (needed for non-scalar outputs). With ``create_graph=True`` the results are graphs themselves and can be
    differentiated again, to any order. Only the part of the graph between the outputs and the inputs is swept (and
    freed without ``retain_graph``); inputs may be intermediate nodes.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for x in inputs:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError("grad: every input must be a Tensor that requires grad")
    for out in outputs:
        _check_differentiable(out, "grad")
    seeds = [_seed(o, g, create_graph, "grad") for o, g in zip(outputs, grad_outputs)]
    retain = create_graph if retain_graph is None else retain_graph
    capture = {x: k for k, x in enumerate(dict.fromkeys(inputs))}  # an input given twice is swept for once
    with enable_grad() if create_graph else no_grad(), anomaly.sweeping():
        found = _sweep(outputs, seeds, retain, create_graph, capture)
    results: list[Tensor | None] = []
    for i, g in enumerate(found[capture[x]] for x in inputs):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {inputs[i].shape}) was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
            results.append(None)
        elif isinstance(g, Tensor):
            results.append(g)
        else:
            results.append(Tensor._node(np.array(g, dtype=inputs[i].dtype), None, None, None, None))
    return tuple(results)
