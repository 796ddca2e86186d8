"""``python -m benchmarks [--quick] [--threads N] [--json PATH]``: every workload, tables and a JSON file."""

from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and smaller sizes (under a minute)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)")
    parser.add_argument("--no-gc", action="store_true", help="cyclic garbage collector off during timed steps")
    parser.add_argument("--json", default="benchmarks/results.json", help="where to write the results")
    args = parser.parse_args(argv)
    # thread counts must be fixed before numpy or torch is first imported
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    from . import harness, memory, workloads

    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        pass

    results = []
    for workload in workloads(args.quick):
        results += harness.run(workload, quick=args.quick, collector=not args.no_gc)
        print(harness.table(workload), end="\n\n", flush=True)
    per_node = {r["workload"]: r["median"] for r in results if r["contender"] == "autograd_core" and r["unit"] == "node" and "median" in r}
    if len(per_node) > 1:
        costs = list(per_node.values())
        print(f"autograd_core backward per node, largest chain / smallest chain: {costs[-1] / costs[0]:.2f}x\n")
    # memory is measured in a fresh process per contender, after all timing
    memory_rows = memory.workload_rows(memory.OPS // 4 if args.quick else memory.OPS, threads=args.threads)
    print(memory.table(memory_rows), flush=True)
    results += memory_rows
    tmp = args.json + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"threads": args.threads, "quick": args.quick, "gc": not args.no_gc, "results": results}, f, indent=1)
    os.replace(tmp, args.json)
    print(f"results written to {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
