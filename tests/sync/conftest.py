"""Fixtures of the sync tests: one real test cluster for the session (see fixtures.py)."""

from __future__ import annotations

import pytest

from registry.fixtures import registries
from sync.fixtures import job_stack, sync_cluster, world

__all__ = ["job_stack", "registries", "sync_cluster", "world"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `cluster` every test that needs the test cluster, `registry` one that needs the
    registries."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "sync_cluster" in names:
            item.add_marker(pytest.mark.cluster)
        if "registries" in names:
            item.add_marker(pytest.mark.registry)
