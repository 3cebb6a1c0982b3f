"""Taking objects over from kubectl: which managers count as hand tools, and the patch."""

from __future__ import annotations

from typing import Any

import pytest

from cistreams.cluster import ownership


def entry(manager: str, operation: str = "Update", fields: dict[str, Any] | None = None,
          subresource: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"manager": manager, "operation": operation,
                             "fieldsV1": fields or {"f:spec": {"f:a": {}}}}
    if subresource:
        found["subresource"] = subresource
    return found


@pytest.mark.parametrize(("manager", "operation", "subresource", "hand"), [
    ("kubectl-client-side-apply", "Update", None, True),
    ("kubectl-edit", "Update", None, True),
    ("kubectl", "Update", None, True),
    ("oc", "Update", None, True),
    ("before-first-apply", "Update", None, True),
    ("kubectl", "Apply", None, False),           # someone else's server-side apply
    ("kubectl-edit", "Update", "status", False),  # a status write is not ours to take
    ("openshift-controller-manager", "Update", None, False),
    ("kubectlish", "Update", None, False),
])
def test_hand_tools(manager: str, operation: str, subresource: str | None, hand: bool) -> None:
    assert ownership.is_hand_tool(entry(manager, operation, subresource=subresource)) is hand


def test_the_takeover_moves_hand_fields_to_cistreams_but_not_status_or_controllers() -> None:
    live: dict[str, Any] = {"metadata": {"resourceVersion": "41", "managedFields": [
        entry("cistreams", "Apply", {"f:spec": {"f:a": {}}}),
        entry("kubectl-edit", fields={"f:spec": {"f:b": {}}, "f:status": {"f:x": {}}}),
        entry("kubectl-client-side-apply", fields={"f:metadata": {"f:annotations": {"f:l": {}}}}),
        entry("controller", fields={"f:spec": {"f:c": {}}}),
    ]}}
    test, replace = ownership.takeover_patch(live, "v1")
    assert test == {"op": "test", "path": "/metadata/resourceVersion", "value": "41"}
    kept = {e["manager"]: e for e in replace["value"]}
    assert set(kept) == {"cistreams", "controller"}
    assert kept["cistreams"]["fieldsV1"] == {"f:spec": {"f:a": {}, "f:b": {}},
                                             "f:metadata": {"f:annotations": {"f:l": {}}}}
    assert kept["controller"]["fieldsV1"] == {"f:spec": {"f:c": {}}}
    # the live object is not modified in place
    assert live["metadata"]["managedFields"][0]["fieldsV1"] == {"f:spec": {"f:a": {}}}


def test_the_takeover_creates_our_entry_when_we_never_applied() -> None:
    live = {"metadata": {"resourceVersion": "1", "managedFields": [
        entry("kubectl-client-side-apply")]}}
    _, replace = ownership.takeover_patch(live, "build.openshift.io/v1")
    (ours,) = replace["value"]
    assert (ours["manager"], ours["operation"], ours["apiVersion"]) == \
        ("cistreams", "Apply", "build.openshift.io/v1")
    assert ours["fieldsV1"] == {"f:spec": {"f:a": {}}}


def test_server_fields_are_left_out() -> None:
    obj: dict[str, Any] = {"kind": "K", "status": {"x": 1}, "metadata": {
        "name": "n", "uid": "u", "resourceVersion": "1", "generation": 2, "managedFields": [],
        "creationTimestamp": "t", "labels": {"a": "b"}}}
    assert ownership.without_server_fields(obj) == {
        "kind": "K", "metadata": {"name": "n", "labels": {"a": "b"}}}


def test_diff_drops_what_only_hand_tools_set_and_the_build_data_does_not() -> None:
    live = {"metadata": {"managedFields": [
        entry("kubectl-edit", fields={"f:metadata": {"f:labels": {"f:hand": {}}},
                                      "f:spec": {"f:runPolicy": {}, "f:keep": {}}}),
        entry("controller", fields={"f:spec": {"f:ctl": {}}}),
    ]}}
    preview: dict[str, Any] = {"metadata": {"labels": {"hand": "x", "ours": "y"}},
               "spec": {"runPolicy": "Parallel", "keep": 1, "ctl": 2}}
    desired = {"metadata": {"labels": {"ours": "y"}}, "spec": {"keep": 1}}
    result = ownership.drop_hand_tool_map_fields(preview, live, desired)
    assert result == {"metadata": {"labels": {"ours": "y"}}, "spec": {"keep": 1, "ctl": 2}}
    assert preview["spec"]["runPolicy"] == "Parallel"  # a copy was changed
