"""`cistreams start-builds` end to end: the real test kube-apiserver (BuildConfig, Build and
ImageStream CRDs, RBAC, watch), the build service in front of it (instantiate and the build
controller, see cluster/buildservice.py), real registries and skopeo (buildenv.py)."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from cistreams.cibuilds.display import CLEAR
from cistreams.cli import main
from cistreams.cluster import builds
from cistreams.cluster.connection import connect
from cistreams.errors import CistreamsError
from cistreams.options import ConnectionOptions
from cluster.buildservice import HANG, Scenario
from cluster.testcluster import free_port
from commands.buildenv import PROXY, Env, build_of, build_stack, env, gc, points_at, steady
from helpers import Terminal, run_cli

__all__ = ["build_stack", "env"]


def test_a_steady_group_is_preserved_built_and_promoted(env: Env) -> None:
    (current, floating), = steady(env, "golang").values()
    name = env.buildconfig_name("golang")
    done = env.run("start-builds")
    assert done.code == 0, done.stderr
    build = f"{name}-1"
    new = env.service.pushed[build]
    # preserved first: both images kept, the tag pointed at the QCI image, then the build
    lines = done.stderr.splitlines()
    qci_ci = f"{env.ci}/ocp/{env.imagestream_name}"
    assert lines[:4] == [
        f"{name}: preserved {qci_ci}@{current} -> {env.qci}:{gc(current)}",
        f"{name}: preserved {env.qci}@{floating} -> {env.qci}:{gc(floating)}",
        f"{name}: patched imagestream tag ocp/{env.imagestream_name}:rhel-9-golang -> "
        f"{PROXY}@{floating}",
        f"started {build}"]
    assert f"{build}: Complete after" in done.stderr
    assert lines[-3:-1] == [
        f"{build}: preserved {env.qci}@{new} -> {env.qci}:{gc(new)}",
        f"{build}: patched imagestream tag ocp/{env.imagestream_name}:rhel-9-golang -> "
        f"{PROXY}@{new}"]
    for digest in (current, floating, new):
        assert env.digest(env.qci_path, gc(digest)) == digest
    assert env.digest(env.qci_path, env.qci_tag("golang")) == new
    assert points_at(env.tags()["rhel-9-golang"], new)
    table = done.stdout.splitlines()
    assert table[0].split() == ["BUILD", "PHASE", "DURATION", "PROMOTED"]
    assert table[1].split()[:2] == [build, "Complete"] and table[1].endswith(new)
    (made,) = env.builds()
    assert made["metadata"]["labels"]["buildconfig"] == name
    assert made["metadata"]["annotations"]["openshift.io/build.number"] == "1"
    assert made["status"]["output"]["to"]["imageDigest"] == new
    assert env.get_buildconfig(name)["status"]["lastVersion"] == 1


def test_a_fresh_group_bootstraps_qci_from_what_ci_serves(env: Env) -> None:
    env.write_group(("golang",))
    current = env.push(f"ocp/{env.imagestream_name}", env.tag("golang"), "ci only")
    env.imagestream({"rhel-9-golang": f"{env.ci}/ocp/{env.imagestream_name}:rhel-9-golang"})
    env.buildconfig("golang")
    name = env.buildconfig_name("golang")
    done = env.run("start-builds")
    assert done.code == 0, done.stderr
    assert f"{name}: bootstrapped {env.ci}/ocp/{env.imagestream_name}@{current} -> " \
           f"{env.qci}:{env.qci_tag('golang')}" in done.stderr.splitlines()
    assert done.stderr.index("bootstrapped") < done.stderr.index("started")
    assert env.digest(env.qci_path, gc(current)) == current
    new = env.service.pushed[f"{name}-1"]
    assert new != current and env.digest(env.qci_path, gc(new)) == new
    assert points_at(env.tags()["rhel-9-golang"], new)


def test_a_group_with_no_image_anywhere_lets_the_build_create_it(env: Env) -> None:
    env.write_group(("golang",))
    env.imagestream({"unrelated": "example.io/x:y"})
    env.buildconfig("golang")
    name = env.buildconfig_name("golang")
    done = env.run("start-builds")
    assert done.code == 0, done.stderr
    assert f"{name}: {env.qci}:{env.qci_tag('golang')}: no image yet; the build will create it" \
        in done.stderr
    new = env.service.pushed[f"{name}-1"]
    tags = env.tags()
    assert list(tags) == ["unrelated", "rhel-9-golang"]  # added, the other tag kept
    assert points_at(tags["rhel-9-golang"], new)
    assert f"{name}-1: added imagestream tag" in done.stderr


def test_a_failed_build_is_not_promoted_and_fails_the_run(env: Env) -> None:
    found = steady(env, "golang", "base")
    failing = env.buildconfig_name("golang")
    env.service.scenarios[failing] = Scenario("Failed", run_seconds=0.3)
    done = env.run("start-builds")
    assert done.code == 1
    assert (f"error: {failing}-1 ended Failed (DockerBuildFailed: Docker build strategy has "
            "failed.); not promoted") in done.stderr
    tags = env.tags()
    assert points_at(tags["rhel-9-golang"], found["golang"][1])  # the preserved QCI image
    assert f"{failing}-1" not in env.service.pushed
    other = env.service.pushed[f"{env.buildconfig_name('base')}-1"]
    assert points_at(tags["rhel-9-base"], other)  # the other build went on and was promoted
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()[1:]}
    assert rows[f"{failing}-1"][1:] == ["Failed", rows[f"{failing}-1"][2], "-"]


@pytest.mark.parametrize("phase", ["Error", "Cancelled"])
def test_an_errored_or_cancelled_build_fails_the_run(env: Env, phase: str) -> None:
    steady(env, "golang")
    name = env.buildconfig_name("golang")
    env.service.scenarios[name] = Scenario(phase)
    done = env.run("start-builds")
    assert done.code == 1
    assert f"error: {name}-1 ended {phase}" in done.stderr


def test_a_build_still_running_at_the_timeout_is_not_promoted(env: Env) -> None:
    found = steady(env, "golang")
    name = env.buildconfig_name("golang")
    env.service.scenarios[name] = Scenario(HANG)
    done = env.run("start-builds", "--timeout", "2s")
    assert done.code == 1
    assert f"error: {name}-1: still Running after --timeout 2s; not promoted" in done.stderr
    assert points_at(env.tags()["rhel-9-golang"], found["golang"][1])
    assert done.stdout.splitlines()[1].split()[1:3] == ["timed", "out"]


def test_an_outdated_buildconfig_is_left_alone(env: Env) -> None:
    steady(env, "golang")
    old = env.buildconfig("retired", name=f"{env.imagestream_name}-retired--art-builder")
    done = env.run("start-builds")
    assert done.code == 0, done.stderr
    name = old["metadata"]["name"]
    assert f"skipped (outdated): {name}" in done.stderr.splitlines()
    assert build_of(env, name) == []
    assert "status" not in env.get_buildconfig(name)
    assert "not selected" not in done.stderr.replace("0 not selected", "")


def test_stream_selection_says_not_selected_never_outdated(env: Env) -> None:
    steady(env, "golang", "base")
    done = env.run("start-builds", "--stream", "golang")
    assert done.code == 0, done.stderr
    base = env.buildconfig_name("base")
    assert f"skipped (not selected): {base}" in done.stderr.splitlines()
    assert "outdated)" not in done.stderr
    assert build_of(env, base) == []
    assert len(build_of(env, env.buildconfig_name("golang"))) == 1


def test_a_user_without_instantiate_rights_starts_nothing_and_writes_nothing(env: Env) -> None:
    steady(env, "golang")
    before, stream = env.qci_tags(), env.imagestream_object()
    done = env.run("start-builds", user="bc-only")
    assert done.code == 1
    assert ("error: the user may not create buildconfigs.build.openshift.io/instantiate in "
            "namespace ci (the server's access review: not allowed)") in done.stderr.splitlines()
    assert "error: nothing was written or started" in done.stderr.splitlines()
    assert env.builds() == []
    assert env.qci_tags() == before
    assert env.imagestream_object()["metadata"]["resourceVersion"] == \
        stream["metadata"]["resourceVersion"]


def test_the_server_refuses_instantiate_with_its_own_reason(env: Env) -> None:
    """The build service's access review is real: bc-only may not instantiate."""
    steady(env, "golang")
    name = env.buildconfig_name("golang")
    api = connect(ConnectionOptions(str(env.service.kubeconfig("bc-only"))))
    try:
        with pytest.raises(CistreamsError) as refused:
            builds.instantiate(api, "ci", name, "test")
    finally:
        api.client.close()
    assert str(refused.value) == (
        f'cannot start a build of {name}: HTTP 403: buildconfigs.build.openshift.io "{name}" '
        'is forbidden: User "bc-only" cannot create resource "buildconfigs/instantiate" in API '
        'group "build.openshift.io" in the namespace "ci"')
    assert env.builds() == []


def test_impersonation_with_as(env: Env) -> None:
    steady(env, "golang")
    mark = env.service.mark()
    done = env.run("start-builds", "--as", "art-publish", user="admin")
    assert done.code == 0, done.stderr
    assert {seen.impersonated for seen in env.service.seen[mark:]} == {"art-publish"}
    refused = env.run("start-builds", "--as", "art-publish", user="nobody")
    assert refused.code == 1
    assert 'cannot impersonate resource "users"' in refused.stderr


def test_registry_down_during_preservation_starts_nothing(env: Env) -> None:
    steady(env, "golang")
    stream = env.imagestream_object()
    dead = f"127.0.0.1:{free_port()}"
    done = env.run("start-builds", "--ci-registry", dead)
    assert done.code == 1
    name = env.buildconfig_name("golang")
    assert f"error: {name}: preservation failed: cannot read {dead}/ocp/" in done.stderr
    assert "nothing was started: a preservation failed (a rerun is safe)" in done.stderr
    assert env.builds() == []
    assert env.imagestream_object()["metadata"]["resourceVersion"] == \
        stream["metadata"]["resourceVersion"]


def test_dry_run_writes_nothing_anywhere(env: Env) -> None:
    found = steady(env, "golang")
    before, stream = env.qci_tags(), env.imagestream_object()
    marks = {name: env.stack.registries[name].mark() for name in ("source", "ci", "other")}
    done = env.run("start-builds", "--dry-run")
    assert done.code == 0, done.stderr
    name = env.buildconfig_name("golang")
    current, floating = found["golang"]
    assert f"{name}: would copy {env.ci}/ocp/{env.imagestream_name}@{current} -> " \
           f"{env.qci}:{gc(current)}" in done.stderr
    assert f"{name}: would copy {env.qci}@{floating} -> {env.qci}:{gc(floating)}" in done.stderr
    assert f"{name}: would point imagestream tag ocp/{env.imagestream_name}:rhel-9-golang at " \
           f"{PROXY}@{floating}" in done.stderr
    assert f"would start a build of {name}" in done.stderr
    assert env.builds() == [] and env.qci_tags() == before
    assert "status" not in env.get_buildconfig(name)
    assert env.imagestream_object()["metadata"]["resourceVersion"] == \
        stream["metadata"]["resourceVersion"]
    writes = [r for n, mark in marks.items() for r in env.stack.registries[n].requests()[mark:]
              if r.method not in ("GET", "HEAD")]
    assert writes == []
    assert done.stdout.splitlines()[1].split()[:2] == [name, "dry"]


def test_an_imagestream_target_buildconfig_is_started_and_waited_for_only(env: Env) -> None:
    env.write_group(("golang",))
    env.buildconfig("golang", qci=False)
    before = env.qci_tags()
    done = env.run("start-builds")
    assert done.code == 0, done.stderr
    name = env.buildconfig_name("golang")
    assert done.stdout.splitlines()[1].split() == [f"{name}-1", "Complete",
                                                   done.stdout.splitlines()[1].split()[2],
                                                   "(imagestream", "target)"]
    assert env.qci_tags() == before
    assert "preserved" not in done.stderr


def test_no_wait_starts_and_returns(env: Env) -> None:
    found = steady(env, "golang")
    env.service.scenarios[env.buildconfig_name("golang")] = Scenario(HANG)
    done = env.run("start-builds", "--no-wait")
    assert done.code == 0, done.stderr
    assert len(env.builds()) == 1
    assert points_at(env.tags()["rhel-9-golang"], found["golang"][1])
    assert "Running" not in done.stderr  # no watch


def test_a_selected_buildconfig_missing_on_the_cluster_fails(env: Env) -> None:
    steady(env, "golang")
    env.write_group(("golang", "base"))
    done = env.run("start-builds")
    assert done.code == 1
    base = env.buildconfig_name("base")
    assert f"error: {base}: not on the cluster (namespace ci, label " \
           f"art-builder-group=openshift-4.17); apply it with gen-buildconfigs --apply" \
        in done.stderr
    assert len(build_of(env, env.buildconfig_name("golang"))) == 1  # the others still run


def test_the_builds_are_watched_not_polled(env: Env) -> None:
    steady(env, "golang", "base", "extra")
    for stream in ("golang", "base", "extra"):
        env.service.scenarios[env.buildconfig_name(stream)] = Scenario(run_seconds=1.0)
    mark = env.service.mark()
    done = env.run("start-builds")
    assert done.code == 0, done.stderr
    gets = [s for s in env.service.seen[mark:] if s.method == "GET" and "/builds" in s.path]
    assert len(gets) == 2  # one list, one watch: no request per build
    assert "watch=true" in gets[1].path and "watch" not in gets[0].path


def test_json_format(env: Env) -> None:
    steady(env, "golang")
    env.buildconfig("retired", name=f"{env.imagestream_name}-retired--art-builder")
    done = env.run("start-builds", "--format", "json")
    assert done.code == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["ok"] is True and document["group"] == "openshift-4.17"
    by_name = {item["buildconfig"]: item for item in document["buildconfigs"]}
    name = env.buildconfig_name("golang")
    assert by_name[name]["phase"] == "Complete" and by_name[name]["ok"] is True
    assert by_name[name]["promoted"] == env.service.pushed[f"{name}-1"]
    assert by_name[f"{env.imagestream_name}-retired--art-builder"]["status"] == "outdated"
    assert f"started {name}-1" in document["log"]
    assert done.stderr == ""


def test_live_test_mode_acts_on_the_live_test_buildconfigs(env: Env) -> None:
    env.write_group(("golang",))
    env.imagestream({"rhel-9-golang": "example.io/real:tag"})
    env.buildconfig("golang", live_test=True)
    env.buildconfig("golang")  # the real one: another group label, never listed
    done = env.run("start-builds", "--live-test-mode")
    assert done.code == 0, done.stderr
    live = env.buildconfig_name("golang", live_test=True)
    assert [b["metadata"]["name"] for b in env.builds()] == [f"{live}-1"]
    assert f"{env.qci}:art-builder-4.17-rhel-9-golang.test" in done.stderr
    tags = env.tags()
    assert tags["rhel-9-golang"]["from"]["name"] == "example.io/real:tag"  # untouched
    assert points_at(tags["rhel-9-golang.test"], env.service.pushed[f"{live}-1"])


def test_both_command_forms(env: Env) -> None:
    steady(env, "golang")
    done = run_cli("images:streams", "start-builds", *env.options(), "--dry-run")
    assert done.code == 0, done.stderr
    assert f"would start a build of {env.buildconfig_name('golang')}" in done.stderr


def test_a_qci_label_without_its_annotations_starts_nothing(env: Env) -> None:
    steady(env, "golang", "base")
    name = env.buildconfig_name("base")
    path = f"/apis/build.openshift.io/v1/namespaces/ci/buildconfigs/{name}"
    status, _ = env.cluster.api("PATCH", path, [
        {"op": "remove", "path": "/metadata/annotations/art-builder-imagestream-tag"}],
        content_type="application/json-patch+json")
    assert status == 200
    done = env.run("start-builds")
    assert done.code == 1
    assert f"error: {name}: has the art-builder-qci-tag label but not the annotation " \
           "art-builder-imagestream-tag" in done.stderr
    assert env.builds() == []


def test_a_terminal_gets_a_live_status_line(env: Env) -> None:
    steady(env, "golang")
    env.service.scenarios[env.buildconfig_name("golang")] = Scenario(run_seconds=1.5)
    screen = Terminal()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(screen):
        code = main(["start-builds", *env.options()])
    assert code == 0
    text = screen.getvalue()
    assert f"{CLEAR}0 of 1 builds done (1 New); 0s of 1h00m00s" in text
    # a change is written over the status line, which is drawn again under it
    build = f"{env.buildconfig_name('golang')}-1"
    assert f"{CLEAR}{build}: Running\n0 of 1 builds done (1 Running)" in text
    assert "builds done" not in text.rsplit(CLEAR, 1)[1]  # erased at the end
    assert "start-builds openshift-4.17: 1 of 1 selected completed and promoted" in text
