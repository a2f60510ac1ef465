"""Robustness suites across the addons: see README.md for what each test guards."""
