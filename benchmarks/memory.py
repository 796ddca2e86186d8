"""Memory: a chain of 2,000 elementwise operations on 100,000-element float64 tensors (800 kB each), then backward.

Reported per contender: the memory the graph holds after the forward pass, the peak during backward, and what is
still held after backward (while the caller keeps the input and the loss), all above the process's resident size
just before the forward pass; the ratio is of the peaks, to PyTorch's.

How it is measured. Each contender runs alone in a fresh process, so that nothing another one left behind counts.
The method is the same for every library: the kernel's count of resident memory (VmRSS in /proc/self/status), and
its high-water mark (VmHWM), which is reset to the current size right before backward (writing 5 to
/proc/self/clear_refs), so that the peak is the peak of backward itself, taken by the kernel and not by sampling.
The process runs with MALLOC_MMAP_THRESHOLD_ fixed at 64 kB: every array buffer, numpy's and PyTorch's alike, is
then its own mapping that goes back to the kernel the moment it is freed, so the resident size follows the live
arrays (left alone, glibc raises the threshold after the first free and keeps freed buffers in its heap).
Limits: resolution is a page (4 kB); the interpreter's and libraries' own small allocations are counted too, but
they are megabytes against a graph of hundreds; Linux only. As a cross-check of the method, autograd_core is also
measured with tracemalloc, which sees numpy's buffers (numpy reports them to it) but not PyTorch's.

``python -m benchmarks.memory CONTENDER OPS SIZE THREADS`` is the measuring child; ``workload_rows`` runs the children.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from .engine import numpy_gradient
from .harness import disagreement

OPS, SIZE = 2_000, 100_000
CHECK_SIZE = 1_000  # the gradient check runs the same chain on fewer elements
CONTENDERS = ("autograd_core", "pytorch", "autograd_core (tracemalloc)")
REFERENCE = "pytorch"


def _forward(library: str, x0: np.ndarray, ops: int) -> tuple[Any, Any]:
    """The leaf and the scalar loss sum(chain(leaf)) of the library's graph."""
    if library == "pytorch":
        import torch

        x = torch.tensor(x0, requires_grad=True)
    else:
        from autograd_core import Tensor

        x = Tensor(x0, requires_grad=True)
    y = x
    for _ in range(ops // 2):
        y = y.sin()
        y = y * 1.01
    return x, y.sum()


def check(contender: str, ops: int) -> str:
    """"ok", or why the contender's gradient disagrees with the hand-written one (run on CHECK_SIZE elements)."""
    x0 = np.random.default_rng(1).standard_normal(CHECK_SIZE)
    x, loss = _forward(_library(contender), x0, ops)
    loss.backward()
    problem = disagreement([np.asarray(x.grad)], [numpy_gradient(x0, ops)])
    return f"wrong: {problem}" if problem else "ok"


def _library(contender: str) -> str:
    return "pytorch" if contender == "pytorch" else "autograd_core"


def _rss() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in bytes."""
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return {key: int(fields[key].split()[0]) * 1024 for key in ("VmRSS", "VmHWM")}


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def measure(contender: str, ops: int, size: int) -> dict[str, int]:
    """Bytes above the resident size before the forward pass: after it, peak during backward, after backward."""
    x0 = np.random.default_rng(0).standard_normal(size)
    if contender.endswith("(tracemalloc)"):
        current: Callable[[], int] = lambda: tracemalloc.get_traced_memory()[0]  # noqa: E731
        peak: Callable[[], int] = lambda: tracemalloc.get_traced_memory()[1]  # noqa: E731
        reset = tracemalloc.reset_peak
        tracemalloc.start()
    else:
        current, peak, reset = (lambda: _rss()["VmRSS"]), (lambda: _rss()["VmHWM"]), _reset_peak
    _forward(_library(contender), x0[:10], 4)[1].backward()  # lazy imports and first-call caches, before baseline
    base = current()
    x, loss = _forward(_library(contender), x0, ops)
    after_forward = current() - base
    reset()
    loss.backward()
    during = peak() - base
    held = current() - base
    tracemalloc.stop()
    return {"graph": after_forward, "peak": during, "held": held}


def workload_rows(ops: int = OPS, size: int = SIZE, threads: int = 1) -> list[dict[str, Any]]:
    """Check each contender, then measure each one in a fresh process; one result row per contender."""
    name = f"memory: {ops:,} elementwise ops on {size:,}-element float64 tensors, then backward"
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(64 * 1024))
    rows = []
    for contender in CONTENDERS:
        row: dict[str, Any] = {"contender": contender, "workload": name, "reference": REFERENCE, "unit": "bytes"}
        try:
            row["status"] = check(contender, ops)
        except ImportError as err:
            row["status"] = f"skipped: {err}"
        if row["status"] == "ok":
            child = [sys.executable, "-m", "benchmarks.memory", contender, str(ops), str(size), str(threads)]
            done = subprocess.run(child, env=env, capture_output=True, text=True, check=False)
            if done.returncode == 0:
                row.update(json.loads(done.stdout))
            else:
                row["status"] = f"failed: {done.stderr.strip().splitlines()[-1:]}"
        rows.append(row)
    ref = next((r for r in rows if r["contender"] == REFERENCE and "peak" in r), None)
    for row in rows:
        if "peak" in row:
            row["ratio"] = row["peak"] / ref["peak"] if ref else None
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """Megabytes held after the forward pass, at the peak of backward, and after it; ratio of peaks."""
    lines = [f"## {rows[0]['workload']}  (MB above the start; ratio = peak / peak of {REFERENCE})"]
    lines.append(f"{'contender':<28} {'graph':>10} {'peak':>10} {'held after':>11} {'ratio':>7}")
    for row in rows:
        if "peak" not in row:
            lines.append(f"{row['contender']:<28} {row['status']}")
            continue
        ratio = f"{row['ratio']:.2f}x" if row["ratio"] is not None else "-"
        mb = [f"{row[k] / 1e6:.1f}" for k in ("graph", "peak", "held")]
        lines.append(f"{row['contender']:<28} {mb[0]:>10} {mb[1]:>10} {mb[2]:>11} {ratio:>7}")
    return "\n".join(lines)


if __name__ == "__main__":
    contender, ops, size, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    if _library(contender) == "pytorch":
        import torch

        torch.set_num_threads(threads)
    print(json.dumps(measure(contender, ops, size)))
