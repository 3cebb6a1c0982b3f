"""The mirror plan, rule by rule (pure: no registry, no cluster), and the JSON patch of an
imagestream tag."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cistreams import yamlio
from cistreams.builddata import model
from cistreams.cluster import imagestreams
from cistreams.errors import Location, Problems
from cistreams.registry import refs
from cistreams.registry.plan import (
    Copy,
    EntryPlan,
    GcTag,
    Settings,
    TagPatch,
    floating_tag,
    gc_tag,
    plan,
    resolve_source,
)
from cistreams.registry.skopeo import AMD64, ARM64, KEEP_LIST
from helpers import Run, run_cli

BREW = model.GroupMirror("brew.io", "rh-osbs", ("x86_64", "aarch64"),
                         Location("group.yml", 40, "urls"))
GROUP = model.Group("openshift-4.17", "4", "17", (), Location("group.yml"), BREW)
X86_ONLY = model.Group("openshift-4.17", "4", "17", (), Location("group.yml"),
                       model.GroupMirror("brew.io", "rh-osbs", ("x86_64",), BREW.location))
CI = "registry.ci.openshift.org"
QCI = refs.parse_repository("quay.io/openshift/ci")
PROXY = "quay-proxy.ci.openshift.org/openshift/ci"
DIGEST = "sha256:" + "0123456789abcdef" * 4
DEFAULTS = Settings()


def entries(text: str, kind: model.EntryKind = "stream") -> list[model.Entry]:
    problems = Problems()
    raw = yamlio.load(text, "streams.yml")
    found = [model.parse_entry(name, value, Location("streams.yml", yamlio.line_of(raw, name),
                                                      name), problems, kind)
             for name, value in raw.items()]
    assert problems.errors == []
    return [entry for entry in found if entry is not None]


def planned(text: str, group: model.Group = GROUP, settings: Settings = DEFAULTS,
            named: bool = False, kind: model.EntryKind = "stream",
            ) -> tuple[list[EntryPlan], list[str], list[str]]:
    problems = Problems()
    plans = plan(group, entries(text, kind), settings, problems, named)
    return plans, [str(e) for e in problems.errors], problems.warnings


def steps(plans: list[EntryPlan]) -> list[list[object]]:
    return [list(target.steps) for entry in plans for target in entry.targets]


def p(text: str) -> refs.Pullspec:
    return refs.parse(text)


def test_only_entries_with_mirror_true() -> None:
    plans, errors, _ = planned("a:\n  image: quay.io/x/a:1\n  upstream_image: quay.io/y/a:1\n"
                               "  mirror: true\n"
                               "b:\n  image: quay.io/x/b:1\n  upstream_image: quay.io/y/b:1\n"
                               "c:\n  image: quay.io/x/c:1\n  upstream_image: quay.io/y/c:1\n"
                               "  mirror: false\n")
    assert errors == [] and [e.name for e in plans] == ["a"]
    assert steps(plans) == [[Copy(p("quay.io/x/a:1"), p("quay.io/y/a:1"), AMD64)]]


def test_force_takes_every_entry_that_goes_upstream() -> None:
    plans, errors, _ = planned("a:\n  image: quay.io/x/a:1\n  upstream_image: quay.io/y/a:1\n"
                               "b:\n  image: quay.io/x/b:1\n  upstream_image: quay.io/y/b:1\n"
                               "  mirror: false\n"
                               "c:\n  transform: rhel-9/golang\n",
                               settings=Settings(force=True))
    assert (errors, [e.name for e in plans]) == ([], ["a", "b"])


def test_upstream_image_is_required() -> None:
    text = "a:\n  image: quay.io/x/a:1\n  mirror: true\nb:\n  image: quay.io/x/b:1\n"
    _, errors, _ = planned(text)
    assert errors == ["streams.yml:1: a.upstream_image: needed to mirror this entry (the "
                      "destination)"]
    _, named_errors, _ = planned(text, settings=Settings(force=True), named=True)
    assert len(named_errors) == 2 and named_errors[1].startswith("streams.yml:4: b.upstream_image")


@pytest.mark.parametrize(("image", "source"), [
    ("quay.io/centos/centos:stream9", "quay.io/centos/centos:stream9"),
    ("openshift/golang-builder:v1.22", "brew.io/rh-osbs/openshift-golang-builder:v1.22"),
    ("openshift/golang-builder", "brew.io/rh-osbs/openshift-golang-builder:latest"),
    ("ubi8@sha256:" + "a" * 64, "brew.io/rh-osbs/ubi8@sha256:" + "a" * 64),
    ("brew.io/ubi8:8", "brew.io/ubi8:8"),
])
def test_the_source_is_a_pullspec_or_a_brew_name(image: str, source: str) -> None:
    assert resolve_source(image, BREW) == source


def test_brew_names_without_a_namespace_and_without_a_host() -> None:
    assert resolve_source("openshift/x:1", model.GroupMirror("b.io", None, (), GROUP.location)) \
        == "b.io/openshift/x:1"
    assert resolve_source("openshift/x:1", model.GroupMirror(None, None, (), GROUP.location)) \
        is None
    nohost = model.Group("g", "4", "17", (), Location("group.yml"),
                         model.GroupMirror(None, None, (), Location("group.yml", 7, "urls")))
    _, errors, _ = planned("a:\n  image: openshift/x:1\n  upstream_image: quay.io/y/a:1\n"
                           "  mirror: true\n", group=nohost)
    assert errors == ["group.yml:7: urls: urls.brew_image_host is needed to resolve image "
                      "'openshift/x:1' of a"]


def test_a_stream_without_image_is_an_error_an_image_entry_a_warning() -> None:
    text = "a:\n  upstream_image: quay.io/y/a:1\n  mirror: true\n"
    assert planned(text)[1] == ["streams.yml:1: a.image: needed to mirror this entry (the "
                                "source image)"]
    plans, errors, warnings = planned(text, kind="image")
    assert (plans, errors) == ([], [])
    assert warnings == ["streams.yml:1: a.image: not mirrored: without `image` in ci_alignment "
                        "the source is ART's latest build of the image, which only ART's build "
                        "database knows"]


BASE = ("s:\n  image: quay.io/art/s:1\n  mirror: true\n"
        "  upstream_image_base: quay.io/ci/builder:s.art\n  upstream_image: quay.io/ci/builder:s\n")


def test_the_base_is_the_destination_and_arm64_follows_with_aarch64() -> None:
    plans, errors, _ = planned(BASE)
    assert errors == []
    assert steps(plans) == [[Copy(p("quay.io/art/s:1"), p("quay.io/ci/builder:s.art"), AMD64)],
                            [Copy(p("quay.io/art/s:1"), p("quay.io/ci/builder:s.art-arm64"),
                                  ARM64)]]
    assert steps(planned(BASE, group=X86_ONLY)[0]) == [
        [Copy(p("quay.io/art/s:1"), p("quay.io/ci/builder:s.art"), AMD64)]]


def test_no_arm64_without_a_base() -> None:
    plans, _, _ = planned("s:\n  image: quay.io/art/s:1\n  mirror: true\n"
                          "  upstream_image: quay.io/ci/builder:s\n")
    assert [t.dest for t in plans[0].targets] == ["quay.io/ci/builder:s"]


def test_live_test_mode_appends_test_after_the_check_name() -> None:
    plans, _, _ = planned(BASE, settings=Settings(live_test=True))
    targets = plans[0].targets
    assert [t.dest for t in targets] == ["quay.io/ci/builder:s.art.test",
                                         "quay.io/ci/builder:s.art.test-arm64"]
    assert [str(t.check) for t in targets] == ["quay.io/ci/builder:s.art",
                                               "quay.io/ci/builder:s.art-arm64"]


def test_a_kept_manifest_list() -> None:
    plans, _, _ = planned("s:\n  image: quay.io/art/s:1\n  mirror: true\n"
                          "  mirror_manifest_list: true\n  upstream_image: quay.io/ibm/s:1\n")
    assert steps(plans) == [[Copy(p("quay.io/art/s:1"), p("quay.io/ibm/s:1"), KEEP_LIST)]]


def test_upstream_image_mirror_copies_upstream_image_last() -> None:
    plans, _, _ = planned(BASE + "  upstream_image_mirror:\n  - quay.io/priv/builder:s\n"
                          "  - quay.io/priv2/builder:s\n", settings=Settings(live_test=True))
    assert [t.dest for t in plans[0].targets][2:] == ["quay.io/priv/builder:s",
                                                      "quay.io/priv2/builder:s"]
    assert steps(plans)[2:] == [[Copy(p("quay.io/ci/builder:s"), p("quay.io/priv/builder:s"),
                                      AMD64)],
                                [Copy(p("quay.io/ci/builder:s"), p("quay.io/priv2/builder:s"),
                                      AMD64)]]


def test_the_qci_route() -> None:
    plans, errors, _ = planned(f"s:\n  image: quay.io/art/s:1\n  mirror: true\n"
                               f"  upstream_image: {CI}/ocp/4.17:base-rhel9\n"
                               f"  upstream_image_mirror: [{CI}/ocp-private/4.17-priv:base-rhel9]\n")
    assert errors == []
    assert steps(plans) == [
        [Copy(p("quay.io/art/s:1"), QCI.with_tag("art__ocp_4.17_base-rhel9"), AMD64), GcTag(QCI),
         TagPatch("ocp", "4.17", "base-rhel9", PROXY)],
        [Copy(p(f"{CI}/ocp/4.17:base-rhel9"), QCI.with_tag("art__ocp-private_4.17-priv_base-rhel9"),
              AMD64), GcTag(QCI), TagPatch("ocp-private", "4.17-priv", "base-rhel9", PROXY)]]
    assert str(plans[0].targets[0].check) == f"{CI}/ocp/4.17:base-rhel9"


def test_the_qci_route_follows_the_options() -> None:
    settings = Settings(ci_registry="127.0.0.1:5001", qci_repo="127.0.0.1:5001/openshift/ci",
                        qci_proxy="proxy.test/openshift/ci")
    plans, _, _ = planned("s:\n  image: quay.io/art/s:1\n  mirror: true\n"
                          "  upstream_image: 127.0.0.1:5001/ocp/builder:x\n"
                          "  upstream_image_mirror: [registry.ci.openshift.org/ocp/builder:x]\n",
                          settings=settings)
    qci = refs.parse_repository("127.0.0.1:5001/openshift/ci")
    assert steps(plans) == [
        [Copy(p("quay.io/art/s:1"), qci.with_tag("art__ocp_builder_x"), AMD64), GcTag(qci),
         TagPatch("ocp", "builder", "x", "proxy.test/openshift/ci")],
        [Copy(p("127.0.0.1:5001/ocp/builder:x"), p("registry.ci.openshift.org/ocp/builder:x"),
              AMD64)]]


def test_qci_tags() -> None:
    assert floating_tag("ocp", "4.17", "base-rhel9.test") == "art__ocp_4.17_base-rhel9.test"
    assert gc_tag(DIGEST) == "art__0123456789abcdef"
    assert GcTag(QCI).dest(DIGEST) == QCI.with_tag("art__0123456789abcdef")
    assert TagPatch("ocp", "4.17", "t", PROXY).reference(DIGEST) == f"{PROXY}@{DIGEST}"


@pytest.mark.parametrize(("upstream", "error"), [
    (f"{CI}/builder:x", f"'{CI}/builder:x': a destination in {CI} must be "
                        "REGISTRY/NAMESPACE/IMAGESTREAM:TAG"),
    (f"{CI}/ocp/{'b' * 60}:{'t' * 60}", "is longer than the 128 characters a tag may have"),
    (f"quay.io/y/a@sha256:{'a' * 64}", "a destination needs a tag, not a digest"),
    ("builder:x", "'builder:x': needs a registry host first"),
])
def test_bad_destinations_point_at_their_line(upstream: str, error: str) -> None:
    plans, errors, _ = planned(f"a:\n  image: quay.io/x/a:1\n  mirror: true\n"
                               f"  upstream_image: {upstream}\n")
    assert plans == [] and len(errors) == 1
    assert errors[0].startswith("streams.yml:4: a.upstream_image: ") and error in errors[0]


def test_every_mistake_of_an_entry_is_reported_once() -> None:
    _, errors, _ = planned("a:\n  image: 'bad image'\n  mirror: true\n  upstream_image: up\n"
                           "  upstream_image_mirror: [nohost]\n")
    assert [e.split(": ")[1] for e in errors] == ["a.image", "a.upstream_image",
                                                  "a.upstream_image_mirror"]


# -- the imagestream tag patch ------------------------------------------------------------

REF = f"{PROXY}@{DIGEST}"


def stream(*tags: dict[str, object]) -> dict[str, object]:
    return {"metadata": {"resourceVersion": "7"}, "spec": {"tags": list(tags)}}


def test_a_tag_is_replaced_at_its_index_with_a_test_of_its_name() -> None:
    ops = imagestreams.operations(stream({"name": "a"}, {"name": "b"}), "b", REF)
    assert ops == [{"op": "test", "path": "/spec/tags/1/name", "value": "b"},
                   {"op": "replace", "path": "/spec/tags/1",
                    "value": imagestreams.tag_reference("b", REF)}]
    assert imagestreams.tag_reference("b", REF) == {
        "name": "b", "from": {"kind": "DockerImage", "name": REF},
        "referencePolicy": {"type": "Source"}, "importPolicy": {"importMode": "PreserveOriginal"}}


def test_a_new_tag_is_added_with_a_test_of_the_whole_list() -> None:
    ops = imagestreams.operations(stream({"name": "a"}), "b", REF)
    assert ops == [{"op": "test", "path": "/spec/tags", "value": [{"name": "a"}]},
                   {"op": "add", "path": "/spec/tags/-",
                    "value": imagestreams.tag_reference("b", REF)}]


def test_no_list_yet_is_guarded_by_the_resource_version() -> None:
    guard = {"op": "test", "path": "/metadata/resourceVersion", "value": "7"}
    wanted = imagestreams.tag_reference("b", REF)
    assert imagestreams.operations({"metadata": {"resourceVersion": "7"}, "spec": {}}, "b", REF) \
        == [guard, {"op": "add", "path": "/spec/tags", "value": [wanted]}]
    assert imagestreams.operations({"metadata": {"resourceVersion": "7"}}, "b", REF) \
        == [guard, {"op": "add", "path": "/spec", "value": {"tags": [wanted]}}]


def test_a_tag_that_already_points_there_needs_no_patch() -> None:
    current = {**imagestreams.tag_reference("b", REF), "generation": 3, "annotations": None}
    assert imagestreams.operations(stream(current), "b", REF) is None
    moved = {**current, "from": {"kind": "DockerImage", "name": f"{PROXY}@sha256:{'f' * 64}"}}
    assert imagestreams.operations(stream(moved), "b", REF) is not None


# -- the command line, without registries ---------------------------------------------------


def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "group.yml").write_text(
        "name: openshift-4.17\nvars: {MAJOR: 4, MINOR: 17}\narches: [x86_64]\n"
        "urls: {brew_image_host: brew.io, brew_image_namespace: rh-osbs}\n", encoding="utf-8")
    (tmp_path / "streams.yml").write_text(
        "s:\n  image: openshift/s:1\n  mirror: true\n"
        f"  upstream_image: {CI}/ocp/4.17:s\n", encoding="utf-8")
    return tmp_path


def mirror_cli(tmp_path: Path, *extra: str) -> Run:
    return run_cli("mirror", "--data-path", str(data_dir(tmp_path)), "-g", "openshift-4.17",
                   *extra)


def test_dry_run_lists_the_steps_without_skopeo_or_a_cluster(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    done = mirror_cli(tmp_path, "--dry-run")
    assert (done.code, done.stdout.splitlines()) == (0, [
        "would copy brew.io/rh-osbs/openshift-s:1 -> quay.io/openshift/ci:art__ocp_4.17_s "
        "(linux/amd64)",
        "would copy quay.io/openshift/ci@<digest> -> quay.io/openshift/ci:art__<16 hex of the "
        "digest>",
        f"would patch imagestream ocp/4.17:s -> {PROXY}@<digest> (referencePolicy Source, "
        "importMode PreserveOriginal)"])
    assert done.stderr == "dry run, 1 entry: 3 steps listed, 0 present, 0 errors; nothing was " \
                          "copied or patched\n"


def test_without_skopeo_nothing_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    done = mirror_cli(tmp_path)
    assert (done.code, done.stdout) == (1, "")
    assert done.stderr == "error: skopeo: not found on PATH (apt-get install skopeo)\n"


def test_without_a_kubeconfig_nothing_is_copied(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "skopeo").write_text("#!/bin/sh\necho ran >> \"$0.log\"\nexit 1\n", encoding="utf-8")
    (fake / "skopeo").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    done = mirror_cli(tmp_path, "--kubeconfig", str(tmp_path / "nothing"))
    assert done.code == 1 and "kubeconfig" in done.stderr and "nothing" in done.stderr
    assert not (fake / "skopeo.log").exists()  # skopeo never ran


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--qci-repo", "quay.io/openshift/ci:tag", "must be a repository, without a tag"),
    ("--qci-proxy", "proxy", "needs a registry host first"),
    ("--ci-registry", "registry.ci.openshift.org/ocp", "is not a registry host"),
    ("--registry-config-dir", ".", "no config.json in ."),
])
def test_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str, value: str,
                      message: str) -> None:
    monkeypatch.chdir(tmp_path)
    done = mirror_cli(tmp_path, option, value)
    assert done.code == 2 and message in done.stderr and done.stdout == ""


def test_mistakes_in_the_build_data_stop_before_any_step(tmp_path: Path) -> None:
    data = data_dir(tmp_path)
    (data / "streams.yml").write_text("s:\n  image: openshift/s:1\n  mirror: true\n",
                                      encoding="utf-8")
    done = run_cli("mirror", "--data-path", str(data), "-g", "openshift-4.17", "--dry-run")
    assert (done.code, done.stdout) == (1, "")
    assert done.stderr == "error: streams.yml:1: s.upstream_image: needed to mirror this entry " \
                          "(the destination)\n"


def test_ctrl_c_stops_at_once(tmp_path: Path) -> None:
    """SIGINT while copies are in flight: exit 130 without waiting for them (a cut run is
    safe to repeat)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "skopeo").write_text("#!/bin/sh\necho started >> \"$0.log\"\nsleep 60\n",
                                 encoding="utf-8")
    (fake / "skopeo").chmod(0o755)
    (tmp_path / "data").mkdir()
    data = data_dir(tmp_path / "data")
    (data / "streams.yml").write_text("".join(
        f"s{i}:\n  image: quay.io/x/s:{i}\n  mirror: true\n  upstream_image: quay.io/y/s:{i}\n"
        for i in range(4)), encoding="utf-8")
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}
    process = subprocess.Popen([sys.executable, "-m", "cistreams", "mirror", "--data-path",
                                str(data), "-g", "openshift-4.17"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        log = fake / "skopeo.log"
        for _ in range(200):  # the copies have started
            if log.exists() and len(log.read_text(encoding="utf-8").splitlines()) == 4:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)  # far less than the copies' 60 s
        assert process.returncode == 130 and err.endswith("aborted\n")
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the fake copies, still asleep
        process.wait()


def test_a_tag_that_already_says_it_all_is_left_alone() -> None:
    wanted = imagestreams.tag_reference("b", REF)
    current = {**wanted, "generation": 3, "annotations": None}  # what the server adds
    assert imagestreams.operations(stream({"name": "a"}, current), "b", REF) is None


@pytest.mark.parametrize(("key", "inner", "other"), [
    ("from", "kind", "ImageStreamTag"), ("from", "name", f"{PROXY}@sha256:{'1' * 64}"),
    ("referencePolicy", "type", "Local"), ("importPolicy", "importMode", "Legacy")])
def test_a_tag_that_differs_in_any_field_is_replaced(key: str, inner: str, other: str) -> None:
    wanted = imagestreams.tag_reference("b", REF)
    current: dict[str, object] = {**wanted, key: {**wanted[key], inner: other}}
    ops = imagestreams.operations(stream(current), "b", REF)
    assert ops is not None and ops[-1] == {"op": "replace", "path": "/spec/tags/0",
                                           "value": wanted}
    bare: dict[str, object] = {"name": "b", key: "not a mapping"}
    assert imagestreams.operations(stream(bare), "b", REF) is not None


class PatchApi:
    """An ImageStream read as `stream`; each patch answers the next of `answers`."""

    def __init__(self, *answers: object) -> None:
        from cistreams.cluster.api import Answer

        self.answer = Answer
        self.answers = list(answers)
        self.patches = 0

    def get(self, path: str) -> object:
        return self.answer(200, stream({"name": "a"}))

    def json_patch(self, path: str, ops: object, dry_run: bool) -> object:
        self.patches += 1
        return self.answers.pop(0)


def test_a_failed_test_op_is_read_again_and_a_schema_refusal_is_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from cistreams.cluster.api import Answer

    monkeypatch.setattr("cistreams.cluster.imagestreams.time.sleep", lambda seconds: None)
    moved = PatchApi(Answer(422, {"message": "the test operation failed"}), Answer(200, {}))
    assert imagestreams.point_tag(moved, "ocp", "builder", "b", REF) == imagestreams.ADDED  # type: ignore[arg-type]
    assert moved.patches == 2
    schema = PatchApi(Answer(422, {"message": "invalid", "details": {
        "causes": [{"field": "spec.tags[1].from"}]}}))
    with pytest.raises(imagestreams.PatchRefused, match="tag b not patched"):
        imagestreams.point_tag(schema, "ocp", "builder", "b", REF)  # type: ignore[arg-type]
    assert schema.patches == 1
    other = PatchApi(Answer(409, {"message": "conflict"}))
    with pytest.raises(imagestreams.PatchRefused):
        imagestreams.point_tag(other, "ocp", "builder", "b", REF)  # type: ignore[arg-type]
    assert other.patches == 1
    never = PatchApi(*[Answer(422, {}) for _ in range(imagestreams.ROUNDS)])
    with pytest.raises(imagestreams.PatchRefused, match=f"every one of {imagestreams.ROUNDS} tries"):
        imagestreams.point_tag(never, "ocp", "builder", "b", REF)  # type: ignore[arg-type]
    assert never.patches == imagestreams.ROUNDS
