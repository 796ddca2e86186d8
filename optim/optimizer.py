"""`Optimizer`: parameter groups, per-parameter state, and the step loop that every update rule shares.

An optimizer holds its parameters in ``param_groups``: a list of dicts, each with a ``"params"`` list of Tensors and
the hyperparameters (``lr``, ...) that apply to them; a hyperparameter a group does not set is taken from
``defaults``. ``step()`` visits every parameter that has a gradient and applies the subclass's update rule
``_update(p, grad, state, group)``: the rule computes with numpy on ``p.numpy()`` and ``grad`` (the array of
``p.grad``), then changes ``p`` in place (``p.sub_(step)``) under ``no_grad``: an update is not part of any graph,
and counts as a change of ``p`` (its version), so a backward through a graph that read the old ``p`` raises.

Whatever an update rule must remember between steps (moments, previous gradients, step counts) lives in
``state[p]``, a plain dict of numpy arrays and numbers, which is what ``state_dict()`` saves and
``load_state_dict()`` restores.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import ShapeError, Tensor

ParamGroup = dict[str, Any]
Params = Iterable[Tensor] | Iterable[ParamGroup]


class Optimizer:
    """Base class: ``Optimizer(params, defaults)``, ``params`` an iterable of Tensors or of param-group dicts."""

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params should be an iterable of Tensors or dicts, but got a single Tensor of shape "
                f"{params.shape}; pass [tensor]"
            )
        _require_ordered(params, name)
        self.defaults: dict[str, Any] = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[ParamGroup] = []
        # work arrays reused from step to step, so that a step allocates nothing; not state: nothing in them
        # outlives the step that fills them
        self._work: dict[Tensor, list[np.ndarray]] = {}
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            settings = ", ".join(f"{k}={v!r}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} tensors, {settings}")
        return "\n".join([*lines, ")"])

    # ---- parameter groups ---------------------------------------------------------------------------------------
    def add_param_group(self, param_group: ParamGroup) -> None:
        """Add a group: a dict with ``"params"`` and any hyperparameters that differ from ``defaults``."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a param group must be a dict, got {type(param_group).__name__}")
        params = param_group.get("params")
        if params is None:
            raise ValueError(f"{name}: a param group needs a 'params' entry, got keys {sorted(param_group)}")
        _require_ordered(params, name)
        params = [params] if isinstance(params, Tensor) else list(params)
        seen: set[Tensor] = set()
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, but parameter {i} is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (parameter {i}, shape {p.shape})")
            if not np.issubdtype(p.dtype, np.floating):
                raise TypeError(
                    f"{name}: parameter {i} has dtype {p.dtype}; only floating-point tensors can be optimized"
                )
            if p in seen:
                raise ValueError(f"{name}: parameter {i} (shape {p.shape}) appears twice in the same parameter group")
            seen.add(p)
        for group in self.param_groups:
            if any(q in seen for q in group["params"]):
                raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group = {**self.defaults, **param_group, "params": params}
        self._check(group)
        self.param_groups.append(group)

    def _check(self, group: ParamGroup) -> None:
        """Raise a ValueError for hyperparameters out of range; subclasses check theirs."""
        if "lr" in group:
            self._require_nonnegative(group, "lr")

    def _require_number(self, key: str, value: Any) -> None:
        """A TypeError naming ``key`` for a value that is not a real number (a string "0.1", None, a bool)."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{type(self).__name__}: invalid {key}={value!r} ({type(value).__name__}), expected a number"
            )

    def _require_nonnegative(self, group: ParamGroup, *keys: str) -> None:
        for key in keys:
            self._require_number(key, group[key])
            if not group[key] >= 0:  # written so that NaN fails too
                raise ValueError(f"{type(self).__name__}: invalid {key}={group[key]!r}, expected {key} >= 0")

    def _require_in(self, key: str, value: float, low: float, high: float, closed: bool) -> None:
        """``low <= value < high`` (``<= high`` when ``closed``); ``key`` names the value in the message."""
        self._require_number(key, value)
        inside = low <= value <= high if closed else low <= value < high
        if not inside:
            bound = "]" if closed else ")"
            raise ValueError(
                f"{type(self).__name__}: invalid {key}={value!r}, expected a value in [{low}, {high}{bound}"
            )

    # ---- the step ----------------------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (``.grad = None``), or fill it with zeros when ``set_to_none=False``."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.zero_()

    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """Update every parameter that has a ``.grad``; returns the closure's loss (None without a closure).

        ``closure`` (optional) re-evaluates the model, calls ``backward()`` and returns the loss.
        """
        loss = self._evaluate(closure) if closure is not None else None
        updates = self._gradients()
        with ag.no_grad():
            for p, grad, group in updates:
                self._update(p, grad, self.state.setdefault(p, {}), group)
        return loss

    def _gradients(self) -> list[tuple[Tensor, np.ndarray, ParamGroup]]:
        """Each parameter that has a ``.grad``, with the gradient's array and the parameter's group. Every
        ``.grad`` must have its parameter's shape, checked before any parameter moves.

        A gradient set by hand or returned by a hook may have another shape; numpy would broadcast it into the
        update (a (1,) gradient moving every weight alike) or fail halfway through the step.
        """
        found, index = [], 0
        for g, group in enumerate(self.param_groups):
            for p in group["params"]:
                grad = p.grad
                if grad is not None:
                    grad = grad.numpy()
                    if grad.shape != p.shape:
                        raise ShapeError(
                            f"{type(self).__name__}.step: parameter {index} (group {g}, shape {p.shape}) has a .grad "
                            f"of shape {grad.shape}; a gradient must have its parameter's shape"
                        )
                    found.append((p, grad, group))
                index += 1
        return found

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        """Change ``p`` in place from its gradient ``grad`` (an array), its ``state`` and its ``group``'s settings."""
        raise NotImplementedError(f"{type(self).__name__} does not define an update rule (_update)")

    def _evaluate(self, closure: Callable[[], Tensor]) -> Tensor:
        """Call the closure with recording on (a step may run under no_grad) and check that it gave a scalar loss."""
        with ag.enable_grad():
            loss = closure()
        if not isinstance(loss, Tensor) or loss.numel() != 1:
            got = f"a Tensor of shape {loss.shape}" if isinstance(loss, Tensor) else f"{type(loss).__name__} {loss!r}"
            raise TypeError(
                f"{type(self).__name__}.step: the closure must return the loss as a scalar Tensor, got {got}"
            )
        return loss

    def _work_arrays(self, p: Tensor, count: int) -> list[np.ndarray]:
        """``count`` scratch arrays shaped like ``p``, made on first use and reused by every later step."""
        work = self._work.get(p)
        if work is None or len(work) < count or work[0].shape != p.shape or work[0].dtype != p.dtype:
            work = self._work[p] = [np.empty_like(p.numpy()) for _ in range(count)]
        return work

    # ---- saving and restoring ----------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """A copy of the state as plain data: ``{"state": {index: {name: array or number}}, "param_groups": [...]}``.

        Parameters are numbered in the order of ``param_groups``; each saved group lists its parameters' numbers
        under ``"params"`` and its hyperparameters by name, as PyTorch's ``state_dict`` does.
        """
        index: dict[Tensor, int] = {}
        groups = []
        for group in self.param_groups:
            numbers = []
            for p in group["params"]:
                index[p] = len(index)
                numbers.append(index[p])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": numbers})
        state = {
            index[p]: {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in s.items()}
            for p, s in self.state.items()
            if p in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` saved; the optimizer must hold parameters of the same groups and shapes.

        Everything is checked before anything changes, so a state dict that does not fit leaves the optimizer as
        it was. Arrays are copied and cast to their parameter's dtype, so the saved dict is never changed by later
        steps.
        """
        name = type(self).__name__
        missing = {"state", "param_groups"} - set(state_dict)
        if missing:
            raise ValueError(f"{name}.load_state_dict: the state dict has no {' or '.join(sorted(missing))} entry")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the saved state has {len(saved_groups)} parameter groups, "
                f"this optimizer has {len(self.param_groups)}"
            )
        params: dict[int, Tensor] = {}
        groups: list[ParamGroup] = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: saved parameter group {i} has {len(saved['params'])} parameters, "
                    f"this optimizer's group {i} has {len(group['params'])}"
                )
            params.update(zip(saved["params"], group["params"]))
            restored_group = {**group, **{k: v for k, v in saved.items() if k != "params"}}
            self._check(restored_group)
            groups.append(restored_group)
        state: dict[Tensor, dict[str, Any]] = {}
        for number, saved_state in state_dict["state"].items():
            p = params.get(int(number))
            if p is None:
                raise ValueError(
                    f"{name}.load_state_dict: the saved state names parameter {number}, but the saved groups "
                    f"list parameters {sorted(params)}"
                )
            state[p] = {k: self._restored(v, p, f"state {k!r} of parameter {number}") for k, v in saved_state.items()}
        self.state = state
        for group, restored_group in zip(self.param_groups, groups):
            group.update(restored_group)

    def _restored(self, value: Any, p: Tensor, what: str) -> Any:
        """A saved state value for parameter ``p``: arrays are checked against its shape and copied in its dtype."""
        if not isinstance(value, np.ndarray):
            return value
        if value.shape != p.shape:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: {what} has shape {value.shape}, the parameter has shape "
                f"{p.shape}"
            )
        return np.array(value, dtype=p.dtype, copy=True)


def _require_ordered(params: Any, name: str) -> None:
    """Parameters are numbered by their order (state_dict relies on it), which a set does not keep."""
    if isinstance(params, (set, frozenset)):
        raise TypeError(
            f"{name}: parameters must be given in an ordered collection (a list), not a set, "
            "whose order changes between runs"
        )


def add_weight_decay(grad: np.ndarray, param: np.ndarray, weight_decay: float, out: np.ndarray) -> np.ndarray:
    """The gradient of loss + weight_decay/2 ||w||^2: ``grad + weight_decay * param``, written into ``out``.

    Returns ``grad`` itself when ``weight_decay`` is 0 (``.grad`` is never changed).
    """
    if weight_decay == 0:
        return grad
    np.multiply(param, weight_decay, out=out)
    out += grad
    return out


def lerp_(start: np.ndarray, end: np.ndarray, weight: float, work: np.ndarray) -> None:
    """``start += weight * (end - start)`` in place: the running average update of Adam and centred RMSprop."""
    np.subtract(end, start, out=work)
    work *= weight
    start += work
