"""Every schedule's learning-rate sequence over 30 epochs against torch.optim.lr_scheduler (InverseTimeLR against
its formula), for an optimizer with two parameter groups that start at different rates."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

import autograd_core as ag
import optim
from optim import lr_scheduler

EPOCHS = 30
LRS = (0.1, 0.03)


def _ours_optimizer() -> optim.SGD:
    a, b = ag.Tensor(np.zeros(2), requires_grad=True), ag.Tensor(np.zeros(3), requires_grad=True)
    return optim.SGD([{"params": [a], "lr": LRS[0]}, {"params": [b], "lr": LRS[1]}])


def _torch_optimizer() -> torch.optim.SGD:
    a, b = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
    return torch.optim.SGD([{"params": [a], "lr": LRS[0]}, {"params": [b], "lr": LRS[1]}])


def _sequence(optimizer: Any, scheduler: Any, metrics: list[float] | None = None) -> np.ndarray:
    """The rates in use at each epoch: read, one optimizer step, then the scheduler's step."""
    rates = []
    for epoch in range(EPOCHS):
        rates.append([group["lr"] for group in optimizer.param_groups])
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[epoch])
    return np.array(rates)


SCHEDULES = [
    ("StepLR", {"step_size": 7}),
    ("StepLR", {"step_size": 4, "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("LambdaLR", {"lr_lambda": lambda epoch: 1 / (1 + epoch) ** 0.5}),
    ("LambdaLR", {"lr_lambda": [lambda epoch: 0.95**epoch, lambda epoch: 1 + (epoch % 3)]}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 12, "eta_min": 0.01}),
]


@pytest.mark.parametrize("name, settings", SCHEDULES, ids=[f"{n}-{'-'.join(s)}" for n, s in SCHEDULES])
def test_schedule_matches_torch(name: str, settings: dict[str, Any]) -> None:
    ours_opt, torch_opt = _ours_optimizer(), _torch_optimizer()
    ours = _sequence(ours_opt, getattr(lr_scheduler, name)(ours_opt, **settings))
    theirs = _sequence(torch_opt, getattr(torch.optim.lr_scheduler, name)(torch_opt, **settings))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert len(np.unique(ours[:, 0])) > 1  # the schedule changed the rate


# metric sequences with improvements, plateaus and noise, so that patience, threshold and cooldown all matter
_FALLING = [1.0 / (1 + epoch) if epoch < 8 else 0.1 + 0.001 * (epoch % 4) for epoch in range(EPOCHS)]
_RISING = [epoch * 0.1 if epoch < 6 else 0.5 + 0.05 * (epoch % 3) for epoch in range(EPOCHS)]
PLATEAUS = [
    ({}, _FALLING),
    ({"patience": 2, "factor": 0.5, "cooldown": 2, "min_lr": 0.004}, _FALLING),
    ({"patience": 1, "threshold": 0.05, "threshold_mode": "abs", "min_lr": [0.0, 0.01]}, _FALLING),
    ({"mode": "max", "patience": 2, "factor": 0.3}, _RISING),
    ({"mode": "max", "patience": 0, "threshold_mode": "abs", "threshold": 0.02, "cooldown": 1}, _RISING),
]


@pytest.mark.parametrize(
    "settings, metrics", PLATEAUS, ids=[f"plateau-{'-'.join(s) or 'defaults'}" for s, _ in PLATEAUS]
)
def test_reduce_on_plateau_matches_torch(settings: dict[str, Any], metrics: list[float]) -> None:
    ours_opt, torch_opt = _ours_optimizer(), _torch_optimizer()
    ours = _sequence(ours_opt, lr_scheduler.ReduceLROnPlateau(ours_opt, **settings), metrics)
    theirs = _sequence(torch_opt, torch.optim.lr_scheduler.ReduceLROnPlateau(torch_opt, **settings), metrics)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_reduce_on_plateau_reduces() -> None:
    optimizer = _ours_optimizer()
    _sequence(optimizer, lr_scheduler.ReduceLROnPlateau(optimizer, patience=2), _FALLING)
    assert optimizer.param_groups[0]["lr"] < LRS[0]


def test_inverse_time_follows_its_formula() -> None:
    optimizer = _ours_optimizer()
    rates = _sequence(optimizer, lr_scheduler.InverseTimeLR(optimizer, decay=0.3))
    expected = [[lr / (1 + 0.3 * t) for lr in LRS] for t in range(EPOCHS)]
    np.testing.assert_allclose(rates, expected, rtol=1e-15)


def test_cosine_reaches_eta_min_at_T_max() -> None:
    optimizer = _ours_optimizer()
    rates = _sequence(optimizer, lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.001))
    np.testing.assert_allclose(rates[10], [0.001, 0.001], rtol=1e-12)
    assert math.isclose(rates[5][0], (0.1 + 0.001) / 2, rel_tol=1e-12)


def test_get_last_lr_and_state_dict_resume() -> None:
    optimizer = _ours_optimizer()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    for _ in range(4):
        scheduler.step()
    saved = scheduler.state_dict()
    assert scheduler.get_last_lr() == [0.05, 0.015]

    fresh = _ours_optimizer()
    resumed = lr_scheduler.StepLR(fresh, step_size=3, gamma=0.5)
    resumed.load_state_dict(saved)
    for _ in range(5):
        scheduler.step()
        resumed.step()
        assert resumed.get_last_lr() == scheduler.get_last_lr()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda o: lr_scheduler.StepLR(o, step_size=0), "step_size=0"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), "T_max=0"),
        (lambda o: lr_scheduler.InverseTimeLR(o, decay=-1.0), "decay=-1.0"),
        (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]), "expected 2 lr_lambdas, got 1"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.5), "factor=1.5"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="lowest"), "mode='lowest'"),
    ],
)
def test_bad_settings_are_named(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make(_ours_optimizer())
