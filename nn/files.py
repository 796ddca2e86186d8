"""Writing output files and folders so that nothing half-written is left on disk: write beside, then rename.

What is being written lives under ``.NAME.tmp-PID`` beside its target NAME until it is complete and flushed to
disk; then one rename puts it in place, so the target always holds the old version or the new one. A process
killed mid-write leaves its temporary behind; the next write to the same target removes those whose process no
longer runs (the PID in the name says which). The temporary is made with the mode a plain new file gets (0666 or
0777 less the umask), or, when it replaces an existing file, that file's mode.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

PathLike = str | os.PathLike[str]


def temporary_name(path: Path) -> Path:
    """Where this process writes ``path`` before renaming it into place: ``.NAME.tmp-PID`` beside it."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def _running(pid: int) -> bool:
    """Whether a process with this id exists (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale(path: Path) -> None:
    """Remove the temporaries of ``path`` (``.NAME.tmp-PID``, ``.NAME.tmp-PID.old``) left by processes that died.

    Those of running processes, this one included, are left alone: they may be writing right now.
    """
    pattern = re.compile(rf"\.{re.escape(path.name)}\.tmp-(\d+)(\.old)?")
    for entry in path.parent.glob(glob.escape(f".{path.name}.tmp-") + "*"):
        match = pattern.fullmatch(entry.name)
        if match and int(match[1]) != os.getpid() and not _running(int(match[1])):
            _remove(entry)


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flush a file's or a folder's contents (a folder's: its entries, as a rename changes them) to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for the caller to write; when the block ends without error it is
    flushed to disk and renamed to ``path`` (an atomic replace on the same file system), otherwise removed.

    >>> with atomic_path("curves.png") as tmp:
    ...     figure.savefig(tmp, format="png")
    """
    path = Path(path)
    remove_stale(path)
    tmp = temporary_name(path)
    tmp.unlink(missing_ok=True)  # (a leftover of a dead process that had this same PID)
    # created here, so that its mode is ours to choose: writers that open it by name ("wb") keep the mode
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_folder(path: PathLike) -> Iterator[Path]:
    """Yield a fresh, empty temporary folder beside ``path``; when the block ends without error it replaces
    ``path`` whole, otherwise it is removed. Folders above ``path`` that this made are removed again on failure,
    so a failed or interrupted run leaves neither a half-filled folder nor an empty one.

    ``path``, if it exists, is replaced by renaming it aside first: for a moment neither exists, but ``path``
    never holds files of two runs.
    """
    path = Path(path)
    made = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    tmp = temporary_name(path)
    old = tmp.with_name(tmp.name + ".old")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(path)
        for leftover in (tmp, old):  # (of a dead process that had this same PID)
            _remove(leftover)
        tmp.mkdir()
        yield tmp
        for entry in (*tmp.iterdir(), tmp):
            _fsync(entry)
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
        _fsync(path.parent)
        _remove(old)
    except BaseException:
        if old.exists() and not path.exists():  # interrupted between the two renames: the old folder goes back
            os.replace(old, path)
        _remove(tmp)
        for folder in made:  # deepest first; one that holds something now is not ours to remove
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
