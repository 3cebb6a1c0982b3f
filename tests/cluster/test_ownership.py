"""cistreams.cluster.ownership: which managers count as hand tools, the takeover patch as
sent, the comparable view of managedFields, and each rule of the diff's drop of hand-set map
fields (exact values; the clock is fixed)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, tzinfo
from typing import Any

import pytest

from cistreams.cluster import ownership

NOW = "2026-01-02T03:04:05Z"


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    class Clock(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Clock:
            assert tz is UTC  # managedFields times are UTC
            return cls(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    monkeypatch.setattr(ownership, "datetime", Clock)


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


@pytest.mark.parametrize(("manager", "hand"), [("oc-edit", True), ("oc-patch", True), ("ocp-thing", False),
                                               ("kubectl-", True), ("Kubectl", False)])
def test_more_hand_tools(manager: str, hand: bool) -> None:
    assert ownership.is_hand_tool(entry(manager)) is hand
    assert ownership.is_hand_tool({"operation": "Update"}) is False  # no manager at all


def test_hand_tools_lists_each_manager_once_sorted() -> None:
    live = {"metadata": {"managedFields": [entry("oc"), entry("controller"), entry("kubectl-edit"),
                                           entry("oc"), entry("kubectl", "Apply")]}}
    assert ownership.hand_tools(live) == ["kubectl-edit", "oc"]
    assert ownership.hand_tools({}) == []
    assert ownership.hand_tools({"metadata": {"managedFields": None}}) == []


def test_the_takeover_patch_exactly() -> None:
    live = {"metadata": {"resourceVersion": "7", "managedFields": [
        entry("someone", "Apply", {"f:spec": {"f:x": {}}}),
        entry("cistreams", "Update", {"f:spec": {"f:y": {}}}),
        entry("kubectl-edit", fields={"f:spec": {"f:z": {}}, "f:status": {"f:s": {}}})]}}
    before = copy.deepcopy(live)
    assert ownership.takeover_patch(live, "apps/v1") == [
        {"op": "test", "path": "/metadata/resourceVersion", "value": "7"},
        {"op": "replace", "path": "/metadata/managedFields", "value": [
            entry("someone", "Apply", {"f:spec": {"f:x": {}}}),
            entry("cistreams", "Update", {"f:spec": {"f:y": {}}}),
            {"manager": "cistreams", "operation": "Apply", "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:spec": {"f:z": {}}}, "time": NOW}]}]
    assert live == before


def test_the_takeover_merges_into_our_apply_entry_and_stamps_its_time() -> None:
    live: dict[str, Any] = {"metadata": {"resourceVersion": "8", "managedFields": [
        {**entry("cistreams", "Apply", {"f:spec": {"f:a": {"f:b": {}}}}), "time": "old"},
        entry("kubectl-edit", fields={"f:spec": {"f:a": {"f:c": {}}}})]}}
    _, replace = ownership.takeover_patch(live, "v1")
    assert replace["value"] == [{"manager": "cistreams", "operation": "Apply", "time": NOW,
                                 "fieldsV1": {"f:spec": {"f:a": {"f:b": {}, "f:c": {}}}}}]
    assert live["metadata"]["managedFields"][0]["fieldsV1"] == {"f:spec": {"f:a": {"f:b": {}}}}


def test_server_fields_of_an_object_without_metadata() -> None:
    assert ownership.without_server_fields({"kind": "K", "status": {}}) == {"kind": "K", "metadata": {}}


def test_ownership_is_comparable_and_sorted() -> None:
    obj = {"metadata": {"managedFields": [
        {**entry("robot", fields={"f:b": {}, "f:a": {}}), "time": "t1", "subresource": "status"},
        {**entry("cistreams", "Apply", {"f:spec": {}}), "time": "t2"},
        {"manager": "bare"}]}}
    assert ownership.ownership(obj) == [
        ("bare", "None", "", "null"),
        ("cistreams", "Apply", "", '{"f:spec": {}}'),
        ("robot", "Update", "status", '{"f:a": {}, "f:b": {}}')]
    assert ownership.ownership({}) == []
    assert ownership.ownership({"metadata": {"managedFields": None}}) == []


def drop(preview: dict[str, Any], entries: list[dict[str, Any]], desired: dict[str, Any]) -> dict[str, Any]:
    live = {"metadata": {"managedFields": entries}}
    before = copy.deepcopy(live)
    result = ownership.drop_hand_tool_map_fields(preview, live, desired)
    assert live == before  # the live object's managedFields are never changed
    return result


def test_drop_without_managed_fields_is_a_copy() -> None:
    preview = {"spec": {"a": 1}}
    result = ownership.drop_hand_tool_map_fields(preview, {}, {})
    assert result == preview and result is not preview


def test_drop_ignores_our_own_entries_wherever_they_are() -> None:
    preview = {"spec": {"runPolicy": "Parallel", "hand": 1}}
    entries = [entry("cistreams", "Apply", {"f:spec": {"f:runPolicy": {}}}),
               entry("kubectl-edit", fields={"f:spec": {"f:runPolicy": {}, "f:hand": {}}})]
    assert drop(preview, entries, {"spec": {}}) == {"spec": {}}


def test_drop_keeps_status_and_what_controllers_own_below_the_top() -> None:
    preview = {"status": {"x": 1}, "spec": {"a": 1, "b": 2}}
    entries = [entry("kubectl-edit", fields={"f:status": {"f:x": {}}, "f:spec": {"f:a": {}, "f:b": {}}}),
               entry("controller", fields={"f:spec": {"f:a": {}}})]
    assert drop(preview, entries, {"spec": {}}) == {"status": {"x": 1}, "spec": {"a": 1}}


def test_drop_skips_fields_the_preview_lacks_and_goes_on() -> None:
    preview = {"metadata": {"labels": {"hand": "x"}}}
    entries = [entry("kubectl-edit", fields={"f:metadata": {"f:gone": {}, 'k:{"a":1}': {}, "f:labels": {}}})]
    assert drop(preview, entries, {"metadata": {}}) == {"metadata": {}}


def test_drop_reaches_into_maps_the_build_data_does_not_set_but_a_controller_shares() -> None:
    preview = {"metadata": {"annotations": {"h": "1", "c": "2"}, "name": "n"}}
    entries = [entry("kubectl-edit", fields={"f:metadata": {"f:annotations": {"f:h": {}}}}),
               entry("controller", fields={"f:metadata": {"f:annotations": {"f:c": {}}}})]
    assert drop(preview, entries, {"metadata": {"name": "n"}}) == \
        {"metadata": {"annotations": {"c": "2"}, "name": "n"}}


def test_drop_merges_several_hand_tools_without_touching_live() -> None:
    preview = {"metadata": {"labels": {"a": "1", "b": "2", "ours": "3"}}}
    entries = [entry("kubectl-edit", fields={"f:metadata": {"f:labels": {"f:a": {}}}}),
               entry("kubectl-label", fields={"f:metadata": {"f:labels": {"f:b": {}}}})]
    assert drop(preview, entries, {"metadata": {"labels": {"ours": "3"}}}) == \
        {"metadata": {"labels": {"ours": "3"}}}
