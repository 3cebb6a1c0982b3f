"""--push-to qci|imagestream, --qci-repo and --push-secret from the command line (issue 17).

The bytes of each target are pinned by tests/cases (expected-qci.yaml, expected-imagestream.yaml)
and the cluster behaviour by tests/cluster/test_targets.py; these are the options themselves,
their usage errors, and `check` for both targets.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from cistreams import options
from cistreams.render import qci
from helpers import EXAMPLE, run_cli

BAD = Path(__file__).parent / "bad_inputs"


def gen(*args: str, out: Path) -> tuple[int, str, list[dict[str, Any]]]:
    result = run_cli("--data-path", str(EXAMPLE), "-g", "openshift-4.7", "gen-buildconfigs",
                     "-o", str(out), *args)
    docs = list(yaml.safe_load_all(out.read_text())) if result.code == 0 else []
    return result.code, result.stderr, docs


def test_qci_repo_and_push_secret_land_in_every_buildconfig(tmp_path: Path) -> None:
    code, stderr, docs = gen("--qci-repo", "registry.example.com:5000/art/ci",
                             "--push-secret", "my-push-secret", out=tmp_path / "o.yaml")
    assert code == 0, stderr
    assert len(docs) == 6 and {d["kind"] for d in docs} == {"BuildConfig"}
    for bc in docs:
        tag = bc["metadata"]["labels"]["art-builder-qci-tag"]
        assert bc["spec"]["output"] == {
            "to": {"kind": "DockerImage", "name": f"registry.example.com:5000/art/ci:{tag}"},
            "pushSecret": {"name": "my-push-secret"}}
    assert stderr.endswith("wrote 6 BuildConfigs to " + str(tmp_path / "o.yaml") + "\n")


def test_imagestream_keeps_the_daemonset_unless_asked(tmp_path: Path) -> None:
    _, _, docs = gen("--push-to", "imagestream", out=tmp_path / "a.yaml")
    assert [d["kind"] for d in docs].count("DaemonSet") == 1
    _, _, docs = gen("--push-to", "imagestream", "--no-daemonset", out=tmp_path / "b.yaml")
    assert {d["kind"] for d in docs} == {"BuildConfig"}


@pytest.mark.parametrize(("args", "message"), [
    (["--compat", "doozer-2020", "--push-to", "qci"], "--push-to qci needs a mode that knows QCI"),
    (["--compat", "doozer-2026", "--push-to", "imagestream"],
     "--push-to imagestream does not go with --compat doozer-2026"),
    (["--push-to", "imagestream", "--qci-repo", "quay.io/x/y"], "--qci-repo needs --push-to qci"),
    (["--compat", "doozer-2020", "--push-secret", "s"], "--push-secret needs --push-to qci"),
    (["--qci-repo", "quay.io/openshift/ci:latest"], "is not a repository"),
    (["--qci-repo", "openshift/ci"], "must start with a registry host"),
    (["--qci-repo", "quay.io"], "is not a repository"),
    (["--push-secret", "Not_A_Name"], "--push-secret: 'Not_A_Name' is not a valid object name"),
])
def test_impossible_combinations_are_usage_errors(tmp_path: Path, args: list[str],
                                                  message: str) -> None:
    code, stderr, _ = gen(*args, out=tmp_path / "o.yaml")
    assert code == 2, stderr
    assert message in stderr.splitlines()[-1]
    assert not (tmp_path / "o.yaml").exists()


def test_doozer_2020_defaults_to_imagestreams(tmp_path: Path) -> None:
    code, stderr, docs = gen("--compat", "doozer-2020", out=tmp_path / "o.yaml")
    assert code == 0, stderr
    assert docs[0]["apiVersion"] == "v1" and docs[0]["spec"]["output"]["to"]["kind"] == "ImageStreamTag"
    assert options.push_target(options.COMPAT_DOOZER_2020, None) == options.IMAGESTREAM_TARGET
    assert options.push_target(options.COMPAT_DOOZER_2026, None) == options.PushTarget()
    assert options.push_target(None, None).qci


def test_check_validates_the_target_it_is_given(tmp_path: Path) -> None:
    """A tag that is fine as an imagestream tag but too long for the QCI label: check fails
    for the default target and passes for --push-to imagestream."""
    data = tmp_path / "data"
    shutil.copytree(BAD / "_base", data)
    shutil.copyfile(BAD / "qci-tag-over-63-characters" / "data" / "streams.yml",
                    data / "streams.yml")
    qci_run = run_cli("check", "--data-path", str(data), "-g", "openshift-4.17")
    assert qci_run.code == 1
    assert "art-builder-qci-tag label" in qci_run.stderr and "69 characters" in qci_run.stderr
    plain = run_cli("check", "--data-path", str(data), "-g", "openshift-4.17",
                    "--push-to", "imagestream")
    assert (plain.code, plain.stdout) == (0, "openshift-4.17: ok, 1 BuildConfig(s), 0 warning(s)\n")


@pytest.mark.parametrize(("tag", "problem"), [
    ("art-builder-4.17-rhel-9", None),
    ("art-builder-4.17-" + "x" * 46, None),  # 63 characters
    ("art-builder-4.17-" + "x" * 47, "64 characters; label values allow 63"),
    ("art-builder-4.17-" + "x" * 112, "is not a valid image tag"),  # 129 characters
    ("art-builder-4.17-a:b", "is not a valid image tag"),
])
def test_qci_tag_rules(tag: str, problem: str | None) -> None:
    found = qci.tag_problem(tag)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_check_in_doozer_2026_mode() -> None:
    data = Path(__file__).parent / "cases" / "doozer-2026-block-style" / "data"
    result = run_cli("check", "--data-path", str(data), "-g", "openshift-4.19",
                     "--compat", "doozer-2026")
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("openshift-4.19: ok, 5 BuildConfig(s), 0 warning(s)")
    # doozer omits strategy.type (the server infers it): that is valid in this mode
    assert "strategy" not in result.stderr
