"""Shared test fixtures."""

pytest_plugins = ["tests.desktop"]
