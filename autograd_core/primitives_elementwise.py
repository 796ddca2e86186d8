"""The derivative table, continued: more functions applied entry by entry, and the elementwise functions of two
tensors (arctan2, logaddexp, remainder, fmod).

Written as primitives.py's entries are: ``Primitive(name, kind, forward, vjp per input, saves=...)``, each rule
built from the table's entries and operators, so that it computes numbers in an ordinary backward and records a
differentiable graph under ``create_graph=True``. Constants inside rules are Python numbers, so that float32 stays
float32.

Why each is an entry of its own rather than composed: every one is a fixed one-dimensional function (the
lectures' third kind of step), whose derivative is known in closed form; composing, say, log1p as log(1 + x) would
lose its accuracy for small x, which is the reason the function exists. The piecewise-constant ones (floor, ceil,
round, trunc) carry a zero derivative, as sign does and as PyTorch's do (docs/kinks.md).
"""

from __future__ import annotations

import math

import numpy as np

from .primitive import ELEMENTWISE, Primitive
from .primitives import exp, sqrt, zero_slope

# ---- hyperbolic and inverse trigonometric functions ------------------------------------------------------------

sinh = Primitive("sinh", ELEMENTWISE, np.sinh,
                 lambda g, z, x: g * cosh(x),
                 saves={"x": "x"})

cosh = Primitive("cosh", ELEMENTWISE, np.cosh,
                 lambda g, z, x: g * sinh(x),
                 saves={"x": "x"})

arcsin = Primitive("arcsin", ELEMENTWISE, np.arcsin,
                   lambda g, z, x: g / sqrt(1 - x * x),
                   saves={"x": "x"})

arccos = Primitive("arccos", ELEMENTWISE, np.arccos,
                   lambda g, z, x: -(g / sqrt(1 - x * x)),
                   saves={"x": "x"})

arctan = Primitive("arctan", ELEMENTWISE, np.arctan,
                   lambda g, z, x: g / (1 + x * x),
                   saves={"x": "x"})

# ---- logarithms and exponentials --------------------------------------------------------------------------------

_LN2 = math.log(2)
_LN10 = math.log(10)

log2 = Primitive("log2", ELEMENTWISE, np.log2,
                 lambda g, z, x: g / (x * _LN2),
                 saves={"x": "x"})

log10 = Primitive("log10", ELEMENTWISE, np.log10,
                  lambda g, z, x: g / (x * _LN10),
                  saves={"x": "x"})

# log(1 + x), exact for tiny x where 1 + x would round to 1
log1p = Primitive("log1p", ELEMENTWISE, np.log1p,
                  lambda g, z, x: g / (1 + x),
                  saves={"x": "x"})

# e^x - 1, exact for tiny x; its derivative e^x is z + 1
expm1 = Primitive("expm1", ELEMENTWISE, np.expm1,
                  lambda g, z, x: g * (z + 1),
                  saves={"x": "z"})

exp2 = Primitive("exp2", ELEMENTWISE, np.exp2,
                 lambda g, z, x: g * z * _LN2,
                 saves={"x": "z"})

# ---- powers -----------------------------------------------------------------------------------------------------


def _rsqrt(x: np.ndarray) -> np.ndarray:
    return 1 / np.sqrt(x)


# 1 / sqrt(x); d/dx x^(-1/2) = -x^(-3/2) / 2 = -z^3 / 2
rsqrt = Primitive("rsqrt", ELEMENTWISE, _rsqrt,
                  lambda g, z, x: g * z * z * z * -0.5,
                  saves={"x": "z"})

# 1 / x; d/dx x^-1 = -x^-2 = -z^2
reciprocal = Primitive("reciprocal", ELEMENTWISE, np.reciprocal,
                       lambda g, z, x: -(g * z * z),
                       saves={"x": "z"})

# ---- piecewise constant: a zero derivative, as sign (primitives.py) ---------------------------------------------

floor = Primitive("floor", ELEMENTWISE, np.floor, zero_slope, saves={"x": ""})
ceil = Primitive("ceil", ELEMENTWISE, np.ceil, zero_slope, saves={"x": ""})
trunc = Primitive("trunc", ELEMENTWISE, np.trunc, zero_slope, saves={"x": ""})  # towards zero
# to the nearest multiple of 10^-decimals, halves to even (numpy's and PyTorch's rule)
round = Primitive("round", ELEMENTWISE, lambda x, *, decimals: np.round(x, decimals), zero_slope,  # noqa: A001
                  saves={"x": ""})

# ---- elementwise functions of two tensors (broadcast together; the sweep sums each adjoint back) -----------------

# The angle of the point (x, y): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2)
arctan2 = Primitive("arctan2", ELEMENTWISE, np.arctan2,
                    lambda g, z, y, x: g * x / (x * x + y * y),
                    lambda g, z, y, x: -(g * y / (x * x + y * y)),
                    saves={"y": "y x", "x": "y x"})

# log(e^a + e^b) without overflow; d/da = e^a / (e^a + e^b) = exp(a - z), which is at most 1
logaddexp = Primitive("logaddexp", ELEMENTWISE, np.logaddexp,
                      lambda g, z, a, b: g * exp(a - z),
                      lambda g, z, a, b: g * exp(b - z),
                      saves={"a": "a z", "b": "b z"})

# x - floor(x / y) * y: the remainder with the sign of the divisor (Python's %, numpy's and PyTorch's remainder).
# d/dx = 1 and d/dy = -floor(x / y) between the jumps; floor carries a zero derivative, so the rule differentiates
# again correctly.
remainder = Primitive("remainder", ELEMENTWISE, np.remainder,
                      lambda g, z, x, y: g,
                      lambda g, z, x, y: -(g * floor(x / y)),
                      saves={"x": "", "y": "x y"})

# x - trunc(x / y) * y: the remainder with the sign of the dividend (C's fmod)
fmod = Primitive("fmod", ELEMENTWISE, np.fmod,
                 lambda g, z, x, y: g,
                 lambda g, z, x, y: -(g * trunc(x / y)),
                 saves={"x": "", "y": "x y"})
