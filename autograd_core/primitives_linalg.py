"""The derivative table, continued: einsum, the product of any number of tensors named by subscripts.

``einsum("ij,jk->ik", a, b)`` is a matrix product, ``"ii->"`` a trace, ``"...ij->...ji"`` a batched transpose:
each operand's axes get letters, the output keeps the letters after ``->``, and every other letter is summed
over. An einsum is linear in each operand (a product, the lectures' second kind), so the adjoint of operand i is
again an einsum: the output's adjoint g contracted with the other operands, written onto operand i's letters.
Two cases make that hold for every subscripts string numpy accepts:

* a letter repeated within operand i (its diagonal, as in "ii") cannot be an output letter twice: the repeat is
  renamed, and an identity matrix joins the two names, which places the adjoint on the diagonal;
* a letter of operand i that appears nowhere else was summed away by the forward pass: a vector of ones carries
  it, copying the adjoint along that axis.

The subscripts are written out in full before the step is recorded (``explicit_subscripts``), so that the rule
needs no parsing beyond splitting at "," and "->".
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from .primitive import PRODUCT, EachInput, Primitive, ShapeError
from .primitives import broadcast_to

LETTERS = string.ascii_letters  # numpy's einsum names axes with these 52 letters


def explicit_subscripts(subscripts: str, shapes: Sequence[tuple[int, ...]]) -> str:
    """numpy's subscripts for operands of ``shapes``, written out: "..." becomes letters that no operand uses
    (right-aligned, as broadcasting aligns axes), and an implicit output (no "->") becomes numpy's: the "..." axes,
    then the letters used exactly once, in alphabetical order. ``"ij,jk"`` gives ``"ij,jk->ik"``."""
    text = subscripts.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the subscripts {subscripts!r} name {len(terms)} operands, but {len(shapes)} were given")
    unused = [c for c in LETTERS if c not in text]
    broadcast = max((len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes) if "..." in t), default=0)
    ellipsis = "".join(unused[:broadcast])
    written = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        if "..." in term:
            term = term.replace("...", ellipsis[broadcast - (len(shape) - len(term) + 3) :])
        if len(term) != len(shape):
            raise ShapeError(f"einsum: operand {i} has shape {shape}, but its subscripts {terms[i]!r} name {len(term)} axes")
        written.append(term)
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        letters = inputs.replace("...", "").replace(",", "")
        output = ellipsis + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return ",".join(written) + "->" + output


def _einsum(*operands: Any, subscripts: str) -> np.ndarray:
    # numpy's optimizer orders the pairwise contractions of three or more operands; for one or two it only costs
    return np.einsum(subscripts, *operands, optimize=len(operands) > 2)


def _einsum_vjp(i: int, g: Any, z: Any, *operands: Any, subscripts: str) -> Any:
    """The adjoint of operand i: einsum of g (on the output's letters) with the other operands, onto operand i's
    letters, with an identity matrix for each repeated letter and a vector of ones for each letter found nowhere
    else (see the module's docstring)."""
    inputs, output = subscripts.split("->")
    terms = inputs.split(",")
    names = [output] + [t for j, t in enumerate(terms) if j != i]
    values = [g] + [x for j, x in enumerate(operands) if j != i]
    spare = iter(c for c in LETTERS if c not in subscripts)
    target, shape = "", operands[i].shape
    for axis, letter in enumerate(terms[i]):
        if letter in target:  # a repeat: its own name, joined to the first by the identity
            renamed = next(spare)
            names.append(letter + renamed)
            values.append(np.eye(shape[axis], dtype=g.dtype))
            letter = renamed
        target += letter
    for axis, letter in enumerate(target):
        if letter not in "".join(names):  # summed away in the forward pass: the adjoint is copied along it
            names.append(letter)
            values.append(np.ones(shape[axis], dtype=g.dtype))
    adjoint = einsum(*values, subscripts=",".join(names) + "->" + target)
    if adjoint.shape != shape:  # numpy broadcast a letter of length 1 against a longer one: copy it back out
        adjoint = broadcast_to(adjoint, shape=np.broadcast_shapes(adjoint.shape, shape))
    return adjoint


# Any number of operands (EachInput serves every position); it keeps them all, since each rule reads the others.
einsum = Primitive("einsum", PRODUCT, _einsum, EachInput(_einsum_vjp))
