"""cistreams.cluster.unchanged with exact values (issue 11): the stamp is the SHA-256 of the
object's canonical JSON (sorted keys, no spaces), and each rule of `certainly_unchanged` is
tried with managedFields that make it, alone, decide the answer."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from cistreams.cluster.unchanged import APPLIED_ANNOTATION, certainly_unchanged, overlaps, stamped
from cluster.test_unchanged import DESIRED, live_of

CANONICAL = ('{"apiVersion":"build.openshift.io/v1","kind":"BuildConfig","metadata":{"labels":{"g":"1"},'
             '"name":"n","namespace":"ci"},"spec":{"runPolicy":"Serial","triggers":[{"imageChange":{},'
             '"type":"ImageChange"}]}}')
DIGEST = "sha256:24afb5e1d635aad3d692624f20053186e0043b9711207c47d33027913470dbb9"


def test_the_stamp_is_the_hash_of_the_canonical_json() -> None:
    assert APPLIED_ANNOTATION == "cistreams.openshift.io/applied"
    assert "sha256:" + hashlib.sha256(CANONICAL.encode()).hexdigest() == DIGEST
    assert stamped(DESIRED)["metadata"]["annotations"] == {APPLIED_ANNOTATION: DIGEST}


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
