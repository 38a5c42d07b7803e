"""Benchmarks run against a real server (see docs/performance.md); not tests."""
