"""Name scopes: nodes made inside ``with ag.name_scope("layer1"):`` remember the scope, so drawings can group them.

``nn.Module.__call__`` opens a scope named after the module's place in the model ("0", "encoder.fc1"), which is
how a drawn graph can box the nodes each layer made. Scopes nest; a node records the innermost path.
"""

from __future__ import annotations

from typing import Any

from . import node
from .tensor import Tensor

_stack: list[str] = []


def enter(name: str) -> None:
    """Open the scope ``name`` inside the current one; every ``enter`` is matched by a ``leave``."""
    node.scope = name if node.scope is None else f"{node.scope}.{name}"
    _stack.append(node.scope)


def leave() -> None:
    """Close the innermost scope."""
    _stack.pop()
    node.scope = _stack[-1] if _stack else None


class name_scope:
    """Context manager: nodes made inside record ``name`` (joined to any enclosing scope with ".")."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        enter(self.name)

    def __exit__(self, *exc: object) -> None:
        leave()


def scope_of(vertex: Any) -> str | None:
    """The innermost scope the node (or the Tensor's node) was made in, or None (always for a leaf)."""
    return getattr(vertex._node if isinstance(vertex, Tensor) else vertex, "_scope", None)


def current_scope() -> str | None:
    """The path of the innermost open scope ("encoder.fc1"), or None outside every scope."""
    return node.scope
