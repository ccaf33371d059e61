"""Benchmarks run by hand (`python bench/NAME.py`), printing their figures; not part of the suite."""
