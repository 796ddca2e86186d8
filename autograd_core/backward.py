"""Reverse mode: one sweep over the evaluation trace, from the output back to the inputs.

The forward pass recorded the trace z_1 ... z_T as a graph. Reverse mode visits its nodes once each, newest first
(every node is made after its inputs, so it comes after all the nodes that use it), carrying for each node its
adjoint dz_T/dz_t.
When a node's turn comes, every use of it has already sent its share, so its adjoint is complete: the node passes
it through its primitive's vjp rules to its own inputs, adding into their adjoints, and is never looked at again.
Each node is visited once, so the sweep costs O(T), a small constant times the forward pass (Baur-Strassen).
Nothing here recurses: a chain of a million nodes is as safe as a chain of ten.

``sweep`` is the algorithm; ``backward`` and ``grad`` choose what it visits and what becomes of its results.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from . import anomaly, versions
from . import primitives as P
from .grad_mode import enable_grad, no_grad
from .node import Node
from .tensor import RetainGrad, Tensor

# A node of the graph is a Node (an operation's step) or a leaf Tensor; the inputs of a step may also be constants.
GraphNode = Node | Tensor
_GRAPH_NODE = (Node, Tensor)


def is_node(x: Any) -> bool:
    """Whether an input of a step is a node of the graph (a step, or a leaf that requires grad), not a constant."""
    return isinstance(x, _GRAPH_NODE) and x.requires_grad


def topological_order(roots: Sequence[Tensor | Node]) -> list[GraphNode]:
    """Every node the roots depend on, each once, inputs before the nodes that use them: the leaves that require
    grad (Tensors) and the steps (Nodes, see node.py).

    Kahn's algorithm run from the roots down: a node is placed once every use of it is. This numbers the steps of a
    drawing or a printed trace the way one reads a formula, outermost operation last, as the lectures do. (The sweep
    needs only some order with each node after its uses, and takes the cheaper one of ``newest_first``.)
    """
    roots = [r._graph_node if isinstance(r, Tensor) else r for r in roots]
    uses = _count_uses(roots)
    ready = [root for root in dict.fromkeys(roots) if uses[root] == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for x in node.inputs or ():
            if is_node(x):
                uses[x] -= 1
                if uses[x] == 0:
                    ready.append(x)
    order.reverse()
    return order


def newest_first(roots: Sequence[GraphNode]) -> list[GraphNode]:
    """Every node the roots depend on, newest first: each after all the nodes that use it, since a node is always
    made after its inputs. One walk to find them, then a sort by the number each got when it was made (node.py)."""
    found = set(roots)
    stack = list(found)
    while stack:
        for x in stack.pop().inputs or ():
            if isinstance(x, _GRAPH_NODE) and x.requires_grad and x not in found:  # is_node(x), inlined: per edge
                found.add(x)
                stack.append(x)
    return sorted(found, key=_made, reverse=True)


_made = attrgetter("_number")  # when a node was made (node.py)


def _count_uses(roots: Sequence[GraphNode]) -> dict[GraphNode, int]:
    """For every node below the roots: how many times a step uses it as an input."""
    uses = dict.fromkeys(roots, 0)
    stack = list(uses)
    while stack:
        for x in stack.pop().inputs or ():
            if is_node(x):
                if x not in uses:
                    uses[x] = 0
                    stack.append(x)
                uses[x] += 1
    return uses


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum a gradient of a broadcast result down to the ``shape`` of the input that was broadcast.

    Broadcasting copies an input along new leading axes and along axes of length 1; the adjoint of a copy is the
    sum of the copies' adjoints. This is the one place where broadcasting is undone.
    """
    if g.shape == shape:
        return g
    lead = len(g.shape) - len(shape)
    if lead < 0:
        return g  # cannot come from broadcasting: the caller reports the shape
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if stretched:  # axes of length 1 that were copied out: summed, and kept at length 1
        g = P.sum(g, axis=stretched, keepdims=True)
    return P.sum(g, axis=tuple(range(lead)), keepdims=False) if lead else g  # new leading axes: summed away


FREED = (
    "Trying to backward through the graph a second time: its saved values were freed after the first backward. "
    "Specify retain_graph=True on the first backward (or ag.grad) if you need to sweep it again."
)


def sweep(order: list[GraphNode], seeds: dict[GraphNode, Any], retain_graph: bool, create_graph: bool,
          wanted: set[GraphNode]) -> dict[GraphNode, Any]:  # fmt: skip
    """The reverse sweep over ``order`` (each node after all the nodes that use it), from the adjoints ``seeds`` of
    the outputs. Returns the adjoints of the leaves it reaches and of the ``wanted`` steps. Adjoints flow only to
    nodes in ``order``, so a rule is called only for an input that is. Under ``create_graph`` the adjoints are
    Tensors and the rules record them; without ``retain_graph`` a step lets go of its inputs and kept values once
    it has passed its adjoint on.
    """
    in_order = set(order)
    adjoints = dict(seeds)
    found = {}
    for node in order:  # every use of the node is swept: its adjoint is complete
        g = adjoints.pop(node, None)
        if g is None:
            continue  # no derivative reaches it
        if node._hooks:
            g = _run_hooks(node, g, create_graph)
        if node.op is None:  # a leaf: the end of every path through it
            found[node] = g
            continue
        if node in wanted:
            found[node] = g
        if node.inputs is None:  # freed by an earlier sweep: nothing below it can be reached
            if node in wanted:
                continue  # (only its own adjoint was asked for)
            raise RuntimeError(FREED)
        z, args = _as_tensors(node) if create_graph else (node.z, node.args)
        passed = False
        for i in node.grad_inputs:
            x = node.inputs[i]
            if x in in_order:
                if not passed and node._number < versions.last_change:  # a change in place since the node was made:
                    versions.check(node)  # not of a value its rules are about to read? (versions.py)
                # g^T dz/dx, by the primitive's rule for input i (checked to record a graph under create_graph)
                gx = _recorded_vjp(node, i, g, z, args) if create_graph else node.op.vjps[i](g, z, *args, **node.params)
                if gx.shape != x.shape:
                    gx = _unbroadcast_to(gx, x, node, i)
                if anomaly.enabled:
                    anomaly.check_backward(node, i, gx)
                adjoints[x] = adjoints[x] + gx if x in adjoints else gx
                passed = True
        if passed and not retain_graph:
            node.free()
    return found


def _as_tensors(node: Node) -> tuple[Tensor, list[Any]]:
    """The step's output and inputs as its rules see them under ``create_graph``: Tensors on the graph (the kept
    arrays on their nodes), so that the rules record the gradient's own graph; constants as they are."""
    args = [Tensor._make(a, x, x._counter) if isinstance(x, Node) else x for x, a in zip(node.inputs, node.args)]
    return Tensor._make(node.z, node, node._counter), args


def _unbroadcast_to(gx: Any, x: GraphNode, node: Node, i: int) -> Any:
    """``gx`` summed down to the shape of ``node``'s input ``i`` (see ``unbroadcast``), or an error naming the rule
    when it cannot be."""
    gx = unbroadcast(gx, x.shape)
    if gx.shape != x.shape:
        raise RuntimeError(
            f"{node.op.name}: the vjp rule of input {i} returned a gradient of shape {gx.shape} for an input of "
            f"shape {x.shape}; a rule must return the input's shape (or one that broadcasts to it)"
        )
    return gx


class NumpyRuleError(TypeError):
    """A vjp rule computed with numpy under ``create_graph``, where it must record its adjoint as a graph."""


# numpy's words when one of its functions is handed a Tensor (Tensor sets __array_ufunc__ = None: see tensor.py)
_NUMPY_ON_A_TENSOR = "does not support ufuncs"


def _recorded_vjp(node: Node, i: int, g: Tensor, z: Tensor, args: list[Any]) -> Tensor:
    """Input i's rule under ``create_graph``, handed Tensors so that it records the adjoint as a graph. A rule that
    computes with numpy cannot: it fails in numpy, or returns an array. Both are stopped here, with what to do."""
    try:
        gx = node.op.vjps[i](g, z, *args, **node.params)
    except TypeError as err:
        if _NUMPY_ON_A_TENSOR not in str(err):
            raise
        raise NumpyRuleError(_numpy_rule(node, i, f"numpy said: {err}")) from err
    if not isinstance(gx, Tensor):
        returned = f"{type(gx).__module__}.{type(gx).__name__}"
        raise NumpyRuleError(_numpy_rule(node, i, f"it returned a {returned}, not a Tensor"))
    return gx


def _numpy_rule(node: Node, i: int, why: str) -> str:
    name = node.op.input_names(len(node.inputs))[i]
    return (
        f"{node.op.name}: the vjp rule of input {i} ({name}) computes with numpy ({why}), so create_graph=True "
        "cannot record it. Under create_graph the rules are handed Tensors and must build the adjoint from them "
        "with operations the engine records. Write the rule with operators (+ - * / ** @) and the derivative "
        "table's primitives, which compute numbers on arrays and record on Tensors: ag.primitives.cos(x) for "
        "np.cos(x), ag.primitives.where(c, a, b) for np.where, ag.primitives.sum(a, axis=..., keepdims=...) for "
        "np.sum; constants as Python numbers. (An ordinary backward, first derivatives only, works either way.)"
    )


def _run_hooks(node: GraphNode, g: Any, create_graph: bool) -> Any:
    """Call the node's hooks in order; each sees a Tensor and may return a replacement.

    ``retain_grad`` stores the gradient after every other hook has run, whatever the order of registration, as
    in PyTorch: ``.grad`` shows the gradient that the sweep passes on.
    """
    for hook in list(node._hooks):
        if isinstance(hook, RetainGrad):
            continue
        result = hook(g if create_graph else Tensor._make(g, None))
        if result is not None:
            result = result if create_graph or not isinstance(result, Tensor) else result._value
            if np.shape(result) != node.shape:
                raise RuntimeError(f"hook on a node of shape {node.shape} returned a gradient of shape {np.shape(result)}")
            g = result
    for hook in node._hooks:
        if isinstance(hook, RetainGrad) and hook.tensor() is not None:
            _accumulate(hook.tensor(), g)
    return g


def _accumulate(leaf: Tensor, g: Any) -> None:
    """``leaf.grad += g``. The first gradient is a new Tensor over a new array: never one that another input's
    adjoint or the caller's seed shares (add hands the same adjoint to both of its inputs); under create_graph a
    recorded copy of g, so that it can be differentiated again. Later ones add into it: in place for an ordinary
    backward (as PyTorch's), recorded under create_graph."""
    grad = leaf._grad
    if isinstance(g, Tensor):  # create_graph: g is a graph
        if grad is None:
            with enable_grad():  # a recorded copy, as PyTorch's: a node, and a version counter, of its own
                leaf._grad = P.clone(g if g.dtype == leaf.dtype else g.to(leaf.dtype))
        else:
            leaf._grad = grad + g
    elif grad is None:
        leaf._grad = Tensor._make(np.array(g, dtype=leaf.dtype), None)
    else:
        grad._value += g
        versions.bump(grad)  # a change in place, as any other


def _seed(output: Tensor, grad: Any, create_graph: bool, what: str) -> Any:
    """The adjoint a sweep starts from: ones for a scalar output, else the given ``grad`` of the output's shape."""
    if grad is None:
        if output.numel() != 1:
            raise RuntimeError(
                f"{what}: grad can be implicitly created only for scalar outputs; this output has shape "
                f"{output.shape}, so pass a gradient of that shape"
            )
        seed = np.ones(output.shape, output.dtype)
    else:
        seed = grad._value if isinstance(grad, Tensor) else np.asarray(grad, dtype=output.dtype)
        if seed.shape != output.shape:
            raise ValueError(f"{what}: the gradient has shape {seed.shape} but the output has shape {output.shape}")
    if create_graph:
        return grad if isinstance(grad, Tensor) else Tensor._make(seed, None)
    return seed


def _seeds(outputs: list[Tensor], grads: list[Any], create_graph: bool, what: str) -> dict[GraphNode, Any]:
    """Each output's node with its seed (added up for an output given twice)."""
    seeds: dict[GraphNode, Any] = {}
    for out, grad in zip(outputs, grads):
        if not isinstance(out, Tensor):
            raise TypeError(f"{what}: expected a Tensor, got {type(out).__name__}")
        if not out.requires_grad:
            raise RuntimeError(
                f"{what}: the tensor does not require grad and has no graph: no input it was computed from has "
                "requires_grad=True (or it was computed under no_grad)"
            )
        seed = _seed(out, grad, create_graph, what)
        node = out._graph_node
        seeds[node] = seeds[node] + seed if node in seeds else seed
    return seeds


def backward(output: Tensor, grad: Tensor | np.ndarray | float | None = None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:  # fmt: skip
    """Accumulate d(output)/d(leaf), weighted by ``grad``, into ``leaf.grad`` for every leaf that requires grad."""
    seeds = _seeds([output], [grad], create_graph, "backward")
    retain = create_graph if retain_graph is None else retain_graph
    with enable_grad() if create_graph else no_grad(), anomaly.sweeping():
        found = sweep(newest_first(list(seeds)), seeds, retain, create_graph, wanted=set())
    for leaf, g in found.items():
        _accumulate(leaf, g)


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
    inputs = [inputs] if isinstance(inputs, _GRAPH_NODE) else list(inputs)
    if not inputs:
        raise RuntimeError("grad: no inputs given; pass the Tensors to differentiate with respect to")
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    if not all(is_node(x) for x in inputs):
        raise RuntimeError("grad: every input must be a Tensor that requires grad (or a node of the graph)")
    seeds = _seeds(outputs, grad_outputs, create_graph, "grad")
    targets = [x._graph_node if isinstance(x, Tensor) else x for x in inputs]
    retain = create_graph if retain_graph is None else retain_graph
    with enable_grad() if create_graph else no_grad(), anomaly.sweeping():
        found = sweep(_between(list(seeds), set(targets)), seeds, retain, create_graph, set(targets))
    return tuple(_result(found.get(node), x, i, allow_unused) for i, (node, x) in enumerate(zip(targets, inputs)))


def _between(roots: list[GraphNode], targets: set[GraphNode]) -> list[GraphNode]:
    """The nodes below the roots that are a target or have one below them, newest first: the only ones an
    ``ag.grad`` sweep needs to visit. A freed node is kept, so that reaching it raises."""
    order = newest_first(roots)
    within: set[GraphNode] = set()
    for node in reversed(order):  # oldest first: a node's inputs are settled before it
        if node in targets or (node.op is not None and (node.freed or any(x in within for x in node.inputs
                                                                            if is_node(x)))):  # fmt: skip
            within.add(node)
    return [node for node in order if node in within]


def _result(g: Any, x: Tensor | Node, i: int, allow_unused: bool) -> Tensor | None:
    """What ``grad`` returns for its input ``x`` (number ``i``) whose adjoint is ``g``: a Tensor of x's dtype."""
    if g is None:
        if not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {x.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        return None
    if isinstance(g, Tensor):
        return g
    return Tensor._make(np.array(g, dtype=x.dtype), None)
