"""Text that fits a drawn box: long lines cut where a reader expects a cut, and module boxes titled by what they are.

A line too long for a node is cut after a whole item of a list, never inside a name or a number, and the brackets
still open there are closed: ``loss = nll_loss(z6, index=([0, 1, 2, 3], ...))``, not ``index=([0, 1, 2, 3], [1, ...``.
"""

from __future__ import annotations

from typing import Any

LONGEST_LINE = 60  # characters; a longer line is cut
CLOSING = {"(": ")", "[": "]", "{": "}"}


def _cut_points(line: str) -> list[tuple[int, str]]:
    """Where ``line`` may be cut, in order: (position, the brackets to close there) before each ", " and each space
    outside a bracket; the closers of the brackets open at that position, innermost first."""
    points: list[tuple[int, str]] = []
    opened: list[str] = []
    for i, char in enumerate(line):
        if char in CLOSING:
            opened.append(CLOSING[char])
        elif char in CLOSING.values() and opened:
            opened.pop()
        elif line.startswith(", ", i) or (char == " " and not opened):
            points.append((i, "".join(reversed(opened))))
    return points


def clip(line: str, width: int = LONGEST_LINE) -> str:
    """``line`` if it fits in ``width`` characters, else its longest start that ends at a cut point, then "..." and
    the closing brackets: ``f(a, b, ...)``. A line with no cut point early enough is cut at ``width``."""
    if len(line) <= width:
        return line
    fitting = [(i, closers) for i, closers in _cut_points(line) if i + len(", ...") + len(closers) <= width]
    if not fitting:
        return line[: width - 3] + "..."
    i, closers = fitting[-1]
    separator = ", " if line.startswith(", ", i) else " "
    return line[:i] + separator + "..." + closers


def describe(module: Any) -> str:
    """What a module is, in a few words: ``Linear(64 -> 128)``, ``ReLU()``, ``BatchNorm1d(128, eps=1e-05, ...)``.

    Duck-typed, so that the engine needs no ``nn``: a string is taken as it is; an object with ``in_features`` and
    ``out_features`` (a linear layer, here or in PyTorch) reads as its class and ``in -> out``; else its class and
    its ``extra_repr()`` if it has one, else the first line of its repr.
    """
    if isinstance(module, str):
        return module
    kind = type(module).__name__
    if hasattr(module, "in_features") and hasattr(module, "out_features"):
        return f"{kind}({module.in_features} -> {module.out_features})"
    if callable(getattr(module, "extra_repr", None)):
        return f"{kind}({module.extra_repr()})"
    return (repr(module).splitlines() or [kind])[0]


def box_titles(scopes: set[str], modules: dict[str, Any] | None) -> dict[str, str]:
    """The title of each module's box: ``0: Linear(64 -> 128)`` where ``modules`` (scope path -> module, e.g.
    ``dict(model.named_modules())``) knows the scope, else the path itself."""
    titles = {}
    for path in scopes:
        known = (modules or {}).get(path)
        titles[path] = clip(path if known is None else f"{path}: {describe(known)}")
    return titles
