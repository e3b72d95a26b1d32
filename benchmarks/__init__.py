"""Benchmarks for the ledger: ratios against baselines measured in the same run (see README.md)."""
