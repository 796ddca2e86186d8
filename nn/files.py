"""Writing output files so that nothing half-written is left on disk: write a temporary file, then rename."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path`` for the caller to write; when the block ends without error it is
    renamed to ``path`` (an atomic replace on the same file system), otherwise it is removed.

    >>> with atomic_path("curves.png") as tmp:
    ...     figure.savefig(tmp, format="png")
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")  # the writer creates it, with the usual mode
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
