"""schema.py: rendered objects pass; broken ones fail with a clear message, in both modes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from cistreams import app, transforms
from cistreams.builddata.model import Entry, Group
from cistreams.errors import Location, Problems
from cistreams.render import RenderOptions, render
from cistreams.schemas import find_violations, validate_objects
from cistreams.schemas import validate as schemas
from helpers import corpus_dirs, group_of

Obj = dict[str, Any]
GROUP = Group("openshift-4.7", "4", "7", (), Location("group.yml", 1))
STRATEGY_WARNING = 'spec.strategy: "type" is a required property'
SCHEMA_FILES = ["buildconfig-build.openshift.io-v1.json", "daemonset-apps-v1.json",
                "daemonset-extensions-v1beta1.json"]


def entry(name: str, transform: str = "rhel-8/golang") -> Entry:
    dest = f"registry.ci.openshift.org/ocp/builder:{name}"
    return Entry(name, transform, dest, f"{dest}.art", None, Location("streams.yml", 1, name))


def rendered(doozer_2020: bool, count: int = 3) -> list[Obj]:
    """BuildConfigs for `count` entries and the DaemonSet, as render() makes them."""
    registry = transforms.load_registry(None, doozer_2020=doozer_2020, problems=Problems())
    entries = [entry(f"s{i}", ("rhel-8/golang", "rhel-7/base-repos")[i % 2])
               for i in range(count)]
    return render(GROUP, entries, registry, RenderOptions(doozer_2020), Problems()).objects


def buildconfig(doozer_2020: bool = False) -> Obj:
    return copy.deepcopy(rendered(doozer_2020, 1)[0])


def daemonset(doozer_2020: bool = False) -> Obj:
    return copy.deepcopy(rendered(doozer_2020)[-1])


def messages(*objects: Obj, doozer_2020: bool = False) -> list[str]:
    return [str(v) for v in find_violations(list(objects), doozer_2020)]


@pytest.mark.parametrize("file_name", SCHEMA_FILES)
def test_bundled_schemas_are_valid_json_schema(file_name: str) -> None:
    assert jsonschema_rs.meta.is_valid(schemas.schema(file_name))
    assert schemas.load(file_name) is schemas.load(file_name)  # compiled once


def test_default_mode_objects_are_valid() -> None:
    objects = rendered(False)
    assert [o["apiVersion"] for o in objects] == ["build.openshift.io/v1"] * 3 + ["apps/v1"]
    assert validate_objects(objects, doozer_2020=False) == []


def test_doozer_2020_objects_are_valid_with_an_inferred_strategy_type() -> None:
    objects = rendered(True)
    assert objects[-1]["spec"]["templateGeneration"] == 1
    assert "type" not in objects[0]["spec"]["strategy"]  # doozer never wrote it
    assert validate_objects(objects, doozer_2020=True) == []
    # the default mode's schema still requires it
    assert STRATEGY_WARNING in messages(objects[0] | {"apiVersion": "build.openshift.io/v1"},
                                        doozer_2020=False)[0]


def test_mode_decides_the_api_versions_accepted() -> None:
    [problem] = messages(buildconfig(doozer_2020=True), doozer_2020=False)
    assert "no schema for apiVersion 'v1' kind 'BuildConfig'" in problem


def set_path(obj: Obj, path: str, value: Any) -> Obj:
    *parents, last = path.split(".")
    node: Any = obj
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return obj


BC = "BuildConfig builder-s0--art-builder"
DS = "DaemonSet art-managed-openshift-4.7-dont-gc-me-bro"


@pytest.mark.parametrize(("path", "value", "expected"), [
    ("spec.strategy.dockerStrategy.from.kind", 5,
     f"{BC}: spec.strategy.dockerStrategy.from.kind: 5 is not of type \"string\""),
    ("spec.strategy.dockerStrategy.imageOptimisationPolicy", "SkipLayers",
     f"{BC}: spec.strategy.dockerStrategy: Additional properties are not allowed "
     "('imageOptimisationPolicy' was unexpected)"),
    ("spec.strategy", KeyError, f'{BC}: spec: "strategy" is a required property'),
    ("spec.strategy.type", KeyError, f"{BC}: {STRATEGY_WARNING}"),
    ("spec.output.to", "ocp/builder:s0",
     f'{BC}: spec.output.to: "ocp/builder:s0" is not of type "object"'),
    ("spec.successfulBuildsHistoryLimit", "2",
     f'{BC}: spec.successfulBuildsHistoryLimit: "2" is not of type "integer"'),
    ("metadata.labels.art-builder-group", None,
     f'{BC}: metadata.labels.art-builder-group: null is not of type "string"'),
])
def test_broken_buildconfig(path: str, value: Any, expected: str) -> None:
    assert messages(set_path(buildconfig(), path, value)) == [expected]


@pytest.mark.parametrize(("path", "value", "expected"), [
    ("spec.selector", KeyError, f'{DS}: spec: "selector" is a required property'),
    ("spec.template.spec.containers.1.name", KeyError,
     f'{DS}: spec.template.spec.containers[1]: "name" is a required property'),
    ("spec.templateGeneration", 1, f"{DS}: spec: Additional properties are not allowed "
     "('templateGeneration' was unexpected)"),
    ("spec.template.spec.containers.2.imagePullPolicy", 1,
     f'{DS}: spec.template.spec.containers[2].imagePullPolicy: 1 is not of types "null", '
     '"string"'),
])
def test_broken_apps_v1_daemonset(path: str, value: Any, expected: str) -> None:
    assert messages(set_path(daemonset(), path, value)) == [expected]


def test_broken_extensions_v1beta1_daemonset() -> None:
    ds = set_path(daemonset(doozer_2020=True), "spec.template.spec.containers.0.name", KeyError)
    assert messages(ds, doozer_2020=True) == [
        f'{DS}: spec.template.spec.containers[0]: "name" is a required property']


def test_every_object_is_checked() -> None:
    objects = rendered(False)
    objects[1]["spec"]["strategy"]["dockerStrategy"]["from"]["kind"] = 5
    objects[2]["spec"]["source"]["dockerfile"] = ["not", "text"]
    assert messages(*objects) == [
        "BuildConfig builder-s1--art-builder: spec.strategy.dockerStrategy.from.kind: "
        '5 is not of type "string"',
        "BuildConfig builder-s2--art-builder: spec.source.dockerfile: [\"not\",\"text\"] "
        'is not of type "string"']


def test_alike_list_items_are_reported_at_their_own_indices() -> None:
    ds = daemonset()
    containers = ds["spec"]["template"]["spec"]["containers"]
    containers += copy.deepcopy(containers)  # six containers of one shape
    for index in (0, 4):
        containers[index]["resources"] = {"requests": {"cpu": "50m"}, "limit": {}}
    assert messages(ds) == [
        f"{DS}: spec.template.spec.containers[{i}].resources: Additional properties are not "
        "allowed ('limit' was unexpected)" for i in (0, 4)]


def test_a_long_value_is_cut_in_the_message() -> None:
    bc = set_path(buildconfig(), "spec.source.dockerfile", ["y" * 200])
    assert messages(bc) == [f'{BC}: spec.source.dockerfile: ["{"y" * 55}... is not of type "string"']


def test_identical_problems_are_merged_in_the_summary() -> None:
    objects = [set_path(o, "spec.runPolicy", 1) for o in rendered(False, 5)[:5]]
    assert validate_objects(objects, doozer_2020=False) == [
        "BuildConfig builder-s0--art-builder, builder-s1--art-builder, "
        'builder-s2--art-builder and 2 more: spec.runPolicy: 1 is not of type "string"']


CORPUS_2020 = corpus_dirs("*_2020-11-30")


@pytest.mark.skipif(not CORPUS_2020, reason="shared corpus not present")
@pytest.mark.parametrize("data_dir", CORPUS_2020, ids=lambda p: p.name)
@pytest.mark.parametrize("compat", [None, app.COMPAT_DOOZER_2020])
def test_corpus_objects_validate(data_dir: Path, compat: str | None) -> None:
    request = app.GenerateRequest(app.Source(str(data_dir), group_of(data_dir)),
                                  output="-", compat=compat)
    objects = app.render_request(request, Problems()).objects
    problems = [v for v in find_violations(objects, compat is not None)
                if compat is None or f"{v.path}: {v.message}" != STRATEGY_WARNING]
    assert [str(p) for p in problems] == []


def test_doozer_2026_buildconfigs_validate_without_a_strategy_type() -> None:
    bc = buildconfig()
    del bc["spec"]["strategy"]["type"]  # doozer never wrote it; the server infers it
    assert find_violations([bc], False, doozer_2026=True) == []
    assert messages(bc) == [f"{BC}: {STRATEGY_WARNING}"]  # the default mode writes it
