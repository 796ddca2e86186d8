"""PyTorch habits, part three: changes in place and the version counter, each against PyTorch itself.

Values, dtypes, identities (an in-place method returns its tensor), errors, and every case where PyTorch raises
"modified by an inplace operation". The gradients of recorded in-place steps are rows of test_engine_ops.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import autograd_core as ag
import optim

INPLACE = "modified by an inplace operation"
BASE = [[1.5, -2.0, 0.5], [3.0, 0.25, -1.0]]


def lib_of(t: Any) -> Any:
    return torch if isinstance(t, torch.Tensor) else ag


def arr(t: Any) -> np.ndarray:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def same(ours: Any, theirs: Any) -> None:
    assert ours.shape == tuple(theirs.shape) and ours.dtype == arr(theirs).dtype
    np.testing.assert_allclose(arr(ours), arr(theirs), rtol=1e-6, atol=1e-7)


# ---- values, dtypes, identity -------------------------------------------------------------------------------------

CHANGES: list[Callable[[Any], Any]] = [
    lambda t: t.add_(2),
    lambda t: t.add_(lib_of(t).ones(3), alpha=0.5),
    lambda t: t.sub_(lib_of(t).tensor([1.0, 2.0, 3.0])),
    lambda t: t.sub_(1, alpha=3),
    lambda t: t.mul_(lib_of(t).tensor([[2.0], [-1.0]])),
    lambda t: t.div_(4),
    lambda t: t.zero_(),
    lambda t: t.fill_(7.5),
    lambda t: t.fill_(lib_of(t).tensor(2.0)),
    lambda t: t.copy_(lib_of(t).tensor([9.0, 8.0, 7.0])),
    lambda t: t.copy_(lib_of(t).tensor([[1, 2, 3], [4, 5, 6]])),
    lambda t: t.clamp_(-1.0, 1.0),
    lambda t: t.clamp_(min=0.0),
    lambda t: t.requires_grad_(),
]


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_in_place_method_matches_torch_and_returns_its_tensor(change: Callable[[Any], Any], dtype: str) -> None:
    ours, theirs = ag.tensor(BASE, dtype=getattr(ag, dtype)), torch.tensor(BASE, dtype=getattr(torch, dtype))
    ours_memory = ours.numpy()
    assert change(ours) is ours and change(theirs) is theirs
    same(ours, theirs)
    assert ours.numpy() is ours_memory or np.shares_memory(ours.numpy(), ours_memory)  # written into its memory
    assert ours._version == theirs._version


def _augmented(t: Any) -> Any:
    t += 1
    t -= 0.5
    t *= 3
    t /= 2
    t **= 2
    return t


def _assigned(t: Any) -> Any:
    t[0] = 5.0
    t[1, 1:] = t.new_tensor([7.0, 8.0]) if isinstance(t, torch.Tensor) else ag.tensor([7.0, 8.0])
    t[:, 0] += 1
    t[t < 0] = 0.0
    t[[1, 0], [2, 2]] = -3.0
    return t


@pytest.mark.parametrize("program", [_augmented, _assigned])
def test_operators_and_assignment_change_the_tensor_itself(program: Callable[[Any], Any]) -> None:
    ours, theirs = ag.tensor(BASE), torch.tensor(BASE)
    memory = ours.numpy()
    assert program(ours) is ours
    program(theirs)
    same(ours, theirs)
    np.testing.assert_array_equal(memory, arr(theirs))  # the same memory holds the new values
    assert ours._version == theirs._version


def test_integer_tensors_follow_torchs_casting() -> None:
    ours, theirs = ag.arange(4), torch.arange(4)
    for t in (ours, theirs):
        t[1] = 2.7  # assignment truncates, as a copy does
        t.copy_(lib_of(t).tensor([1.9, -1.9, 3.0, 4.0]))
        t += 2
        t.fill_(3.9)
    same(ours, theirs)


def test_random_fills_draw_from_the_project_generator() -> None:
    w = ag.zeros(1000, dtype=ag.float64)
    ag.manual_seed(3)
    assert w.normal_(2.0, 0.5) is w and w.dtype == np.float64
    first = w.numpy().copy()
    assert abs(first.mean() - 2.0) < 0.05 and abs(first.std() - 0.5) < 0.05
    ag.manual_seed(3)
    np.testing.assert_array_equal(w.normal_(2.0, 0.5).numpy(), first)
    u = ag.zeros(1000).uniform_(-1.0, 3.0)
    assert u.dtype == np.float32 and u.numpy().min() >= -1.0 and u.numpy().max() < 3.0
    assert abs(u.numpy().mean() - 1.0) < 0.1


# ---- PyTorch's rules ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda w: w.add_(1),
        lambda w: w.__isub__(1),
        lambda w: w.zero_(),
        lambda w: w.__setitem__(0, 5.0),
        lambda w: w.view(-1).add_(1),
        lambda w: w[0].mul_(2),
        lambda w: w.clamp_(0, 1),
    ],
)
def test_a_leaf_that_requires_grad_may_not_change_while_recording(change: Callable[[Any], Any]) -> None:
    for lib in (torch, ag):
        w = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in an in-place"):
            change(w)
        with lib.no_grad():
            change(w)  # allowed: an update, not part of any graph


@pytest.mark.parametrize(
    "change",
    [
        lambda lib: lib.arange(3).add_(0.5),
        lambda lib: lib.arange(3).div_(2),
        lambda lib: lib.arange(3).mul_(lib.ones(3)),
        lambda lib: lib.ones(3).add_(lib.ones(2, 3)),
        lambda lib: lib.ones(3).fill_(lib.ones(2)),
        lambda lib: lib.ones(2).copy_(lib.ones(3)),
        lambda lib: lib.ones(3, requires_grad=True).view(3).mul_(2),
    ],
)
def test_changes_that_do_not_fit_are_errors_as_in_torch(change: Callable[[Any], Any]) -> None:
    with pytest.raises(RuntimeError):
        change(torch)
    with pytest.raises(RuntimeError):
        change(ag)


def test_the_update_habit_changes_the_parameter_itself() -> None:
    """PyTorch's own loop, ``with no_grad(): p -= lr * p.grad``: it rebound ``p`` before; now it trains."""

    def train(lib: Any) -> tuple[Any, list[float]]:
        w = lib.tensor([0.5, -1.0], requires_grad=True)
        x, y = lib.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]]), lib.tensor([1.0, 2.0, 0.0])
        params, losses = [w], []
        for _ in range(20):
            loss = ((x @ w - y) ** 2).mean()
            loss.backward()
            with lib.no_grad():
                for p in params:
                    p -= 0.1 * p.grad
                    p.grad.zero_()
            losses.append(loss.item())
        return w, losses

    (ours, ours_losses), (theirs, theirs_losses) = train(ag), train(torch)
    assert ours.is_leaf and ours.requires_grad
    np.testing.assert_allclose(ours_losses, theirs_losses, rtol=1e-5)
    same(ours, theirs)
    assert ours_losses[-1] < ours_losses[0] / 5


def test_views_detach_and_numpy_see_changes_made_under_no_grad() -> None:
    for lib in (ag, torch):
        p = lib.zeros(2, 3, requires_grad=True)
        view, detached = p.view(-1), p.detach()
        memory = p.detach().numpy()
        with lib.no_grad():
            view[1] = 4.0
            detached[1].fill_(2.0)
            p[0, 2] += 1
        np.testing.assert_array_equal(memory, [[0.0, 4.0, 1.0], [2.0, 2.0, 2.0]])
        assert p._version == view._version == detached._version == 4  # p[0, 2] += 1 is two changes


# ---- the version counter: where PyTorch raises, this raises -------------------------------------------------------


def _input_of_sin(lib: Any) -> Any:
    w = lib.ones(3, requires_grad=True)
    a = w * 2
    out = a.sin()
    a.mul_(3)
    return out


def _output_of_exp(lib: Any) -> Any:
    w = lib.ones(3, requires_grad=True)
    a = w.exp()
    a += 1
    return a


def _leaf_changed_under_no_grad(lib: Any) -> Any:
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    out = w * w
    with lib.no_grad():
        w -= 0.1
    return out


def _constant_input(lib: Any) -> Any:
    w = lib.ones(3, requires_grad=True)
    c = lib.tensor([1.0, 2.0, 3.0])
    out = w * c
    c.mul_(2)
    return out


def _through_a_view(lib: Any) -> Any:
    w = lib.ones(2, 3, requires_grad=True)
    a = w * 2
    out = a.tanh() * a
    with lib.no_grad():
        a[0].zero_()
    return out


def _through_detach(lib: Any) -> Any:
    w = lib.ones(3, requires_grad=True)
    a = w.sigmoid()
    a.detach().zero_()
    return a


def _by_assignment(lib: Any) -> Any:
    w = lib.ones(3, requires_grad=True)
    a = w + 1
    out = a.log()
    a[1] = 0.5
    return out


def _output_of_relu(lib: Any) -> Any:
    w = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
    h = (w * 2).relu()
    h.mul_(2)
    return h


def _matmul_operand(lib: Any) -> Any:
    W = lib.ones(3, 2, requires_grad=True)
    x = lib.tensor([[1.0, 2.0, 3.0]])
    out = x @ W
    x.t().add_(1)
    return out


def _transposed_view_of_saved(lib: Any) -> Any:
    w = lib.ones(2, 3, requires_grad=True)
    a = w * 3
    out = (a * a).sum()
    a.t()[0, 0] = 9.0
    return out


def _optimizer_step_before_backward(lib: Any) -> Any:
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    optimizer = (torch.optim if lib is torch else optim).SGD([w], lr=0.1)
    out = w * w
    out.sum().backward(retain_graph=True)
    optimizer.step()  # the classic: a step between a forward and its (second) backward
    return out


RAISES = [_optimizer_step_before_backward, _input_of_sin, _output_of_exp, _leaf_changed_under_no_grad, _constant_input, _through_a_view,
          _through_detach, _by_assignment, _output_of_relu, _matmul_operand, _transposed_view_of_saved]  # fmt: skip


@pytest.mark.parametrize("program", RAISES)
def test_where_torch_raises_a_changed_saved_value_raises(program: Callable[[Any], Any]) -> None:
    with pytest.raises(RuntimeError, match=INPLACE):
        program(torch).sum().backward()
    out = program(ag)
    with pytest.raises(RuntimeError, match=INPLACE) as err:
        out.sum().backward()
    assert "is at version" in str(err.value) and "expected version" in str(err.value)


def test_the_message_names_the_operation_the_value_the_shape_and_both_versions() -> None:
    with pytest.raises(RuntimeError) as err:
        _input_of_sin(ag).sum().backward()
    message = str(err.value)
    assert "sin" in message and "input x" in message and "(3,)" in message
    assert "is at version 1; expected version 0" in message


def test_a_value_changed_twice_since_the_step_names_the_versions_it_can() -> None:
    """The counter keeps when its last two changes were made: with one change since the step the expected version
    is exact; with two or more, the message says so rather than guess."""
    w = ag.ones(3, requires_grad=True)
    a = w * 2
    before = a.exp()  # a at version 1: the change is older than the step, which is not stale
    with ag.no_grad():
        a.add_(1)
    out = a.sin()  # made at version 1
    with ag.no_grad():
        a.mul_(2)
        a.mul_(2)
    with pytest.raises(RuntimeError) as err:
        out.sum().backward(retain_graph=True)
    assert "is at version 3; expected version 1 or lower" in str(err.value)
    before.sum().backward()  # exp keeps its output, not a: no change it reads
    np.testing.assert_allclose(w.grad.numpy(), 2 * np.exp(2.0))


def test_a_change_made_before_a_step_is_not_held_against_it() -> None:
    a = ag.ones(3, requires_grad=True) * 1
    with ag.no_grad():
        a.mul_(3)
    b = a.sin()  # reads a at version 1, after the change
    c = a.cos()
    c.sum().backward()
    with ag.no_grad():
        a.mul_(3)  # now b's value is stale, c is done
    with pytest.raises(RuntimeError, match=INPLACE) as err:
        b.sum().backward()
    assert "is at version 2; expected version 1 instead" in str(err.value)


def test_fresh_tensors_share_nothing_but_their_first_count() -> None:
    """Every tensor starts on one shared, unwritable counter (versions.FRESH); a change gives it its own, and the
    others stay at version 0."""
    a, b = ag.ones(3), ag.ones(3)
    c = a + b
    a.add_(1)
    c.mul_(2)
    assert (a._version, b._version, c._version) == (1, 0, 1)
    assert ag.ones(2)._version == 0


def test_a_grad_with_create_graph_is_watched_as_its_node_output() -> None:
    """backward(create_graph=True) leaves a .grad on the adjoint's node; a step that kept it sees a change of it."""
    for lib in (torch, ag):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x**3).sum().backward(create_graph=True)
        square = (x.grad * x.grad).sum()  # keeps x.grad (3x^2) for its rule
        with lib.no_grad():
            x.grad.zero_()
        with pytest.raises(RuntimeError, match=INPLACE):
            square.backward()


def test_a_grad_with_create_graph_is_a_copy_of_its_own() -> None:
    """x.grad after backward(create_graph=True) is a recorded copy (PyTorch's CopyBackwards): changing it in place
    does not make the steps that kept the adjoint it was copied from stale."""
    results = []
    for lib in (torch, ag):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = lib.tensor([0.5, 0.7, 0.9], requires_grad=True)
        v = w.sin()
        u = v * v  # keeps v, which add's rule hands on to x as its adjoint
        (x + 0).backward(v, create_graph=True)
        with lib.no_grad():
            x.grad.zero_()
        u.sum().backward()
        results.append(np.asarray(w.grad.detach()))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


def test_a_view_taken_by_a_rule_under_create_graph_counts_for_the_users_tensor() -> None:
    """A second-order graph keeps h through a view that matmul's rule took of it (h.T); changing h itself must
    still raise, as in torch: the Tensors that stand for one node share its counter."""
    for lib in (torch, ag):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        W = lib.tensor([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
        u = lib.tensor([[1.0, -1.0], [2.0, 0.5]], requires_grad=True)
        h = W.sin()
        (gx,) = (torch.autograd if lib is torch else ag).grad(((x @ h) * u).sum(), x, create_graph=True)
        with lib.no_grad():
            h.mul_(10)
        with pytest.raises(RuntimeError, match=INPLACE):
            gx.sum().backward()


def test_grad_of_a_changed_step_itself_reads_nothing_of_it() -> None:
    """ag.grad with respect to a step runs none of that step's rules, so a change of its output does not matter."""
    grads = []
    for lib in (torch, ag):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        t = x.exp()
        s = (t * 2).sum()
        with lib.no_grad():
            t.mul_(3)
        grads.append(np.asarray((torch.autograd if lib is torch else ag).grad(s, t)[0]))
    np.testing.assert_array_equal(grads[1], grads[0])


def test_compiled_calls_check_versions_like_the_sweep() -> None:
    """A compiled call's own backward (over leaves) checks versions, and an output that is a view of an input
    shares that input's counter."""
    product = ag.compile(lambda x, w: (x * w).sum())
    flat = ag.compile(lambda x: x.reshape(-1))
    for _ in range(3):  # the first call records, the later ones run the generated code
        x = ag.tensor([1.0, 2.0])
        w = ag.tensor([1.0, 1.0], requires_grad=True)
        y = product(x, w)
        with ag.no_grad():
            x.mul_(10)
        with pytest.raises(RuntimeError, match=INPLACE):
            y.backward()
        base = ag.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True) * 1
        v = flat(base)
        out = (w.sum() * base).sum()  # keeps base
        with ag.no_grad():
            v.mul_(10)  # through the view
        with pytest.raises(RuntimeError, match=INPLACE):
            out.backward()


@pytest.mark.parametrize("view", [lambda x: x.T[0], lambda x: x[0][0:1], lambda x: x.reshape(-1)[1:].view(-1)])
def test_a_view_of_a_view_of_a_leaf_is_refused_as_torch_refuses_it(view: Callable[[Any], Any]) -> None:
    for lib in (torch, ag):
        x = lib.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
            view(x).mul_(2)


def test_silently_wrong_gradient_regression() -> None:
    """Before the version counter: the sweep read the changed value, and the gradient was wrong without a word.

    b = a * a keeps a; changing a under no_grad changed what the rule reads (db/da = 2a with the new a)."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    a = w * 2
    b = a * a
    with ag.no_grad():
        a.mul_(10)
    np.testing.assert_array_equal(b.grad_fn.saved["y"], [20.0, 40.0])  # the kept value did change ...
    with pytest.raises(RuntimeError, match=INPLACE):
        b.sum().backward()  # ... so the sweep refuses: the gradient would have been 4 * 20 * ... not 4 * 2 * ...


def _unsaved_value(lib: Any) -> tuple[Any, Any]:
    w = lib.ones(3, requires_grad=True)
    a = w * 2
    out = a + 1  # add keeps nothing
    a.mul_(3)
    return out, w


def _shape_only(lib: Any) -> tuple[Any, Any]:
    w = lib.ones(2, 3, requires_grad=True)
    a = w * 2
    out = a.sum() + a.view(-1)[2] + a.mean()  # each reads only a's shape
    a.add_(5)
    return out, w


def _changed_after_the_backward_is_recorded_fresh(lib: Any) -> tuple[Any, Any]:
    w = lib.ones(3, requires_grad=True)
    a = w * 2
    a.mul_(3)
    return a.sin(), w  # recorded after the change: reads the new value, at its new version


def _sliced_update_idiom(lib: Any) -> tuple[Any, Any]:
    w = lib.ones(2, 3, requires_grad=True)
    c = w.clone()
    c[:, 1:] += w[:, :2] * 2
    c.clamp_(0.0, 2.5)
    return c * c, w


NO_RAISE = [_unsaved_value, _shape_only, _changed_after_the_backward_is_recorded_fresh, _sliced_update_idiom]


@pytest.mark.parametrize("program", NO_RAISE)
def test_changes_no_rule_reads_raise_nothing_and_the_gradient_is_torchs(program: Callable[[Any], Any]) -> None:
    ours, w = program(ag)
    theirs, tw = program(torch)
    ours.sum().backward()
    theirs.sum().backward()
    same(ours, theirs)
    same(w.grad, tw.grad)
