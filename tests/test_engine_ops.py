"""Every operation's value and gradient against PyTorch (float64) and against central finite differences.

One table: a new operation is one new row. Each row gives the operation written with autograd_core, the same
operation written with torch, the input shapes and the inputs' domain (kept away from kinks and poles).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import autograd_core as ag
from autograd_core import Tensor
from autograd_core import primitives as P

from .conftest import numerical_grad

IDX = np.array([0, 2, 2, 1])  # repeated on purpose: the adjoint of a repeated pick must add up
MASK = np.array([[True, False, True, True], [False, True, True, False], [True, True, False, False]])
COND = np.array([[True, False, True, False]])
GATHER = np.array([[0, 3], [2, 2], [1, 0]])  # a repeated pick in the second row
COUNTS = np.array([1, 0, 2])
INF = float("inf")


def pieces(parts: Any, dim: int) -> Any:
    """The pieces of a split joined again, each scaled differently so that each piece's gradient differs."""
    scaled = [p * (i + 1) for i, p in enumerate(parts)]
    return ag.cat(scaled, dim=dim) if isinstance(parts[0], Tensor) else torch.cat(scaled, dim=dim)


# Changes in place, recorded (on results, not leaves): the same code runs on both libraries.
def _set_row(a: Any, b: Any) -> Any:
    c = a * 1
    c[1] = b
    return c


def _add_into_slice(a: Any, b: Any) -> Any:
    c = a.clone()
    c[:, 1:3] += b  # a view, changed in place, assigned back
    return c


def _arithmetic_in_place(a: Any, b: Any) -> Any:
    c = a * 1
    c += b
    c *= a
    c -= 1
    c /= b
    return c.clamp_(-1.0, 1.0)


def _assign_from_constant(a: Any, b: Any) -> Any:
    c = (torch if isinstance(a, torch.Tensor) else ag).zeros(a.shape, dtype=a.dtype)
    c[0] = b  # a constant that takes a graph
    c[2, ::2] = a[2, ::2] * b[::2]
    return c


@dataclass
class Case:
    name: str
    ours: Callable[..., Any]
    theirs: Callable[..., Any]
    shapes: list[tuple[int, ...]]
    domain: str = "any"  # "positive" or "nonzero" keep inputs off poles and kinks


CASES = [
    # affine maps
    Case("add_broadcast", lambda a, b: a + b, lambda a, b: a + b, [(3, 4), (4,)]),
    Case("add_broadcast_both", lambda a, b: a + b, lambda a, b: a + b, [(2, 1, 3), (4, 1)]),
    Case("radd_number", lambda a: 2.5 + a, lambda a: 2.5 + a, [(3,)]),
    Case("radd_array", lambda a: np.ones((2, 3)) + a, lambda a: torch.ones(2, 3, dtype=a.dtype) + a, [(3,)]),
    Case("sub", lambda a, b: a - b, lambda a, b: a - b, [(2, 3), (2, 1)]),
    Case("rsub_number", lambda a: 1 - a, lambda a: 1 - a, [(2, 3)]),
    Case("neg", lambda a: -a, lambda a: -a, [(2, 3)]),
    Case("sum_all", lambda a: a.sum(), lambda a: a.sum(), [(2, 3, 4)]),
    Case("sum_axis", lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), [(2, 3, 4)]),
    Case("sum_axes_keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True), lambda a: a.sum(dim=(0, 2), keepdim=True), [(2, 3, 4)]),
    Case("sum_dim_negative", lambda a: a.sum(dim=-1), lambda a: a.sum(dim=-1), [(2, 3)]),
    Case("mean_axis", lambda a: a.mean(axis=1), lambda a: a.mean(dim=1), [(3, 5)]),
    Case("mean_all", lambda a: a.mean(), lambda a: a.mean(), [(3, 5)]),
    Case("reshape", lambda a: a.reshape(4, -1) * np.arange(6), lambda a: a.reshape(4, -1) * torch.arange(6), [(2, 3, 4)]),
    Case("reshape_tuple", lambda a: a.reshape((3, 2)), lambda a: a.reshape((3, 2)), [(6,)]),
    Case("transpose", lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2), [(2, 3, 4)]),
    Case("permute", lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), [(2, 3, 4)]),
    Case("T", lambda a: a.T, lambda a: a.permute(2, 1, 0), [(2, 3, 4)]),
    Case("mT", lambda a: a.mT, lambda a: a.mT, [(2, 3, 4)]),
    Case("flatten", lambda a: a.flatten(), lambda a: a.flatten(), [(2, 3, 4)]),
    Case("flatten_from_1", lambda a: a.flatten(1), lambda a: a.flatten(1), [(2, 3, 4)]),
    Case("squeeze", lambda a: a.squeeze(), lambda a: a.squeeze(), [(2, 1, 3, 1)]),
    Case("squeeze_axis", lambda a: a.squeeze(1), lambda a: a.squeeze(1), [(2, 1, 3, 1)]),
    Case("unsqueeze", lambda a: a.unsqueeze(-1), lambda a: a.unsqueeze(-1), [(2, 3)]),
    Case("expand_dims", lambda a: a.expand_dims(0), lambda a: a.unsqueeze(0), [(2, 3)]),
    Case("getitem_slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [(3, 4)]),
    Case("getitem_int", lambda a: a[1], lambda a: a[1], [(3, 4)]),
    Case("getitem_ellipsis_none", lambda a: a[..., None, 1], lambda a: a[..., None, 1], [(3, 4)]),
    Case("getitem_int_array", lambda a: a[IDX], lambda a: a[torch.from_numpy(IDX)], [(3, 4)]),
    Case("getitem_pairs", lambda a: a[IDX[:3], np.array([0, 3, 3])], lambda a: a[IDX[:3], [0, 3, 3]], [(3, 4)]),
    Case("getitem_mask", lambda a: a[MASK], lambda a: a[torch.from_numpy(MASK)], [(3, 4)]),
    Case("getitem_tensor_index", lambda a: a[Tensor(IDX)], lambda a: a[torch.from_numpy(IDX)], [(3, 4)]),
    Case("concatenate", lambda a, b: ag.concatenate([a, b], axis=1), lambda a, b: torch.cat([a, b], dim=1), [(2, 3), (2, 2)]),
    Case("stack", lambda a, b: ag.stack([a, b], axis=1), lambda a, b: torch.stack([a, b], dim=1), [(2, 3), (2, 3)]),
    Case("where", lambda a, b: ag.where(COND, a, b), lambda a, b: torch.where(torch.from_numpy(COND), a, b), [(3, 4), (3, 1)]),
    # products and powers
    Case("mul_broadcast", lambda a, b: a * b, lambda a, b: a * b, [(3, 4), (3, 1)]),
    Case("rmul_number", lambda a: 0.1 * a, lambda a: 0.1 * a, [(3,)]),
    Case("div", lambda a, b: a / b, lambda a, b: a / b, [(3, 4), (4,)], "nonzero"),
    Case("rdiv_number", lambda a: 2 / a, lambda a: 2 / a, [(3,)], "nonzero"),
    Case("pow_int", lambda a: a**3, lambda a: a**3, [(3, 2)]),
    Case("pow_half", lambda a: a**0.5, lambda a: a**0.5, [(3, 2)], "positive"),
    Case("pow_zero", lambda a: a**0, lambda a: a**0, [(3,)]),
    Case("pow_tensor", lambda a, b: a**b, lambda a, b: a**b, [(3, 2), (2,)], "positive"),
    Case("rpow", lambda a: 2**a, lambda a: 2**a, [(3,)]),
    Case("matmul_2d", lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4, 5)]),
    Case("matmul_vec_mat", lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (4, 5)]),
    Case("matmul_mat_vec", lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4,)]),
    Case("matmul_dot", lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (4,)]),
    Case("matmul_batched", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    Case("matmul_batched_broadcast", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)]),
    Case("matmul_vec_batched", lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (2, 4, 3)]),
    Case("matmul_batched_vec", lambda a, b: ag.matmul(a, b), lambda a, b: a @ b, [(2, 3, 4), (4,)]),
    Case("linear", lambda a, b: P.linear(a, b), lambda a, b: a @ b.T, [(3, 4), (5, 4)]),
    Case("linear_batched", lambda a, b: P.linear(a, b), lambda a, b: a @ b.T, [(2, 3, 4), (5, 4)]),
    Case("linear_vector", lambda a, b: P.linear(a, b), lambda a, b: a @ b.T, [(4,), (5, 4)]),
    Case("linear_bias", lambda a, b, c: P.linear(a, b, c), lambda a, b, c: a @ b.T + c, [(2, 3, 4), (5, 4), (5,)]),
    Case("rmatmul_array", lambda a: np.ones((2, 3)) @ a, lambda a: torch.ones(2, 3, dtype=a.dtype) @ a, [(3, 4)]),
    Case("matmul_list", lambda a: a @ [[1.0], [2.0], [3.0]], lambda a: a @ torch.tensor([[1.0], [2.0], [3.0]], dtype=a.dtype), [(2, 3)]),
    Case("rmatmul_list", lambda a: ag.matmul([1.0, -2.0], a), lambda a: torch.tensor([1.0, -2.0], dtype=a.dtype) @ a, [(2, 3)]),
    # fixed one-dimensional functions
    Case("exp", lambda a: a.exp(), torch.exp, [(3, 4)]),
    Case("log", lambda a: a.log(), torch.log, [(3, 4)], "positive"),
    Case("sin", lambda a: a.sin(), torch.sin, [(3, 4)]),
    Case("cos", lambda a: a.cos(), torch.cos, [(3, 4)]),
    Case("tan", lambda a: (a * 0.3).tan(), lambda a: (a * 0.3).tan(), [(3, 4)]),
    Case("tanh", lambda a: a.tanh(), torch.tanh, [(3, 4)]),
    Case("sigmoid", lambda a: a.sigmoid(), torch.sigmoid, [(3, 4)]),
    Case("relu", lambda a: a.relu(), torch.relu, [(3, 4)], "nonzero"),
    Case("abs", lambda a: a.abs(), torch.abs, [(3, 4)], "nonzero"),
    Case("abs_builtin", lambda a: abs(a), torch.abs, [(3, 4)], "nonzero"),
    Case("sqrt", lambda a: a.sqrt(), torch.sqrt, [(3, 4)], "positive"),
    Case("leaky_relu", lambda a: a.leaky_relu(0.1), lambda a: TF.leaky_relu(a, 0.1), [(3, 4)], "nonzero"),
    Case("softplus", lambda a: a.softplus(), TF.softplus, [(3, 4)]),
    Case("softplus_beta", lambda a: a.softplus(beta=2.0), lambda a: TF.softplus(a, beta=2.0), [(3, 4)]),
    Case("gelu", lambda a: a.gelu(), TF.gelu, [(3, 4)]),
    Case("gelu_tanh", lambda a: a.gelu("tanh"), lambda a: TF.gelu(a, approximate="tanh"), [(3, 4)]),
    Case("clip", lambda a: a.clip(-0.5, 0.5), lambda a: a.clamp(-0.5, 0.5), [(3, 4)], "off_half"),
    Case("clip_low", lambda a: a.clip(lo=-0.5), lambda a: a.clamp(min=-0.5), [(3, 4)], "off_half"),
    # rules of their own and composites
    Case("max_all", lambda a: a.max(), torch.amax, [(3, 4)]),
    Case("max_axis", lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [(3, 4)]),
    Case("min_axis_keepdims", lambda a: a.min(dim=0, keepdim=True).values, lambda a: a.amin(dim=0, keepdim=True), [(3, 4)]),
    Case("maximum", lambda a, b: ag.maximum(a, b), torch.maximum, [(3, 4), (4,)]),
    Case("minimum", lambda a, b: ag.minimum(a, b), torch.minimum, [(3, 4), (3, 1)]),
    Case("maximum_number", lambda a: ag.maximum(a, 0.2), lambda a: torch.clamp(a, min=0.2), [(3, 4)], "off_fifth"),
    Case("var", lambda a: a.var(), lambda a: a.var(correction=0), [(3, 4)]),
    Case("var_axis_ddof", lambda a: a.var(axis=0, ddof=1), lambda a: a.var(dim=0, correction=1), [(3, 4)]),
    Case("logsumexp", lambda a: a.logsumexp(axis=1), lambda a: a.logsumexp(dim=1), [(3, 4)]),
    Case("logsumexp_all_keepdims", lambda a: a.logsumexp(keepdims=True), lambda a: a.logsumexp(dim=(0, 1), keepdim=True), [(3, 4)]),
    Case("softmax", lambda a: a.softmax(), lambda a: a.softmax(-1), [(3, 4)]),
    Case("softmax_dim0", lambda a: a.softmax(dim=0), lambda a: a.softmax(0), [(3, 4)]),
    Case("log_softmax", lambda a: a.log_softmax(axis=1), lambda a: a.log_softmax(1), [(3, 4)]),
    Case("nll_loss", lambda a: P.nll_loss(a, index=(np.arange(3), IDX[:3]), reduction="mean"),
         lambda a: TF.nll_loss(a, torch.from_numpy(IDX[:3])), [(3, 4)]),
    Case("nll_loss_none", lambda a: P.nll_loss(a, index=(np.arange(3), IDX[:3]), reduction="none"),
         lambda a: TF.nll_loss(a, torch.from_numpy(IDX[:3]), reduction="none"), [(3, 4)]),
    Case("function_forms", lambda a: ag.tanh(ag.exp(a) * ag.sum(a, axis=0)), lambda a: torch.tanh(a.exp() * a.sum(0)), [(3, 4)]),
    # API.md's "More operations": elementwise
    Case("sinh", lambda a: a.sinh(), torch.sinh, [(3, 4)]),
    Case("cosh", lambda a: ag.cosh(a), torch.cosh, [(3, 4)]),
    Case("arcsin", lambda a: a.arcsin(), torch.arcsin, [(3, 4)], "unit"),
    Case("arccos", lambda a: ag.arccos(a), torch.arccos, [(3, 4)], "unit"),
    Case("arctan", lambda a: a.arctan(), torch.arctan, [(3, 4)]),
    Case("log2", lambda a: a.log2(), torch.log2, [(3, 4)], "positive"),
    Case("log10", lambda a: ag.log10(a), torch.log10, [(3, 4)], "positive"),
    Case("log1p", lambda a: a.log1p(), torch.log1p, [(3, 4)], "positive"),
    Case("expm1", lambda a: a.expm1(), torch.expm1, [(3, 4)]),
    Case("exp2", lambda a: ag.exp2(a), torch.exp2, [(3, 4)]),
    Case("erf", lambda a: a.erf(), torch.erf, [(3, 4)]),
    Case("rsqrt", lambda a: a.rsqrt(), torch.rsqrt, [(3, 4)], "positive"),
    Case("reciprocal", lambda a: a.reciprocal(), torch.reciprocal, [(3, 4)], "nonzero"),
    Case("square", lambda a: ag.square(a), torch.square, [(3, 4)]),
    Case("sign", lambda a: a.sign() + a, lambda a: a.sign() + a, [(3, 4)], "nonzero"),
    Case("floor", lambda a: a.floor() * a, lambda a: a.floor() * a, [(3, 4)], "off_integer"),
    Case("ceil", lambda a: ag.ceil(a) * a, lambda a: a.ceil() * a, [(3, 4)], "off_integer"),
    Case("trunc", lambda a: a.trunc() * a, lambda a: a.trunc() * a, [(3, 4)], "off_integer"),
    Case("round", lambda a: a.round() * a, lambda a: a.round() * a, [(3, 4)], "off_half_integer"),
    Case("round_decimals", lambda a: ag.round(a, decimals=1) * a, lambda a: a.round(decimals=1) * a, [(3, 4)], "off_half_tenth"),
    Case("arctan2", lambda a, b: ag.arctan2(a, b), torch.arctan2, [(3, 4), (4,)]),
    Case("atan2_method", lambda a, b: a.atan2(b), lambda a, b: a.atan2(b), [(3, 4), (3, 1)]),
    Case("logaddexp", lambda a, b: ag.logaddexp(a, b), torch.logaddexp, [(3, 4), (3, 1)]),
    Case("mod", lambda a, b: a % b, lambda a, b: a % b, [(3, 4), (3, 4)], "quotients"),
    # (PyTorch has no derivative for number % tensor: its definition stands in)
    Case("rmod_number", lambda a: 2.5 % a, lambda a: 2.5 - (2.5 / a).floor() * a, [(3, 4)], "positive"),
    Case("remainder", lambda a, b: ag.remainder(a, b), torch.remainder, [(3, 4), (3, 4)], "quotients"),
    Case("fmod", lambda a, b: ag.fmod(a, b), torch.fmod, [(3, 4), (3, 4)], "quotients"),
    # reductions and orderings
    Case("prod_all", lambda a: a.prod(), lambda a: a.prod(), [(3, 4)]),
    Case("prod_dim", lambda a: ag.prod(a, dim=1), lambda a: a.prod(dim=1), [(3, 4)]),
    Case("prod_axes_keepdims", lambda a: a.prod(axis=(0, 2), keepdims=True),
         lambda a: a.prod(dim=2, keepdim=True).prod(dim=0, keepdim=True), [(2, 3, 4)]),
    Case("prod_with_zeros", lambda a: a.prod(dim=1), lambda a: a.prod(dim=1), [(3, 4)], "zeros"),  # one, two, none
    Case("prod_all_with_zeros", lambda a: a[1:].prod(), lambda a: a[1:].prod(), [(3, 4)], "zeros"),  # two zeros
    Case("std", lambda a: a.std(), lambda a: a.std(correction=0), [(3, 4)]),
    Case("std_axis_ddof", lambda a: ag.std(a, axis=0, ddof=1), lambda a: a.std(dim=0, correction=1), [(3, 4)]),
    Case("std_keepdim", lambda a: a.std(dim=1, keepdim=True), lambda a: a.std(dim=1, correction=0, keepdim=True), [(3, 4)]),
    Case("cumsum", lambda a: a.cumsum(dim=1), lambda a: a.cumsum(dim=1), [(3, 4)]),
    Case("cumsum_flat", lambda a: ag.cumsum(a), lambda a: a.flatten().cumsum(0), [(3, 4)]),
    Case("cumprod", lambda a: a.cumprod(dim=1), lambda a: a.cumprod(dim=1), [(3, 5)]),
    Case("cumprod_with_zeros", lambda a: ag.cumprod(a, axis=1), lambda a: a.cumprod(dim=1), [(3, 4)], "zeros"),
    Case("norm", lambda a: a.norm(), lambda a: a.norm(), [(3, 4)]),
    Case("norm_p3_dim", lambda a: a.norm(p=3, dim=1), lambda a: a.norm(p=3, dim=1), [(3, 4)]),
    Case("norm_p1_keepdim", lambda a: ag.norm(a, 1, 0, True), lambda a: a.norm(p=1, dim=0, keepdim=True), [(3, 4)], "nonzero"),
    Case("norm_numpy_keywords", lambda a: a.norm(ord=2, axis=1), lambda a: a.norm(p=2, dim=1), [(3, 4)]),
    Case("norm_inf", lambda a: a.norm(p=INF, dim=1), lambda a: a.norm(p=INF, dim=1), [(3, 4)]),
    Case("norm_minus_inf", lambda a: a.norm(p=-INF), lambda a: a.norm(p=-INF), [(3, 4)]),
    Case("norm_p0", lambda a: a.norm(p=0) * a, lambda a: a.norm(p=0) * a, [(3, 4)]),
    Case("argmax", lambda a: a.gather(1, a.argmax(dim=1, keepdim=True)),
         lambda a: a.gather(1, a.argmax(dim=1, keepdim=True)), [(3, 4)]),
    Case("argmin", lambda a: a[ag.argmin(a, axis=0), np.arange(4)], lambda a: a[a.argmin(dim=0), torch.arange(4)], [(3, 4)]),
    Case("argsort", lambda a: a.gather(1, a.argsort(dim=1, descending=True)),
         lambda a: a.gather(1, a.argsort(dim=1, descending=True)), [(3, 4)]),
    Case("sort", lambda a: a.sort(dim=1).values, lambda a: a.sort(dim=1).values, [(3, 4)]),
    Case("sort_descending", lambda a: ag.sort(a, 0, descending=True)[0], lambda a: a.sort(0, descending=True)[0], [(3, 4)]),
    Case("topk", lambda a: a.topk(2).values, lambda a: a.topk(2).values, [(3, 4)]),
    Case("topk_smallest", lambda a: ag.topk(a, 2, dim=0, largest=False)[0], lambda a: a.topk(2, dim=0, largest=False)[0], [(3, 4)]),
    # linear algebra
    Case("outer", lambda a, b: ag.outer(a, b), torch.outer, [(3,), (4,)]),
    Case("dot", lambda a, b: a.dot(b), torch.dot, [(4,), (4,)]),
    Case("tensordot", lambda a, b: ag.tensordot(a, b, dims=2), lambda a, b: torch.tensordot(a, b, dims=2), [(2, 3, 4), (3, 4, 2)]),
    Case("tensordot_axes", lambda a, b: ag.tensordot(a, b, axes=([0, 2], [2, 0])),
         lambda a, b: torch.tensordot(a, b, dims=([0, 2], [2, 0])), [(4, 3, 2), (2, 5, 4)]),
    Case("einsum_matmul", lambda a, b: ag.einsum("ij,jk->ik", a, b), lambda a, b: torch.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)]),
    Case("einsum_implicit", lambda a, b: ag.einsum("ij,kj", a, b), lambda a, b: torch.einsum("ij,kj", a, b), [(2, 3), (4, 3)]),
    Case("einsum_diagonal", lambda a: ag.einsum("ii->i", a), lambda a: torch.einsum("ii->i", a), [(3, 3)]),
    Case("einsum_trace", lambda a: ag.einsum("ii", a), lambda a: torch.einsum("ii", a), [(3, 3)]),
    Case("einsum_ellipsis", lambda a, b: ag.einsum("...ij,...jk->...ik", a, b),
         lambda a, b: torch.einsum("...ij,...jk->...ik", a, b), [(2, 2, 3), (3, 4)]),
    Case("einsum_sum_away", lambda a, b: ag.einsum("bij,j->b", a, b), lambda a, b: torch.einsum("bij,j->b", a, b), [(2, 3, 4), (4,)]),
    Case("einsum_three", lambda a, b, c: ag.einsum("ij,jk,kl->il", a, b, c),
         lambda a, b, c: torch.einsum("ij,jk,kl->il", a, b, c), [(2, 3), (3, 4), (4, 2)]),
    Case("trace", lambda a: a.trace(), torch.trace, [(3, 4)]),
    Case("diag_vector", lambda a: a.diag(1), lambda a: torch.diag(a, 1), [(3,)]),
    Case("diag_matrix", lambda a: ag.diag(a, k=-1), lambda a: torch.diag(a, -1), [(3, 4)]),
    Case("diagonal", lambda a: a.diagonal(offset=1, dim1=0, dim2=2), lambda a: a.diagonal(offset=1, dim1=0, dim2=2), [(3, 4, 5)]),
    Case("diagonal_numpy_keywords", lambda a: ag.diagonal(a, -1, axis1=2, axis2=1),
         lambda a: a.diagonal(offset=-1, dim1=2, dim2=1), [(3, 4, 5)]),
    Case("tril", lambda a: a.tril(-1), lambda a: a.tril(-1), [(2, 3, 4)]),
    Case("triu", lambda a: ag.triu(a, k=1), lambda a: a.triu(1), [(3, 4)]),
    # shapes
    Case("flip", lambda a: a.flip(0, 2), lambda a: a.flip((0, 2)), [(2, 3, 4)]),
    Case("flip_all_numpy", lambda a: ag.flip(a), lambda a: a.flip((0, 1)), [(3, 4)]),
    Case("roll", lambda a: a.roll(1, 1), lambda a: a.roll(1, 1), [(3, 4)]),
    Case("roll_several", lambda a: a.roll((1, -2), (0, 2)), lambda a: a.roll((1, -2), (0, 2)), [(2, 3, 4)]),
    Case("roll_flat", lambda a: ag.roll(a, 5), lambda a: a.roll(5), [(3, 4)]),
    Case("repeat", lambda a: a.repeat(2, 1, 3), lambda a: a.repeat(2, 1, 3), [(3, 4)]),
    Case("tile", lambda a: ag.tile(a, (2,)), lambda a: a.tile((2,)), [(3, 4)]),
    Case("pad", lambda a: a.pad(((1, 0), (2, 1)), value=0.5), lambda a: TF.pad(a, (2, 1, 1, 0), value=0.5), [(3, 4)]),
    Case("pad_int", lambda a: ag.pad(a, 1), lambda a: TF.pad(a, (1, 1, 1, 1)), [(3, 4)]),
    Case("split_size", lambda a: pieces(a.split(3, dim=1), 1), lambda a: pieces(a.split(3, dim=1), 1), [(3, 7)]),
    Case("split_sections", lambda a: pieces(ag.split(a, [1, 2]), 0), lambda a: pieces(a.split([1, 2]), 0), [(3, 4)]),
    Case("chunk", lambda a: pieces(a.chunk(3, dim=1), 1), lambda a: pieces(a.chunk(3, dim=1), 1), [(3, 7)]),
    Case("tensor_split", lambda a: pieces(a.tensor_split(3, dim=1), 1), lambda a: pieces(a.tensor_split(3, dim=1), 1), [(3, 7)]),
    Case("tensor_split_indices", lambda a: pieces(ag.tensor_split(a, [1, 4], axis=1), 1),
         lambda a: pieces(a.tensor_split([1, 4], dim=1), 1), [(3, 7)]),
    Case("moveaxis", lambda a: a.moveaxis(0, -1), lambda a: a.moveaxis(0, -1), [(2, 3, 4)]),
    Case("moveaxis_several", lambda a: ag.moveaxis(a, (0, 1), (2, 0)), lambda a: torch.moveaxis(a, (0, 1), (2, 0)), [(2, 3, 4)]),
    Case("swapaxes", lambda a: a.swapaxes(0, 2), lambda a: a.swapaxes(0, 2), [(2, 3, 4)]),
    Case("expand", lambda a: a.expand(2, -1, 4), lambda a: a.expand(2, -1, 4), [(3, 1)]),
    Case("gather", lambda a: a.gather(1, GATHER), lambda a: a.gather(1, torch.from_numpy(GATHER)), [(3, 4)]),
    Case("repeat_interleave", lambda a: a.repeat_interleave(2, dim=0), lambda a: a.repeat_interleave(2, dim=0), [(3, 4)]),
    Case("repeat_interleave_counts", lambda a: ag.repeat_interleave(a, COUNTS, axis=0),
         lambda a: a.repeat_interleave(torch.from_numpy(COUNTS), dim=0), [(3, 4)]),
    Case("repeat_interleave_flat", lambda a: a.repeat_interleave(2), lambda a: a.repeat_interleave(2), [(3, 4)]),
    Case("cat", lambda a, b: ag.cat([a, b], dim=1), lambda a, b: torch.cat([a, b], dim=1), [(2, 3), (2, 2)]),
    Case("stack_dim", lambda a, b: ag.stack([a, b], dim=1), lambda a, b: torch.stack([a, b], dim=1), [(2, 3), (2, 3)]),
    Case("concatenate_dim", lambda a, b: ag.concatenate([a, b], dim=0), lambda a, b: torch.cat([a, b], dim=0), [(2, 3), (1, 3)]),
    Case("vstack", lambda a, b: ag.vstack([a, b]), lambda a, b: torch.vstack([a, b]), [(4,), (2, 4)]),
    Case("hstack", lambda a, b: ag.hstack([a, b]), lambda a, b: torch.hstack([a, b]), [(2, 3), (2, 1)]),
    Case("mean_of_a_list", lambda a, b: ag.mean([a, b * 2]), lambda a, b: torch.stack([a, b * 2]).mean(), [(3,), (3,)]),
    # PyTorch habits: the names a PyTorch program uses, called as it calls them
    Case("clone", lambda a: a.clone() * a, lambda a: a.clone() * a, [(3, 4)]),
    Case("pow_method", lambda a: a.pow(3), lambda a: a.pow(3), [(3, 4)]),
    Case("pow_function", lambda a, b: ag.pow(a, b), torch.pow, [(3, 4), (4,)], "positive"),
    Case("clamp", lambda a: a.clamp(min=-0.5, max=0.5), lambda a: a.clamp(min=-0.5, max=0.5), [(3, 4)], "off_half"),
    Case("clamp_function", lambda a: ag.clamp(a, max=0.5), lambda a: torch.clamp(a, max=0.5), [(3, 4)], "off_half"),
    Case("clip_keywords", lambda a: a.clip(min=-0.5), lambda a: a.clip(min=-0.5), [(3, 4)], "off_half"),
    Case("norm", lambda a: a.norm(), lambda a: a.norm(), [(3, 4)]),
    Case("norm_p1_dim", lambda a: a.norm(p=1, dim=1), lambda a: a.norm(p=1, dim=1), [(3, 4)], "nonzero"),
    Case("norm_p3_keepdim", lambda a: a.norm(3, dim=0, keepdim=True), lambda a: a.norm(3, dim=0, keepdim=True), [(3, 4)], "nonzero"),
    Case("norm_inf", lambda a: a.norm(p=float("inf")), lambda a: a.norm(p=float("inf")), [(3, 4)]),
    Case("norm_fro_function", lambda a: ag.norm(a, "fro"), lambda a: torch.norm(a, "fro"), [(3, 4)]),
    Case("max_dim_values", lambda a: a.max(1).values, lambda a: a.max(1).values, [(3, 4)]),
    Case("min_dim_keepdim_first", lambda a: a.min(0, True)[0], lambda a: a.min(0, True)[0], [(3, 4)]),
    Case("max_function_dim", lambda a: ag.max(a, dim=-1).values, lambda a: torch.max(a, dim=-1).values, [(3, 4)]),
    Case("max_of_two", lambda a, b: a.max(b), lambda a, b: a.max(b), [(3, 4), (4,)]),
    Case("min_function_of_two", lambda a, b: ag.min(a, b), torch.min, [(3, 4), (3, 4)]),
    Case("view", lambda a: a.view(4, -1) * a.view((4, 3)), lambda a: a.view(4, -1) * a.view((4, 3)), [(3, 4)]),
    Case("t", lambda a: a.t() @ a, lambda a: a.t() @ a, [(3, 4)]),
    Case("matmul_method", lambda a, b: a.matmul(b), lambda a, b: a.matmul(b), [(3, 4), (4, 2)]),
    Case("cat", lambda a, b: ag.cat([a, b], dim=1), lambda a, b: torch.cat([a, b], dim=1), [(3, 4), (3, 2)]),
    Case("cat_default_dim", lambda a, b: ag.cat((a, b)), lambda a, b: torch.cat((a, b)), [(3, 4), (1, 4)]),
    Case("setitem_row", _set_row, _set_row, [(3, 4), (4,)]),
    Case("setitem_slice_iadd", _add_into_slice, _add_into_slice, [(3, 4), (3, 2)]),
    Case("arithmetic_in_place", _arithmetic_in_place, _arithmetic_in_place, [(3, 4), (4,)], "positive"),
    Case("setitem_into_constant", _assign_from_constant, _assign_from_constant, [(3, 4), (4,)]),
]


def _inputs(case: Case, rng: np.random.Generator) -> list[np.ndarray]:
    arrays = [rng.standard_normal(s) for s in case.shapes]
    if case.domain == "positive":
        arrays = [np.abs(a) + 0.5 for a in arrays]
    elif case.domain == "nonzero":
        arrays = [np.sign(a) * (np.abs(a) + 0.1) for a in arrays]
    elif case.domain == "off_half":  # keep away from the clip bounds +-0.5
        arrays = [np.where(np.abs(np.abs(a) - 0.5) < 0.05, a + 0.2, a) for a in arrays]
    elif case.domain == "off_fifth":
        arrays = [np.where(np.abs(a - 0.2) < 0.05, a + 0.2, a) for a in arrays]
    elif case.domain == "unit":  # inside (-1, 1), for arcsin and arccos
        arrays = [np.tanh(a) * 0.9 for a in arrays]
    elif case.domain.startswith("off_"):  # at least 0.1 from the jumps at k, k + 1/2 or k/10 + 1/20 (k an integer)
        jump, step = {"off_integer": (0.0, 1.0), "off_half_integer": (0.5, 1.0), "off_half_tenth": (0.05, 0.1)}[case.domain]
        arrays = [np.floor((3 * a - jump) / step) * step + jump + step * rng.uniform(0.1, 0.9, a.shape) for a in arrays]
    elif case.domain == "quotients":  # y away from 0 and x / y at least 0.2 from an integer: remainders do not jump
        y = np.sign(arrays[1]) * (np.abs(arrays[1]) + 0.5)
        arrays = [(rng.integers(-3, 3, y.shape) + rng.uniform(0.2, 0.8, y.shape)) * y, y]
    elif case.domain == "zeros":  # row 0 has one zero, row 2 two: prod's rule must not divide by them
        arrays[0][0, 1] = arrays[0][2, 0] = arrays[0][2, 3] = 0.0
    return arrays


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_value_and_gradient_match_pytorch(case: Case) -> None:
    rng = np.random.default_rng(0)
    arrays = _inputs(case, rng)
    ours_in = [Tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours_out, theirs_out = case.ours(*ours_in), case.theirs(*theirs_in)
    np.testing.assert_allclose(ours_out.numpy(), theirs_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert ours_out.dtype == np.float64

    weights = rng.standard_normal(ours_out.shape)  # a random adjoint tests the whole vector-Jacobian product
    ours_out.backward(weights)
    theirs_out.backward(torch.from_numpy(weights))
    for mine, theirs in zip(ours_in, theirs_in):
        assert mine.grad.shape == mine.shape and mine.grad.dtype == np.float64
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradient_matches_finite_differences(case: Case) -> None:
    rng = np.random.default_rng(1)
    arrays = _inputs(case, rng)
    weights = rng.standard_normal(case.ours(*[Tensor(a) for a in arrays]).shape)

    def f(xs: list[np.ndarray]) -> float:
        return float(np.sum(case.ours(*[Tensor(x) for x in xs]).numpy() * weights))

    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    (case.ours(*tensors) * weights).sum().backward()
    for i, t in enumerate(tensors):
        np.testing.assert_allclose(t.grad, numerical_grad(f, arrays, i), rtol=1e-5, atol=1e-7)


def test_every_primitive_appears_in_the_table() -> None:
    """A primitive with a derivative that no row exercises is a primitive whose rule nobody checked."""
    used: set[str] = set()
    for case in CASES:
        tensors = [Tensor(a, requires_grad=True) for a in _inputs(case, np.random.default_rng(0))]
        used |= {node.op.name for node in ag.topological_order([case.ours(*tensors)]) if node.op is not None}
    from autograd_core.primitives import table

    differentiable = {name for name, p in table().items() if p.vjps}
    # scatter and broadcast_to appear only inside other rules' gradients; test_engine_graph.py covers them
    assert differentiable - used <= {"scatter", "broadcast_to", "astype"}
