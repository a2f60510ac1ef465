"""Hardening suites of issue #7: see README.md for the map of requirements."""
