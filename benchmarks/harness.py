"""How a workload is measured: check every contender's gradients, then time them interleaved.

These machines are shared and noisy, so absolute times mean little: contenders are timed in turns within one
process (round-robin, one iteration each per round), and what is reported is each one's median, its min-max, and
the ratio of its median to the reference's median measured in the same rounds.

Garbage is collected before every timed step (untimed), and the objects alive before timing starts (the
libraries themselves) are frozen out of the collector: a step pays for the collections its own allocations cause,
never for another contender's garbage (micrograd's graphs are reference cycles that only the collector frees) nor
for traversing PyTorch's module objects.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Contender:
    """One implementation of a workload.

    ``make()`` builds its state and returns ``(step, gradients)``: ``step()`` runs one iteration (the thing timed;
    a step that must time only part of its work, such as a backward after an untimed forward, returns the seconds
    it measured itself);
    ``gradients()`` runs one iteration and returns its float64 gradients for the correctness check (None for a
    reference that computes no gradient).
    """

    name: str
    make: Callable[[], tuple[Callable[[], Any], Callable[[], list[np.ndarray]] | None]]


@dataclass
class Workload:
    name: str
    reference: str  # the contender that ratios are taken against
    contenders: list[Contender]
    truth: Callable[[], list[np.ndarray]] | None = None  # the hand-written numpy gradients, when there are any
    per: int = 1  # report time per this many units (operations, nodes) rather than per iteration
    unit: str = "iteration"
    rounds: int = 30
    results: list[dict[str, Any]] = field(default_factory=list)


def disagreement(got: list[np.ndarray], truth: list[np.ndarray]) -> str | None:
    """None when the gradients agree with the truth (rtol 1e-6, atol 1e-9, in float64); otherwise a short reason."""
    if len(got) != len(truth):
        return f"{len(got)} gradients, expected {len(truth)}"
    for i, (g, t) in enumerate(zip(got, truth)):
        g = np.asarray(g, dtype=np.float64)
        if g.shape != t.shape or not np.allclose(g, t, rtol=1e-6, atol=1e-9):
            err = np.max(np.abs(g - t)) if g.shape == t.shape else f"shape {g.shape} vs {t.shape}"
            return f"gradient {i} differs from the hand-written numpy one (max error {err})"
    return None


def _prepare(workload: Workload) -> tuple[dict[str, Callable[[], Any]], dict[str, dict[str, Any]]]:
    """Make and check every contender: the steps that passed (to be timed) and one row per contender."""
    truth = workload.truth() if workload.truth is not None else None
    steps: dict[str, Callable[[], Any]] = {}
    rows: dict[str, dict[str, Any]] = {}
    for c in workload.contenders:
        try:
            step, gradients = c.make()
        except ImportError as err:
            rows[c.name] = {"contender": c.name, "status": f"skipped: {err}"}
            continue
        try:
            problem = None if gradients is None or truth is None else disagreement(gradients(), truth)
        except Exception as err:  # a contender that crashes is as wrong as one that disagrees
            problem = f"raised {type(err).__name__}: {err}"
        if problem:
            rows[c.name] = {"contender": c.name, "status": f"wrong: {problem}"}
            continue
        steps[c.name] = step
        rows[c.name] = {"contender": c.name, "status": "ok", "times": []}
    return steps, rows


def check(workload: Workload) -> dict[str, str]:
    """The correctness half of ``run`` alone: each contender's status, "ok", "wrong: ..." or "skipped: ..."."""
    _, rows = _prepare(workload)
    return {name: row["status"] for name, row in rows.items()}


def run(workload: Workload, quick: bool = False, collector: bool = True) -> list[dict[str, Any]]:
    """Check, then time every contender of ``workload``; returns one result row per contender.

    ``collector=False`` switches the cyclic garbage collector off during each timed step (as ``timeit`` does);
    by default it runs, as it does for a user, and its collections are part of the time.
    """
    steps, rows = _prepare(workload)
    for name, step in steps.items():  # warm up caches and lazy imports before timing; a compiled contender records
        start = time.perf_counter()
        step()
        rows[name]["first"] = time.perf_counter() - start
    gc.collect()
    gc.freeze()
    rounds = max(3, workload.rounds // 3) if quick else workload.rounds
    for _ in range(rounds):
        for name, step in steps.items():
            gc.collect()
            if not collector:
                gc.disable()
            start = time.perf_counter()
            measured = step()
            elapsed = measured if isinstance(measured, float) else time.perf_counter() - start
            gc.enable()
            rows[name]["times"].append(elapsed / workload.per)
    gc.unfreeze()
    ref = rows.get(workload.reference)
    ref_median = statistics.median(ref["times"]) if ref and ref.get("times") else None
    for row in rows.values():
        times = row.pop("times", None)
        if times:
            row.update(median=statistics.median(times), min=min(times), max=max(times))
            row["ratio"] = row["median"] / ref_median if ref_median else None
        row.update(workload=workload.name, reference=workload.reference, unit=workload.unit)
    workload.results = list(rows.values())
    return workload.results


def _fmt(seconds: float) -> str:
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "us")):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def table(workload: Workload) -> str:
    """The results as a text table: median, min-max and ratio to the reference, per unit of work."""
    lines = [f"## {workload.name}  (time per {workload.unit}; ratio = median / median of {workload.reference}; "
             "first call: the whole first iteration, where a compiled contender records and generates its code)"]
    lines.append(f"{'contender':<30} {'median':>10} {'min - max':>23} {'ratio':>7} {'first call':>11}")
    for row in workload.results:
        if row["status"] != "ok":
            lines.append(f"{row['contender']:<30} {row['status']}")
            continue
        spread = f"{_fmt(row['min'])} - {_fmt(row['max'])}"
        ratio = f"{row['ratio']:.2f}x" if row["ratio"] is not None else "-"
        lines.append(f"{row['contender']:<30} {_fmt(row['median']):>10} {spread:>23} {ratio:>7} {_fmt(row['first']):>11}")
    return "\n".join(lines)
