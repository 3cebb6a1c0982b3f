"""The quick check may only ever say "valid" when jsonschema agrees."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

from cistreams.schemas import validate as schemas
from cistreams.schemas.quick import certainly_valid
from helpers import EXAMPLE, run_cli

SCHEMAS = ["buildconfig-build.openshift.io-v1.json", "daemonset-apps-v1.json",
           "daemonset-extensions-v1beta1.json",
           "buildconfig-build.openshift.io-v1.json#strategy-type-inferred"]


def rendered(tmp: Path, *mode: str) -> list[dict[str, Any]]:
    out = tmp / "o.yaml"
    assert run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                   *mode, "-o", str(out)).code == 0
    return [d for d in yaml.safe_load_all(out.read_text()) if d]


def test_our_objects_take_the_quick_path(tmp_path: Path) -> None:
    default, legacy = rendered(tmp_path), rendered(tmp_path, "--compat", "doozer-2020")
    for objects, (bc_schema, ds_schema) in ((default, (SCHEMAS[0], SCHEMAS[1])),
                                            (legacy, (SCHEMAS[3], SCHEMAS[2]))):
        *buildconfigs, daemonset = objects
        for obj in buildconfigs:
            assert certainly_valid(schemas.load(bc_schema).schema, obj), obj["metadata"]["name"]
        assert certainly_valid(schemas.load(ds_schema).schema, daemonset)


PATHS = [("spec",), ("metadata", "labels"), ("spec", "strategy"), ("spec", "triggers"),
         ("spec", "template", "spec", "containers"), ("spec", "selector"), ("metadata",)]
VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                   st.text(max_size=5), st.just([]), st.just({}), st.just([{}]),
                   st.just({"x": 1}), st.just({"type": "Docker"}), st.just(["a"]))


@settings(max_examples=300, deadline=None)
@given(which=st.integers(0, 3), path=st.sampled_from(PATHS), key=st.text(max_size=12),
       value=VALUES, delete=st.booleans())
def test_certainly_valid_implies_jsonschema_valid(which: int, path: tuple[str, ...], key: str,
                                                  value: Any, delete: bool) -> None:
    base = SAMPLES[which]
    obj = copy.deepcopy(base[0])
    node: Any = obj
    for part in path:
        if not isinstance(node, dict) or part not in node:
            break
        node = node[part]
    target = node[0] if isinstance(node, list) and node and isinstance(node[0], dict) else node
    if isinstance(target, dict):
        if delete and target:
            del target[sorted(target)[len(key) % len(target)]]
        else:
            target[key or "type"] = value
    loaded = schemas.load(base[1]).schema
    if certainly_valid(loaded, obj):
        assert not list(Draft202012Validator(loaded).iter_errors(obj))


def _samples() -> list[tuple[dict[str, Any], str]]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        default = rendered(Path(tmp))
        legacy = rendered(Path(tmp), "--compat", "doozer-2020")
    return [(default[0], SCHEMAS[0]), (default[-1], SCHEMAS[1]), (legacy[-1], SCHEMAS[2]),
            (legacy[0], SCHEMAS[3])]


SAMPLES = _samples()
