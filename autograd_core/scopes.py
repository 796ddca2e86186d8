"""Name scopes: nodes made inside ``with ag.name_scope("layer1"):`` remember the scope, so drawings can group them.

``nn.Module.__call__`` opens a scope named after the module's place in the model ("0", "encoder.fc1"), which is
how a drawn graph can box the nodes each layer made. Scopes nest; a node records the innermost path
(``node.scope``). The open scopes belong to the thread that opened them, as grad mode does: two threads running
models at once each name their own nodes.
"""

from __future__ import annotations

import threading


class _OpenScopes(threading.local):
    def __init__(self) -> None:
        self.path: str | None = None  # the innermost open scope's path, read by every new node (node.py)
        self.outer: list[str | None] = []  # the paths of the scopes around it, innermost last


state = _OpenScopes()

# One entry per scope open in any thread (a list's append and pop are atomic): while it is empty, as it is outside
# nn, a new node need not look up its own thread's path, a lookup that costs a small operation about 3% (node.py).
open_anywhere: list[None] = []


def current_scope() -> str | None:
    """The path of the innermost open scope ("encoder.fc1"), or None outside every scope."""
    return state.path


class name_scope:
    """Context manager: nodes made inside record ``name`` (joined to any enclosing scope with ".")."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        open_anywhere.append(None)
        state.outer.append(state.path)
        state.path = self.name if state.path is None else f"{state.path}.{self.name}"

    def __exit__(self, *exc: object) -> None:
        state.path = state.outer.pop()
        open_anywhere.pop()
