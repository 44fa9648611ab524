"""Benchmarks: each prints ratios measured in one run on this machine (see docs/benchmarks.md)."""
