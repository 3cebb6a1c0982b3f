"""`cistreams check-upstream` end to end, on each state a group can be in (the real parts of
buildenv.py: test kube-apiserver with the CRDs, build service, registries, skopeo)."""

from __future__ import annotations

import json

from commands.buildenv import PROXY, Env, build_stack, env, gc, points_at, steady
from helpers import run_cli

__all__ = ["build_stack", "env"]


def lines_of(stdout: str) -> dict[str, str]:
    """The check lines by their `STATUS: entry: check` part."""
    found = {}
    for line in stdout.splitlines():
        if not line.startswith("buildconfig "):
            status, entry, rest = line.split(": ", 2)
            found[f"{status}: {entry}: {rest.split(' ')[0]}"] = line
    return found


def mirrored(env: Env, name: str, tag: str) -> str:
    """streams.yml text of an entry that is only mirrored (no transform)."""
    return (f"{name}:\n  image: example.io/x:{tag}\n  mirror: true\n"
            f"  upstream_image: {env.ci}/ocp/{env.imagestream_name}:{tag}\n")


def test_after_a_successful_start_builds_everything_is_ok(env: Env) -> None:
    steady(env, "golang")
    assert env.run("start-builds").code == 0
    name = env.buildconfig_name("golang")
    new = env.service.pushed[f"{name}-1"]
    done = env.run("check-upstream")
    assert done.code == 0, done.stderr
    lines = done.stdout.splitlines()
    istag = f"ocp/{env.imagestream_name}:rhel-9-golang"
    assert lines[0] == f"OK: golang: imagestream tag {istag}: {PROXY}@{new} (referencePolicy Source)"
    assert lines[1] == f"OK: golang: QCI image {env.qci}:{env.qci_tag('golang')}: {new}; the " \
                       "imagestream tag names it"
    assert lines[2].startswith(f"buildconfig {name}: last build {name}-1 Complete, ")
    assert "2 OK, 0 WARNING, 0 ERROR, 0 SKIP, 0 SYNCED, 0 NOT SYNCED" in done.stderr


def test_a_qci_tag_the_imagestream_does_not_name_is_synced(env: Env) -> None:
    (current, _), = steady(env, "golang").values()
    newer = env.push(env.qci_path, env.qci_tag("golang"), "built since")
    done = env.run("check-upstream")
    assert done.code == 0, done.stderr
    assert points_at(env.tags()["rhel-9-golang"], newer)
    assert env.digest(env.qci_path, gc(newer)) == newer
    assert env.digest(env.qci_path, gc(current)) == current  # what CI served, kept too
    lines = lines_of(done.stdout)
    assert lines["SYNCED: golang: QCI"].endswith(
        f"{newer}; the imagestream tag pointed at {PROXY}@{newer} (it named {PROXY}@{current})")
    assert lines["OK: golang: imagestream"]  # checked after the sync
    again = env.run("check-upstream")
    assert again.code == 0 and "1 SYNCED" not in again.stderr and "2 OK" in again.stderr


def test_dry_run_reports_not_synced_and_changes_nothing(env: Env) -> None:
    (current, _), = steady(env, "golang").values()
    env.push(env.qci_path, env.qci_tag("golang"), "built since")
    before, stream = env.qci_tags(), env.imagestream_object()
    done = env.run("check-upstream", "--dry-run")
    assert done.code == 0, done.stderr
    assert "NOT SYNCED: golang: QCI image" in done.stdout
    assert "golang: would point imagestream tag" in done.stderr
    assert env.qci_tags() == before
    assert env.imagestream_object()["metadata"]["resourceVersion"] == \
        stream["metadata"]["resourceVersion"]
    assert env.tags()["rhel-9-golang"]["from"]["name"] == f"{PROXY}@{current}"


def test_a_missing_qci_image_is_an_error(env: Env) -> None:
    env.write_group(("golang",))
    env.imagestream({"rhel-9-golang": f"{PROXY}@sha256:{'a' * 64}"})
    env.buildconfig("golang")
    done = env.run("check-upstream")
    assert done.code == 1
    assert f"ERROR: golang: QCI image {env.qci}:{env.qci_tag('golang')}: the QCI image does " \
           "not exist" in done.stdout.splitlines()


def test_missing_imagestream_tags_and_imagestreams_are_errors(env: Env) -> None:
    env.write_group((), extra=mirrored(env, "absent", "absent"))
    env.imagestream({"other": "example.io/x:y"})
    done = env.run("check-upstream")
    assert done.code == 1
    assert f"ERROR: absent: imagestream tag ocp/{env.imagestream_name}:absent: the " \
           "imagestream tag does not exist" in done.stdout.splitlines()
    env.streams_created.clear()
    env.cluster.api("DELETE", f"/apis/image.openshift.io/v1/namespaces/ocp/imagestreams/"
                              f"{env.imagestream_name}")
    gone = env.run("check-upstream")
    assert gone.code == 1
    assert f"ERROR: absent: imagestream tag ocp/{env.imagestream_name}:absent: imagestream " \
           f"ocp/{env.imagestream_name} does not exist" in gone.stdout.splitlines()


def test_other_references_and_policies_are_warnings_and_outside_ci_is_skipped(env: Env) -> None:
    digest = f"sha256:{'b' * 64}"
    other = env.stack.registries["other"].host
    env.write_group((), extra=(
        mirrored(env, "by-tag", "by-tag") + mirrored(env, "local", "local")
        + mirrored(env, "proxy", "proxy") + mirrored(env, "qci", "qci")
        + f"elsewhere:\n  image: example.io/x:y\n  mirror: true\n"
          f"  upstream_image: {other}/release/x:y\n"
        + "plain:\n  image: example.io/x:y\n  upstream_image: example.io/never:checked\n"))
    body = {"by-tag": (f"{env.ci}/ocp/x:by-tag", "Source"), "local": (f"{PROXY}@{digest}", "Local"),
            "proxy": (f"{PROXY}@{digest}", "Source"), "qci": (f"{env.qci}@{digest}", "Source")}
    env.imagestream({tag: ref for tag, (ref, _) in body.items()})
    path = f"/apis/image.openshift.io/v1/namespaces/ocp/imagestreams/{env.imagestream_name}"
    for index, (_, policy) in enumerate(body.values()):
        status, _ = env.cluster.api("PATCH", path, [
            {"op": "replace", "path": f"/spec/tags/{index}/referencePolicy/type",
             "value": policy}], content_type="application/json-patch+json")
        assert status == 200
    done = env.run("check-upstream")
    assert done.code == 0, done.stdout
    lines = done.stdout.splitlines()
    istag = f"ocp/{env.imagestream_name}"
    assert lines[:5] == [
        f"WARNING: by-tag: imagestream tag {istag}:by-tag: references DockerImage "
        f"{env.ci}/ocp/x:by-tag; expected {' or '.join(sorted([env.qci, PROXY]))} by digest",
        f"WARNING: local: imagestream tag {istag}:local: {PROXY}@{digest} with referencePolicy "
        "Local; expected Source",
        f"OK: proxy: imagestream tag {istag}:proxy: {PROXY}@{digest} (referencePolicy Source)",
        f"OK: qci: imagestream tag {istag}:qci: {env.qci}@{digest} (referencePolicy Source)",
        f"SKIP: elsewhere: imagestream tag {other}/release/x:y: not an OpenShift imagestream "
        "target (outside the CI registry)"]
    assert "plain" not in done.stdout  # neither a transform nor mirror: true


def test_one_get_per_imagestream(env: Env) -> None:
    steady(env, "golang", "base", "extra")
    assert env.run("start-builds").code == 0
    mark = env.service.mark()
    done = env.run("check-upstream")
    assert done.code == 0, done.stderr
    path = f"/apis/image.openshift.io/v1/namespaces/ocp/imagestreams/{env.imagestream_name}"
    assert [s.method for s in env.service.seen[mark:] if s.path == path] == ["GET"]
    lists = [s.path.split("?")[0] for s in env.service.seen[mark:] if "labelSelector" in s.path]
    assert sorted(lists) == ["/apis/build.openshift.io/v1/namespaces/ci/buildconfigs",
                             "/apis/build.openshift.io/v1/namespaces/ci/builds"]


def test_json_format_and_both_forms(env: Env) -> None:
    steady(env, "golang")
    done = run_cli("images:streams", "check-upstream", *env.options(), "--format", "json")
    assert done.code == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["ok"] is True
    assert document["counts"]["SYNCED"] == 1
    assert [c["status"] for c in document["checks"]] == ["OK", "SYNCED"]
    assert document["buildconfigs"] == [{"buildconfig": env.buildconfig_name("golang"),
                                         "last_build": None, "phase": None,
                                         "age_seconds": None, "duration_seconds": None}]
    assert done.stderr == ""


def test_live_test_mode_checks_the_test_tags(env: Env) -> None:
    env.write_group(("golang",))
    digest = env.push(env.qci_path, "art-builder-4.17-rhel-9-golang.test", "live")
    env.imagestream({"rhel-9-golang.test": f"{PROXY}@{digest}"})
    env.buildconfig("golang", live_test=True)
    done = env.run("check-upstream", "--live-test-mode")
    assert done.code == 0, done.stdout
    assert f"ocp/{env.imagestream_name}:rhel-9-golang.test" in done.stdout
    assert f"buildconfig {env.buildconfig_name('golang', live_test=True)}: no builds" in done.stdout
