"""Whether operations are recorded: `no_grad`, `enable_grad` and `set_grad_enabled`, per thread.

Inside `no_grad()` operations compute values only and build no graph, which is what inference, optimizer steps
and an ordinary (first-order) backward sweep want. The flag is thread-local, as PyTorch's is, so one thread's
`no_grad` does not silence another thread's training loop.

Each of the three is a context manager and a decorator, as in PyTorch: ``with ag.no_grad():``, ``@ag.no_grad()``
and ``@ag.no_grad`` (no parentheses) alike. A decorated generator function holds the mode while its own code runs,
between its yields, and leaves the caller's mode alone while the caller runs.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Generator
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    enabled = True  # each new thread starts recording


state = _State()  # read directly by every operation (primitive.py): one attribute lookup


def is_grad_enabled() -> bool:
    """True when new operations are recorded in the graph (the default)."""
    return state.enabled


class _GradMode:
    """A context manager and decorator that sets the recording flag to ``self.enabled`` and restores it on exit."""

    enabled: bool

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        # ``@no_grad`` without parentheses calls the class on the function itself: return the decorated function
        if func is not None and cls in (no_grad, enable_grad):
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func: Callable[..., Any] | None = None) -> None:
        self._saved: list[bool] = []  # a stack, so that one instance may be entered again while active

    def __enter__(self) -> None:
        self._saved.append(state.enabled)
        state.enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        state.enabled = self._saved.pop()

    def _fresh(self) -> _GradMode:
        """A new manager of the same mode, for one call of a decorated function."""
        return type(self)()

    def __call__(self, func: F) -> F:
        if inspect.isgeneratorfunction(func):
            return _in_mode_generator(func, self._fresh)  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _in_mode_generator(func: Callable[..., Generator], mode: Callable[[], _GradMode]) -> Callable[..., Generator]:
    """``func`` (a generator function) whose every step runs under a new ``mode()``: the mode holds while the
    generator's code runs and is undone at each yield, so the caller's own mode is untouched between steps."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Generator:
        gen = func(*args, **kwargs)
        resume = functools.partial(gen.send, None)  # the next step: what the caller sent, or threw in
        while True:
            try:
                with mode():
                    response = resume()
            except StopIteration as stop:
                return stop.value
            try:
                sent = yield response
            except GeneratorExit:
                with mode():
                    gen.close()
                raise
            except BaseException as err:  # thrown in by the caller: the generator handles it under its mode
                resume = functools.partial(gen.throw, err)
            else:
                resume = functools.partial(gen.send, sent)

    return wrapper


class no_grad(_GradMode):
    """Compute without recording: results of operations inside do not require grad.

    >>> with ag.no_grad():
    ...     w -= 0.1 * w.grad          # an update in place, not part of the graph
    """

    enabled = False


class enable_grad(_GradMode):
    """Record again inside a `no_grad` region (for example to differentiate inside an optimizer's closure)."""

    enabled = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(mode)`` turns recording on or off for the current thread at once, as PyTorch's does;
    used as ``with set_grad_enabled(mode):`` the previous mode comes back on exit, and as a decorator
    ``@set_grad_enabled(mode)`` it sets the mode for each call of the function only."""

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self.enabled = bool(mode)
        self._before = state.enabled
        state.enabled = self.enabled  # effective now: ag.set_grad_enabled(False) as a plain call

    def __enter__(self) -> None:
        self._saved.append(self._before)  # the mode before the call that made this manager
        state.enabled = self.enabled

    def _fresh(self) -> _GradMode:
        return _SetMode(self.enabled)

    def __call__(self, func: F) -> F:
        state.enabled = self._before  # as a decorator it changes nothing until the function runs
        return super().__call__(func)


class _SetMode(_GradMode):
    """One call's manager for a function decorated with ``@set_grad_enabled(mode)``."""

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self.enabled = mode
