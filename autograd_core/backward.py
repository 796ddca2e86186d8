"""Reverse mode: one topological sweep from the outputs back to the inputs.

The forward pass recorded the evaluation trace z_1 ... z_T as a graph. Reverse mode walks it once, from z_T back
to z_1, carrying for each node its adjoint dz_T/dz_t. When a node is reached, every node that used it has already
been swept and has sent its share, so its adjoint is complete: the node passes it through its primitive's vjp
rules to its own inputs (adding up where an input was used more than once) and is never looked at again. Each node
is visited once, so the sweep costs O(T), a small constant times the forward pass (Baur-Strassen).

Which order? Every node is numbered when it is made, after its inputs, so the numbers are a topological order of
the graph for free: the sweep takes the newest waiting node each time, from a heap (as PyTorch's engine does with
its sequence numbers). No pass over the graph is needed first to count the uses of each node. The heap costs
log(w) comparisons per node, w being the number of nodes waiting at once (1 along a chain), on top of the O(T)
rule evaluations. Nothing here recurses: a chain of a million nodes is as safe as a chain of ten.
"""

from __future__ import annotations

from collections.abc import Sequence
from heapq import heappop, heappush
from sys import getrefcount
from typing import Any

import numpy as np

from . import anomaly
from .grad_mode import enable_grad, no_grad
from .node import Node
from .primitives import sum
from .tensor import RetainGrad, Tensor

# A node of the graph is a Node (an operation's step) or a leaf Tensor; the inputs of a step may also be constants.
Vertex = Node | Tensor
_VERTEX = (Node, Tensor)


def is_vertex(x: Any) -> bool:
    """Whether an input of a step is a node of the graph (a step, or a leaf that requires grad), not a constant."""
    return isinstance(x, _VERTEX) and x.requires_grad


def _consumer_counts(roots: Sequence[Vertex]) -> dict[Vertex, int]:
    """For every node below the roots that requires grad: how many recorded uses (edges) it has in the graph."""
    counts = dict.fromkeys(roots, 0)
    stack = list(counts)
    while stack:
        inputs = stack.pop()._inputs
        if inputs is None:
            continue
        for x in inputs:
            if is_vertex(x):
                if x in counts:
                    counts[x] += 1
                else:
                    counts[x] = 1
                    stack.append(x)
    return counts


def topological_order(roots: Sequence[Tensor | Node]) -> list[Vertex]:
    """Every node the roots depend on that requires grad, each once, inputs before the nodes that use them: the
    leaves (Tensors) and the steps (Nodes, see node.py).

    Kahn's algorithm run from the roots down: a node is placed once all of its uses are. The order numbers the
    steps of a drawing or a printed trace the way one reads a formula, outermost operation last. (The sweep visits
    the same nodes in another topological order, newest first: see ``_sweep``.)
    """
    waiting = _consumer_counts([r._vertex if isinstance(r, Tensor) else r for r in roots])
    ready = [root for root in waiting if waiting[root] == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for x in node._inputs or ():
            if is_vertex(x):
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
    if g_shape[lead:] != shape:  # axes of length 1 that were copied out: summed, and kept at length 1
        stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1)
        g = sum(g, axis=stretched, keepdims=True)
    return sum(g, axis=tuple(range(lead)), keepdims=False) if lead else g  # new leading axes: summed away


_FREED = (
    "Trying to backward through the graph a second time: its saved values were freed after the first backward. "
    "Specify retain_graph=True on the first backward (or ag.grad) if you need to sweep it again."
)


def _sweep(
    roots: Sequence[Vertex],
    seeds: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    capture: dict[Vertex, int] | None = None,
) -> list[Any]:
    """Propagate ``seeds`` (the roots' adjoints) back through the graph.

    Leaves accumulate into ``.grad``; with ``capture`` (node -> position) the adjoints of those nodes are returned
    instead and no ``.grad`` is touched. Under ``create_graph`` the adjoints are Tensors and the rules record them.
    """
    # The nodes waiting for their turn, newest first, as entries (-number, node): the newest one in ``newest`` and
    # the others in a heap. Every use of a node was made after the node, so by the time the node's turn comes,
    # every use has been swept and its adjoint is complete. A node starts waiting when the first share of its
    # adjoint arrives: nodes no derivative reaches are never visited. (Along a chain one node waits at a time, so
    # keeping the newest out of the heap means a chain never touches the heap.) A leaf without hooks does not
    # wait in the heap at all: nothing is swept below it, so its shares are summed apart and stored at the end.
    within = ends = None
    if capture is not None:  # as torch.autograd.grad: sweep (and free) only what lies between the roots and the inputs
        within, ends = _leading_to(roots, capture)
    adjoints: dict[Vertex, Any] = {}
    leaves: dict[Tensor, Any] = {}  # the gradients of leaves without hooks, which nothing in the sweep waits for
    waiting: list[tuple[int, Vertex]] = []
    for root, seed in zip(roots, seeds):
        if root in adjoints:
            adjoints[root] = adjoints[root] + seed
        elif within is None or root in within:
            adjoints[root] = seed
            heappush(waiting, (-root._number, root))
    newest = heappop(waiting) if waiting else None
    captured: list[Any] = [None] * len(capture) if capture is not None else []
    check = anomaly.enabled  # read once: the loop below runs once per node and is the hot path of every backward

    while newest is not None:
        node = newest[1]
        newest = heappop(waiting) if waiting else None
        g = adjoints.pop(node)  # complete now; neither the sweep nor its bookkeeping hold on to the node after this
        if node._hooks:
            g = _run_hooks(node, g, create_graph)
        op = node._op
        if capture is not None:
            within.discard(node)  # every use of it is swept: no later membership test can ask for it
            if node in capture:
                captured[capture[node]] = g
            if op is None or node in ends:
                continue
        elif op is None:  # a leaf: the end of every path through it
            _accumulate(node, g)
            continue
        inputs = node._inputs
        if inputs is None:
            raise RuntimeError(_FREED)
        # the rules see numbers in an ordinary sweep, and Tensors when the sweep itself is being recorded
        if create_graph:
            args, z = _as_tensors(inputs, node._args), Tensor._make(node._z, node)
        else:
            args, z = node._args, node._z
        params = node._params
        vjps = op.vjps
        for i in node._swept:
            x = inputs[i]
            if within is not None and x not in within:
                continue
            vjp = vjps[i]
            gx = vjp(g, z, *args, **params) if params else vjp(g, z, *args)
            if gx.shape != x.shape:  # most rules already give the input's shape: skip the call
                gx = unbroadcast(gx, x.shape)
            if check:
                anomaly.check_backward(node, i, gx)
            if x._op is None and capture is None and not x._hooks:  # a leaf: summed apart, stored at the end
                previous = leaves.get(x)
                leaves[x] = gx if previous is None else previous + gx
                continue
            previous = adjoints.get(x)
            if previous is None:
                adjoints[x] = gx
                entry = (-x._number, x)
                if newest is None:
                    newest = entry
                elif entry < newest:
                    heappush(waiting, newest)
                    newest = entry
                else:
                    heappush(waiting, entry)
            else:
                adjoints[x] = previous + gx
        if not retain_graph:
            node._inputs = node._args = node._z = None
    while leaves:
        leaf, g = leaves.popitem()  # popped, so that _accumulate can see the sweep no longer holds g
        _accumulate(leaf, g)
    return captured


def _as_tensors(inputs: tuple[Any, ...], args: tuple[Any, ...]) -> list[Any]:
    """A step's inputs as its rules see them under ``create_graph``: Tensors in the graph (an operation's result
    as a new Tensor of its kept value on its node), constants as they are."""
    return [Tensor._make(a, x) if isinstance(x, Node) else x for x, a in zip(inputs, args)]


def _leading_to(roots: Sequence[Vertex], targets: dict[Vertex, int]) -> tuple[set[Vertex], set[Vertex]]:
    """The nodes below the roots that are a target or have a target below them: the only ones worth sweeping. And
    the targets with none of those below them: the sweep stops there, so their own inputs are neither swept nor
    freed."""
    users: dict[Vertex, list[Vertex]] = {root: [] for root in roots}  # every node below the roots -> its uses
    up = [root for root in users if root in targets or _freed(root)]
    stack = list(users)
    while stack:
        node = stack.pop()
        for x in node._inputs or ():
            if is_vertex(x):
                if x in users:
                    users[x].append(node)
                else:
                    users[x] = [node]
                    stack.append(x)
                    if x in targets or _freed(x):
                        up.append(x)
    # Up from the targets through their users: every node with a target below it.
    within = set(up)
    while up:
        for user in users[up.pop()]:
            if user not in within:
                within.add(user)
                up.append(user)
    ends = {t for t in targets if t in within and not any(is_vertex(x) and x in within for x in t._inputs or ())}
    return within, ends


def _freed(node: Vertex) -> bool:
    """A node whose inputs an earlier sweep let go of; kept in the sweep, so that reaching it raises an error."""
    return node._op is not None and node._inputs is None


def _run_hooks(node: Vertex, g: Any, create_graph: bool) -> Any:
    """Call the node's hooks in order; each sees a Tensor and may return a replacement.

    ``retain_grad`` stores the gradient after every other hook has run, whatever the order of registration, as
    in PyTorch: ``.grad`` shows the gradient that the sweep passes on.
    """
    for hook in list(node._hooks):
        if isinstance(hook, RetainGrad):
            continue
        result = hook(g if create_graph else Tensor._make(g, None))
        if result is not None:
            result = result if create_graph or not isinstance(result, Tensor) else result.data
            if np.shape(result) != node.shape:
                raise RuntimeError(f"hook on a node of shape {node.shape} returned a gradient of shape {np.shape(result)}")
            g = result
    for hook in node._hooks:
        if isinstance(hook, RetainGrad):
            _accumulate(hook.tensor, g)
    return g


def _references_seen_by_a_callee(g: Any) -> int:
    return getrefcount(g)


def _references_when_held_by_one_variable() -> int:
    adjoint = np.empty(0)  # held by this variable alone, as the sweep's variable g holds a fresh adjoint
    return _references_seen_by_a_callee(adjoint)


# How many references _accumulate sees to an adjoint that only the sweep holds: the sweep's variable, its own
# parameter and getrefcount's argument (3 on CPython 3.11). Measured with the same call shape rather than written
# down, because interpreters differ in which of these they count.
_HELD_BY_THE_SWEEP_ALONE = _references_when_held_by_one_variable()


def _accumulate(node: Tensor, g: Any) -> None:
    """``node.grad += g``, where ``.grad`` never aliases another array.

    The first gradient is copied, unless nothing else can see it: an array of the right dtype that owns its memory
    and that only the sweep refers to (no other input's adjoint, no view, not the caller's seed). Such an array
    becomes ``.grad`` as it is, as PyTorch's AccumulateGrad steals it: a weight's gradient is not copied again.
    """
    if node.grad is not None:
        node.grad += g.data if isinstance(g, Tensor) else g
    elif (
        type(g) is np.ndarray
        and g.base is None
        and g.dtype == node.data.dtype
        and getrefcount(g) <= _HELD_BY_THE_SWEEP_ALONE
    ):
        node.grad = g
    else:
        node.grad = np.array(g.data if isinstance(g, Tensor) else g, dtype=node.data.dtype)


def _seed(output: Tensor, grad: Any, create_graph: bool, what: str) -> Any:
    """The adjoint a sweep starts from: ones for a scalar output, else the given ``grad`` of the output's shape."""
    if grad is None:
        if output.size != 1:
            raise RuntimeError(
                f"{what}: grad can be implicitly created only for scalar outputs; this output has shape "
                f"{output.shape}, so pass a gradient of that shape"
            )
        seed = np.ones(output.shape, output.dtype)
    else:
        seed = grad.data if isinstance(grad, Tensor) else np.asarray(grad, dtype=output.dtype)
        if seed.shape != output.shape:
            raise ValueError(f"{what}: the gradient has shape {seed.shape} but the output has shape {output.shape}")
    if create_graph:
        return grad if isinstance(grad, Tensor) else Tensor._make(seed, None)
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
        _sweep([output._vertex], [seed], retain, create_graph)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Node | Sequence[Tensor | Node],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as ``torch.autograd.grad``.

    Returns a tuple with one Tensor per input; ``.grad`` attributes are not touched. ``grad_outputs`` weights each
    output (needed for non-scalar outputs). With ``create_graph=True`` the results are graphs themselves and can be
    differentiated again, to any order. Only the part of the graph between the outputs and the inputs is swept (and
    freed without ``retain_graph``); inputs may be intermediate results, as Tensors or as the graph's nodes (those
    ``ag.topological_order`` lists).
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, _VERTEX) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for x in inputs:
        if not is_vertex(x):
            raise RuntimeError("grad: every input must be a Tensor that requires grad (or a node of the graph)")
    for out in outputs:
        _check_differentiable(out, "grad")
    seeds = [_seed(o, g, create_graph, "grad") for o, g in zip(outputs, grad_outputs)]
    retain = create_graph if retain_graph is None else retain_graph
    vertices = [x._vertex if isinstance(x, Tensor) else x for x in inputs]
    capture = {x: k for k, x in enumerate(dict.fromkeys(vertices))}  # an input given twice is swept for once
    with enable_grad() if create_graph else no_grad(), anomaly.sweeping():
        found = _sweep([out._vertex for out in outputs], seeds, retain, create_graph, capture)
    results: list[Tensor | None] = []
    for i, g in enumerate(found[capture[x]] for x in vertices):
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
            dtype = inputs[i].dtype if isinstance(inputs[i], Tensor) else None  # a node's adjoint has its dtype
            results.append(Tensor._make(np.array(g, dtype=dtype), None))
    return tuple(results)
