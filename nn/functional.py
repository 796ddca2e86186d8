"""The function form of every layer and loss (``import nn.functional as F``); the layer classes call these.

Everything is written with autograd_core operations, so gradients come from the engine's derivative table and no
function here has a backward pass of its own. Shapes follow PyTorch: N is the batch, C the classes or channels.

Losses take ``reduction``: "mean" (the average over every element of the unreduced loss), "sum", or "none" (the
loss per element). The formulas are in docs/nn.md.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

import autograd_core as ag
from autograd_core import ShapeError, Tensor, as_tensor
from autograd_core import primitives as P
from autograd_core import COMPOSITE, Primitive

# ---- layers -----------------------------------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b: input (*, in), weight (out, in), bias (out,) -> (*, out)."""
    input = as_tensor(input)
    return P.linear(input, weight) if bias is None else P.linear(input, weight, bias)


def relu(input: Tensor) -> Tensor:
    """max(x, 0); the derivative at 0 is taken as 0."""
    return P.relu(as_tensor(input))


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return as_tensor(input).leaky_relu(negative_slope)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x)."""
    return as_tensor(input).sigmoid()


def tanh(input: Tensor) -> Tensor:
    """tanh x."""
    return as_tensor(input).tanh()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (PyTorch's switch to the linear part)."""
    x = as_tensor(input)
    return ag.where(x * beta > threshold, x, x.softplus(beta))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x) (exact, with erf) or PyTorch's tanh approximation for ``approximate="tanh"``."""
    return as_tensor(input).gelu(approximate)


def softmax(input: Tensor, dim: int = -1) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim``, computed shifted by the maximum."""
    return as_tensor(input).softmax(dim)


def log_softmax(input: Tensor, dim: int = -1) -> Tensor:
    """x_i - logsumexp(x) along ``dim``: finite even where softmax underflows to 0."""
    return as_tensor(input).log_softmax(dim)


def check_dropout_p(name: str, p: float) -> None:
    """A clear error for a dropout probability that is not a number in [0, 1] (a string "0.5", NaN, 1.5)."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(
            f"{name}: dropout probability p must be a number between 0 and 1, got {p!r} ({type(p).__name__})"
        )
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability p must be between 0 and 1, got {p}")


def _dropout_mask(x: np.ndarray, *, p: float, generator: np.random.Generator | None) -> np.ndarray:
    keep = (generator or ag.default_generator).random(np.shape(x)) >= p
    return (keep / (1.0 - p)).astype(np.result_type(x))


# The mask of inverted dropout for an input like x: 0 with probability p, else 1 / (1 - p), drawn from ``generator``
# (nn's shared generator when None, looked up at each draw). A primitive with no derivative, so that the draw is a
# step of the trace: ag.compile replays it, drawing a new mask on every call.
dropout_mask = Primitive("dropout_mask", COMPOSITE, _dropout_mask)


def dropout(
    input: Tensor, p: float = 0.5, training: bool = True, generator: np.random.Generator | None = None
) -> Tensor:
    """Inverted dropout: in training each entry is zeroed with probability p and the kept ones are scaled by
    1 / (1 - p), so the expected value is unchanged and evaluation is the identity."""
    check_dropout_p("dropout", p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    return input * dropout_mask(as_tensor(input), p=p, generator=generator)


def _assign(target: np.ndarray, value: np.ndarray) -> np.ndarray:
    target[...] = value
    return target


# target's values replaced by value's, in place (BatchNorm's running statistics): a primitive with no derivative,
# so that the write is a step of the trace, which ag.compile repeats on every call.
assign = Primitive("assign", COMPOSITE, _assign)


def _channel_shape(name: str, input: Tensor, channels: int | None) -> tuple[int, ...]:
    """Check that input is (N, C) or (N, C, L); return the shape that broadcasts a per-channel vector over it."""
    if input.ndim not in (2, 3) or (channels is not None and input.shape[1] != channels):
        expected = "C" if channels is None else f"C = {channels}"
        raise ShapeError(f"{name}: expected input of shape (N, C) or (N, C, L) with {expected}, got shape {input.shape}")
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float | Tensor = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of input (N, C) or (N, C, L) over the batch (and L), then scale and shift.

    Training: y = (x - mean_B) / sqrt(var_B + eps) * weight + bias with the batch's mean and biased variance, and
    the running estimates move towards the batch's (in place, without recording):
    running = (1 - momentum) * running + momentum * batch value, using the unbiased variance var_B * B / (B - 1).
    Evaluation: the running estimates take the place of the batch's.
    """
    known = running_mean if running_mean is not None else weight
    shape = _channel_shape("batch_norm", input, None if known is None else known.shape[0])
    axes = (0,) if input.ndim == 2 else (0, 2)
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input of shape {input.shape}; "
                "a batch of one has no variance (use a larger batch, or call .eval() for inference)"
            )
        centred = input - input.mean(axis=axes, keepdims=True)
        var = (centred * centred).mean(axis=axes, keepdims=True)  # biased: the batch's own spread
        if running_mean is not None and running_var is not None:
            with ag.no_grad():
                mean = input.mean(axis=axes)
                unbiased = var.reshape(-1) * (count / (count - 1))
                assign(running_mean, running_mean * (1 - momentum) + mean * momentum)
                assign(running_var, running_var * (1 - momentum) + unbiased * momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
        centred = input - running_mean.reshape(shape)
        var = running_var.reshape(shape)
    out = centred / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each sample over its last dims (those of ``normalized_shape``) with their mean and biased
    variance: y = (x - mean) / sqrt(var + eps) * weight + bias."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if input.ndim < len(shape) or input.shape[input.ndim - len(shape) :] != shape:
        raise ShapeError(f"layer_norm: expected input of shape (*, {', '.join(map(str, shape))}), got shape {input.shape}")
    axes = tuple(range(-len(shape), 0))
    centred = input - input.mean(axis=axes, keepdims=True)
    var = (centred * centred).mean(axis=axes, keepdims=True)
    out = centred / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


# ---- losses: checks shared by all of them -------------------------------------------------------------------------

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(name: str, reduction: str, allowed: Sequence[str] = REDUCTIONS) -> None:
    """A clear error for a reduction the loss does not know."""
    if reduction not in allowed:
        raise ValueError(f"{name}: reduction must be one of {', '.join(map(repr, allowed))}; got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _float_target(name: str, input: Tensor, target: Tensor | np.ndarray | float) -> Tensor:
    """The target as a Tensor of the input's shape; constant targets take the input's dtype."""
    t = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if not np.issubdtype(t.dtype, np.floating):
        raise TypeError(
            f"{name}: target has dtype {t.dtype}; expected floating-point values like the input's "
            f"(convert with .astype(np.float32) or np.float64)"
        )
    if t.shape != input.shape:
        raise ShapeError(f"{name}: target shape {t.shape} differs from input shape {input.shape}; they must be equal")
    if not isinstance(target, Tensor) and t.dtype != input.dtype:
        t = t.astype(input.dtype)
    return t


def _xlogy(x: Tensor, y: Tensor) -> Tensor:
    """x log y, taken as 0 where x = 0 (and y = 0) — the limit that entropy and KL use — with finite gradients."""
    positive = x != 0
    return ag.where(positive, x * ag.log(ag.where(positive, y, 1.0)), 0.0)


# ---- regression losses ------------------------------------------------------------------------------------------


def mse_loss(input: Tensor, target: Tensor | np.ndarray, reduction: str = "mean") -> Tensor:
    """(x - y)^2 per element, input and target of one shape."""
    check_reduction("mse_loss", reduction)
    diff = input - _float_target("mse_loss", input, target)
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Tensor | np.ndarray, reduction: str = "mean") -> Tensor:
    """|x - y| per element; the derivative at 0 is taken as 0."""
    check_reduction("l1_loss", reduction)
    return _reduce((input - _float_target("l1_loss", input, target)).abs(), reduction)


def huber_loss(input: Tensor, target: Tensor | np.ndarray, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere, for d = x - y: quadratic near 0, linear far out."""
    check_reduction("huber_loss", reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    diff = input - _float_target("huber_loss", input, target)
    size = diff.abs()
    return _reduce(ag.where(size < delta, diff * diff * 0.5, (size - 0.5 * delta) * delta), reduction)


# ---- classification losses --------------------------------------------------------------------------------------


def _class_index(name: str, input: Tensor, target: np.ndarray) -> tuple[np.ndarray, ...]:
    """Check integer class targets against input (C,), (N, C) or (N, C, d...) and return the index that picks
    input[n, target[n], ...] for every n (the class axis is 1, or 0 for a single sample)."""
    axis = 0 if input.ndim == 1 else 1
    classes = input.shape[axis]
    expected = input.shape[:axis] + input.shape[axis + 1 :]
    if target.shape != expected:
        raise ShapeError(
            f"{name}: class-index target of shape {target.shape} does not fit input of shape {input.shape}; "
            f"expected shape {expected} (the input's shape without the class axis {axis})"
        )
    # read as unsigned, a negative class is huge: one reduction finds classes below 0 and above classes - 1 alike
    if target.size and np.maximum.reduce(target.view(target.dtype.str.replace("i", "u")), axis=None) >= classes:
        bad = target.min() if target.min() < 0 else target.max()
        raise IndexError(f"{name}: target holds class {bad}, outside 0..{classes - 1} for input with {classes} classes")
    if target.ndim == 1 and axis == 1:  # the usual (N, C) batch: np.indices would cost as much as the loss itself
        return np.arange(len(target)), target
    grid = np.indices(target.shape, sparse=True)
    return (*grid[:axis], target, *grid[axis:])


def _integer_target(name: str, target: Tensor | np.ndarray) -> np.ndarray:
    t = np.asarray(target)  # a Tensor's values, shared
    if t.dtype.kind not in "iu":  # signed or unsigned integers (np.issubdtype says the same, at six times the cost)
        raise TypeError(f"{name}: class-index targets need an integer dtype, got {t.dtype}")
    return t


def nll_loss(input: Tensor, target: Tensor | np.ndarray, reduction: str = "mean") -> Tensor:
    """-input[n, target[n]]: input holds log-probabilities (C,), (N, C) or (N, C, d...), target class indices."""
    check_reduction("nll_loss", reduction)
    index = _class_index("nll_loss", input, _integer_target("nll_loss", target))
    return P.nll_loss(as_tensor(input), index=index, reduction=reduction)


def cross_entropy(
    input: Tensor, target: Tensor | np.ndarray, reduction: str = "mean", label_smoothing: float = 0.0
) -> Tensor:
    """Cross-entropy of logits input (C,), (N, C) or (N, C, d...) against class indices or class probabilities.

    With p = log_softmax(input) over the class axis and eps = label_smoothing:
    indices:       (1 - eps) * (-p[target]) + eps / C * sum_c (-p_c)
    probabilities: -sum_c ((1 - eps) * t_c + eps / C) * p_c           (target of the input's shape)
    """
    check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0 and 1, got {label_smoothing}")
    axis = 0 if input.ndim == 1 else 1
    classes = input.shape[axis]
    log_p = input.log_softmax(axis)
    dtype = target.dtype if isinstance(target, Tensor) else np.asarray(target).dtype
    if dtype.kind == "f":
        probs = _float_target("cross_entropy (class-probability target)", input, target)
        if label_smoothing:
            probs = probs * (1 - label_smoothing) + label_smoothing / classes
        return _reduce(-(probs * log_p).sum(axis=axis), reduction)
    index = _class_index("cross_entropy", input, _integer_target("cross_entropy", target))
    if not label_smoothing:
        return P.nll_loss(log_p, index=index, reduction=reduction)
    loss = P.nll_loss(log_p, index=index, reduction="none")
    return _reduce(loss * (1 - label_smoothing) - log_p.sum(axis=axis) * (label_smoothing / classes), reduction)


# PyTorch's binary_cross_entropy backward divides by max(p (1 - p), EPSILON), so that p = 0 and p = 1 stay finite;
# its EPSILON is the float32 constant 1e-12f, 9.99999996e-13
_BCE_EPSILON = float(np.float32(1e-12))


def binary_cross_entropy(input: Tensor, target: Tensor | np.ndarray, reduction: str = "mean") -> Tensor:
    """-(y log p + (1 - y) log(1 - p)) per element, for probabilities p in [0, 1]; PyTorch's numbers exactly.

    Values: each log is clamped at -100, and log(1 - p) is log1p(-p), as PyTorch takes them. Gradients:
    d/dp = (p - y) / (p (1 - p)) wherever p (1 - p) >= 1e-12, the exact derivative. Where p (1 - p) < 1e-12 (p
    within 1e-12 of 0 or 1) PyTorch's gradient is (p - y) / 1e-12, which is not the derivative of its clamped value;
    there the loss is the clamped value as a constant in p plus q - q.detach() for q = (p - y)^2 / 2e-12: zero in
    value, and q's derivative is PyTorch's gradient. The target's gradient is the derivative of the value,
    log(1 - p) - log p with the clamped logs: finite where PyTorch's (its logs unclamped) is infinite, at p = 0 or 1.
    """
    check_reduction("binary_cross_entropy", reduction)
    t = _float_target("binary_cross_entropy", input, target)
    x = input.numpy()
    if x.size and not (x.min() >= 0 and x.max() <= 1):  # written so that NaN fails too, as in PyTorch
        found = "NaN" if np.isnan(x).any() else f"values from {x.min()} to {x.max()}"
        raise ValueError(
            f"binary_cross_entropy: input must hold probabilities in [0, 1], got {found}; "
            "for logits use binary_cross_entropy_with_logits"
        )
    edge = (1 - x) * x < _BCE_EPSILON
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p, log_q = np.maximum(np.log(x), -100), np.maximum(np.log1p(-x), -100)
        # log(1 - p) rounds 1 - p first (a relative error of 1e-5 at p = 1e-11); the difference from log1p is a
        # constant that makes the value PyTorch's and leaves the derivative to the engine
        rounding = np.where(edge, 0, log_q - np.log(1 - x))
    inner = ag.where(edge, 0.5, input)  # the exact branch at 0.5 where it is not taken: no 0 * inf in its gradient
    exact = -(t * ag.log(inner) + (1 - t) * (ag.log(1 - inner) + rounding))
    q = (input - t.detach()) ** 2 / (2 * _BCE_EPSILON)
    pinned = -(t * log_p + (1 - t) * log_q) + (q - q.detach())
    return _reduce(ag.where(edge, pinned, exact), reduction)


def binary_cross_entropy_with_logits(
    input: Tensor, target: Tensor | np.ndarray, reduction: str = "mean", pos_weight: Tensor | np.ndarray | None = None
) -> Tensor:
    """BCE of sigmoid(x) without computing the sigmoid: (1 - y) x + (1 + (w - 1) y) softplus(-x).

    Algebraically -(w y log s(x) + (1 - y) log(1 - s(x))), since log s(x) = -softplus(-x); softplus never overflows,
    so logits of any size give finite values and gradients. ``pos_weight`` w (broadcast over the classes) weights
    the positive term; without it w = 1 and the loss is (1 - y) x + softplus(-x).
    """
    check_reduction("binary_cross_entropy_with_logits", reduction)
    t = _float_target("binary_cross_entropy_with_logits", input, target)
    if pos_weight is not None and not isinstance(pos_weight, Tensor):
        pos_weight = Tensor(np.asarray(pos_weight, dtype=input.dtype))  # a constant keeps float32 work float32
    weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
    return _reduce((1 - t) * input + weight * (-input).softplus(), reduction)


def kl_div(
    input: Tensor, target: Tensor | np.ndarray, reduction: str = "batchmean", log_target: bool = False
) -> Tensor:
    """KL(target || model) per element for input = log q: y (log y - log q), 0 where y = 0 (``log_target``: the
    target is given as log y). "batchmean" divides the sum by the batch size N = input.shape[0], which makes it the
    KL divergence of each sample's distribution averaged over the batch; "mean" divides by every element instead."""
    check_reduction("kl_div", reduction, (*REDUCTIONS, "batchmean"))
    t = _float_target("kl_div", input, target)
    loss = t.exp() * (t - input) if log_target else _xlogy(t, t) - t * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)
