"""Shape operations composed from the derivative table's affine entries: flip, roll, repeat, tile, pad, split,
chunk, tensor_split, moveaxis, expand, gather (take_along_axis), repeat_interleave, cat, vstack and hstack.

Each only moves, copies or drops entries, so each is an affine map built from entries whose rules already undo
that: indexing scatters its adjoint back (adding where an entry was picked twice), broadcasting sums it back,
concatenation slices it apart, reshape and transpose reshape and transpose it back. None needs a rule of its own.
Meanings are PyTorch's where PyTorch has the name (``repeat`` tiles, ``split`` takes section sizes), numpy's for
numpy's names (``tile``, ``pad``, ``vstack``, ``hstack``, ``moveaxis``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import composites as C
from . import primitives as P
from .primitive import ShapeError
from .tensor import Tensor, as_tensor


def one_axis(x: Tensor, axis: Any, name: str) -> int:
    """``axis`` of ``x`` as a non-negative int; a 0-d tensor has the one axis 0 (or -1), as in PyTorch."""
    n = max(x.ndim, 1)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -n <= axis < n:
        raise IndexError(f"{name}: dim {axis!r} is out of range for a tensor of shape {x.shape} (expected {-n} to {n - 1})")
    return int(axis) % n


def along(axis: int, part: Any) -> tuple[Any, ...]:
    """An index that applies ``part`` (a slice or an integer array) along ``axis`` and keeps every other axis."""
    return (slice(None),) * axis + (part,)


def _ints(value: Any) -> tuple[int, ...]:
    """One int or a sequence of them, as a tuple."""
    return (value,) if isinstance(value, (int, np.integer)) else tuple(value)


def flip(x: Tensor, axes: Any) -> Tensor:
    """The entries in reverse order along ``axes`` (an int, several, or None for every axis): ``x[..., ::-1, ...]``."""
    index = [slice(None)] * x.ndim
    for a in range(x.ndim) if axes is None else _ints(axes):
        a = one_axis(x, a, "flip")
        if x.ndim:  # (a 0-d tensor flipped along its one axis is itself)
            index[a] = slice(None, None, -1)
    return P.getitem(x, index=tuple(index))


def roll(x: Tensor, shifts: Any, axes: Any) -> Tensor:
    """Entries moved ``shifts`` places along ``axes``, those pushed off the end coming back at the start; with
    ``axes`` None, along the flattened tensor (its shape kept). Each shift is two slices joined the other way round."""
    if axes is None:
        return P.reshape(roll(P.reshape(x, shape=(-1,)), shifts, 0), shape=x.shape)
    shifts, axes = _ints(shifts), _ints(axes)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(axes)} dims; give one shift per dim")
    for shift, a in zip(shifts, axes):
        a = one_axis(x, a, "roll")
        n = x.shape[a]
        cut = n - shift % n if n else 0
        x = P.concatenate(P.getitem(x, index=along(a, slice(cut, None))), P.getitem(x, index=along(a, slice(0, cut))),
                          axis=a)  # fmt: skip
    return x


def tile(x: Tensor, reps: tuple[int, ...]) -> Tensor:
    """Copies of ``x`` side by side, ``reps[i]`` of them along axis i (numpy's tile; PyTorch's ``repeat`` when
    ``reps`` has an entry per axis). Shorter ``reps`` are padded with 1s in front, a shorter shape too. Each axis of
    length n becomes a pair (copies, n): reshape, broadcast the copies out, merge the pairs."""
    reps = (1,) * (x.ndim - len(reps)) + tuple(reps)
    shape = (1,) * (len(reps) - x.ndim) + x.shape
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: negative repetitions {reps}")
    paired = P.reshape(x, shape=tuple(v for n in shape for v in (1, n)))
    copied = P.broadcast_to(paired, shape=tuple(v for r, n in zip(reps, shape) for v in (r, n)))
    return P.reshape(copied, shape=tuple(r * n for r, n in zip(reps, shape)))


def repeat(x: Tensor, sizes: tuple[int, ...]) -> Tensor:
    """PyTorch's ``repeat``: tile with a count for every axis (and possibly new leading axes)."""
    if len(sizes) < x.ndim:
        raise ValueError(
            f"repeat: {len(sizes)} counts for a tensor of shape {x.shape}; give one per dimension (at least {x.ndim})"
        )
    return tile(x, sizes)


def pad(x: Tensor, pad_width: Any, value: float = 0) -> Tensor:
    """numpy's ``pad`` in its constant mode: ``value`` added before and after each axis, ``pad_width`` entries of
    it: an int, one (before, after) pair, or a pair per axis. Placed into a larger tensor by ``scatter``, whose
    rule picks the adjoint of the original entries back out."""
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu" or widths.ndim > 2:
        raise TypeError(f"pad: pad_width must be an int, a (before, after) pair or one pair per axis, got {pad_width!r}")
    try:
        widths = np.broadcast_to(widths, (x.ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor of shape {x.shape}") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width {pad_width!r} has negative widths")
    shape = tuple(int(n + before + after) for n, (before, after) in zip(x.shape, widths))
    inside = tuple(slice(int(before), int(before) + n) for n, (before, _) in zip(x.shape, widths))
    padded = P.scatter(x, shape=shape, index=inside, unique=True)
    if value == 0:
        return padded
    frame = np.full(shape, value, dtype=x.dtype)
    frame[inside] = 0
    return padded + frame


def _positive(value: Any, what: str) -> int:
    if value <= 0:
        raise ValueError(f"{what} must be positive, got {value}")
    return int(value)


def _pieces(x: Tensor, axis: int, bounds: Sequence[int]) -> tuple[Tensor, ...]:
    """The slices of ``x`` along ``axis`` between consecutive ``bounds``."""
    return tuple(P.getitem(x, index=along(axis, slice(a, b))) for a, b in zip(bounds[:-1], bounds[1:]))


def split(x: Tensor, split_size_or_sections: Any, axis: int = 0) -> tuple[Tensor, ...]:
    """PyTorch's ``split``: pieces of ``split_size_or_sections`` entries along ``axis`` (the last may be shorter),
    or of the given sizes, which must add up to the axis's length."""
    axis = one_axis(x, axis, "split")
    n = x.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = _positive(split_size_or_sections, "split: the piece size")
        bounds = [*range(0, n, size), n] if n else [0, 0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(f"split: sizes {sizes} must be non-negative and add up to {n}, the length of dim {axis}")
        bounds = np.cumsum([0, *sizes]).tolist()
    return _pieces(x, axis, bounds)


def chunk(x: Tensor, chunks: int, axis: int = 0) -> tuple[Tensor, ...]:
    """PyTorch's ``chunk``: pieces of ceil(n / chunks) entries along ``axis`` (so possibly fewer than ``chunks``)."""
    chunks = _positive(chunks, "chunk: the number of chunks")
    n = x.shape[one_axis(x, axis, "chunk")]
    return split(x, max(-(-n // chunks), 1), axis)


def tensor_split(x: Tensor, indices_or_sections: Any, axis: int = 0) -> tuple[Tensor, ...]:
    """numpy's ``array_split`` (PyTorch's ``tensor_split``): ``sections`` pieces as equal as can be (the first ones
    one longer), or the pieces between the given indices."""
    axis = one_axis(x, axis, "tensor_split")
    n = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = _positive(indices_or_sections, "tensor_split: the number of sections")
        size, longer = divmod(n, sections)
        bounds = np.cumsum([0] + [size + 1] * longer + [size] * (sections - longer)).tolist()
    else:
        bounds = [0, *(int(i) for i in indices_or_sections), n]
    return _pieces(x, axis, bounds)


def moveaxis(x: Tensor, source: Any, destination: Any) -> Tensor:
    """The axes ``source`` moved to the positions ``destination``, the others keeping their order (a transpose)."""
    source = [one_axis(x, a, "moveaxis") for a in _ints(source)]
    destination = [one_axis(x, a, "moveaxis") for a in _ints(destination)]
    if len(source) != len(destination):
        raise ValueError(f"moveaxis: {len(source)} source axes but {len(destination)} destinations")
    order = [a for a in range(x.ndim) if a not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return P.transpose(x, axes=tuple(order))


def expand(x: Tensor, sizes: tuple[int, ...]) -> Tensor:
    """PyTorch's ``expand``: ``x`` broadcast to ``sizes``, where -1 keeps an axis's length, an axis of length 1 may
    take any length, and new axes may lead. The sweep sums the adjoint back over the copies."""
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    if lead < 0 or any(s < 0 for s in shape) or any(n not in (1, s) for n, s in zip(x.shape, shape[lead:])):
        raise ShapeError(f"expand: a tensor of shape {x.shape} cannot be expanded to {tuple(sizes)}")
    return P.broadcast_to(x, shape=shape)


def take_along_axis(x: Tensor, indices: np.ndarray, axis: int) -> Tensor:
    """``x`` at ``indices`` along ``axis`` and at the position itself along every other axis: out[i, j] =
    x[indices[i, j], j] for axis 0 (numpy's take_along_axis, PyTorch's gather). An index of x."""
    index = tuple(indices if a == axis else np.arange(n).reshape((-1,) + (1,) * (indices.ndim - a - 1))
                  for a, n in enumerate(indices.shape))  # fmt: skip
    return P.getitem(x, index=index)


def gather(x: Tensor, axis: int, index: Any) -> Tensor:
    """PyTorch's ``gather``: out[i][j] = x[index[i][j]][j] for axis 0; ``index`` has x's number of dimensions and
    is no longer than x along the others."""
    index = np.asarray(index._value if isinstance(index, Tensor) else index)
    axis = one_axis(x, axis, "gather")
    if index.dtype.kind not in "iu" or index.ndim != x.ndim:
        raise TypeError(f"gather: index must be an integer tensor of {x.ndim} dimensions, got {index.dtype} {index.shape}")
    if any(m > n for a, (m, n) in enumerate(zip(index.shape, x.shape)) if a != axis):
        raise ShapeError(f"gather: index of shape {index.shape} is larger than the input {x.shape} outside dim {axis}")
    if index.size and not (0 <= index.min() and index.max() < x.shape[axis]):
        raise IndexError(f"gather: index values must lie in [0, {x.shape[axis]}) along dim {axis} of shape {x.shape}")
    return take_along_axis(x, index, axis)


def repeat_interleave(x: Tensor, repeats: Any, axis: int | None = None) -> Tensor:
    """Each entry repeated ``repeats`` times in place along ``axis`` (None: the flattened tensor); ``repeats`` an
    int or one count per entry (numpy's repeat). An integer-array index, whose adjoint adds the copies up."""
    if axis is None:
        x, axis = P.reshape(x, shape=(-1,)), 0
    axis = one_axis(x, axis, "repeat_interleave")
    counts = np.asarray(repeats._value if isinstance(repeats, Tensor) else repeats)
    try:
        picks = np.repeat(np.arange(x.shape[axis]), counts)
    except ValueError:
        raise ValueError(f"repeat_interleave: repeats of shape {counts.shape} for dim {axis} of shape {x.shape}; "
                         f"give one int or {x.shape[axis]} non-negative counts") from None  # fmt: skip
    return P.getitem(x, index=along(axis, picks))


def cat(seq: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """PyTorch's name for ``concatenate``: join tensors along an existing axis."""
    return C.concatenate(seq, dim if axis is None else axis)


def vstack(seq: Sequence[Any]) -> Tensor:
    """Join along the first axis, a 1-D tensor of length n counting as a row (1, n) (numpy's vstack)."""
    rows = [as_tensor(t) for t in seq]
    return C.concatenate([P.reshape(t, shape=(1, -1)) if t.ndim < 2 else t for t in rows], 0)


def hstack(seq: Sequence[Any]) -> Tensor:
    """Join along the second axis, or along the only one for 1-D tensors (numpy's hstack)."""
    parts = [P.reshape(t, shape=(1,)) if t.ndim == 0 else t for t in (as_tensor(t) for t in seq)]
    return C.concatenate(parts, 0 if parts and parts[0].ndim == 1 else 1)
