"""Benchmarks: ``python -m benchmarks`` runs every workload and prints ratios against references measured in the
same run (see harness.py for how contenders are checked and timed)."""
