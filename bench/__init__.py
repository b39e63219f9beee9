"""Benchmarks; figures go to docs/performance.md."""
