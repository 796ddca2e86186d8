"""Every optimizer against torch.optim: 25 steps from the same start on the same nonconvex objective, float64."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import optim

from .optim_problems import assert_same_trajectory, ours_loss, ours_params, run_ours, run_torch

STEPS = 25

# (class name, the same in optim and torch.optim; settings): defaults first, then settings that switch on every option
CASES = [
    ("SGD", {}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.02}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.005, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1, "momentum": 0.5}),
    ("RMSprop", {"lr": 0.005, "alpha": 0.95, "weight_decay": 0.05, "momentum": 0.7, "centered": True}),
    ("RMSprop", {"centered": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.1}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "betas": (0.7, 0.9), "weight_decay": 0.05, "amsgrad": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.3, "amsgrad": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}),
]


def _name(case: tuple[str, dict[str, Any]]) -> str:
    return f"{case[0]}-{'-'.join(case[1]) or 'defaults'}"


@pytest.mark.parametrize("case", CASES, ids=[_name(c) for c in CASES])
def test_trajectory_matches_torch(case: tuple[str, dict[str, Any]]) -> None:
    name, settings = case
    params = ours_params()
    ours = run_ours(params, getattr(optim, name)(params, **settings), STEPS)
    theirs = run_torch(lambda ps: getattr(torch.optim, name)(ps, **settings), STEPS)
    assert_same_trajectory(ours, theirs)
    assert not np.allclose(ours[0][0], ours[-1][0])  # the run went somewhere


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Rprop", "Adagrad", "Adadelta"])
def test_two_parameter_groups_match_torch(name: str) -> None:
    # the second group overrides the learning rate (and a setting of its own kind where there is one)
    extra = {"SGD": {"momentum": 0.5}, "Adam": {"betas": (0.5, 0.9)}, "RMSprop": {"momentum": 0.3},
             "Rprop": {"etas": (0.4, 1.3)}, "Adagrad": {"lr_decay": 0.1}, "Adadelta": {"rho": 0.5}}[name]  # fmt: skip
    defaults = {"lr": 0.02} if name != "Adadelta" else {}

    def groups(ps: list[Any]) -> list[dict[str, Any]]:
        return [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.1, **extra}]

    params = ours_params()
    ours = run_ours(params, getattr(optim, name)(groups(params), **defaults), STEPS)
    theirs = run_torch(lambda ps: getattr(torch.optim, name)(groups(ps), **defaults), STEPS)
    assert_same_trajectory(ours, theirs)


def test_step_with_closure_matches_torch_and_returns_the_loss() -> None:
    params = ours_params()
    optimizer = optim.SGD(params, lr=0.05, momentum=0.9)
    losses = []

    def closure() -> Any:
        optimizer.zero_grad()
        loss = ours_loss(params)
        loss.backward()
        return loss

    trajectory = []
    for _ in range(STEPS):
        losses.append(optimizer.step(closure).item())
        trajectory.append([p.numpy().copy() for p in params])
    assert_same_trajectory(trajectory, run_torch(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9), STEPS))
    assert losses[-1] < losses[0]
