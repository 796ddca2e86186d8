"""Benchmarks: ``python -m benchmarks`` runs every workload and prints ratios against references measured in the
same run (see harness.py for how contenders are checked and timed); ``python -m benchmarks.profile`` shows where
autograd_core's time goes in each of them."""

from __future__ import annotations

from typing import Any


def workloads(quick: bool) -> list[Any]:
    """Every timed workload, in the order the tables are printed (memory is measured apart, see memory.py).

    The modules are imported here, not at the top: numpy must not be imported before the thread count is set.
    """
    from . import engine, hvp, micrograd_demo, mlp

    return [
        engine.chain_workload(),
        *engine.depth_workloads(quick),
        *mlp.workloads(quick),
        micrograd_demo.workload(n_points=25 if quick else 100),
        hvp.workload(),
    ]
