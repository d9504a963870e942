"""Benchmarks of hoststand against minimal baselines, measured in the same run.

Run `python -m bench` (or `make bench`); `--quick` for a smoke run. Each scenario prints one
JSON line of figures, then a human summary follows.
"""
