"""``python -m benchmarks.profile [--quick] [--contender autograd_core] [--top 12]``: where a contender's time goes.

For every workload, each contender whose name starts with ``--contender`` runs a warm-up step, then a few steps
under cProfile; printed are the time the cyclic garbage collector took during those steps (measured with
``gc.callbacks``, apart from the profile) and the functions with the most time of their own. cProfile adds a
roughly constant cost to every Python call, so it overstates functions that are called very often and are cheap;
compare shares between functions, not absolute times with the benchmark's.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import time
from typing import Any


class _CollectorClock:
    """Total seconds spent in the cyclic garbage collector while installed in ``gc.callbacks``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start


def profile(step: Any, steps: int, top: int) -> str:
    """The profile of ``steps`` calls of ``step``: share of time in the collector, then the top functions."""
    step()
    gc.collect()
    clock = _CollectorClock()
    gc.callbacks.append(clock)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    elapsed = time.perf_counter() - start
    gc.callbacks.remove(clock)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    body = out.getvalue()
    body = body[body.index("   ncalls") :]
    share = clock.seconds / elapsed
    return f"{steps} steps: {elapsed / steps * 1e3:.3g} ms per step, cyclic garbage collector {share:.0%}\n{body}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the quick sizes")
    parser.add_argument("--contender", default="autograd_core", help="profile contenders whose names start with this")
    parser.add_argument("--top", type=int, default=12, help="functions to show per profile")
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"

    from . import workloads

    for workload in workloads(args.quick):
        for contender in workload.contenders:
            if contender.name.startswith(args.contender):
                step, _ = contender.make()
                steps = max(1, min(20, workload.rounds // 10))
                print(f"## {workload.name}: {contender.name}\n{profile(step, steps, args.top)}", flush=True)


if __name__ == "__main__":
    main()
