"""The animation as HTML: a player (picture, step title, trace lines, controls) for Jupyter and for a saved page.

Everything is inline: the frames' SVG (drawn by graphviz) travel as JSON in the page, and a few lines of plain
JavaScript show one at a time. No file, font or script is fetched from anywhere, and the saved page says so to the
browser (a Content-Security-Policy that allows nothing but its own inline script and style), so it works offline.
Controls: first, previous, play / pause, next, last, a slider, and the arrow keys once the player has focus.
"""

from __future__ import annotations

import json
import uuid
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .animate import Animation

CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
.ag-player { font-family: Helvetica, Arial, sans-serif; max-width: 100%; outline: none; }
.ag-player .ag-picture { overflow-x: auto; }
.ag-player .ag-picture svg { max-width: 100%; height: auto; }
.ag-player .ag-controls { display: flex; gap: 6px; align-items: center; margin: 6px 0; }
.ag-player .ag-controls input[type=range] { flex: 1; }
.ag-player .ag-title { font-weight: bold; margin: 4px 0; }
.ag-player .ag-lines { background: #f7f7f7; padding: 6px; margin: 0; overflow-x: auto; font-size: 12px; }
"""

SCRIPT = """
(function () {
  var player = document.getElementById(PLAYER_ID);
  var frames = JSON.parse(player.querySelector(".ag-frames").textContent);
  var part = function (name) { return player.querySelector(".ag-" + name); };
  var slider = part("slider"), play = part("play"), k = 0, timer = null;
  slider.max = frames.length - 1;
  function show(i) {
    k = Math.max(0, Math.min(frames.length - 1, i));
    part("picture").innerHTML = frames[k].svg;
    part("title").textContent = frames[k].title;
    part("lines").textContent = frames[k].lines.join("\\n");
    part("counter").textContent = "frame " + (k + 1) + " / " + frames.length;
    slider.value = k;
    player.setAttribute("data-frame", k);
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "play";
    player.setAttribute("data-playing", "false");
  }
  function start() {
    if (k === frames.length - 1) { show(0); }
    timer = setInterval(function () { if (k >= frames.length - 1) { stop(); } else { show(k + 1); } }, INTERVAL_MS);
    play.textContent = "pause";
    player.setAttribute("data-playing", "true");
  }
  play.onclick = function () { if (timer === null) { start(); } else { stop(); } };
  part("first").onclick = function () { stop(); show(0); };
  part("prev").onclick = function () { stop(); show(k - 1); };
  part("next").onclick = function () { stop(); show(k + 1); };
  part("last").onclick = function () { stop(); show(frames.length - 1); };
  slider.oninput = function () { stop(); show(parseInt(slider.value, 10)); };
  player.onkeydown = function (event) {
    if (event.key === "ArrowLeft") { stop(); show(k - 1); }
    if (event.key === "ArrowRight") { stop(); show(k + 1); }
  };
  stop();
  show(0);
})();
"""


def _frames_json(animation: Animation) -> str:
    """The frames as JSON that can sit inside a <script> element: "</" written as "<\\/" and "<!--" as
    "<\\u0021--" (the same strings to JSON), so that the HTML parser sees neither an end tag nor a comment."""
    frames = [{"title": f.title, "lines": f.lines, "svg": f.svg, "phase": f.phase} for f in animation.frames]
    return json.dumps(frames).replace("</", "<\\/").replace("<!--", "<\\u0021--")


def player(animation: Animation) -> str:
    """The player as an HTML fragment (what Jupyter shows): style, controls, frames and script."""
    player_id = f"ag-player-{uuid.uuid4().hex[:12]}"  # a notebook may show several players, from several runs
    buttons = "".join(
        f'<button type="button" class="ag-{name}">{text}</button>'
        for name, text in [("first", "|&lt;"), ("prev", "&lt; prev"), ("play", "play"), ("next", "next &gt;"),
                           ("last", "&gt;|")]  # fmt: skip
    )
    script = SCRIPT.replace("PLAYER_ID", json.dumps(player_id))
    script = script.replace("INTERVAL_MS", str(max(1, round(animation.interval * 1000))))
    first = animation.frames[0]
    first_lines = escape("\n".join(first.lines))
    return (
        f"<style>{STYLE}</style>"
        f'<div class="ag-player" id="{player_id}" tabindex="0">'
        f'<div class="ag-controls">{buttons}<input type="range" class="ag-slider" min="0" value="0">'
        '<span class="ag-counter"></span></div>'
        # the first frame is there before the script runs: what a viewer without scripts shows (GitHub, an
        # untrusted notebook)
        f'<div class="ag-title">{escape(first.title)}</div><div class="ag-picture">{first.svg}</div>'
        f'<pre class="ag-lines">{first_lines}</pre>'
        f'<script type="application/json" class="ag-frames">{_frames_json(animation)}</script>'
        f"<script>{script}</script></div>"
    )


def page(animation: Animation) -> str:
    """The whole page of ``Animation.save("x.html")``: the player, and a policy that lets the page fetch nothing."""
    title = escape(f"The reverse sweep of {animation.name}, step by step")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        f"<title>{title}</title>\n</head>\n<body>\n<h1 style=\"font-family: Helvetica, Arial, sans-serif; "
        f'font-size: 18px\">{title}</h1>\n{player(animation)}\n</body>\n</html>\n'
    )
