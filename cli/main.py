"""Entry point of the ``autograd-core`` command: ``train`` (cli/train.py) and ``demo`` (cli/demo.py)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from . import demo
from .train import parser, run


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``autograd-core`` with ``argv`` (default: the command line's words); returns the exit status."""
    args = parser().parse_args(argv)
    if args.command == "demo":
        return demo.main()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
