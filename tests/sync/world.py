"""The real parts of the whole job, for the tests of `cistreams sync`: the test cluster (with
the ImageStream and Build CRDs), OpenShift's build service in front of it
(tests/cluster/buildservice.py), three real registries, and copies of two corpus groups
whose registry hosts are rewritten to the test registries.

In the copies, `registry-proxy.engineering.redhat.com` (ART's brew registry) becomes the
`source` registry, `registry.ci.openshift.org` the `ci` one (the CI registry and, as
`<ci>/openshift/ci`, QCI) and `quay.io` the `other` one. Every tagged source an entry mirrors
is pushed as a two-arch image; a digest-pinned source cannot be made (a digest is its
content's), so mirror reports it missing, a warning. The imagestreams and tags the build
data names are created, as they exist on the CI cluster, and what the CI registry serves for
each tag a BuildConfig promotes to is pushed to `ci` (the last build's image).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cistreams import app
from cistreams.builddata import BuildData
from cistreams.errors import Problems
from cistreams.options import Source
from cistreams.registry import plan as planning
from cistreams.registry.refs import parse
from cluster import imagestream_crd
from cluster.buildservice import BuildService
from cluster.testcluster import TestCluster
from helpers import CORPUS
from registry import images
from registry.testregistry import Registries

GROUPS = ("openshift-4.17", "openshift-4.18")
PROXY = "quay-proxy.test/openshift/ci"
BREW = "registry-proxy.engineering.redhat.com"
CI = "registry.ci.openshift.org"


@dataclass
class World:
    """The parts, and the build data of the groups in `root/data/<group>`."""

    cluster: TestCluster
    registries: Registries
    service: BuildService
    root: Path

    @property
    def data(self) -> Path:
        """Where the groups' build data is, `{group}` standing for each."""
        return self.root / "data"

    @property
    def ci(self) -> str:
        """The CI registry's host (QCI is its openshift/ci)."""
        return self.registries["ci"].host

    def copy(self, groups: Sequence[str] = GROUPS) -> None:
        """Copy the corpus groups, rewrite their hosts, push their sources, create their
        imagestreams."""
        for group in groups:
            folder = self.data / group
            shutil.copytree(CORPUS / group, folder)
            for path in sorted(folder.rglob("*.yml")):
                path.write_text(self.rewrite(path.read_text(), group))
            self._push_sources(folder, group)
            self._imagestreams(folder, group)
            self._push_served(folder, group)

    def rewrite(self, text: str, group: str) -> str:
        """A build-data file with the test registries' hosts. ART's images live under a
        folder of the group's in the source registry: the groups name the same brew images,
        and distribution 2.8 can refuse a manifest ("blob unknown") when two pushes of the
        same blobs into one repository overlap, as the groups' copies to a shared
        destination would."""
        return (text.replace(BREW, f"{self.registries['source'].host}/{group}")
                .replace(CI, self.ci).replace("quay.io/", f"{self.registries['other'].host}/"))

    def args(self, *more: str, groups: Sequence[str] = GROUPS, user: str = "admin") -> list[str]:
        """`cistreams sync` for the groups against every real part."""
        names = [arg for group in groups for arg in ("-g", group)]
        return ["sync", *names, "--data-path", str(self.data / "{group}"),
                "--kubeconfig", str(self.service.kubeconfig(user)),
                "--registry-auth", str(self.registries.authfile),
                "--registry-certs", str(self.registries.certs_dir),
                "--ci-registry", self.ci, "--qci-repo", f"{self.ci}/openshift/ci",
                "--qci-proxy", PROXY, *more]

    def _push_sources(self, folder: Path, group: str) -> None:
        data = self._load(folder, group)
        settings = planning.Settings(ci_registry=self.ci, qci_repo=f"{self.ci}/openshift/ci",
                                     qci_proxy=PROXY)
        problems = Problems()
        plans = planning.plan(data.group, [*data.entries, *data.images.entries.values()],
                              settings, problems)
        assert problems.errors == [], problems.errors
        sources = {step.source for p in plans for t in p.targets for step in t.steps[:1]
                   if isinstance(step, planning.Copy)}
        client = self.registries.client("source")
        for source in sorted(sources, key=str):
            if source.host == self.registries["source"].host and source.tag:
                images.push(client, source.repository, source.tag,
                            images.image_list(f"{group} {source}"))

    def _imagestreams(self, folder: Path, group: str) -> None:
        """Each imagestream the build data names in the CI registry, with its tags (as on
        the CI cluster, where they exist long before a sync; the first sync's adds to one
        imagestream from two groups at once would race)."""
        data = self._load(folder, group)
        tags: dict[tuple[str, str], set[str]] = {}
        for entry in [*data.entries, *data.images.entries.values()]:
            for text in (entry.upstream_image, entry.upstream_image_base,
                         *entry.mirror.extra_destinations):
                ref = parse(text) if text else None
                if ref is None or ref.host != self.ci or ref.tag is None:
                    continue
                namespace, _, name = ref.repository.partition("/")
                tags.setdefault((namespace, name), set()).add(ref.tag)
        for (namespace, name), names in sorted(tags.items()):
            status, body = self.cluster.api("POST", "/api/v1/namespaces", {
                "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
            assert status in (201, 409), body
            listed = [{"name": t, "from": {"kind": "DockerImage", "name": f"old.test/x:{t}"}}
                      for t in sorted(names)]
            status, body = self.cluster.api("GET", imagestream_crd.path(namespace, name))
            if status == 404:
                status, body = self.cluster.api("POST", imagestream_crd.path(namespace),
                                                imagestream_crd.imagestream(namespace, name,
                                                                            listed))
                assert status == 201, body
                continue
            known = {t["name"] for t in body["spec"].get("tags") or []}
            body["spec"]["tags"] = [*(body["spec"].get("tags") or []),
                                    *(t for t in listed if t["name"] not in known)]
            status, body = self.cluster.api("PUT", imagestream_crd.path(namespace, name), body)
            assert status == 200, body

    def _push_served(self, folder: Path, group: str) -> None:
        """What the CI registry serves for each imagestream tag a BuildConfig promotes to
        (the last build of it): start-builds preserves it, upstream_image_mirror copies it."""
        client = self.registries.client("ci")
        for entry in self._load(folder, group).entries:
            ref = parse(entry.upstream_image) if entry.upstream_image else None
            if entry.transform and ref is not None and ref.host == self.ci and ref.tag:
                images.push(client, ref.repository, ref.tag, images.image_list(f"served {ref}"))

    @staticmethod
    def _load(folder: Path, group: str) -> BuildData:
        problems = Problems()
        data, _ = app.load_build_data(Source(str(folder), group), False, problems)
        assert problems.errors == [], problems.errors
        return data
