"""The animation as an animated GIF, for slides: each frame's drawing (a PNG from graphviz's ``dot``) with its
title and trace lines written under it, one GIF frame per animation frame.

Pillow assembles the GIF (it comes with matplotlib, as do the DejaVu fonts the captions are written in); both are
imported here, when a GIF is asked for, not by ``import autograd_core``.
"""

from __future__ import annotations

import os
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image, ImageFont

    from .animate import Animation
    from .frames import Frame

MARGIN = 12  # pixels around the caption
MIN_WIDTH = 720  # pixels: room for the caption under a small graph
LINE_GAP = 4  # pixels between caption lines
HOLD_LAST = 3  # the last frame stays this many intervals before the GIF starts over
COLOURS = 96  # one palette for all frames: then an unchanged pixel keeps its index and the GIF stores only changes


def _png(source: str) -> bytes:
    import graphviz

    return graphviz.pipe("dot", "png", source.encode())


def _fonts() -> tuple[ImageFont.FreeTypeFont, ImageFont.FreeTypeFont]:
    """A bold font for the frame's title, a monospaced one for the trace lines (so its columns line up)."""
    import matplotlib
    from PIL import ImageFont

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    title = ImageFont.truetype(str(fonts / "DejaVuSans-Bold.ttf"), 15)
    return title, ImageFont.truetype(str(fonts / "DejaVuSansMono.ttf"), 13)


def _caption(frame: Frame, width: int, font: ImageFont.FreeTypeFont) -> list[str]:
    """The frame's trace lines, each longer than ``width`` pixels wrapped onto indented lines below it (a reverse
    sweep over tensors lines its columns up far to the right)."""
    characters = max(20, int((width - 2 * MARGIN) // font.getlength("0")))
    lines = []
    for line in frame.lines:
        lines += textwrap.wrap(line, characters, subsequent_indent="        ") or [""]
    return lines


def _compose(picture: Image.Image, frame: Frame, size: tuple[int, int], fonts: tuple[ImageFont.FreeTypeFont, ...]
             ) -> Image.Image:  # fmt: skip
    """One GIF frame: the drawing centred at the top, the title and the trace lines under it, on a white canvas of
    the size every frame shares."""
    from PIL import Image, ImageDraw

    title_font, font = fonts
    canvas = Image.new("RGB", size, "white")
    canvas.paste(picture, ((size[0] - picture.width) // 2, 0))
    draw = ImageDraw.Draw(canvas)
    y = picture.height + MARGIN
    draw.text((MARGIN, y), frame.title, fill="#222222", font=title_font)
    y += title_font.size + LINE_GAP
    for line in _caption(frame, size[0], font):
        draw.text((MARGIN, y), line, fill="#333333", font=font)
        y += font.size + LINE_GAP
    return canvas


def _rgb(codes: np.ndarray) -> np.ndarray:
    """Colours written as one int each (0xRRGGBB) back to rows of (r, g, b)."""
    return np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], axis=-1)


def _one_palette(images: list[Image.Image]) -> list[Image.Image]:
    """Every frame in the colours of one palette: the colours most used over all frames (counted on every fourth
    pixel each way). A drawing is mostly flat colours, so its fills, white and black stay exact; any other pixel
    takes the nearest of them, through a table from every colour present (Pillow's own mapping can turn white
    into a near-white)."""
    from PIL import Image

    codes = []
    for image in images:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int32)
        codes.append((pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2])
    sampled, counts = np.unique(np.concatenate([c[::4, ::4].ravel() for c in codes]), return_counts=True)
    palette = _rgb(sampled[np.argsort(-counts, kind="stable")[:COLOURS]])
    present = np.zeros(1 << 24, dtype=bool)
    for code in codes:
        present[code] = True
    colours = np.flatnonzero(present)
    table = np.zeros(1 << 24, dtype=np.uint8)
    table[colours] = np.argmin(((_rgb(colours)[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2), axis=1)
    frames = []
    for code in codes:
        frame = Image.frombytes("P", (code.shape[1], code.shape[0]), table[code].tobytes())
        frame.putpalette(palette.astype(np.uint8).ravel().tolist())
        frames.append(frame)
    return frames


def write_gif(animation: Animation, path: Path) -> None:
    """Draw every frame with ``dot`` (several at once: each is its own process) and write the animated GIF."""
    from io import BytesIO

    from PIL import Image

    frames = animation.frames
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        pictures = [Image.open(BytesIO(png)) for png in pool.map(_png, (frame.source for frame in frames))]
    fonts = _fonts()
    title_font, font = fonts
    width = max(MIN_WIDTH, *(picture.width for picture in pictures))
    most_lines = max(len(_caption(frame, width, font)) for frame in frames)
    caption_height = 2 * MARGIN + title_font.size + (most_lines + 1) * (font.size + LINE_GAP)
    size = (width, max(picture.height for picture in pictures) + caption_height)
    images = _one_palette([_compose(picture, frame, size, fonts) for picture, frame in zip(pictures, frames)])
    milliseconds = max(20, round(animation.interval * 1000))
    durations = [milliseconds] * (len(images) - 1) + [milliseconds * HOLD_LAST]
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0, optimize=False)
