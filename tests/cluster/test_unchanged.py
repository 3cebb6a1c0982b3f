"""When the plan may skip an object's dry run: only when an apply certainly changes nothing.
The stamp is the SHA-256 of the object's canonical JSON (sorted keys, no spaces), and each
rule of `certainly_unchanged` is tried with managedFields that make it, alone, decide."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from cistreams.cluster.unchanged import APPLIED_ANNOTATION, certainly_unchanged, overlaps, stamped

DESIRED: dict[str, Any] = {
    "apiVersion": "build.openshift.io/v1", "kind": "BuildConfig",
    "metadata": {"name": "n", "namespace": "ci", "labels": {"g": "1"}},
    "spec": {"runPolicy": "Serial",
             "triggers": [{"type": "ImageChange", "imageChange": {}}]}}


def live_of(desired: dict[str, Any], *entries: dict[str, Any]) -> dict[str, Any]:
    live = copy.deepcopy(desired)
    live["metadata"]["managedFields"] = [
        {"manager": "cistreams", "operation": "Apply", "fieldsV1": {"f:spec": {}}}, *entries]
    return live


def test_the_stamp_is_a_hash_of_the_rendered_object_and_changes_with_it() -> None:
    first = stamped(DESIRED)
    assert first["metadata"]["annotations"][APPLIED_ANNOTATION].startswith("sha256:")
    assert "annotations" not in DESIRED["metadata"]  # the input is left alone
    changed = copy.deepcopy(DESIRED)
    changed["spec"]["runPolicy"] = "Parallel"
    assert stamped(changed)["metadata"]["annotations"] != first["metadata"]["annotations"]
    assert stamped(DESIRED) == first  # deterministic


def test_a_live_object_stamped_alike_and_owned_by_us_alone_is_unchanged() -> None:
    desired = stamped(DESIRED)
    assert certainly_unchanged(live_of(desired), desired)


def test_a_different_stamp_is_not_certain() -> None:
    desired = stamped(DESIRED)
    old = copy.deepcopy(desired)
    old["metadata"]["annotations"][APPLIED_ANNOTATION] = "sha256:0"
    assert not certainly_unchanged(live_of(old), desired)
    bare = copy.deepcopy(desired)
    del bare["metadata"]["annotations"]
    assert not certainly_unchanged(live_of(bare), desired)


@pytest.mark.parametrize("entry", [
    {"manager": "kubectl-edit", "operation": "Update", "fieldsV1": {"f:metadata": {}}},
    {"manager": "someone", "operation": "Apply", "fieldsV1": {"f:metadata": {}}},
    {"manager": "robot", "operation": "Update", "fieldsV1": {"f:spec": {"f:runPolicy": {}}}},
    {"manager": "robot", "operation": "Update", "fieldsV1": {"f:spec": {"f:triggers": {
        'k:{"type":"ImageChange"}': {".": {}}}}}},
    {"manager": "robot", "operation": "Update", "fieldsV1": {"f:spec": {"f:triggers": {
        "v:odd": {}}}}},
    {"manager": "robot", "operation": "Update", "fieldsV1": {"f:spec": {"f:triggers": {
        "k:{not json": {}}}}},
])
def test_hand_tools_other_appliers_and_overlapping_managers_need_a_dry_run(
        entry: dict[str, Any]) -> None:
    desired = stamped(DESIRED)
    assert not certainly_unchanged(live_of(desired, entry), desired)


@pytest.mark.parametrize("entry", [
    {"manager": "kube-controller-manager", "operation": "Update",
     "fieldsV1": {"f:status": {"f:x": {}}}},
    {"manager": "kubectl-edit", "operation": "Update", "subresource": "status",
     "fieldsV1": {"f:status": {}}},
    {"manager": "build-controller", "operation": "Update", "fieldsV1": {"f:spec": {"f:triggers": {
        'k:{"type":"ImageChange"}': {"f:imageChange": {"f:lastTriggeredImageID": {}}}}}}},
    {"manager": "robot", "operation": "Update", "fieldsV1": {"f:spec": {"f:other": {}}}},
    {"manager": "robot", "operation": "Update", "fieldsV1": {"f:spec": {"f:triggers": {
        'k:{"type":"ConfigChange"}': {".": {}}}}}},
])
def test_controllers_on_fields_the_build_data_does_not_set_keep_it_certain(
        entry: dict[str, Any]) -> None:
    desired = stamped(DESIRED)
    assert certainly_unchanged(live_of(desired, entry), desired)


def test_without_our_own_apply_entry_nothing_is_certain() -> None:
    desired = stamped(DESIRED)
    live = live_of(desired)
    live["metadata"]["managedFields"][0]["operation"] = "Update"
    assert not certainly_unchanged(live, desired)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"f:spec": {}}, True), ({"f:spec": {"f:runPolicy": {}}}, True),
    ({"f:spec": {"f:nope": {}}}, False), ({"f:nope": {}}, False),
    ({"f:metadata": {"f:labels": {"f:g": {}}}}, True),
    ({"f:metadata": {"f:labels": {"f:h": {}}}}, False),
])
def test_overlaps(fields: dict[str, Any], expected: bool) -> None:
    assert overlaps(fields, DESIRED) is expected


CANONICAL = ('{"apiVersion":"build.openshift.io/v1","kind":"BuildConfig","metadata":{"labels":{"g":"1"},'
             '"name":"n","namespace":"ci"},"spec":{"runPolicy":"Serial","triggers":[{"imageChange":{},'
             '"type":"ImageChange"}]}}')


def test_the_stamp_is_the_hash_of_the_canonical_json() -> None:
    digest = "sha256:" + hashlib.sha256(CANONICAL.encode()).hexdigest()
    assert stamped(DESIRED)["metadata"]["annotations"] == {"cistreams.openshift.io/applied": digest}


def test_the_stamp_keeps_the_objects_own_annotations() -> None:
    annotated = copy.deepcopy(DESIRED)
    annotated["metadata"]["annotations"] = {"description": "x"}
    result = stamped(annotated)
    assert result["metadata"]["annotations"]["description"] == "x"
    assert list(result["metadata"]["annotations"]) == ["description", APPLIED_ANNOTATION]
    assert annotated["metadata"]["annotations"] == {"description": "x"}  # not changed in place


def test_a_live_object_without_metadata_is_not_certain() -> None:
    assert certainly_unchanged({}, stamped(DESIRED)) is False


def test_our_own_entry_must_be_an_apply() -> None:
    desired = stamped(DESIRED)
    live = live_of(desired)
    live["metadata"]["managedFields"] = [
        {"manager": "cistreams", "operation": "Update",
         "fieldsV1": {"f:metadata": {"f:labels": {"f:z": {}}}}}]
    assert certainly_unchanged(live, desired) is False


def test_another_applier_is_never_certain_even_on_other_fields() -> None:
    desired = stamped(DESIRED)
    entry = {"manager": "someone", "operation": "Apply", "fieldsV1": {"f:spec": {"f:other": {}}}}
    assert certainly_unchanged(live_of(desired, entry), desired) is False


STATUS = {"manager": "robot", "operation": "Update", "subresource": "status",
          "fieldsV1": {"f:spec": {"f:runPolicy": {}}}}
HAND = {"manager": "kubectl-edit", "operation": "Update", "fieldsV1": {"f:metadata": {}}}


def test_status_subresource_entries_never_count() -> None:
    desired = stamped(DESIRED)
    assert certainly_unchanged(live_of(desired, STATUS), desired) is True
    assert certainly_unchanged(live_of(desired, STATUS, HAND), desired) is False  # the next still counts


@pytest.mark.parametrize(("fields", "expected"), [
    ({".": {}}, True),
    ({"f:spec": {"f:triggers": {'k:{"type":"ImageChange"}': {"f:imageChange": {}}}}}, True),
    ({"f:spec": {"f:triggers": {'k:{"type":"ImageChange"}': {"f:type": {}}}}}, True),
    ({"f:spec": {"f:triggers": {'k:{"type":"ImageChange"}': {"f:other": {}}}}}, False),
    ({"f:spec": {"f:triggers": {"k:[1]": {}}}}, True),  # not a key object: conservative
    ({"f:spec": {"f:runPolicy": {"f:deeper": {}}}}, False),
    ({"f:spec": {"f:triggers": {'k:{"type":"ImageChange"}': {}}}}, True),
])
def test_overlaps_exactly(fields: dict[str, Any], expected: bool) -> None:
    assert overlaps(fields, DESIRED) is expected
