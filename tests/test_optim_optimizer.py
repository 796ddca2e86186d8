"""What every optimizer shares: saving and resuming, in-place float32-preserving updates, param groups, bad input."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import autograd_core as ag
import optim

from .optim_problems import ours_loss, ours_params, run_ours

# one configuration per update rule, with the options that keep the most state switched on
MAKERS: dict[str, Callable[[Any], optim.Optimizer]] = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
    "RMSprop": lambda ps: optim.RMSprop(ps, momentum=0.5, centered=True),
    "Adadelta": lambda ps: optim.Adadelta(ps, weight_decay=0.1),
    "Adam": lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.05),
    "Rprop": lambda ps: optim.Rprop(ps),
    "Rprop-backtrack": lambda ps: optim.Rprop(ps, lr=0.05, backtrack=True),
    "QuickProp": lambda ps: optim.QuickProp(ps, lr=0.05),
}


@pytest.mark.parametrize("name", MAKERS)
def test_state_dict_resume_continues_exactly(name: str) -> None:
    make = MAKERS[name]
    params = ours_params()
    # two groups, so that the saved numbering of parameters across groups matters
    optimizer = make([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.02}])
    run_ours(params, optimizer, 10)
    saved = optimizer.state_dict()
    saved_values = [p.numpy().copy() for p in params]
    uninterrupted = run_ours(params, optimizer, 15)

    fresh = [ag.Tensor(v, requires_grad=True) for v in saved_values]
    resumed_optimizer = make([{"params": [fresh[0]]}, {"params": [fresh[1]]}])
    resumed_optimizer.load_state_dict(saved)
    assert resumed_optimizer.param_groups[1]["lr"] == 0.02
    resumed = run_ours(fresh, resumed_optimizer, 15)
    for a, b in zip(uninterrupted, resumed):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def _plain(value: Any) -> bool:
    """True for the plain data a state dict may hold: dicts, lists, tuples, numpy arrays, numbers, strings."""
    if isinstance(value, dict):
        return all(isinstance(k, (int, str)) and _plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return isinstance(value, (np.ndarray, int, float, bool, str, type(None)))


@pytest.mark.parametrize("name", MAKERS)
def test_state_dict_is_plain_data_and_a_copy(name: str) -> None:
    params = ours_params()
    optimizer = MAKERS[name](params)
    run_ours(params, optimizer, 3)
    saved = optimizer.state_dict()
    assert _plain(saved)
    assert set(saved["state"]) == {0, 1}
    assert saved["param_groups"][0]["params"] == [0, 1]
    before = {k: {n: np.copy(v) for n, v in s.items()} for k, s in saved["state"].items()}
    run_ours(params, optimizer, 2)  # later steps must not change what was saved
    for k, s in saved["state"].items():
        for n, v in s.items():
            np.testing.assert_array_equal(v, before[k][n])


def test_load_state_dict_checks_the_groups() -> None:
    params = ours_params()
    optimizer = optim.Adam(params)
    run_ours(params, optimizer, 2)
    saved = optimizer.state_dict()
    with pytest.raises(ValueError, match="saved parameter group 0 has 2 parameters, this optimizer's group 0 has 1"):
        optim.Adam([params[0]]).load_state_dict(saved)
    with pytest.raises(ValueError, match="has shape \\(3, 2\\), the parameter has shape \\(2,\\)"):
        optim.Adam([params[1], params[0]]).load_state_dict(saved)


@pytest.mark.parametrize("name", MAKERS)
def test_updates_are_in_place_float32_and_record_no_graph(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    params = ours_params(np.float32)
    arrays = [p.numpy() for p in params]
    optimizer = MAKERS[name](params)
    ours_loss(params).backward()
    nodes: list[Any] = []
    record = ag.Node.__init__

    def counting(node: ag.Node, op: Any, *args: Any) -> None:
        nodes.append(op)
        record(node, op, *args)

    monkeypatch.setattr(ag.Node, "__init__", counting)
    for _ in range(3):
        optimizer.step()
    assert nodes == []
    for p, array in zip(params, arrays):
        assert p.numpy() is array and p.dtype == np.float32
        assert p.grad is not None and p.grad.dtype == np.float32
    for state in optimizer.state.values():
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32, key


def test_float32_matches_float64_closely() -> None:
    runs = []
    for dtype in (np.float32, np.float64):
        params = ours_params(dtype)
        runs.append(run_ours(params, optim.Adam(params, lr=0.05), 10)[-1])
    for x, y in zip(*runs):
        np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-5)


def test_parameters_without_gradient_are_skipped() -> None:
    a, b = ag.Tensor(np.ones(2), requires_grad=True), ag.Tensor(np.ones(3), requires_grad=True)
    optimizer = optim.SGD([a, b], lr=0.1)
    (a**2).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(a.numpy(), [0.8, 0.8])
    np.testing.assert_array_equal(b.numpy(), [1.0, 1.0, 1.0])
    assert b not in optimizer.state


def test_zero_grad() -> None:
    params = ours_params()
    optimizer = optim.SGD(params)
    ours_loss(params).backward()
    optimizer.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in params)
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)


def test_add_param_group_fills_in_the_defaults() -> None:
    a, b = ag.Tensor(np.ones(2), requires_grad=True), ag.Tensor(np.ones(3), requires_grad=True)
    optimizer = optim.Adam([a], lr=0.01, betas=(0.8, 0.9))
    optimizer.add_param_group({"params": b, "lr": 0.5})
    assert optimizer.param_groups[1]["lr"] == 0.5 and optimizer.param_groups[1]["betas"] == (0.8, 0.9)


# ---- bad input: each error names the argument and its value -----------------------------------------------------

ALL = [
    optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adadelta, optim.Adam, optim.AdamW, optim.Rprop, optim.QuickProp,
    optim.Newton,
]  # fmt: skip


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_negative_learning_rate(cls: type) -> None:
    with pytest.raises(ValueError, match=rf"{cls.__name__}: invalid lr=-0.1, expected lr >= 0"):
        cls(ours_params(), lr=-0.1)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_empty_parameter_list(cls: type) -> None:
    with pytest.raises(ValueError, match=f"{cls.__name__}: optimizer got an empty parameter list"):
        cls([])


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
@pytest.mark.parametrize("betas, named", [((1.0, 0.999), "betas\\[0\\]=1.0"), ((0.9, -0.1), "betas\\[1\\]=-0.1")])
def test_betas_outside_0_1(cls: type, betas: tuple[float, float], named: str) -> None:
    with pytest.raises(ValueError, match=rf"{cls.__name__}: invalid {named}, expected a value in \[0.0, 1.0\)"):
        cls(ours_params(), betas=betas)


def test_a_parameter_given_twice() -> None:
    a, b = ours_params()
    with pytest.raises(ValueError, match=r"parameter 2 \(shape \(3, 2\)\) appears twice"):
        optim.SGD([a, b, a])
    with pytest.raises(ValueError, match="appear in more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [b, a]}])


def test_closure_that_does_not_return_a_scalar_tensor() -> None:
    params = ours_params()
    optimizer = optim.SGD(params)
    with pytest.raises(TypeError, match="SGD.step: the closure must return the loss as a scalar Tensor, got float 1.5"):
        optimizer.step(lambda: 1.5)
    with pytest.raises(TypeError, match=r"got a Tensor of shape \(3, 2\)"):
        optimizer.step(lambda: params[0] * 2)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda ps: optim.SGD(ps[0]), TypeError, "iterable of Tensors or dicts, but got a single Tensor"),
        (lambda ps: optim.SGD([ps[0], np.ones(2)]), TypeError, "parameter 1 is a ndarray"),
        (lambda ps: optim.SGD([ps[0] * 2]), ValueError, "non-leaf Tensor"),
        (lambda ps: optim.SGD(set(ps)), TypeError, "not a set"),
        (lambda ps: optim.SGD([{"params": set(ps)}]), TypeError, "not a set"),
        (lambda ps: optim.SGD(ps, momentum=-0.5), ValueError, "momentum=-0.5"),
        (lambda ps: optim.SGD(ps, nesterov=True), ValueError, "Nesterov momentum requires a momentum and zero dampening"),
        (lambda ps: optim.Adagrad(ps, eps=-1.0), ValueError, "eps=-1.0"),
        (lambda ps: optim.RMSprop(ps, alpha=-0.9), ValueError, "alpha=-0.9"),
        (lambda ps: optim.Adadelta(ps, rho=1.5), ValueError, "rho=1.5"),
        (lambda ps: optim.Adam(ps, weight_decay=-1e-2), ValueError, "weight_decay=-0.01"),
        (lambda ps: optim.Rprop(ps, etas=(1.2, 0.5)), ValueError, r"etas=\(1.2, 0.5\)"),
        (lambda ps: optim.Rprop(ps, step_sizes=(1.0, 0.1)), ValueError, r"step_sizes=\(1.0, 0.1\)"),
        (lambda ps: optim.QuickProp(ps, mu=0.0), ValueError, "mu=0.0"),
        (lambda ps: optim.Newton(ps, damping=-1.0), ValueError, "damping=-1.0"),
        (lambda ps: optim.SGD([{"params": ps, "lr": -1.0}]), ValueError, "lr=-1.0"),
    ],
)
def test_bad_settings_are_named(make: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make(ours_params())


@pytest.mark.parametrize("name", MAKERS)
def test_a_step_allocates_no_arrays_beyond_the_state(name: str) -> None:
    # after the first steps have made the state and the scratch arrays, a step allocates at most boolean masks
    # (Rprop and QuickProp choose per weight), never a float array the size of a parameter
    w = ag.Tensor(np.random.default_rng(0).normal(size=(200, 100)), requires_grad=True)
    w.grad = ag.tensor(np.random.default_rng(1).normal(size=(200, 100)))
    optimizer = MAKERS[name]([w])
    optimizer.step()
    optimizer.step()
    tracemalloc.start()
    optimizer.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    masks = 3 * w.numel()  # three boolean arrays, one byte per weight
    assert peak < (masks if name.startswith(("Rprop", "QuickProp")) else 0) + 4096


# ---- gradients of the wrong shape, settings of the wrong type, state dicts that do not fit --------------------------
@pytest.mark.parametrize("name", MAKERS)
def test_a_gradient_of_another_shape_is_refused_before_any_parameter_moves(name: str) -> None:
    params = ours_params()
    optimizer = MAKERS[name](params)
    ours_loss(params).backward()
    with pytest.raises(RuntimeError, match=r"different size: \(1,\), the tensor's is \(2,\)"):  # refused, as torch
        params[1].grad = ag.Tensor(np.ones(1))
    params[1].grad.data = np.ones(1)  # but its values can be replaced by another shape, as in PyTorch
    before = [p.numpy().copy() for p in params]
    with pytest.raises(ag.ShapeError, match=rf"{name.split('-')[0]}.step: parameter 1 \(group 0, shape \(2,\)\) "
                                            r"has a .grad of shape \(1,\)"):  # fmt: skip
        optimizer.step()
    for p, value in zip(params, before):
        np.testing.assert_array_equal(p.numpy(), value)  # parameter 0, visited first, did not move either
    twin = torch.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="the same size"):  # PyTorch refuses such a gradient too
        twin.grad = torch.ones(1)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda ps: optim.SGD(ps, lr="0.1"), r"SGD: invalid lr='0.1' \(str\), expected a number"),
        (lambda ps: optim.Adam(ps, betas=(0.9, None)), r"Adam: invalid betas\[1\]=None \(NoneType\), expected a"),
        (lambda ps: optim.Rprop(ps, etas=("0.5", 1.2)), r"Rprop: invalid etas\[0\]='0.5' \(str\), expected a number"),
        (lambda ps: optim.QuickProp(ps, mu="2"), r"QuickProp: invalid mu='2' \(str\), expected a number"),
        (lambda ps: optim.Adadelta(ps, rho=[0.9]), r"Adadelta: invalid rho=\[0.9\] \(list\), expected a number"),
    ],
)
def test_settings_of_the_wrong_type_are_named(make: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        make(ours_params())


def test_a_state_dict_that_does_not_fit_leaves_the_optimizer_unchanged() -> None:
    params = ours_params()
    optimizer = optim.Adam([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.02}])
    run_ours(params, optimizer, 2)
    before = optimizer.state_dict()
    other = ours_params()
    donor = optim.Adam([{"params": [other[0]]}, {"params": [other[1]], "lr": 0.5}])
    run_ours(other, donor, 5)
    good = donor.state_dict()
    bad_shape = {**good, "state": {0: good["state"][0], 1: {**good["state"][1], "exp_avg": np.zeros(3)}}}
    bad_lr = {**good, "param_groups": [good["param_groups"][0], {**good["param_groups"][1], "lr": -1.0}]}
    for bad, message in ((bad_shape, r"state 'exp_avg' of parameter 1 has shape \(3,\)"), (bad_lr, "invalid lr=-1.0")):
        with pytest.raises(ValueError, match=message):
            optimizer.load_state_dict(bad)
        after = optimizer.state_dict()  # neither parameter 0's state (loaded first) nor group 0's lr has changed
        assert after["param_groups"] == before["param_groups"]
        for number, state in before["state"].items():
            for key, value in state.items():
                np.testing.assert_array_equal(after["state"][number][key], value)
