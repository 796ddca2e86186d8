"""Name scopes: nodes made inside ``with ag.name_scope("layer1"):`` remember the scope, so drawings can group them.

``nn.Module.__call__`` opens a scope named after the module's place in the model ("0", "encoder.fc1"), which is
how a drawn graph can box the nodes each layer made. Scopes nest; a node records the innermost path.
"""

from __future__ import annotations

from typing import Any

from . import primitive
from .tensor import Tensor

_stack: list[str] = []


def enter(name: str) -> None:
    """Open the scope ``name`` inside the current one; every ``enter`` is matched by a ``leave``."""
    if _stack:
        _stack.append(f"{_stack[-1]}.{name}")
    else:
        _stack.append(name)
        primitive.node_observers.append(_record)


def leave() -> None:
    """Close the innermost scope."""
    _stack.pop()
    if not _stack:
        primitive.node_observers.remove(_record)


class name_scope:
    """Context manager: nodes made inside record ``name`` (joined to any enclosing scope with ".")."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        enter(self.name)

    def __exit__(self, *exc: object) -> None:
        leave()


def _record(tensor: Any, op: Any, args: list[Any]) -> None:
    if tensor._node is not None:
        tensor._node._scope = _stack[-1]


def scope_of(node: Any) -> str | None:
    """The innermost scope the node (or the Tensor's node) was made in, or None."""
    return getattr(node._node if isinstance(node, Tensor) else node, "_scope", None)


def current_scope() -> str | None:
    """The path of the innermost open scope ("encoder.fc1"), or None outside every scope."""
    return _stack[-1] if _stack else None
