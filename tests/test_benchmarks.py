"""The benchmarks' correctness half on tiny sizes: every contender of every workload must agree with the
hand-written numpy gradients, so that a broken benchmark fails the suite (timings are never run here)."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from benchmarks import engine, floor, harness, hvp, memory, micrograd_demo, mlp
from benchmarks.harness import Contender, Workload


def assert_all_ok(statuses: dict[str, str]) -> None:
    """Every contender checked and right: .ci/install installs the bench extras (micrograd, HIPS autograd) too."""
    for name, status in statuses.items():
        assert status == "ok", f"{name}: {status}"


def test_harness_reports_wrong_crashing_and_missing_contenders():
    def missing() -> tuple:
        raise ImportError("No module named 'nothing'")

    workload = Workload(
        name="tiny",
        reference="right",
        truth=lambda: [np.array([1.0, 2.0])],
        contenders=[
            Contender("right", lambda: (None, lambda: [np.array([1.0, 2.0])])),
            Contender("off", lambda: (None, lambda: [np.array([1.0, 2.001])])),
            Contender("crashes", lambda: (None, lambda: [np.array([1.0]) @ np.ones((2, 2))])),
            Contender("missing", missing),
        ],
    )
    statuses = harness.check(workload)
    assert statuses["right"] == "ok"
    assert statuses["off"].startswith("wrong: gradient 0 differs")
    assert statuses["crashes"].startswith("wrong: raised ValueError")
    assert statuses["missing"] == "skipped: No module named 'nothing'"


def test_chain_workloads():
    assert_all_ok(harness.check(engine.chain_workload()))
    assert_all_ok(harness.check(engine.depth_workloads(quick=True)[0]))


def test_mlp_workloads():
    assert_all_ok(harness.check(mlp.mlp_workload((4, 6, 5, 3), batch=7, rounds=1)))


@pytest.mark.parametrize(
    "train_step",
    [mlp.numpy_step, partial(floor.mlp_step, lr=mlp.LR), mlp.ours_step, mlp.ours_nn_step, mlp.torch_step, mlp.hips_step,
     partial(mlp.ours_step, compiled=True, record_first=True), partial(mlp.ours_nn_step, compiled=True, record_first=True)],
)
def test_mlp_float32_steps_stay_float32(train_step):
    """The timed steps run in float32: an upcast anywhere would make every float32 timing meaningless."""
    params, x, labels = mlp.problem((4, 6, 3), batch=5, dtype=np.float32)
    step = train_step(params, x, labels)
    assert all(g.dtype == np.float32 for g in step())


def test_hvp_workload():
    """Full size (the check is cheap): H v of every contender against differences of the hand-written gradient."""
    assert_all_ok(harness.check(hvp.workload()))


def test_micrograd_demo():
    assert_all_ok(harness.check(micrograd_demo.workload(n_points=8, sizes=(2, 4, 4, 1))))


def test_memory_checks_and_measurements():
    """Gradients agree, and the kernel's count of the graph is plausible: each library holds at least the
    ops/2 sin inputs (800 kB each) after the forward pass, and the RSS and tracemalloc readings of autograd_core
    agree to within 5%."""
    ops = 20
    rows = {r["contender"]: r for r in memory.workload_rows(ops=ops, size=100_000)}
    assert_all_ok({name: r["status"] for name, r in rows.items()})
    for row in rows.values():
        assert row["graph"] >= ops // 2 * 800_000 and row["peak"] >= row["graph"]
    rss, traced = rows["autograd_core"]["graph"], rows["autograd_core (tracemalloc)"]["graph"]
    assert abs(rss - traced) <= 0.05 * traced
