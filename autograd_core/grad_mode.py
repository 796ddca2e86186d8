"""Whether operations are recorded: `no_grad` and `enable_grad`, per thread.

Inside `no_grad()` operations compute values only and build no graph, which is what inference, optimizer steps
and an ordinary (first-order) backward sweep want. The flag is thread-local, as PyTorch's is, so one thread's
`no_grad` does not silence another thread's training loop.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    enabled = True  # each new thread starts recording


state = _State()  # read directly by every operation (primitive.py): one attribute lookup


def is_grad_enabled() -> bool:
    """True when new operations are recorded in the graph (the default)."""
    return state.enabled


def set_grad_enabled(mode: bool) -> None:
    """Turn recording on or off for the current thread."""
    state.enabled = bool(mode)


class _GradMode:
    """A context manager and decorator that sets the recording flag and restores it on exit."""

    enabled: bool

    def __init__(self) -> None:
        self._saved: list[bool] = []  # a stack, so that one instance may be entered again while active

    def __enter__(self) -> None:
        self._saved.append(state.enabled)
        state.enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        state.enabled = self._saved.pop()

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Compute without recording: results of operations inside do not require grad.

    >>> with ag.no_grad():
    ...     w -= 0.1 * w.grad          # an update that must not become part of the graph
    """

    enabled = False


class enable_grad(_GradMode):
    """Record again inside a `no_grad` region (for example to differentiate inside an optimizer's closure)."""

    enabled = True
