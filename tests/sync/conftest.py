"""Fixtures of the sync tests: one real test cluster for the session (see fixtures.py)."""

from __future__ import annotations

import pytest

from sync.fixtures import sync_cluster

__all__ = ["sync_cluster"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `cluster` every test that needs the test cluster."""
    for item in items:
        if "sync_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cluster)
