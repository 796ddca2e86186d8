"""``ag.check_primitive``: the doctor, which examines a primitive's derivative rules on sample inputs.

A wrong rule rarely announces itself: one that is 1% off still trains, slowly; one that computes with numpy gives
right first derivatives and a Hessian that is silently wrong. The doctor calls the primitive on the sample inputs
and checks, for each floating-point input that has a rule:

1. the rule's result as an ordinary backward receives it (numpy arrays in, an array out): its shape must be the
   input's, or one the sweep's ``unbroadcast`` sums down to it; its dtype the input's;
2. that the result is linear in the output's adjoint g, as a vector-Jacobian product g -> g^T dz/dx must be;
3. its values, through the engine with only that input requiring grad (so that the node keeps only what
   ``saves=`` declares), against central differences of the forward in float64 (gradcheck.py's own);
4. the second derivative: the rules recorded under ``create_graph``, differentiated again, against central
   differences of the rules' values;
5. float32: float32 inputs give a float32 output (or the ``dtype=`` asked for) and float32 adjoints;
6. broadcasting: where the forward also accepts an input with its first axis cut to length 1, or removed, and
   gives the same output shape (it broadcasts that input), checks 1 to 3 again on those inputs.

It returns True or raises `GradcheckError` naming the primitive, the rule, the input, the index and both values,
with what that pattern of error usually means.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .backward import NumpyRuleError, grad, unbroadcast
from .functional import vjp
from .grad_mode import enable_grad
from .gradcheck import GradcheckError, _engine_jacobian, _numeric_jacobian, first_mismatch
from .primitive import Primitive
from .tensor import Tensor

EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3  # gradcheck's defaults: central differences in float64

WRITE_WITH_AG = (
    "Write every part of the rule with operators (+ - * / ** @) and ag.primitives (ag.primitives.cos(x), "
    "ag.primitives.where(c, a, b), ...), which compute numbers on arrays and record a graph on Tensors."
)


@dataclass(frozen=True)
class _Case:
    """The primitive on one set of sample inputs. ``values`` are the inputs as the forward receives them (the
    checked ones as arrays of one float dtype); ``checked`` the positions of the floating-point inputs that have a
    rule; ``note`` says how these inputs differ from the user's, for the messages."""

    op: Primitive
    params: dict[str, Any]
    values: tuple[Any, ...]
    checked: tuple[int, ...]
    note: str = ""

    def call(self, *xs: Tensor) -> Tensor:
        """The primitive with the checked inputs replaced by ``xs``: the function that gradcheck's helpers
        differentiate."""
        args = list(self.values)
        for i, x in zip(self.checked, xs):
            args[i] = x
        return self.op(*args, **self.params)

    def tensors(self) -> tuple[Tensor, ...]:
        return tuple(Tensor(self.values[i]) for i in self.checked)

    def forward(self) -> np.ndarray:
        return np.asarray(self.op.forward(*self.values, **self.params))

    def input_name(self, i: int) -> str:
        """The name ``saves=`` gives input i, else x0, x1, ..."""
        return self.op.input_names(len(self.values))[i]

    def rule(self, i: int) -> str:
        """``the vjp rule of input 1 (y)``, as the messages name it."""
        return f"the vjp rule of input {i} ({self.input_name(i)})"

    def cast(self, dtype: type) -> _Case:
        values = tuple(v.astype(dtype) if i in self.checked else v for i, v in enumerate(self.values))
        return replace(self, values=values, note=f" (with {np.dtype(dtype).name} inputs)")

    def fail(self, i: int, what: str, meaning: str) -> GradcheckError:
        return GradcheckError(f"check_primitive({self.op.name}): {self.rule(i)}{self.note} {what}\n  {meaning}")


def check_primitive(op: Primitive, *inputs: Any, **params: Any) -> bool:
    """True when every derivative rule of ``op`` passes the doctor's checks (see the module's docstring) at
    ``op(*inputs, **params)``; else raises `GradcheckError` saying which rule fails, where, and why it usually does.

    ``inputs`` are arrays, numbers or Tensors, as ``op`` takes them; the floating-point ones with a rule are
    checked (in float64, whatever their dtype), the others (integer indices, boolean conditions) are passed as they
    are. Choose sample values away from the forward's kinks, where central differences straddle a corner.
    """
    case = _case(op, inputs, params)
    with enable_grad():  # the checks record graphs, even when called inside no_grad()
        for sample in (case, *_broadcast_variants(case)):
            z = sample.forward()
            for i in sample.checked:
                _check_first_order(sample, i, z)
        _check_second_order(case)
        _check_float32(case)
    return True


def _case(op: Primitive, inputs: tuple[Any, ...], params: dict[str, Any]) -> _Case:
    """The user's inputs as a case, after checking that they fit the primitive."""
    if not isinstance(op, Primitive):
        raise TypeError(f"check_primitive: expected an ag.Primitive, got {type(op).__name__}")
    if not op.vjps:
        raise ValueError(f"check_primitive({op.name}): the primitive has no vjp rules, so there is nothing to check")
    if isinstance(op.vjps, tuple) and len(inputs) > len(op.vjps):
        raise ValueError(
            f"check_primitive({op.name}): {len(inputs)} inputs but {len(op.vjps)} vjp rules; a primitive needs a "
            "rule for each input (None for an input without a derivative)"
        )
    values = [np.asarray(x._value if isinstance(x, Tensor) else x) if not isinstance(x, (int, float)) else x
              for x in inputs]  # fmt: skip
    checked = tuple(i for i, v in enumerate(values) if op.vjps[i] is not None and _is_float(v))
    if not checked:
        raise ValueError(f"check_primitive({op.name}): no floating-point input has a rule; pass float sample inputs")
    values = tuple(np.array(v, dtype=np.float64) if i in checked else v for i, v in enumerate(values))
    return _Case(op, params, values, checked)


def _is_float(value: Any) -> bool:
    return isinstance(value, float) or (isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating))


def _broadcast_variants(case: _Case) -> list[_Case]:
    """The user's inputs with one checked input cut to length 1 along its first axis, or without that axis, where
    the forward accepts it and gives the output's shape again: broadcasting, which the rules must undo too."""
    shape = case.forward().shape
    variants = []
    for i in case.checked:
        x = case.values[i]
        if x.ndim == 0 or x.shape[0] == 1:
            continue
        for smaller in (x[:1].copy(), np.array(x[0])):
            note = f" (again with input {i} cut to shape {smaller.shape}, broadcast by the forward to {shape})"
            variant = replace(case, values=case.values[:i] + (smaller,) + case.values[i + 1 :], note=note)
            try:
                if variant.forward().shape == shape:
                    variants.append(variant)
            except (ValueError, IndexError, TypeError):
                pass  # the forward does not take this input smaller: it does not broadcast it
    return variants


# ---- first order: one rule at a time ----------------------------------------------------------------------------


def _check_first_order(case: _Case, i: int, z: np.ndarray) -> None:
    """Input i's rule: its result's shape and dtype, its linearity in g, its values against central differences."""
    g = np.random.default_rng(0).standard_normal(z.shape)
    result = _call_rule(case, i, g, z)
    _check_shape(case, i, result, z)
    _check_dtype(case, i, result)
    _check_linear_in_g(case, i, g, z, result)
    _check_values(case, i, z)


def _call_rule(case: _Case, i: int, g: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Input i's rule called as an ordinary backward calls it: on numpy arrays, every input given."""
    try:
        result = case.op.vjps[i](g, z, *case.values, **case.params)
    except Exception as err:  # any failure of the user's rule is reported as the rule's, with the error itself
        shapes = ", ".join(str(np.shape(v)) for v in case.values)
        raise case.fail(i, f"raised {type(err).__name__}: {err}",
                        "An ordinary backward hands the rule numpy arrays: g and z of the output's shape "
                        f"{z.shape}, then the inputs, here of shapes {shapes}.") from err  # fmt: skip
    return np.asarray(result._value if isinstance(result, Tensor) else result)


def _check_shape(case: _Case, i: int, result: np.ndarray, z: np.ndarray) -> None:
    shape = np.shape(case.values[i])
    if unbroadcast(result, shape).shape == shape:
        return
    what = f"returned an adjoint of shape {result.shape} for an input of shape {shape}."
    if result.shape == z.shape and result.size > np.size(case.values[i]):
        meaning = (
            "Missing unbroadcast: that is the output's shape. The forward copies this input across the output, and "
            "the adjoint of copies is the sum of their adjoints. The sweep sums numpy's broadcasting by itself (new "
            "leading axes, axes of length 1), but this forward copies the input another way, so the rule must sum "
            "g's share over the axes the input was copied along (ag.primitives.sum(..., axis=..., keepdims=False))."
        )
    elif sorted(result.shape) == sorted(shape):
        meaning = (
            "Wrong shape, with the axes swapped: usually a product taken the wrong way round or a transpose "
            "missing (for z = x @ w, x's adjoint is g @ w.T and w's is x.T @ g)."
        )
    else:
        meaning = (
            "Wrong shape: a rule returns one adjoint entry per input entry, so the input's shape (or the output's, "
            "where the forward broadcasts the input as numpy does: the sweep sums it down)."
        )
    raise case.fail(i, what, meaning)


def _check_dtype(case: _Case, i: int, result: np.ndarray) -> None:
    dtype = case.values[i].dtype
    if result.dtype == dtype:
        return
    meaning = "A rule's adjoint has its input's dtype, so that a gradient is as precise as the value it belongs to."
    if dtype == np.float32 and result.dtype == np.float64:
        meaning = (
            "A float64 upcast: something in the rule is a float64 array or numpy scalar (np.float64(2), "
            "np.array(0.5), np.ones(n), np.sqrt(2 * np.pi)), and numpy turns float32 times float64 into float64. "
            "Write constants as Python numbers (2.0, math.sqrt(2 * math.pi)), which take the array's dtype."
        )
    raise case.fail(i, f"returned {result.dtype} for a {dtype} input.", meaning)


def _check_linear_in_g(case: _Case, i: int, g: np.ndarray, z: np.ndarray, result: np.ndarray) -> None:
    tripled = _call_rule(case, i, 3 * g, z)
    k = first_mismatch(tripled, 3 * result, 1e-12 * (1 + np.abs(result).max(initial=0.0)), 1e-6)
    if k is None:
        return
    raise case.fail(
        i,
        f"is not linear in g: with g tripled it gives {float(tripled[k])!r} at index [{_text(k)}], not 3 times "
        f"{float(result[k])!r}.",
        "A vjp is g^T dz/dx: it scales with g. A rule that ignores g (returns dz/dx itself, cos(x) where "
        "g * cos(x) is meant) or adds g rather than multiplying by it does not.",
    )


def _check_values(case: _Case, i: int, z: np.ndarray) -> None:
    """The rule's values through the engine (a sweep per output entry, only input i requiring grad) against central
    differences of the forward."""
    j = case.checked.index(i)
    xs = case.tensors()
    try:
        engine = _engine_jacobian(case.call, xs, [j])[0, j]
    except Exception as err:  # the rule ran above with every input; here the node keeps only what saves declares
        declared = "every input and the output" if case.op.saves is None else f"saves={case.op.saves}"
        raise case.fail(i, f"fails in a backward where only this input requires grad: {type(err).__name__}: {err}",
                        f"The node then keeps only the values its rule reads, as declared ({declared}): "
                        "check that the declaration names every value the rule reads.") from err  # fmt: skip
    numeric = _numeric_jacobian(case.call, xs, [j], EPS)[0, j]
    mismatch = first_mismatch(engine, numeric, ATOL, RTOL)
    if mismatch is not None:
        k, m = mismatch
        out_index, in_index = np.unravel_index(k, z.shape), np.unravel_index(m, np.shape(case.values[i]))
        raise case.fail(
            i,
            f"is wrong at d z[{_text(out_index)}] / d {case.input_name(i)}[{_text(in_index)}]: the rule gives "
            f"{float(engine[k, m])!r}, central differences of the forward give {float(numeric[k, m])!r}.",
            _diagnosis(engine, numeric, np.size(case.values[i]) < z.size),
        )


def _diagnosis(engine: np.ndarray, numeric: np.ndarray, broadcast: bool) -> str:
    """What a wrong Jacobian's pattern usually means: a constant factor, a transpose, a broadcast input's sum."""
    significant = np.abs(numeric) > 1e-6 * np.abs(numeric).max(initial=0.0)
    ratios = engine[significant] / numeric[significant] if significant.any() else np.array([])
    zeros_agree = np.allclose(engine[~significant], 0, atol=ATOL)
    if ratios.size and zeros_agree and np.allclose(ratios, ratios[0], rtol=RTOL):
        if np.isclose(ratios[0], -1, rtol=RTOL):
            return "Every entry is -1 times the right one: the rule's sign is wrong."
        return (f"Every entry is {ratios[0]:.4g} times the right one: a constant factor is missing or extra (the 2 "
                "of d(x^2)/dx = 2x, the 1/N of a mean, a factor applied twice).")  # fmt: skip
    if engine.shape[0] == engine.shape[1] and np.allclose(engine, numeric.T, rtol=RTOL, atol=ATOL):
        return ("The rule computes the Jacobian's transpose: a vjp is g^T dz/dx = (dz/dx)^T g, so for z = W x it "
                "is W.T @ g, not W @ g (and for z = x @ W, g @ W.T).")  # fmt: skip
    if broadcast:
        return ("The forward broadcasts this input, copying each entry to several outputs: its adjoint must add up "
                "the shares of all the copies. A rule that keeps one share, or sums over the wrong axes, gives this "
                "(a missing or wrong unbroadcast).")  # fmt: skip
    return ("The rule's formula differs from the derivative of the forward at that entry: work out dz/dx there by "
            "hand. If the forward has a kink, choose sample values away from it (central differences straddle it).")


# ---- second order: the rules recorded under create_graph ----------------------------------------------------------


def _check_second_order(case: _Case) -> None:
    """The rules' recorded graphs, differentiated again, against central differences of the rules' values: the
    Jacobian of (x..., g) -> (vjp of each input), which is what gradgradcheck checks, rule by rule."""
    xs = case.tensors()
    g = Tensor(np.random.default_rng(1).standard_normal(case.forward().shape))
    for j, i in enumerate(case.checked):
        _check_recordable(case, i, j, g)

    def vjps(*args: Tensor) -> tuple[Tensor, ...]:
        return vjp(case.call, args[:-1], args[-1], create_graph=True)[1]

    inputs = (*xs, g)
    wrt = list(range(len(inputs)))
    engine, numeric = _engine_jacobian(vjps, inputs, wrt), _numeric_jacobian(vjps, inputs, wrt, EPS)
    for (o, j), a in engine.items():
        mismatch = first_mismatch(a, numeric[o, j], ATOL, RTOL)
        if mismatch is not None:
            _second_order_failure(case, o, j, a, numeric[o, j], mismatch)


def _check_recordable(case: _Case, i: int, j: int, g: Tensor) -> None:
    """Input i's rule runs under create_graph (handed Tensors), with only input i requiring grad."""
    xs = tuple(x.requires_grad_() if k == j else x for k, x in enumerate(case.tensors()))
    try:
        grad(case.call(*xs), xs[j], g, create_graph=True)
    except NumpyRuleError as err:  # the engine's own message says what to do
        raise case.fail(i, "fails under create_graph=True (second derivatives):", str(err)) from err
    except Exception as err:  # reported as this rule's failure under create_graph, with the error itself
        raise case.fail(i, f"fails under create_graph=True (second derivatives): {type(err).__name__}: {err}",
                        "Under create_graph the rule is handed Tensors, not arrays. " + WRITE_WITH_AG) from err


def _second_order_failure(case: _Case, o: int, j: int, engine: np.ndarray, numeric: np.ndarray,
                          mismatch: tuple[int, ...]) -> None:  # fmt: skip
    i = case.checked[o]
    by_g = j == len(case.checked)  # the last of the differentiated inputs is g
    shape = np.shape(case.values[i])
    k, m = mismatch
    other = "g" if by_g else case.input_name(case.checked[j])
    other_shape = case.forward().shape if by_g else np.shape(case.values[case.checked[j]])
    out_index, in_index = np.unravel_index(k, shape), np.unravel_index(m, other_shape)
    constant = engine[k, m] == 0
    raise case.fail(
        i,
        f"gives right first derivatives but its graph recorded under create_graph is wrong: d (its result)"
        f"[{_text(out_index)}] / d {other}[{_text(in_index)}] is {float(engine[k, m])!r} from the recorded graph, "
        f"{float(numeric[k, m])!r} from central differences of the rule's values.",
        ("The recorded rule does not depend on " + other + " there: " if constant else "")
        + "part of the rule is computed outside the engine (numpy on np.asarray(x) or x.data, a value wrapped in "
        "ag.Tensor(...), .detach(), .item()), so create_graph records it as a constant. " + WRITE_WITH_AG,
    )


# ---- float32 ------------------------------------------------------------------------------------------------------


def _check_float32(case: _Case) -> None:
    """float32 inputs give a float32 output (or the ``dtype=`` the primitive is asked for) and float32 adjoints."""
    single = case.cast(np.float32)
    z = single.forward()
    expected = np.dtype(case.params.get("dtype", np.float32))
    if z.dtype != expected:
        raise GradcheckError(
            f"check_primitive({case.op.name}): the forward turns float32 inputs into a {z.dtype} output.\n  A float64 "
            "upcast: a float64 array or numpy scalar in the forward (np.float64(2), np.array(0.5), np.ones(n)) "
            "makes numpy promote; write constants as Python numbers, which take the array's dtype."
        )
    g = np.random.default_rng(2).standard_normal(z.shape).astype(z.dtype)
    for i in single.checked:
        _check_dtype(single, i, _call_rule(single, i, g, z))


def _text(index: tuple[Any, ...]) -> str:
    return ", ".join(str(int(k)) for k in index)
