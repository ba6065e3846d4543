"""Benchmarks run only in `nox -s bench`; they are not collected by the test session."""
