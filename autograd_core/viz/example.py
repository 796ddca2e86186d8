"""The README's pictures: ``python -m autograd_core.viz.example [OUT.svg]``.

Draws the lectures' example f(w1, w2) = (sin(2 pi w1 / w2) + 3 w1 / w2 - exp(2 w2)) (3 w1 / w2 - exp(2 w2)) at
w1 = 1.5, w2 = 0.5 with every node's adjoint, saves it as SVG (docs/lecture-example.svg by default), saves its
animation as a GIF beside it (docs/lecture-example-sweep.gif) and prints its evaluation trace and reverse sweep.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from autograd_core import Tensor
from autograd_core.lecture import lecture_example
from autograd_core.viz import animate, draw_graph, trace

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "lecture-example.svg"


def lecture_graph() -> Tensor:
    """f(w1 = 1.5, w2 = 0.5), in float64, with the inputs named as on the slides."""
    w1 = Tensor(1.5, requires_grad=True, name="w1", dtype="float64")
    w2 = Tensor(0.5, requires_grad=True, name="w2", dtype="float64")
    f = lecture_example(w1, w2)
    f.name = "f"
    return f


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """``write(temporary path)`` in the same folder, then rename: never a half-written picture."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp" + path.suffix)  # ends as the file does: ".tmp.gif"
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the picture is for everyone
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else DEFAULT_OUT
    sweep = out.with_name(f"{out.stem}-sweep.gif")
    f = lecture_graph()
    svg = draw_graph(f, adjoints=True).pipe(format="svg")
    write_atomically(out, lambda tmp: tmp.write_bytes(svg))
    write_atomically(sweep, animate(f).save)
    print(trace(f, reverse=True), end="")
    print(f"\nwrote {out} and {sweep}")


if __name__ == "__main__":
    main(sys.argv[1:])
