"""Benchmarks (scripts, see README.md). A package only so that ``bench.e2e_settings`` and
``bench.e2e_urls`` can be imported by the server ``bench/e2e_bench.py`` starts."""
