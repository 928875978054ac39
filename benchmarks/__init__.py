"""Benchmarks: run each as `python -m benchmarks.NAME`; each prints JSON."""
