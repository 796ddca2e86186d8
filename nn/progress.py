"""What ``fit`` shows while it trains: a bar per epoch that fits the terminal, then one line per finished epoch.

In Jupyter with ipywidgets the bar is tqdm's widget; everywhere else, tqdm's text bar on stderr (in Jupyter
without ipywidgets too: tqdm.auto would fall back to it only after warning "IProgress not found").
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import textwrap
from collections.abc import Mapping
from typing import Any

from tqdm import tqdm


class TextBar(tqdm):
    """tqdm's text bar, which a Ctrl-C inside its constructor does not break.

    tqdm's ``__del__`` on a bar interrupted while being made fails ("Exception ignored ... no attribute 'pos'"),
    printed after the one line that reports the interruption; a bar made only in part has nothing to close.
    """

    def __del__(self) -> None:
        if hasattr(self, "start_t"):  # the last attribute the constructor sets
            super().__del__()


def _in_jupyter() -> bool:
    """Whether this runs in a Jupyter kernel (tqdm.autonotebook's test: ipykernel imported is not enough, as a
    program that runs notebooks imports it too)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in shell.config


def wanted(progress: bool | None) -> bool:
    """On when asked; by default only where someone watches: a terminal (tqdm writes to stderr) or a notebook."""
    if progress is not None:
        return progress
    return sys.stderr.isatty() or _in_jupyter()


def plural(count: int, noun: str) -> str:
    """``1 epoch``, ``2 epochs``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _width() -> int:
    """The terminal's columns (COLUMNS when set; 80 where there is no terminal, as in a notebook's stderr)."""
    return shutil.get_terminal_size().columns


def format_values(values: Mapping[str, float]) -> str:
    """``loss 0.1235, accuracy 0.9877``: four significant digits, short enough for an 80-column line."""
    return ", ".join(f"{name} {value:.4g}" for name, value in values.items())


def epoch_bar(epoch: int, epochs: int, batches: int, show: bool) -> Any:
    """The bar of one epoch: batches done, time, and the running values set by ``update``; gone when closed."""
    desc = f"epoch {epoch}/{epochs}"
    if not show:
        return TextBar(total=batches, disable=True)
    if _in_jupyter() and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm as widget_bar

        return widget_bar(total=batches, desc=desc, unit="batch", leave=False)
    # the bar itself shrinks to leave room for the text; ncols keeps the whole line within the terminal
    return TextBar(total=batches, desc=desc, unit="batch", leave=False, ncols=_width(),
                    bar_format="{desc} {bar} {n_fmt}/{total_fmt} [{elapsed}<{remaining}]{postfix}")  # fmt: skip


def update(bar: Any, values: Mapping[str, float]) -> None:
    """One more batch done; ``values``: the running means so far."""
    bar.set_postfix_str(format_values(values), refresh=False)
    bar.update()


def say(text: str, show: bool) -> None:
    """Print a line beside the bars (on stderr, wrapped to the terminal's width), when progress is shown."""
    if show:
        TextBar.write(textwrap.fill(text, width=_width(), subsequent_indent="    "), file=sys.stderr)
