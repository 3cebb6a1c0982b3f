"""The real parts start-builds and check-upstream run against, for their tests and the bench.

`build_stack` (session): the registries and the test cluster of registry/fixtures.py (the
ImageStream CRD, `ocp` and `ocp-private`), plus the Build CRD, the rights of the users
(art-publish: everything the verbs need; bc-only: the same except `create
buildconfigs/instantiate`) and the build service in front of the API server
(cluster/buildservice.py). `env` (per test) gives a build-data directory, a random `uid` for
names of its own (the registries and the cluster are shared by the session), and helpers to
put images, imagestreams and BuildConfigs in place; the test's Builds, BuildConfigs and
imagestreams are deleted afterwards.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cluster import build_crd, imagestream_crd
from cluster.buildservice import BuildService, Scenario
from cluster.testcluster import TestCluster
from helpers import Run, run_cli
from registry import images
from registry.testregistry import Registries

GROUP = "openshift-4.17"
PROXY = "quay-proxy.test/openshift/ci"
NAMESPACE = "ocp"


@dataclass
class Stack:
    """The session's registries, cluster and build service."""

    registries: Registries
    cluster: TestCluster
    service: BuildService


def start_stack(registries: Registries, cluster: TestCluster) -> BuildService:
    """The Build CRD, the rights, and a running build service."""
    build_crd.install(cluster, readers=("art-publish", "bc-only"), builders=("art-publish",))
    imagestream_crd.install(cluster, (NAMESPACE,), "bc-only")
    return BuildService(cluster, registries.authfile, registries.certs_dir).start()


@pytest.fixture(scope="session")
def build_stack(registries: Registries, imagestream_cluster: TestCluster) -> Iterator[Stack]:
    """See the module doc."""
    service = start_stack(registries, imagestream_cluster)
    try:
        yield Stack(registries, imagestream_cluster, service)
    finally:
        service.stop()
    assert service.errors == []


@dataclass
class Env:
    """One test's names, build data and helpers (see the module doc)."""

    stack: Stack
    data: Path
    uid: str
    streams_created: list[str] = field(default_factory=list)

    @property
    def ci(self) -> str:
        """The host standing for the CI registry and QCI."""
        return self.stack.registries["ci"].host

    @property
    def qci_path(self) -> str:
        """The test's own QCI repository, in the `ci` registry (a fresh one per test)."""
        return f"qci-{self.uid}/ci"

    @property
    def qci(self) -> str:
        """The QCI repository, as --qci-repo names it."""
        return f"{self.ci}/{self.qci_path}"

    @property
    def service(self) -> BuildService:
        """The build service."""
        return self.stack.service

    @property
    def cluster(self) -> TestCluster:
        """The test cluster."""
        return self.stack.cluster

    @property
    def imagestream_name(self) -> str:
        """The test's own imagestream in `ocp`."""
        return f"builder-{self.uid}"

    def tag(self, stream: str) -> str:
        """The imagestream tag a stream builds."""
        return f"rhel-9-{stream}"

    def buildconfig_name(self, stream: str, live_test: bool = False) -> str:
        """The BuildConfig a stream renders to."""
        return f"{self.imagestream_name}-{self.tag(stream)}{'.test' if live_test else ''}" \
               "--art-builder"

    def qci_tag(self, stream: str) -> str:
        """The stream's floating QCI tag."""
        return f"art-builder-4.17-{self.tag(stream)}"

    def write_group(self, streams: tuple[str, ...], extra: str = "") -> None:
        """group.yml and streams.yml: each stream a rhel-9 golang transform into the test's
        imagestream; `extra` is more streams.yml text."""
        self.data.mkdir(exist_ok=True)
        (self.data / "group.yml").write_text(f"name: {GROUP}\nvars: {{MAJOR: 4, MINOR: 17}}\n",
                                             encoding="utf-8")
        text = "".join(
            f"{stream}:\n  transform: rhel-9/golang\n"
            f"  upstream_image_base: {self.ci}/{NAMESPACE}/{self.imagestream_name}:"
            f"{self.tag(stream)}.art\n"
            f"  upstream_image: {self.ci}/{NAMESPACE}/{self.imagestream_name}:"
            f"{self.tag(stream)}\n" for stream in streams)
        (self.data / "streams.yml").write_text(text + extra, encoding="utf-8")

    def buildconfig(self, stream: str, qci: bool = True, name: str | None = None,
                    live_test: bool = False) -> dict[str, Any]:
        """A BuildConfig as gen-buildconfigs writes it for today's CI (the QCI target), or
        the imagestream target's (`qci=False`), created in `ci`."""
        tag = self.tag(stream) + (".test" if live_test else "")
        labels = {"art-builder-group": GROUP + (".test" if live_test else ""),
                  "art-builder-stream": stream}
        meta: dict[str, Any] = {"name": name or self.buildconfig_name(stream, live_test),
                                "namespace": "ci", "labels": labels}
        if qci:
            qci_tag = f"art-builder-4.17-{tag}"
            labels["art-builder-qci-tag"] = qci_tag
            meta["annotations"] = {"art-builder-imagestream-namespace": NAMESPACE,
                                   "art-builder-imagestream-name": self.imagestream_name,
                                   "art-builder-imagestream-tag": tag}
            output = {"to": {"kind": "DockerImage", "name": f"{self.qci}:{qci_tag}"},
                      "pushSecret": {"name": "registry-push-credentials-quay-qci-art-builder"}}
        else:
            output = {"to": {"kind": "ImageStreamTag", "namespace": NAMESPACE,
                             "name": f"{self.imagestream_name}:{tag}"}}
        obj = {"apiVersion": "build.openshift.io/v1", "kind": "BuildConfig", "metadata": meta,
               "spec": {"source": {"type": "Dockerfile", "dockerfile": "FROM base\nUSER 0\n"},
                        "strategy": {"type": "Docker", "dockerStrategy": {
                            "from": {"kind": "DockerImage",
                                     "name": f"{self.ci}/{NAMESPACE}/{self.imagestream_name}:"
                                             f"{tag}.art"},
                            "imageOptimizationPolicy": "SkipLayers"}},
                        "output": output, "triggers": [],
                        "successfulBuildsHistoryLimit": 2, "failedBuildsHistoryLimit": 2}}
        status, answer = self.cluster.api(
            "POST", "/apis/build.openshift.io/v1/namespaces/ci/buildconfigs", obj)
        assert status == 201, answer
        made: dict[str, Any] = answer
        return made

    def push(self, repo: str, tag: str, content: str) -> str:
        """A new image in the `ci` registry at `repo:tag`; its digest."""
        return images.push(self.stack.registries.client("ci"), repo, tag,
                           images.image(f"{content} {self.uid}"))

    def digest(self, repo: str, tag: str) -> str | None:
        """The digest at `repo:tag` in the `ci` registry, None when there is none."""
        found = self.stack.registries.client("ci").manifest(repo, tag)
        return None if found is None else images.sha256(found[1])

    def qci_tags(self) -> list[str]:
        """Every tag of the QCI repository."""
        return self.stack.registries.client("ci").tags(self.qci_path)

    def imagestream(self, tags: dict[str, str]) -> None:
        """The test's imagestream, each tag naming a DockerImage pullspec."""
        body = imagestream_crd.imagestream(NAMESPACE, self.imagestream_name, [
            {"name": tag, "from": {"kind": "DockerImage", "name": pullspec},
             "referencePolicy": {"type": "Source"}} for tag, pullspec in tags.items()])
        status, answer = self.cluster.api("POST", imagestream_crd.path(NAMESPACE), body)
        assert status == 201, answer
        self.streams_created.append(self.imagestream_name)

    def imagestream_object(self) -> dict[str, Any]:
        """The test's imagestream as the server has it."""
        status, body = self.cluster.api("GET", imagestream_crd.path(NAMESPACE,
                                                                     self.imagestream_name))
        assert status == 200, body
        found: dict[str, Any] = body
        return found

    def tags(self) -> dict[str, dict[str, Any]]:
        """The imagestream's spec.tags by name."""
        return {t["name"]: t for t in self.imagestream_object()["spec"].get("tags") or []}

    def builds(self) -> list[dict[str, Any]]:
        """Every Build in `ci`."""
        status, body = self.cluster.api("GET", build_crd.path())
        assert status == 200, body
        return list(body["items"])

    def get_buildconfig(self, name: str) -> dict[str, Any]:
        """A BuildConfig as the server has it."""
        status, body = self.cluster.api(
            "GET", f"/apis/build.openshift.io/v1/namespaces/ci/buildconfigs/{name}")
        assert status == 200, body
        found: dict[str, Any] = body
        return found

    def options(self, user: str = "art-publish") -> list[str]:
        """The options that point a verb at the test's build data, cluster and registries."""
        registries = self.stack.registries
        return ["--data-path", str(self.data), "-g", GROUP,
                "--kubeconfig", str(self.service.kubeconfig(user)),
                "--registry-auth", str(registries.authfile),
                "--registry-certs", str(registries.certs_dir), "--ci-registry", self.ci,
                "--qci-repo", self.qci, "--qci-proxy", PROXY]

    def run(self, verb: str, *extra: str, user: str = "art-publish") -> Run:
        """`cistreams VERB` with the test's options and `extra`."""
        return run_cli(verb, *self.options(user), *extra)

    def clean(self) -> None:
        """Delete the Builds and BuildConfigs in `ci` and the test's imagestreams."""
        build_crd.delete_all(self.cluster)
        self.cluster.reset()
        for name in self.streams_created:
            self.cluster.api("DELETE", imagestream_crd.path(NAMESPACE, name))
        self.service.scenarios.clear()
        self.service.default = Scenario()


@pytest.fixture
def env(build_stack: Stack, tmp_path: Path) -> Iterator[Env]:
    """See the module doc."""
    made = Env(build_stack, tmp_path / "data", secrets.token_hex(3))
    made.clean()
    try:
        yield made
    finally:
        made.clean()


def points_at(tag: dict[str, Any], digest: str) -> bool:
    """The imagestream tag names `digest` through the proxy, as the verbs write it."""
    return tag.get("from") == {"kind": "DockerImage", "name": f"{PROXY}@{digest}"} and \
        tag.get("referencePolicy") == {"type": "Source"} and \
        tag.get("importPolicy") == {"importMode": "PreserveOriginal"}


def gc(digest: str) -> str:
    """The GC-prevention tag of a digest."""
    return f"art-builder-{digest[7:23]}"


def steady(env: Env, *streams: str) -> dict[str, tuple[str, str]]:
    """Each stream with an image CI serves and a QCI image from an earlier build; the
    imagestream tag still names what CI serves. {stream: (current, floating)}"""
    env.write_group(streams)
    found = {}
    for stream in streams:
        current = env.push(f"ocp/{env.imagestream_name}", env.tag(stream), f"ci {stream}")
        floating = env.push(env.qci_path, env.qci_tag(stream), f"qci {stream}")
        found[stream] = (current, floating)
        env.buildconfig(stream)
    env.imagestream({env.tag(s): f"{PROXY}@{found[s][0]}" for s in streams})
    return found


def build_of(env: Env, buildconfig: str) -> list[dict[str, Any]]:
    """The Builds of one BuildConfig."""
    return [b for b in env.builds()
            if b["metadata"]["annotations"]["openshift.io/build-config.name"] == buildconfig]
