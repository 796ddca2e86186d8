"""The derivative table: every primitive's forward and its vector-Jacobian products, side by side.

An entry reads ``Primitive(name, kind, forward, vjp for input 0, vjp for input 1, ..., saves=...)``. A vjp rule
receives the output's adjoint ``g``, the output ``z``, the inputs and the parameters, and returns the adjoint for
its input: g^T (dz/dx). ``saves`` declares which values each input's rule reads (``{"x": "y", "y": "x"}`` for a
product: x's rule reads y, y's reads x; "z" is the output; "x.shape" reads only x's shape, so a change of x's
values in place after the step is harmless), so that a node keeps those and nothing else (primitive.py); a test
checks every declaration against its rules' code.

The entries come in the lectures' three kinds (affine maps, products and powers, fixed one-dimensional functions),
then the piecewise ones with rules of their own (extrema, comparisons), then a few fused entries that exist only
for speed. Rules are written with primitives and operators only, so the same rule computes numbers in an
ordinary backward and records a graph under ``create_graph=True`` (see primitive.py).

A rule may return a gradient in the broadcast shape of the output; the sweep sums it down to the input's shape in
one place (``unbroadcast`` in backward.py), so no rule here deals with broadcasting.

Care with dtypes: a Python number combined with an array keeps the array's dtype (NEP 50), but a numpy array or a
numpy float64 scalar does not, so constants inside rules are Python numbers or booleans, never new arrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special

from .primitive import AFFINE, COMPOSITE, ELEMENTWISE, PRODUCT, EachInput, Primitive, ShapeError

# ---- affine maps ------------------------------------------------------------------------------------------------

add = Primitive("add", AFFINE, np.add,
                lambda g, z, x, y: g,
                lambda g, z, x, y: g,
                saves={"x": "", "y": ""})

subtract = Primitive("subtract", AFFINE, np.subtract,
                     lambda g, z, x, y: g,
                     lambda g, z, x, y: -g,
                     saves={"x": "", "y": ""})

negative = Primitive("negative", AFFINE, np.negative,
                     lambda g, z, x: -g,
                     saves={"x": ""})


def _kept_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """The shape a reduction over ``axis`` has with keepdims=True."""
    if axis is None or not shape:  # (a 0-d tensor reduced over axis 0 or -1, as PyTorch allows, is its own result)
        return (1,) * len(shape)
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def count(shape: tuple[int, ...], axis: Any) -> int:
    """How many entries a reduction over ``axis`` combines into one."""
    if axis is None or not shape:
        return math.prod(shape)
    return math.prod(shape[a] for a in (axis if isinstance(axis, tuple) else (axis,)))


def _spread(g: Any, shape: tuple[int, ...], axis: Any, keepdims: bool) -> Any:
    """The adjoint of a sum over ``axis`` of an input of ``shape``: every summand gets the adjoint of its sum."""
    if not keepdims and axis is not None:  # (a sum over every axis is 0-d, and broadcasts as it is)
        g = reshape(g, shape=_kept_shape(shape, axis))
    return broadcast_to(g, shape=shape)


def _sum_vjp(g: Any, z: Any, x: Any, *, axis: Any, keepdims: bool) -> Any:
    return _spread(g, x.shape, axis, keepdims)


# np.add.reduce is what np.sum calls, without np.sum's Python wrapper (which costs as much as summing 1,000 floats)
sum = Primitive("sum", AFFINE, np.add.reduce, _sum_vjp, saves={"x": "x.shape"})  # noqa: A001  (the table uses numpy's names)


def _broadcast_to(x: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``x`` copied out to ``shape``, as a new writable array: the copy costs a fifth of np.broadcast_to's view."""
    x = np.asarray(x)
    out = np.empty(shape, dtype=x.dtype)
    out[...] = x  # raises numpy's ValueError naming both shapes when x does not broadcast to shape
    return out


# The sweep sums a broadcast gradient back to the input's shape, so broadcasting's own rule is the identity.
broadcast_to = Primitive("broadcast_to", AFFINE, _broadcast_to,
                         lambda g, z, x, *, shape: g,
                         saves={"x": ""})


def _reshape(x: Any, shape: tuple[int, ...]) -> np.ndarray:
    try:
        return np.asarray(x).reshape(shape)  # the method: np.reshape's Python wrapper costs three times as much
    except ValueError:
        raise ShapeError(
            f"reshape: cannot reshape a tensor of shape {np.shape(x)} ({np.size(x)} elements) into shape {shape}"
        ) from None


reshape = Primitive("reshape", AFFINE, _reshape,
                    lambda g, z, x, *, shape: reshape(g, shape=x.shape),
                    saves={"x": "x.shape"})


def _inverse_permutation(axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argsort([a % len(axes) for a in axes]))


transpose = Primitive("transpose", AFFINE, lambda x, *, axes: np.asarray(x).transpose(axes),
                      lambda g, z, x, *, axes: transpose(g, axes=_inverse_permutation(axes)),
                      saves={"x": ""})


def _is_basic(index: Any) -> bool:
    """True when ``index`` selects each element at most once (no integer arrays), so assignment can scatter."""
    parts = index if isinstance(index, tuple) else (index,)
    return not any(isinstance(p, (np.ndarray, list)) and np.asarray(p).dtype != bool for p in parts)


def _scatter(g: Any, shape: tuple[int, ...], index: Any, unique: bool = False) -> np.ndarray:
    """Zeros of ``shape`` with ``g`` added at ``index``: the adjoint of ``x[index]``. Repeated indices add up;
    ``unique=True`` says that the index selects each entry at most once, so that assignment can do the adding."""
    out = np.zeros(shape, dtype=np.result_type(g))
    if unique or _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def _getitem(x: Any, *, index: Any) -> Any:
    picked = x[index]
    if isinstance(picked, np.ndarray):
        return picked
    # one entry, which numpy gives as a number: taken as a 0-d view instead, as PyTorch's x[0] is a view
    return x[(*index, ...) if isinstance(index, tuple) else (index, ...)]


getitem = Primitive("getitem", AFFINE, _getitem,
                    lambda g, z, x, *, index: scatter(g, shape=x.shape, index=index),
                    saves={"x": "x.shape"})


def _setitem(x: Any, v: Any, *, index: Any) -> np.ndarray:
    out = np.array(x, copy=True)
    out[index] = v  # numpy's assignment: v broadcast into the indexed entries, cast to x's dtype
    return out


# x with x[index] replaced by v: what ``t[index] = v`` records (inplace.py). The assigned entries take v's adjoint
# (summed down to v's shape by the sweep where v was broadcast); the others keep x's.
setitem = Primitive("setitem", AFFINE, _setitem,
                    lambda g, z, x, v, *, index: setitem(g, 0, index=index),
                    lambda g, z, x, v, *, index: getitem(g, index=index),
                    saves={"x": "", "v": ""})

scatter = Primitive("scatter", AFFINE, _scatter,
                    lambda g, z, src, *, shape, index, unique=False: getitem(g, index=index),
                    saves={"src": ""})


def _concatenate_vjp(i: int, g: Any, z: Any, *xs: Any, axis: int) -> Any:
    """Input i's adjoint is its slice of the output's adjoint along ``axis``."""
    axis = axis % np.ndim(z)
    start = int(np.sum([np.shape(x)[axis] for x in xs[:i]], dtype=int))
    stop = start + np.shape(xs[i])[axis]
    return getitem(g, index=(slice(None),) * axis + (slice(start, stop),))


concatenate = Primitive("concatenate", AFFINE, lambda *xs, axis: np.concatenate(xs, axis=axis),
                        EachInput(_concatenate_vjp))  # any number of inputs: keeps them all (the rule reads shapes)

def _where(c: Any, x: Any, y: Any) -> np.ndarray:
    try:
        return np.where(c, x, y)
    except ValueError:
        raise ShapeError(
            f"where: the condition {np.shape(c)}, x {np.shape(x)} and y {np.shape(y)} do not broadcast together"
        ) from None


where = Primitive("where", AFFINE, _where,
                  None,  # the condition carries no derivative
                  lambda g, z, c, x, y: where(c, g, 0),
                  lambda g, z, c, x, y: where(c, 0, g),
                  saves={"c": "", "x": "c", "y": "c"})

astype = Primitive("astype", AFFINE, lambda x, *, dtype: np.asarray(x).astype(dtype),
                   lambda g, z, x, *, dtype: astype(g, dtype=x.dtype),
                   saves={"x": "x.dtype"})

# x.clone(): a copy of the values that stays in the graph (PyTorch's clone); the adjoint passes through unchanged
clone = Primitive("clone", AFFINE, np.copy,
                  lambda g, z, x: g,
                  saves={"x": ""})

# ---- products and powers ----------------------------------------------------------------------------------------

multiply = Primitive("multiply", PRODUCT, np.multiply,
                     lambda g, z, x, y: g * y,
                     lambda g, z, x, y: g * x,
                     saves={"x": "y", "y": "x"})

divide = Primitive("divide", PRODUCT, np.divide,
                   lambda g, z, x, y: g / y,
                   # d(x/y)/dy = -x/y^2, from the inputs as PyTorch's: a change of the quotient in place is harmless
                   lambda g, z, x, y: -(g * (x / y) / y),
                   saves={"x": "y", "y": "x y"})

power = Primitive("power", PRODUCT, np.power,
                  # y x^(y-1); for y = 0 the exponent stays 0 so that 0^-1 never appears (the derivative is 0)
                  lambda g, z, x, y: g * y * x ** (y - (y != 0)),
                  # x^y log x; at x = 0 and y >= 0 we take log 1 = 0, the limit of z log x as x -> 0 for y > 0; for
                  # y < 0, z log x = inf * -inf = -inf, as PyTorch's
                  lambda g, z, x, y: g * z * log(x + (x == 0) * (y >= 0)),
                  saves={"x": "x y", "y": "z x y"})


def _matmul(a: Any, b: Any) -> np.ndarray:
    a, b = np.asarray(a), np.asarray(b)
    sa, sb = a.shape, b.shape
    if not sa or not sb:
        raise ShapeError(f"matmul: {sa} @ {sb}: both operands need at least one dimension (use * for scalars)")
    inner_b = sb[-2] if len(sb) > 1 else sb[0]
    if sa[-1] != inner_b:
        raise ShapeError(f"matmul: {sa} @ {sb}: inner dimensions {sa[-1]} and {inner_b} differ")
    return np.matmul(a, b)


# The matmul and linear rules read .shape, .ndim and .mT, which numpy arrays and Tensors both have (and np.shape's
# Python wrapper costs more than the attribute): the operands are arrays or Tensors here, because Tensor's @ and
# ag.matmul turn any other operand into an array first.


def _as_matrices(g: Any, a: Any, b: Any) -> tuple[Any, Any, Any]:
    """View 1-D operands as matrices, as matmul does: a (k,) as (1, k), b (k,) as (k, 1); g follows."""
    if b.ndim == 1:
        b = reshape(b, shape=(-1, 1))
        g = reshape(g, shape=g.shape + (1,))
    if a.ndim == 1:
        a = reshape(a, shape=(1, -1))
        g = reshape(g, shape=g.shape[:-1] + (1,) + g.shape[-1:])
    return g, a, b


def _matmul_vjp_a(g: Any, z: Any, a: Any, b: Any) -> Any:
    g2, a2, b2 = _as_matrices(g, a, b)
    ga = matmul(g2, b2.mT)  # dL/dA = G B^T, with .mT the transpose of the last two axes
    return reshape(ga, shape=ga.shape[:-2] + a.shape[-1:]) if a.ndim == 1 else ga


def _matmul_vjp_b(g: Any, z: Any, a: Any, b: Any) -> Any:
    g2, a2, b2 = _as_matrices(g, a, b)
    gb = matmul(a2.mT, g2)  # dL/dB = A^T G
    return reshape(gb, shape=gb.shape[:-1]) if b.ndim == 1 else gb


matmul = Primitive("matmul", PRODUCT, _matmul, _matmul_vjp_a, _matmul_vjp_b, saves={"a": "a b", "b": "a b"})


# ---- fixed one-dimensional functions, applied to each entry -----------------------------------------------------

exp = Primitive("exp", ELEMENTWISE, np.exp,
                lambda g, z, x: g * z,
                saves={"x": "z"})

log = Primitive("log", ELEMENTWISE, np.log,
                lambda g, z, x: g / x,
                saves={"x": "x"})

sin = Primitive("sin", ELEMENTWISE, np.sin,
                lambda g, z, x: g * cos(x),
                saves={"x": "x"})

cos = Primitive("cos", ELEMENTWISE, np.cos,
                lambda g, z, x: -(g * sin(x)),
                saves={"x": "x"})

tan = Primitive("tan", ELEMENTWISE, np.tan,
                lambda g, z, x: g * (1 + z * z),
                saves={"x": "z"})

tanh = Primitive("tanh", ELEMENTWISE, np.tanh,
                 lambda g, z, x: g * (1 - z * z),
                 saves={"x": "z"})

# 1 / (1 + e^-x) written as exp(-log(1 + e^-x)): logaddexp never overflows, so neither end gives inf/inf
sigmoid = Primitive("sigmoid", ELEMENTWISE, lambda x: np.exp(-np.logaddexp(0, -x)),
                    lambda g, z, x: g * z * (1 - z),
                    saves={"x": "z"})

# log(1 + e^x) via logaddexp, exact for large |x|; its derivative is the sigmoid
softplus = Primitive("softplus", ELEMENTWISE, lambda x: np.logaddexp(0, x),
                     lambda g, z, x: g * sigmoid(x),
                     saves={"x": "x"})

# relu'(0) = 0. The mask multiplies rather than selects: np.where on a random mask is many times slower. It reads
# the output (z > 0 exactly where x > 0), as PyTorch's does: the next layer keeps that same array as its input, and
# a change in place of the output is caught (versions.py) where PyTorch catches it.
relu = Primitive("relu", ELEMENTWISE, lambda x: np.maximum(x, 0),
                 lambda g, z, x: g * (z > 0),
                 saves={"x": "z"})


def zero_slope(g: Any, z: Any, x: Any, **params: Any) -> Any:
    """The rule of a piecewise-constant function (sign, floor, round ...): its derivative is 0 wherever it exists,
    so the adjoint passed on is zeros, as PyTorch's (made with where: g * 0 would be NaN where g is infinite)."""
    return where(False, g, 0)


sign = Primitive("sign", ELEMENTWISE, np.sign, zero_slope, saves={"x": ""})  # sign'(0) = 0 too: a subgradient

absolute = Primitive("absolute", ELEMENTWISE, np.abs,
                     lambda g, z, x: g * sign(x), saves={"x": "x"})  # abs'(0) = sign(0) = 0

sqrt = Primitive("sqrt", ELEMENTWISE, np.sqrt,
                 lambda g, z, x: g / (2 * z),
                 saves={"x": "z"})

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
erf = Primitive("erf", ELEMENTWISE, scipy.special.erf,
                lambda g, z, x: g * _TWO_OVER_SQRT_PI * exp(-(x * x)),
                saves={"x": "x"})


def _clip(x: Any, lo: float | None, hi: float | None) -> np.ndarray:
    if lo is None and hi is None:
        raise ValueError("clip: give at least one of lo and hi")
    return np.clip(x, lo, hi)


def _clip_vjp(g: Any, z: Any, x: Any, *, lo: float | None, hi: float | None) -> Any:
    if lo is not None:
        g = where(x < lo, 0, g)
    if hi is not None:
        g = where(x > hi, 0, g)
    return g  # the gradient passes on the closed interval [lo, hi], as PyTorch's clamp


clip = Primitive("clip", ELEMENTWISE, _clip, _clip_vjp, saves={"x": "x"})

# ---- rules of their own: extrema and comparisons (piecewise, none of the three kinds) -----------------------------


def _share(g: Any, x: Any, y: Any) -> Any:
    """x's part of the adjoint of maximum(x, y): all of it where x wins, half of it where x and y tie."""
    return where(x == y, g / 2, where(x > y, g, 0))


maximum = Primitive("maximum", COMPOSITE, np.maximum,
                    lambda g, z, x, y: _share(g, x, y),
                    lambda g, z, x, y: _share(g, y, x),
                    saves={"x": "x y", "y": "x y"})

minimum = Primitive("minimum", COMPOSITE, np.minimum,
                    lambda g, z, x, y: _share(g, y, x),
                    lambda g, z, x, y: _share(g, x, y),
                    saves={"x": "x y", "y": "x y"})


def _extremum_vjp(g: Any, z: Any, x: Any, *, axis: Any, keepdims: bool) -> Any:
    """The adjoint goes to the entries equal to the extremum, split evenly between ties."""
    if not keepdims:
        kept = _kept_shape(x.shape, axis)
        g, z = reshape(g, shape=kept), reshape(z, shape=kept)
    winners = x == z
    ties = astype(sum(winners, axis=axis, keepdims=True), dtype=g.dtype)
    return where(winners, g / ties, 0)


amax = Primitive("max", COMPOSITE, np.maximum.reduce, _extremum_vjp, saves={"x": "z x"})
amin = Primitive("min", COMPOSITE, np.minimum.reduce, _extremum_vjp, saves={"x": "z x"})


# Comparisons give boolean tensors that carry no gradient.
less = Primitive("less", COMPOSITE, np.less)
less_equal = Primitive("less_equal", COMPOSITE, np.less_equal)
greater = Primitive("greater", COMPOSITE, np.greater)
greater_equal = Primitive("greater_equal", COMPOSITE, np.greater_equal)
equal = Primitive("equal", COMPOSITE, np.equal)
not_equal = Primitive("not_equal", COMPOSITE, np.not_equal)


# ---- fused entries, for speed ------------------------------------------------------------------------------------
# Each could be composed from the entries above; each sits under every training step, where one node with its rule
# written out costs a fraction of the composition. The reason is given beside each.


def _mean(x: Any, *, axis: Any, keepdims: bool) -> Any:
    x = np.asarray(x)
    return np.add.reduce(x, axis=axis, keepdims=keepdims) / count(x.shape, axis)


# sum / N, one node rather than two: every mean-reduced loss and every normalisation layer records one
mean = Primitive("mean", AFFINE, _mean,
                 lambda g, z, x, *, axis, keepdims: _spread(g / count(x.shape, axis), x.shape, axis, keepdims),
                 saves={"x": "x.shape"})


def _linear(x: Any, w: Any, b: Any = None) -> np.ndarray:
    x, w = np.asarray(x), np.asarray(w)
    sx, sw = x.shape, w.shape
    if len(sw) != 2 or not sx or sx[-1] != sw[1]:
        raise ShapeError(f"linear: input {sx} and weight {sw}: expected input (..., in) and weight (out, in)")
    out = np.matmul(x, w.T)
    if b is None:
        return out
    b = np.asarray(b)
    if b.shape != sw[:1]:
        raise ShapeError(f"linear: bias {b.shape} for weight {sw}: expected bias ({sw[0]},)")
    return out + b


def _linear_vjp_w(g: Any, z: Any, x: Any, w: Any, b: Any = None) -> Any:
    """dL/dW = G^T X, summed over every leading (batch) axis: (out, in), laid out as W is."""
    if x.ndim != 2:  # one input vector, or several batch axes: as one batch of rows
        g, x = reshape(g, shape=(-1, w.shape[0])), reshape(x, shape=(-1, w.shape[1]))
    return matmul(g.mT, x)


# x W^T + b, a layer's product with its (out, in) weight, and its bias if given. The same as
# matmul(x, transpose(W)) + b but with rules of its own, for speed: that composition's weight gradient arrives as a
# transposed (column-major) view, and every later update of W then walks memory against the grain (tens of times
# slower on a 1024 x 1024 layer); and one node instead of three costs a third of the bookkeeping.
linear = Primitive("linear", PRODUCT, _linear,
                   lambda g, z, x, w, b=None: matmul(g, w),
                   _linear_vjp_w,
                   lambda g, z, x, w, b: g,  # the bias was broadcast over the batch: the sweep sums g down to (out,)
                   saves={"x": "w", "w": "x w", "b": ""})


def _nll_loss(x: Any, *, index: Any, reduction: str) -> Any:
    picked = np.asarray(x)[index]
    if reduction == "none":
        return -picked
    total = -np.add.reduce(picked, axis=None)
    return total / picked.size if reduction == "mean" else total


def _nll_loss_vjp(g: Any, z: Any, x: Any, *, index: Any, reduction: str) -> Any:
    if reduction == "mean":
        g = g / np.broadcast(*index).size  # the number of samples
    # a summed loss's g (0-d) goes to every picked entry; each sample picks one entry, so no entry twice
    return scatter(-g, shape=x.shape, index=index, unique=True)


# The negative log-likelihood of log-probabilities x: -x[index], where ``index`` (a tuple of integer arrays, one
# per axis of x, as nn.functional builds it) picks each sample's target class, then averaged ("mean"), added
# ("sum") or left per sample ("none"). An affine map, one node instead of three (a pick, a negation and a mean)
# under every classifier's loss: log_softmax followed by this is cross-entropy.
nll_loss = Primitive("nll_loss", AFFINE, _nll_loss, _nll_loss_vjp, saves={"x": "x.shape"})


# Both shift by the maximum (unlike logsumexp, see composites.py: a row whose maximum is infinite has no finite
# softmax, and comes out NaN, as PyTorch's does).
def _log_softmax(x: np.ndarray, *, axis: int) -> np.ndarray:
    shifted = x - np.maximum.reduce(x, axis=axis, keepdims=True)  # no term of the sum exceeds exp(0) = 1
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))


def _softmax(x: np.ndarray, *, axis: int) -> np.ndarray:
    e = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True))  # the largest term is 1: the sum is at least 1
    return e / np.add.reduce(e, axis=axis, keepdims=True)


# log_softmax and softmax could be composed from exp, sum and log, but they sit under every classifier's loss:
# one node each, with the rule written out, costs a third of the composition's numpy calls and graph nodes.
# z = log_softmax(x): dz_i/dx_j = [i = j] - softmax_j, so the vjp is g - softmax * sum(g), with softmax = exp(z).
log_softmax = Primitive("log_softmax", COMPOSITE, _log_softmax,
                        lambda g, z, x, *, axis: g - exp(z) * sum(g, axis=axis, keepdims=True),
                        saves={"x": "z"})

# z = softmax(x): dz_i/dx_j = z_i ([i = j] - z_j), so the vjp is z * (g - sum(g * z)).
softmax = Primitive("softmax", COMPOSITE, _softmax,
                    lambda g, z, x, *, axis: z * (g - sum(g * z, axis=axis, keepdims=True)),
                    saves={"x": "z"})


def table() -> dict[str, Primitive]:
    """Every primitive of the table by name, this file's and its continuations' (primitives_*.py): what the
    self-test walks and the graph drawing colours."""
    # The continuations build their rules on this file's entries, so they are read here, when the table is asked
    # for, rather than at the top (which would make each file wait for the other).
    from . import primitives_elementwise, primitives_linalg, primitives_reductions

    files = (globals(), vars(primitives_elementwise), vars(primitives_reductions), vars(primitives_linalg))
    return {p.name: p for names in files for p in names.values() if isinstance(p, Primitive)}
