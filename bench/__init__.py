"""Benchmarks run by hand (`python bench/NAME.py`) that print their figures; not tests."""
