"""`cistreams mirror` end to end: real registries (distribution 2.8, TLS, htpasswd), Debian's
skopeo, and the imagestream patches against the real test kube-apiserver with the ImageStream
CRD. The `source` registry stands for ART's (brew names resolve to it), `ci` for the CI
registry and QCI at once (--ci-registry is its host, --qci-repo its openshift/ci), `other` for
any other destination. Each test uses names of its own, so the session's registries are shared.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cistreams.cluster import imagestreams
from cistreams.cluster.api import Answer, Api
from cistreams.cluster.connection import connect
from cistreams.options import ConnectionOptions
from cluster import imagestream_crd
from cluster.testcluster import TestCluster
from helpers import Run, run_cli
from registry import images
from registry.testregistry import Registries

PROXY = "quay-proxy.test/openshift/ci"
GROUP = "openshift-4.17"


@dataclass
class Mirror:
    """A build-data directory and the options that point mirror at the test registries."""

    registries: Registries
    cluster: TestCluster
    data: Path
    uid: str

    @property
    def src(self) -> str:
        return self.registries["source"].host

    @property
    def ci(self) -> str:
        return self.registries["ci"].host

    @property
    def other(self) -> str:
        return self.registries["other"].host

    def streams(self, text: str, arches: str = "[x86_64, aarch64]") -> None:
        self.data.mkdir(exist_ok=True)
        (self.data / "group.yml").write_text(
            f"name: {GROUP}\nvars: {{MAJOR: 4, MINOR: 17}}\narches: {arches}\n"
            f"urls:\n  brew_image_host: {self.src}\n  brew_image_namespace: rh-osbs\n",
            encoding="utf-8")
        (self.data / "streams.yml").write_text(text, encoding="utf-8")

    def run(self, *extra: str, user: str = "art-publish", auth: Path | None = None,
            config_dir: Path | None = None) -> Run:
        credentials = ["--registry-config-dir", str(config_dir)] if config_dir else \
            ["--registry-auth", str(auth or self.registries.authfile)]
        return run_cli(
            "mirror", "--data-path", str(self.data), "-g", GROUP, *credentials,
            "--registry-certs", str(self.registries.certs_dir), "--ci-registry", self.ci,
            "--qci-repo", f"{self.ci}/openshift/ci", "--qci-proxy", PROXY,
            "--kubeconfig", str(self.cluster.kubeconfig(user)), *extra)

    def push(self, registry: str, repo: str, tag: str,
             what: images.Image | images.ImageList) -> str:
        return images.push(self.registries.client(registry), repo, tag, what)

    def imagestream(self, namespace: str, name: str, *tags: str) -> None:
        body = imagestream_crd.imagestream(namespace, name, [
            {"name": t, "from": {"kind": "DockerImage", "name": f"old.io/x:{t}"}} for t in tags])
        status, answer = self.cluster.api("POST", imagestream_crd.path(namespace), body)
        assert status == 201, answer

    def tags(self, namespace: str, name: str) -> dict[str, dict[str, Any]]:
        status, body = self.cluster.api("GET", imagestream_crd.path(namespace, name))
        assert status == 200, body
        return {t["name"]: t for t in body["spec"].get("tags") or []}

    def writes(self, since: dict[str, int]) -> list[str]:
        """Every write any registry served since `since` (from `marks()`)."""
        return [f"{name} {r.method} {r.path}" for name, mark in since.items()
                for r in self.registries[name].requests()[mark:] if r.method in ("PUT", "POST",
                                                                                  "PATCH")]

    def marks(self) -> dict[str, int]:
        return {name: self.registries[name].mark() for name in ("source", "ci", "other")}


@pytest.fixture
def mirror(registries: Registries, imagestream_cluster: TestCluster, tmp_path: Path) -> Mirror:
    return Mirror(registries, imagestream_cluster, tmp_path / "data", secrets.token_hex(3))


def reference(digest: str) -> dict[str, Any]:
    return imagestreams.tag_reference("x", f"{PROXY}@{digest}")


def points_at(tag: dict[str, Any], digest: str) -> bool:
    expected = reference(digest)
    return all(tag.get(key) == expected[key]
               for key in ("from", "referencePolicy", "importPolicy"))


def test_every_rule_against_real_registries(mirror: Mirror) -> None:
    u = mirror.uid
    golang = images.image_list(f"golang-{u}")
    ibm = images.image_list(f"ibm-{u}")
    mirror.push("source", "rh-osbs/openshift-golang-builder", f"v1-{u}", golang)
    mirror.push("source", "rh-osbs/ibm", f"v1-{u}", ibm)
    built = images.image(f"built-{u}")  # what CI's BuildConfig made of the base, in CI's registry
    mirror.push("ci", "ocp/builder", f"golang-{u}", built)
    mirror.imagestream("ocp", "builder", "unrelated", f"golang-{u}.art")
    mirror.imagestream("ocp-private", "builder-priv")
    mirror.streams(
        f"golang:\n  image: openshift/golang-builder:v1-{u}\n  mirror: true\n"
        f"  upstream_image_base: {mirror.ci}/ocp/builder:golang-{u}.art\n"
        f"  upstream_image: {mirror.ci}/ocp/builder:golang-{u}\n"
        f"  upstream_image_mirror: [{mirror.ci}/ocp-private/builder-priv:golang-{u}]\n"
        f"ibm:\n  image: {mirror.src}/rh-osbs/ibm:v1-{u}\n  mirror: true\n"
        f"  mirror_manifest_list: true\n"
        f"  upstream_image: {mirror.other}/release-dev/ibm-share:golang-{u}\n"
        f"plain:\n  image: {mirror.src}/rh-osbs/ibm:v1-{u}\n"
        f"  upstream_image: {mirror.other}/release-dev/plain:{u}\n")
    done = mirror.run()
    assert done.code == 0, done.stderr
    amd64, arm64 = golang.for_arch("amd64").digest, golang.for_arch("arm64").digest
    qci = f"{mirror.ci}/openshift/ci"
    assert done.stdout.splitlines() == [
        f"copied {mirror.src}/rh-osbs/openshift-golang-builder:v1-{u} -> "
        f"{qci}:art__ocp_builder_golang-{u}.art {amd64}",
        f"copied {qci}@{amd64} -> {qci}:art__{amd64[7:23]} {amd64}",
        f"patched imagestream ocp/builder:golang-{u}.art -> {PROXY}@{amd64}",
        f"copied {mirror.src}/rh-osbs/openshift-golang-builder:v1-{u} -> "
        f"{qci}:art__ocp_builder_golang-{u}.art-arm64 {arm64}",
        f"copied {qci}@{arm64} -> {qci}:art__{arm64[7:23]} {arm64}",
        f"added imagestream ocp/builder:golang-{u}.art-arm64 -> {PROXY}@{arm64}",
        f"copied {mirror.ci}/ocp/builder:golang-{u} -> "
        f"{qci}:art__ocp-private_builder-priv_golang-{u} {built.digest}",
        f"copied {qci}@{built.digest} -> {qci}:art__{built.digest[7:23]} {built.digest}",
        f"added imagestream ocp-private/builder-priv:golang-{u} -> {PROXY}@{built.digest}",
        f"copied {mirror.src}/rh-osbs/ibm:v1-{u} -> {mirror.other}/release-dev/ibm-share:"
        f"golang-{u} {ibm.digest}"]
    assert done.stderr.splitlines()[-1] == ("mirror, 2 entries: 7 copied, 0 present, 3 "
                                            "imagestream tags patched (0 already right), 0 "
                                            "sources missing, 0 errors")
    ci = mirror.registries.client("ci")
    assert ci.manifest("openshift/ci", f"art__ocp_builder_golang-{u}.art") == \
        (images.MANIFEST, golang.for_arch("amd64").manifest)  # the amd64 image alone
    assert ci.manifest("openshift/ci", f"art__{arm64[7:23]}") == \
        (images.MANIFEST, golang.for_arch("arm64").manifest)
    kept = mirror.registries.client("other").manifest("release-dev/ibm-share", f"golang-{u}")
    assert kept == (images.MANIFEST_LIST, ibm.manifest)  # the list, digest preserved
    assert mirror.registries.client("other").tags("release-dev/plain") == []  # no mirror: true
    tags = mirror.tags("ocp", "builder")
    assert tags["unrelated"]["from"]["name"] == "old.io/x:unrelated"  # left alone
    assert points_at(tags[f"golang-{u}.art"], amd64)
    assert points_at(tags[f"golang-{u}.art-arm64"], arm64)
    assert points_at(mirror.tags("ocp-private", "builder-priv")[f"golang-{u}"], built.digest)
    assert ci.tags("ocp/builder") == [f"golang-{u}"]  # nothing pushed to the CI registry
    again = mirror.run("--stream", "golang")
    assert again.code == 0 and again.stdout.count("unchanged imagestream ") == 3
    assert again.stderr.endswith("0 imagestream tags patched (3 already right), 0 sources "
                                 "missing, 0 errors\n")


def test_only_if_missing_reads_once_and_copies_only_what_is_missing(mirror: Mirror) -> None:
    u = mirror.uid
    single = images.image(f"oim-{u}")
    mirror.push("source", "rh-osbs/oim", u, single)
    mirror.push("other", "art/present", u, single)  # already there
    mirror.streams(f"s:\n  image: {mirror.src}/rh-osbs/oim:{u}\n  mirror: true\n"
                   f"  upstream_image: {mirror.other}/art/present:{u}\n"
                   f"  upstream_image_mirror: [{mirror.other}/art/absent:{u}]\n", "[x86_64]")
    before = mirror.marks()
    done = mirror.run("--only-if-missing")
    assert done.code == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"present {mirror.other}/art/present:{u}",
        f"copied {mirror.other}/art/present:{u} -> {mirror.other}/art/absent:{u} {single.digest}"]
    assert mirror.writes(before) == [w for w in mirror.writes(before) if "art/absent" in w]
    before = mirror.marks()
    again = mirror.run("--only-if-missing")
    assert again.stdout.splitlines() == [f"present {mirror.other}/art/present:{u}",
                                         f"present {mirror.other}/art/absent:{u}"]
    assert mirror.writes(before) == []
    reads = [r for r in mirror.registries["other"].requests()[before["other"]:]
             if "/manifests/" in r.path and r.status == 200]
    assert sorted(r.path for r in reads) == [f"/v2/art/absent/manifests/{u}",
                                             f"/v2/art/present/manifests/{u}"]


def test_live_test_mode_checks_the_real_name_and_writes_the_test_one(mirror: Mirror) -> None:
    u = mirror.uid
    mirror.push("source", "rh-osbs/lt", u, images.image(f"lt-{u}"))
    mirror.streams(f"s:\n  image: {mirror.src}/rh-osbs/lt:{u}\n  mirror: true\n"
                   f"  upstream_image: {mirror.other}/art/lt:{u}\n")
    done = mirror.run("--live-test-mode", "--only-if-missing")
    assert done.code == 0 and f"-> {mirror.other}/art/lt:{u}.test " in done.stdout
    assert mirror.registries.client("other").tags("art/lt") == [f"{u}.test"]
    mirror.push("other", "art/lt", u, images.image(f"lt-{u}"))
    assert mirror.run("--live-test-mode", "--only-if-missing").stdout == \
        f"present {mirror.other}/art/lt:{u}\n"


def test_a_missing_source_is_a_warning_and_the_others_go_on(mirror: Mirror) -> None:
    u = mirror.uid
    mirror.push("source", "rh-osbs/here", u, images.image(f"here-{u}"))
    mirror.streams(f"gone:\n  image: {mirror.src}/rh-osbs/gone:{u}\n  mirror: true\n"
                   f"  upstream_image: {mirror.other}/art/gone:{u}\n"
                   f"here:\n  image: {mirror.src}/rh-osbs/here:{u}\n  mirror: true\n"
                   f"  upstream_image: {mirror.other}/art/here:{u}\n")
    done = mirror.run()
    assert done.code == 0
    assert f"warning: missing source {mirror.src}/rh-osbs/gone:{u}\n" in done.stderr
    assert done.stdout.startswith(f"copied {mirror.src}/rh-osbs/here:{u}")
    assert mirror.registries.client("other").tags("art/gone") == []


def test_an_auth_failure_is_an_error_and_no_secret_is_shown(mirror: Mirror,
                                                           tmp_path: Path) -> None:
    u = mirror.uid
    mirror.push("source", "rh-osbs/auth", u, images.image(f"auth-{u}"))
    mirror.streams(f"s:\n  image: {mirror.src}/rh-osbs/auth:{u}\n  mirror: true\n"
                   f"  upstream_image: {mirror.other}/art/auth:{u}\n")
    bad = mirror.registries.write_authfile(tmp_path / "bad.json", "mirror", "wrong-password")
    done = mirror.run(auth=bad)
    assert done.code == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "unauthorized" in errors[0] and errors[0].startswith("error: s: ")
    everything = done.stdout + done.stderr
    assert "wrong-password" not in everything and mirror.registries.password not in everything
    assert bad.read_text(encoding="utf-8").split('"auth": "')[1][:20] not in everything


def test_doozers_registry_config_dir_and_json_output(mirror: Mirror, tmp_path: Path) -> None:
    u = mirror.uid
    single = images.image(f"json-{u}")
    mirror.push("source", "rh-osbs/json", u, single)
    mirror.streams(f"s:\n  image: {mirror.src}/rh-osbs/json:{u}\n  mirror: true\n"
                   f"  upstream_image: {mirror.other}/art/json:{u}\n")
    config_dir = tmp_path / "docker"
    config_dir.mkdir()
    (config_dir / "config.json").write_bytes(mirror.registries.authfile.read_bytes())
    done = mirror.run("--format", "json", config_dir=config_dir)
    assert done.code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["entries"] == [{"name": "s", "results": [{
        "action": "copied", "source": f"{mirror.src}/rh-osbs/json:{u}",
        "dest": f"{mirror.other}/art/json:{u}", "digest": single.digest,
        "text": f"copied {mirror.src}/rh-osbs/json:{u} -> {mirror.other}/art/json:{u} "
                f"{single.digest}"}]}]
    assert (report["ok"], report["summary"]["copied"], report["dry_run"]) == (True, 1, False)


def test_dry_run_lists_every_step_and_changes_nothing(mirror: Mirror) -> None:
    u = mirror.uid
    mirror.push("source", "rh-osbs/dry", u, images.image_list(f"dry-{u}"))
    mirror.imagestream("ocp", f"dry-{u}", "t")
    mirror.streams(f"s:\n  image: {mirror.src}/rh-osbs/dry:{u}\n  mirror: true\n"
                   f"  upstream_image: {mirror.ci}/ocp/dry-{u}:t\n"
                   f"  upstream_image_mirror: [{mirror.other}/art/dry:{u}]\n")
    before, tags = mirror.marks(), mirror.tags("ocp", f"dry-{u}")
    done = mirror.run("--dry-run", "--format", "json")
    assert done.code == 0, done.stderr
    report = json.loads(done.stdout)
    assert [r["action"] for r in report["entries"][0]["results"]] == ["planned"] * 4
    assert report["entries"][0]["results"][2]["text"] == (
        f"would patch imagestream ocp/dry-{u}:t -> {PROXY}@<digest> (referencePolicy Source, "
        "importMode PreserveOriginal)")
    assert (report["dry_run"], report["ok"], report["summary"]["planned"]) == (True, True, 4)
    assert mirror.writes(before) == [] and mirror.tags("ocp", f"dry-{u}") == tags
    # not even a read: without --only-if-missing a dry run asks no registry anything
    assert [mirror.registries[n].requests()[m:] for n, m in before.items()] == [[], [], []]


def test_a_refused_patch_is_an_error(mirror: Mirror) -> None:
    u = mirror.uid
    mirror.push("source", "rh-osbs/refused", u, images.image(f"refused-{u}"))
    mirror.imagestream("ocp", f"refused-{u}", "t")
    mirror.streams(f"s:\n  image: {mirror.src}/rh-osbs/refused:{u}\n  mirror: true\n"
                   f"  upstream_image: {mirror.ci}/ocp/refused-{u}:t\n"
                   f"t:\n  image: {mirror.src}/rh-osbs/refused:{u}\n  mirror: true\n"
                   f"  upstream_image: {mirror.ci}/ocp/no-such-{u}:t\n")
    done = mirror.run(user="nobody")
    assert done.code == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: s: imagestream ocp/refused-{u}: cannot read it: HTTP 403: imagestreams.image."
        f"openshift.io \"refused-{u}\" is forbidden: User \"nobody\" cannot get resource "
        "\"imagestreams\" in API group \"image.openshift.io\" in the namespace \"ocp\"",
        f"error: t: imagestream ocp/no-such-{u}: cannot read it: HTTP 403: imagestreams.image."
        f"openshift.io \"no-such-{u}\" is forbidden: User \"nobody\" cannot get resource "
        "\"imagestreams\" in API group \"image.openshift.io\" in the namespace \"ocp\""]
    assert mirror.tags("ocp", f"refused-{u}")["t"]["from"]["name"] == "old.io/x:t"
    missing = mirror.run("--stream", "t")
    assert f"error: t: imagestream ocp/no-such-{u}: cannot read it: HTTP 404: it does not " \
           "exist" in missing.stderr


# -- the patch under concurrent changes ---------------------------------------------------


class Meddling(Api):
    """An Api whose first `meddle` patches are preceded by someone else's change."""

    change: Callable[[], None] = staticmethod(lambda: None)
    meddle: int = 1
    patches: int = 0

    def json_patch(self, path: str, operations: list[dict[str, Any]], dry_run: bool) -> Answer:
        self.patches += 1
        if self.patches <= self.meddle:
            self.change()
        return super().json_patch(path, operations, dry_run)


@pytest.fixture
def meddling(mirror: Mirror) -> Iterator[Callable[[Callable[[], None], int], Meddling]]:
    """Makes Meddling Apis as art-publish (closed at the end of the test)."""
    made: list[Meddling] = []

    def make(change: Callable[[], None], meddle: int = 1) -> Meddling:
        plain = connect(ConnectionOptions(str(mirror.cluster.kubeconfig("art-publish"))))
        api = Meddling(plain.client, plain.server)
        api.change, api.meddle = change, meddle
        made.append(api)
        return api

    yield make
    for api in made:
        api.client.close()


def test_a_concurrent_insert_makes_the_test_fail_and_the_retry_lands_right(
        mirror: Mirror, meddling: Callable[[Callable[[], None], int], Meddling]) -> None:
    name = f"race-{mirror.uid}"
    mirror.imagestream("ocp", name, "a", "b", "c")
    where = imagestream_crd.path("ocp", name)

    def insert_first() -> None:  # shifts every index: a bare `replace /spec/tags/1` hits `a`
        status, _ = mirror.cluster.api("PATCH", where, [
            {"op": "add", "path": "/spec/tags/0", "value": {
                "name": "new", "from": {"kind": "DockerImage", "name": "old.io/x:new"}}}],
            content_type="application/json-patch+json")
        assert status == 200

    api = meddling(insert_first, 1)
    digest = "sha256:" + "ab" * 32
    assert imagestreams.point_tag(api, "ocp", name, "b", f"{PROXY}@{digest}") == "patched"
    assert api.patches == 2  # the first was refused by its test, the second landed
    tags = mirror.tags("ocp", name)
    assert list(tags) == ["new", "a", "b", "c"]
    assert points_at(tags["b"], digest)
    assert [tags[t]["from"]["name"] for t in ("new", "a", "c")] == \
        ["old.io/x:new", "old.io/x:a", "old.io/x:c"]


def test_a_concurrent_add_is_kept_when_the_tag_is_added(
        mirror: Mirror, meddling: Callable[[Callable[[], None], int], Meddling]) -> None:
    name = f"race-add-{mirror.uid}"
    mirror.imagestream("ocp", name, "a")
    where = imagestream_crd.path("ocp", name)

    def add_other() -> None:
        mirror.cluster.api("PATCH", where, [{"op": "add", "path": "/spec/tags/-", "value": {
            "name": "other", "from": {"kind": "DockerImage", "name": "old.io/x:other"}}}],
            content_type="application/json-patch+json")

    api = meddling(add_other, 1)
    digest = "sha256:" + "cd" * 32
    assert imagestreams.point_tag(api, "ocp", name, "mine", f"{PROXY}@{digest}") == "added"
    assert api.patches == 2
    tags = mirror.tags("ocp", name)
    assert list(tags) == ["a", "other", "mine"] and points_at(tags["mine"], digest)
    assert imagestreams.point_tag(api, "ocp", name, "mine", f"{PROXY}@{digest}") == "unchanged"
    assert api.patches == 2  # nothing to write the second time


def test_an_imagestream_that_never_settles_is_an_error(
        mirror: Mirror, meddling: Callable[[Callable[[], None], int], Meddling]) -> None:
    name = f"race-forever-{mirror.uid}"
    mirror.imagestream("ocp", name, "a", "b")
    where = imagestream_crd.path("ocp", name)

    def rotate() -> None:
        tags = list(mirror.tags("ocp", name).values())
        status, _ = mirror.cluster.api("PATCH", where, [
            {"op": "replace", "path": "/spec/tags", "value": tags[1:] + tags[:1]}],
            content_type="application/json-patch+json")
        assert status == 200

    api = meddling(rotate, imagestreams.ROUNDS)
    with pytest.raises(imagestreams.PatchRefused, match="changed under every one of 5 tries"):
        imagestreams.point_tag(api, "ocp", name, "b", f"{PROXY}@sha256:{'ef' * 32}")
    assert all(t["from"]["name"].startswith("old.io/") for t in mirror.tags("ocp", name).values())
