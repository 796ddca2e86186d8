"""Helpers for the nn tests: run one of our modules and its torch.nn twin on the same input with the same weights."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

import autograd_core as ag


def torch_state(module: Any) -> dict[str, torch.Tensor]:
    """Our module's state dict as torch tensors (what torch's load_state_dict takes)."""
    return {key: torch.from_numpy(value) for key, value in module.state_dict().items()}


def assert_same_as_torch(ours: Any, theirs: torch.nn.Module, x: np.ndarray, seed: int = 0, rtol: float = 1e-10) -> ag.Tensor:
    """Copy our weights into ``theirs`` (float64), run both on x, push one random adjoint back through both, and
    compare outputs, input gradients and parameter gradients (by name). Returns our output."""
    ours.zero_grad()
    theirs.zero_grad()
    theirs.double()
    theirs.load_state_dict(torch_state(ours))
    xa = ag.Tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ya, yt = ours(xa), theirs(xt)
    np.testing.assert_allclose(ya.data, yt.detach().numpy(), rtol=rtol, atol=1e-12)
    adjoint = np.random.default_rng(seed).standard_normal(ya.shape)
    (ya * adjoint).sum().backward()
    (yt * torch.from_numpy(adjoint)).sum().backward()
    np.testing.assert_allclose(xa.grad, xt.grad.numpy(), rtol=rtol, atol=1e-12)
    ours_params = dict(ours.named_parameters())
    theirs_params = dict(theirs.named_parameters())
    assert list(ours_params) == list(theirs_params)
    for name, p in ours_params.items():
        np.testing.assert_allclose(p.grad, theirs_params[name].grad.numpy(), rtol=rtol, atol=1e-12, err_msg=name)
    return ya
