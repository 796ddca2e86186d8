"""Anomaly detection: stop at the first NaN or Inf, and say which operation, trace step and line of code made it.

Off by default, and then it costs one flag test per operation. Inside ``detect_anomaly()`` every new node records
the line of user code that created it, every forward value is checked, and so is every gradient the reverse sweep
computes.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

import numpy as np

enabled = False  # read on every operation, so a plain module flag rather than a thread-local
_step = 0  # nodes made since detection was switched on: the forward trace step of the next node
_sweeps = 0  # reverse sweeps running; nodes they record are gradients, which check_backward reports

# The library's packages (this one, nn and optim, installed side by side): frames in them are not the user's line.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIBRARY = tuple(os.path.join(_ROOT, package) + os.sep for package in ("autograd_core", "nn", "optim"))


class AnomalyError(RuntimeError):
    """A NaN or Inf appeared in a forward value or a backward gradient under ``detect_anomaly()``."""


class detect_anomaly:
    """Context manager: raise `AnomalyError` at the first non-finite value or gradient.

    >>> with ag.detect_anomaly():
    ...     loss = model(x).log().sum()
    ...     loss.backward()
    """

    def __enter__(self) -> None:
        global enabled, _step
        self._saved = (enabled, _step)
        enabled, _step = True, 0

    def __exit__(self, *exc: object) -> None:
        global enabled, _step
        enabled, _step = self._saved


class sweeping:
    """Around a reverse sweep: a non-finite value that a derivative rule records under ``create_graph`` is reported
    by `check_backward` as that rule's gradient, rather than as a forward value of some operation inside it."""

    def __enter__(self) -> None:
        global _sweeps
        _sweeps += 1

    def __exit__(self, *exc: object) -> None:
        global _sweeps
        _sweeps -= 1


def _user_line() -> str:
    """The innermost stack frame outside the library: the user's line that made the current node."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_LIBRARY):
            return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}\n    {frame.line}'
    return "(no caller outside the library)"


def _finite(value: Any) -> bool:
    value = np.asarray(value)
    return not np.issubdtype(value.dtype, np.inexact) or bool(np.isfinite(value).all())


def check_forward(tensor: Any, op: Any, args: list[Any]) -> None:
    """Record where ``tensor``'s node was made; raise if its value is not finite."""
    global _step
    _step += 1
    origin = (_step, _user_line())
    if tensor.grad_fn is not None:
        tensor.grad_fn.origin = origin
    if not _sweeps and not _finite(tensor._value):
        shapes = ", ".join(str(np.shape(a)) for a in args)
        raise AnomalyError(
            f"forward: {op.name} (trace step {_step}) produced NaN or Inf, shape {tensor.shape}, "
            f"from inputs of shapes ({shapes}).\nThe node was made at:\n  {origin[1]}"
        )


def check_backward(node: Any, parent_index: int, grad: Any) -> None:
    """Raise if the gradient that ``node``'s rule sends to its input ``parent_index`` is not finite."""
    data = grad._value if hasattr(grad, "requires_grad") else grad
    if _finite(data):
        return
    step, line = node.origin or (None, "(made before detect_anomaly() was entered)")
    raise AnomalyError(
        f"backward: the derivative rule of {node.op.name} (trace step {step}, output shape {node.shape}) "
        f"produced NaN or Inf in the gradient of its input {parent_index} (shape {np.shape(data)}).\n"
        f"The node was made at:\n  {line}"
    )
