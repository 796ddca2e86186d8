"""What the engine tells ``ag.compile`` while a function is being recorded, and the error for what cannot be.

While ``tracer`` is set, every operation on Tensors reports itself (``Primitive.__call__`` calls
``tracer.record``), and the Tensor methods that hand a value to Python (``bool(t)``, ``t.item()``, ``float(t)``,
``np.asarray(t)``, ``t.numpy()``) call ``refuse``: what Python does with a number cannot be written into the
program, so the recording stops there and names the user's line. Outside a recording each of these costs one
test of ``tracer``.

This module imports nothing of the engine, so that the engine's own modules can import it.
"""

from __future__ import annotations

import threading
from typing import Any

from ..anomaly import _user_line

# The recording in progress (a tracing.Tracer), or None. A plain module variable, read by every operation; the
# tracer itself remembers its thread, so that another thread's operations are never written into it.
tracer: Any = None


class CompileError(RuntimeError):
    """``ag.compile`` met something a recording cannot replay; the message names it and the user's line."""


def recording_here() -> bool:
    """True when this thread is recording a function."""
    return tracer is not None and tracer.thread == threading.get_ident()


def refuse(what: str, instead: str) -> None:
    """Raise ``CompileError`` when this thread is recording: ``what`` the function did, what to do ``instead``,
    and where (the innermost line outside the library)."""
    if recording_here():
        raise CompileError(
            f"ag.compile cannot record {what} inside the compiled function: the program replays operations on "
            f"arrays, so it would repeat whatever the first call's numbers decided; {instead}.\n  {_user_line()}"
        )


def guard(owner: Any, *attributes: str) -> None:
    """Tell a recording that the function depends on ``owner``'s ``attributes`` (a module's ``training`` flag, its
    parameters, buffers and sub-modules): the recording is used only while each keeps its value (a number, a
    string) or stays the same object, and a call that finds one changed records anew. Outside a recording it does
    nothing."""
    if recording_here():
        for attribute in attributes:
            tracer.guard(owner, attribute)


def unchanged(now: Any, then: Any) -> bool:
    """Whether a guarded attribute still holds what the recording saw: the same object, or an equal number or
    string (objects are compared by identity: a Tensor's == is elementwise)."""
    return now is then or (isinstance(then, (bool, int, float, str)) and type(now) is type(then) and now == then)
