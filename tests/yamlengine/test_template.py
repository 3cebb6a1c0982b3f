"""Per-shape templates write what the plain tree writer and PyYAML write, document by document."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cistreams import yamlengine

WORDS = st.sampled_from(["a", "rhel-8", "x y z", "it's", "50%", "yes", "1.5", "", " lead",
                         "trail ", "#hash", "a: b", "line\nbreak\n", "é", "tab\there",
                         "long " * 30, "null", "~", "-", "dash-value"])


def same_shape_documents(values: list[Any]) -> list[dict[str, Any]]:
    """Documents of one shape whose scalars differ (names, long folding text, numbers)."""
    return [{"apiVersion": "v1", "kind": "BuildConfig",
             "metadata": {"name": value if isinstance(value, str) else "n", "labels": {"k": value}},
             "spec": {"list": [value, {"inner": value}], "empty": {}, "limit": 2}}
            for value in values]


@settings(max_examples=150, deadline=None)
@given(values=st.lists(st.one_of(WORDS, st.text(max_size=120), st.integers(), st.booleans()),
                       min_size=1, max_size=6))
def test_documents_sharing_a_shape_match_pyyaml(values: list[Any]) -> None:
    objects = same_shape_documents(values)
    assert yamlengine.dump_doozer(objects) == yamlengine.reference_dump_doozer(objects)
    assert yamlengine.dump_readable(objects) == yamlengine.reference_dump_readable(objects)


def test_an_object_shared_between_documents_is_not_an_alias() -> None:
    shared = {"a": 1}
    objects = [{"x": shared}, {"x": shared}]
    assert yamlengine.dump_doozer(objects) == yamlengine.reference_dump_doozer(objects)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.one_of(WORDS, st.text(max_size=120), st.integers()), min_size=1,
                       max_size=8))
def test_sequence_items_sharing_a_shape_match_pyyaml(values: list[Any]) -> None:
    """Like a DaemonSet's containers: many list items of one shape, laid out once."""
    objects = [{"kind": "DaemonSet", "spec": {"containers": [
        {"name": value, "command": ["/bin/bash", "-c", value], "resources": {"cpu": value}}
        for value in values]}}]
    assert yamlengine.dump_doozer(objects) == yamlengine.reference_dump_doozer(objects)
    assert yamlengine.dump_readable(objects) == yamlengine.reference_dump_readable(objects)
