"""--apply and diff against a real kube-apiserver (the session's TestCluster).

Every test starts from a cluster with no BuildConfigs or DaemonSets (`clean_cluster`) and
drives the CLI in-process, as a release job would, then looks at the cluster itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cistreams.cluster import kinds, prepare_apply
from cistreams.options import IMAGESTREAM_TARGET, ApplyOptions, ConnectionOptions
from cluster.conftest import (
    BC,
    DAEMONSET,
    FIRST_BC,
    GOLANG_BC,
    GROUP,
    IMAGESTREAM,
    gen,
    live,
    report_lines,
    versions,
)
from cluster.testcluster import TestCluster
from helpers import EXAMPLE, corpus_dirs, group_of, run_cli


def test_first_apply_creates_everything_and_a_second_changes_nothing(
        clean_cluster: TestCluster, data: Path) -> None:
    first = gen(clean_cluster, data)
    assert first.code == 0, first.stderr
    lines = report_lines(first)
    assert len(lines) == 7 and all(line.endswith(" created") for line in lines), lines
    assert f"daemonset.apps/{DAEMONSET} created" in lines
    assert "7 created, 0 configured, 0 unchanged" in first.stderr
    before = versions(clean_cluster)
    assert len(before) == 7
    second = gen(clean_cluster, data)
    assert second.code == 0, second.stderr
    assert all(line.endswith(" unchanged") for line in report_lines(second))
    assert "0 created, 0 configured, 7 unchanged" in second.stderr
    assert versions(clean_cluster) == before  # unchanged means the resourceVersion did not move


def test_objects_carry_what_was_rendered_and_belong_to_cistreams(
        clean_cluster: TestCluster, data: Path) -> None:
    assert gen(clean_cluster, data).code == 0
    golang = live(clean_cluster)[GOLANG_BC]
    assert golang["spec"]["strategy"]["type"] == "Docker"
    assert "FROM" in golang["spec"]["source"]["dockerfile"]
    managers = {e["manager"]: e["operation"] for e in golang["metadata"]["managedFields"]}
    assert managers == {"cistreams": "Apply"}


def test_a_changed_stream_configures_exactly_that_object(
        clean_cluster: TestCluster, data: Path) -> None:
    assert gen(clean_cluster, data).code == 0
    before = versions(clean_cluster)
    streams = data / "streams.yml"
    streams.write_text(streams.read_text().replace(
        "  transform: rhel-8/golang\n", "  transform: rhel-8/golang\n  final_user: '1001'\n"))
    run = gen(clean_cluster, data)
    assert run.code == 0, run.stderr
    changed = [line for line in report_lines(run) if not line.endswith(" unchanged")]
    assert changed == [f"buildconfig.build.openshift.io/{GOLANG_BC} configured"]
    after = versions(clean_cluster)
    assert {n for n in after if after[n] != before[n]} == {GOLANG_BC}
    assert "USER 1001" in live(clean_cluster)[GOLANG_BC]["spec"]["source"]["dockerfile"]


def test_a_hand_edit_is_reported_as_drift_and_set_back(
        clean_cluster: TestCluster, data: Path) -> None:
    assert gen(clean_cluster, data).code == 0
    edited = clean_cluster.kubectl("-n", "ci", "patch", "buildconfig", GOLANG_BC, "--type=merge",
                                   "-p", '{"spec":{"runPolicy":"Parallel"},'
                                         '"metadata":{"labels":{"hand":"made"}}}')
    assert edited.returncode == 0, edited.stderr
    assert live(clean_cluster)[GOLANG_BC]["spec"]["runPolicy"] == "Parallel"
    run = gen(clean_cluster, data)
    assert run.code == 0, run.stderr
    assert (f"buildconfig.build.openshift.io/{GOLANG_BC} configured (drifted: fields changed "
            "by kubectl-patch set back)") in report_lines(run)
    assert "6 unchanged (1 taken over or set back)" in run.stderr
    restored = live(clean_cluster)[GOLANG_BC]
    assert restored["spec"].get("runPolicy") != "Parallel"
    assert "hand" not in restored["metadata"].get("labels", {})  # added by hand: removed
    assert {e["manager"] for e in restored["metadata"]["managedFields"]} == {"cistreams"}
    again = gen(clean_cluster, data)
    assert all(line.endswith(" unchanged") for line in report_lines(again)), again.stderr


def test_objects_written_by_kubectl_apply_are_taken_over_in_one_run(
        clean_cluster: TestCluster, data: Path, tmp_path: Path) -> None:
    """doozer ran `oc apply -f FILE`: client-side apply with its last-applied annotation."""
    out = tmp_path / "doozer.yaml"
    assert run_cli("--data-path", str(data), "-g", GROUP, "gen-buildconfigs", *IMAGESTREAM,
                   "-o", str(out)).code == 0
    applied = clean_cluster.kubectl("apply", "-f", str(out))
    assert applied.returncode == 0, applied.stderr
    annotation = "kubectl.kubernetes.io/last-applied-configuration"
    assert annotation in live(clean_cluster)[GOLANG_BC]["metadata"]["annotations"]
    run = gen(clean_cluster, data)
    assert run.code == 0, run.stderr
    lines = report_lines(run)
    assert len(lines) == 7 and all(line.endswith(" configured (taken over from kubectl apply)")
                                   for line in lines), lines
    for obj in live(clean_cluster).values():
        assert annotation not in obj["metadata"].get("annotations", {})
        assert {e["manager"] for e in obj["metadata"]["managedFields"]} == {"cistreams"}
    again = gen(clean_cluster, data)
    assert all(line.endswith(" unchanged") for line in report_lines(again)), again.stderr


def test_nobody_is_refused_and_nothing_is_written(
        clean_cluster: TestCluster, data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    out.write_text("previous\n")
    run = gen(clean_cluster, data, "--as", "nobody", out=out)
    assert run.code == 1
    # one line for each cause (the right to read BuildConfigs, DaemonSets), with its count
    forbidden = ('refused by the server: HTTP 403: {plural} "{name}" is forbidden: User "nobody" '
                 'cannot get resource "{resource}" in API group "{group}" in the namespace "ci"')
    assert run.stderr.splitlines() == [
        "error: nothing was applied: the server refused 7 of 7 objects in a dry run",
        f"error: 6 objects (buildconfig.build.openshift.io/{FIRST_BC} and 5 more): "
        + forbidden.format(plural="buildconfigs.build.openshift.io", name=FIRST_BC,
                           resource="buildconfigs", group="build.openshift.io"),
        f"error: daemonset.apps/{DAEMONSET}: "
        + forbidden.format(plural="daemonsets.apps", name=DAEMONSET, resource="daemonsets",
                           group="apps")]
    assert live(clean_cluster) == {}
    assert out.read_text() == "previous\n"  # a refused apply leaves the output file too


def wrong_token(cluster: TestCluster, folder: Path) -> Path:
    """A kubeconfig for the cluster whose token the server does not know."""
    path = folder / "wrong-token"
    path.write_text(cluster.kubeconfig("admin").read_text().replace(cluster.token("admin"),
                                                                     "not-a-token"))
    return path


def test_a_rejected_token_is_one_line_with_the_count(
        clean_cluster: TestCluster, data: Path, tmp_path: Path) -> None:
    kubeconfig = wrong_token(clean_cluster, tmp_path)
    out = tmp_path / "out.yaml"
    run = run_cli("--data-path", str(data), "-g", GROUP, "gen-buildconfigs", "-o", str(out),
                  *IMAGESTREAM, "--apply", "--kubeconfig", str(kubeconfig))
    assert run.code == 1
    assert run.stderr.splitlines() == [
        f"error: {clean_cluster.server}: the credentials of kubeconfig {kubeconfig}, context "
        "admin were rejected (HTTP 401: Unauthorized); log in again or renew the token; nothing "
        "was applied (7 objects)"]
    assert not out.exists() and live(clean_cluster) == {}
    diff = run_cli("--data-path", str(data), "-g", GROUP, "diff", *IMAGESTREAM, "--kubeconfig",
                   str(kubeconfig))
    assert diff.code == 2
    [line] = diff.stderr.splitlines()
    assert line.endswith("were rejected (HTTP 401: Unauthorized); log in again or renew the "
                         "token; nothing was compared (7 objects)"), line


def test_a_user_without_daemonset_rights_writes_nothing_at_all(
        clean_cluster: TestCluster, data: Path) -> None:
    run = gen(clean_cluster, data, user="bc-only")
    assert run.code == 1
    refused = [line for line in run.stderr.splitlines() if "refused by the server" in line]
    assert len(refused) == 1 and refused[0].startswith(f"error: daemonset.apps/{DAEMONSET}:")
    assert "forbidden" in refused[0]
    assert live(clean_cluster) == {}  # the six BuildConfigs it could write were not written


def test_the_publishing_user_of_the_example_role_can_apply(
        clean_cluster: TestCluster, data: Path) -> None:
    run = gen(clean_cluster, data, user="art-publish")
    assert run.code == 0, run.stderr
    assert len(live(clean_cluster)) == 7


def test_an_object_the_server_rejects_stops_the_run_with_its_message(
        clean_cluster: TestCluster, data: Path, tmp_path: Path) -> None:
    from cistreams import app
    from cistreams.errors import CistreamsError, Problems
    from cistreams.options import GenerateRequest, Source

    request = GenerateRequest(Source(str(data), GROUP), "-", push=IMAGESTREAM_TARGET)
    rendered = app.render_request(request, Problems())
    objects = rendered.objects
    objects[2]["spec"]["runPolicy"] = 5  # the CRD's schema says string
    options = ApplyOptions(ConnectionOptions(str(clean_cluster.kubeconfig("admin"))))
    with pytest.raises(CistreamsError) as raised:
        prepare_apply(objects, options, None)
    message = str(raised.value)
    assert "refused 1 of 7 objects" in message
    # kube-apiserver 1.20 answers a type error in an apply patch with 500, later ones 422
    assert f"{objects[2]['metadata']['name']}: refused by the server: HTTP " in message
    assert ".spec.runPolicy: expected string" in message
    assert live(clean_cluster) == {}


def test_dry_run_reports_and_changes_nothing(
        clean_cluster: TestCluster, data: Path) -> None:
    run = gen(clean_cluster, data, "--dry-run")
    assert run.code == 0, run.stderr
    lines = report_lines(run)
    assert len(lines) == 7 and all(line.endswith(" created (server dry run)") for line in lines)
    assert "would apply 7 objects" in run.stderr
    assert live(clean_cluster) == {}
    assert (data.parent / "out.yaml").read_text().count("kind: BuildConfig") == 6


def test_diff_shows_a_pending_change_then_nothing_after_apply(
        clean_cluster: TestCluster, data: Path) -> None:
    kubeconfig = str(clean_cluster.kubeconfig("admin"))
    args = ("--data-path", str(data), "-g", GROUP, "diff", *IMAGESTREAM, "--kubeconfig",
            kubeconfig)
    missing = run_cli(*args)
    assert missing.code == 1, missing.stderr
    assert f"+++ applied/buildconfig.build.openshift.io/{GOLANG_BC}" in missing.stdout
    assert "7 of 7 objects would change" in missing.stderr
    assert gen(clean_cluster, data).code == 0
    clean = run_cli(*args)
    assert (clean.code, clean.stdout) == (0, ""), clean.stderr
    clean_cluster.kubectl("-n", "ci", "patch", "buildconfig", GOLANG_BC, "--type=merge",
                          "-p", '{"spec":{"runPolicy":"Parallel"}}')
    drifted = run_cli(*args)
    assert drifted.code == 1
    assert "-  runPolicy: Parallel\n" in drifted.stdout
    assert "managedFields" not in drifted.stdout and "resourceVersion" not in drifted.stdout
    assert "1 of 7 objects would change" in drifted.stderr


def test_diff_errors_exit_two(clean_cluster: TestCluster, data: Path) -> None:
    run = run_cli("--data-path", str(data), "-g", GROUP, "diff", *IMAGESTREAM, "--kubeconfig",
                  str(clean_cluster.kubeconfig("nobody")))
    assert run.code == 2
    lines = run.stderr.splitlines()
    assert lines[0] == "error: the server refused 7 of 7 objects in a dry run", lines
    assert lines[1].startswith(f"error: 6 objects (buildconfig.build.openshift.io/{FIRST_BC} and "
                               "5 more): refused by the server: HTTP 403: "), lines
    assert lines[2].startswith(f"error: daemonset.apps/{DAEMONSET}: refused by the server: HTTP "
                               "403: "), lines
    assert len(lines) == 3


def test_an_unreachable_server_is_one_clear_line(
        cluster: TestCluster, data: Path, tmp_path: Path) -> None:
    kubeconfig = cluster.kubeconfig("admin")
    dead = tmp_path / "dead-kubeconfig"
    dead.write_text(kubeconfig.read_text().replace(cluster.server, "https://127.0.0.1:9"))
    run = run_cli("--data-path", str(data), "-g", GROUP, "gen-buildconfigs", "-o",
                  str(tmp_path / "o.yaml"), "--apply", "--kubeconfig", str(dead),
                  "--request-timeout", "2s")
    assert run.code == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, run.stderr
    assert "https://127.0.0.1:9" in errors[0] and "cannot connect" in errors[0]
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "o.yaml").exists()


def test_tokens_never_reach_the_output(
        clean_cluster: TestCluster, data: Path) -> None:
    token = clean_cluster.token("nobody")
    refused = gen(clean_cluster, data, "--debug", user="nobody")
    applied = gen(clean_cluster, data, "--debug")
    for run in (refused, applied):
        for secret in (token, clean_cluster.token("admin")):
            assert secret not in run.stdout + run.stderr


def test_a_missing_namespace_is_a_refusal(clean_cluster: TestCluster, tmp_path: Path) -> None:
    from cistreams import app
    from cistreams.errors import CistreamsError, Problems
    from cistreams.options import GenerateRequest, Source

    request = GenerateRequest(Source(str(EXAMPLE), GROUP), "-", push=IMAGESTREAM_TARGET)
    rendered = app.render_request(request, Problems())
    objects = rendered.objects[:1]
    objects[0]["metadata"]["namespace"] = "nowhere"
    options = ApplyOptions(ConnectionOptions(str(clean_cluster.kubeconfig("admin"))))
    with pytest.raises(CistreamsError, match='namespaces "nowhere" not found'):
        prepare_apply(objects, options, None)


@pytest.mark.parametrize("data_dir", corpus_dirs("openshift-4.1[67]"), ids=lambda p: p.name)
def test_a_corpus_group_applies_and_reapplies_unchanged(
        clean_cluster: TestCluster, data_dir: Path, tmp_path: Path) -> None:
    group = group_of(data_dir)
    first = gen(clean_cluster, data_dir, group=group, out=tmp_path / "o.yaml")
    assert first.code == 0, first.stderr
    created = report_lines(first)
    assert created and all(line.endswith(" created") for line in created)
    before = versions(clean_cluster)
    second = gen(clean_cluster, data_dir, group=group, out=tmp_path / "o.yaml")
    assert all(line.endswith(" unchanged") for line in report_lines(second)), second.stderr
    assert versions(clean_cluster) == before


def test_an_unchanged_reapply_lists_the_group_and_sends_nothing_else(
        clean_cluster: TestCluster, data: Path) -> None:
    assert gen(clean_cluster, data).code == 0
    obj = live(clean_cluster)[GOLANG_BC]
    assert obj["metadata"]["annotations"]["cistreams.openshift.io/applied"].startswith("sha256:")
    again = gen(clean_cluster, data)
    assert again.stderr.rstrip().splitlines()[-2].endswith("7 unchanged; 2 requests")


def test_a_field_another_manager_took_is_set_back(clean_cluster: TestCluster,
                                                  data: Path) -> None:
    """A manager that is not a hand tool (a script, a controller) changing what the build
    data sets: the stamp still matches, but the object is dry-run and set back."""
    assert gen(clean_cluster, data).code == 0
    patched = clean_cluster.kubectl(
        "-n", "ci", "patch", "buildconfig", GOLANG_BC, "--type=merge",
        "--field-manager=robot", "-p", '{"spec":{"source":{"dockerfile":"FROM evil\\n"}}}')
    assert patched.returncode == 0, patched.stderr
    run = gen(clean_cluster, data)
    assert f"buildconfig.build.openshift.io/{GOLANG_BC} configured" in report_lines(run)
    assert "FROM evil" not in live(clean_cluster)[GOLANG_BC]["spec"]["source"]["dockerfile"]


def test_an_existing_object_without_the_group_label_is_configured_not_created(
        clean_cluster: TestCluster, data: Path) -> None:
    """The plan lists the group by its label; an object of the same name without it is
    still found (the dry run says it exists) and reported as it really is."""
    bare = {"apiVersion": "build.openshift.io/v1", "kind": "BuildConfig",
            "metadata": {"name": GOLANG_BC, "namespace": "ci"},
            "spec": {"triggers": [], "source": {"type": "Dockerfile", "dockerfile": "FROM x\n"},
                     "strategy": {"type": "Docker", "dockerStrategy": {}},
                     "output": {"to": {"kind": "ImageStreamTag", "name": "x:latest"}}}}
    status, body = clean_cluster.api("POST", BC, bare, user="admin")
    assert status == 201, body
    run = gen(clean_cluster, data)
    assert run.code == 0, run.stderr
    lines = report_lines(run)
    assert f"buildconfig.build.openshift.io/{GOLANG_BC} configured" in lines
    assert sum(line.endswith(" created") for line in lines) == 6
    labels = live(clean_cluster)[GOLANG_BC]["metadata"]["labels"]
    assert labels["art-builder-group"] == GROUP


def test_objects_that_fail_our_schema_check_never_reach_the_cluster(
        clean_cluster: TestCluster, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cluster's dry run starts only once the objects passed the schema check (it then
    overlaps writing the YAML)."""
    from cistreams.cluster import session
    from cistreams.render import objects as render_objects

    real = render_objects._buildconfig
    contacted: list[int] = []

    def with_unknown_field(*args: Any) -> dict[str, Any]:
        buildconfig = real(*args)
        buildconfig["spec"]["bogus"] = 1
        return buildconfig

    def spy(*args: Any, **kwargs: Any) -> Any:
        contacted.append(1)
        return real_prepare(*args, **kwargs)

    real_prepare = session.prepare_apply
    monkeypatch.setattr(render_objects, "_buildconfig", with_unknown_field)
    monkeypatch.setattr("cistreams.cluster.prepare_apply", spy)
    run = gen(clean_cluster, data)
    assert run.code == 1 and "bogus" in run.stderr
    assert contacted == [] and live(clean_cluster) == {}


def test_refusals_are_one_line_per_cause_with_the_count() -> None:
    from cistreams.cluster.apply import by_cause

    def ref(name: str, kind: kinds.Kind = kinds.BUILDCONFIG) -> kinds.Ref:
        return kinds.Ref(kind, "ci", name)

    forbidden = 'HTTP 403: buildconfigs "{}" is forbidden: User "u" cannot get'
    failures = [(ref("a"), forbidden.format("a")), (ref("b"), "HTTP 422: spec.x: bad"),
                (ref("c"), forbidden.format("c")), (ref("d"), "HTTP 422: spec.y: bad"),
                (ref("e"), forbidden.format("e")), (ref("ds", kinds.DAEMONSET), "HTTP 503: busy"),
                (ref("f"), "HTTP 503: busy")]
    assert by_cause(failures) == [
        "3 objects (buildconfig.build.openshift.io/a and 2 more): " + forbidden.format("a"),
        "buildconfig.build.openshift.io/b: HTTP 422: spec.x: bad",
        "buildconfig.build.openshift.io/d: HTTP 422: spec.y: bad",
        "2 objects (daemonset.apps/ds and 1 more): HTTP 503: busy"]
    assert by_cause([]) == []


def test_warnings_come_before_the_apply_report(clean_cluster: TestCluster, data: Path) -> None:
    streams = data / "streams.yml"
    streams.write_text(streams.read_text().replace(
        "  transform: rhel-8/golang\n", "  transform: rhel-8/golang\n  colour: blue\n", 1))
    run = gen(clean_cluster, data)
    assert run.code == 0, run.stderr
    lines = run.stderr.splitlines()
    warning = next(i for i, line in enumerate(lines) if line.startswith("warning: "))
    first = next(i for i, line in enumerate(lines) if line.endswith(" created"))
    assert "colour: unknown key, ignored" in lines[warning]
    assert warning < first  # a CI log shows the reason before the writes it may explain
