"""Fixtures of the mirror tests: the real registries and test cluster (registry/fixtures.py)."""

from __future__ import annotations

import pytest

from registry.fixtures import imagestream_cluster, registries

__all__ = ["imagestream_cluster", "registries"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `registry` every test that starts the registries, `cluster` one that needs the
    test cluster (so `-m "not registry"` leaves them out)."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "registries" in names:
            item.add_marker(pytest.mark.registry)
        if "imagestream_cluster" in names:
            item.add_marker(pytest.mark.cluster)
