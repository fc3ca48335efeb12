"""Benchmarks: `make bench` (bench/run_all.py) prints the figures; docs/benchmarks.md has them."""
