"""The skopeo wrapper: argument lists, messages and classification, retries; then reads and
copies against real registries (distribution 2.8, TLS, htpasswd) with Debian's skopeo."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from cistreams.registry import refs, skopeo
from cistreams.registry.skopeo import AMD64, ARM64, KEEP_LIST, RegistryError, Skopeo
from cluster.faultproxy import FaultProxy
from cluster.testcluster import TestCluster, free_port
from registry import images
from registry.testregistry import Registries

SRC = refs.parse("src.io:5000/ns/app:v1")
DEST = refs.parse("dst.io/ci/app:v1")

# skopeo 1.9's own words, from runs against the test registries
MISSING_TEXT = ('time="2026-12-04T18:47:14Z" level=fatal msg="initializing source docker://127.0.'
                '0.1:42245/rh-osbs/nothere:v1: reading manifest v1 in 127.0.0.1:42245/rh-osbs/'
                'nothere: manifest unknown: manifest unknown"\n')
AUTH_TEXT = ('time="x" level=fatal msg="Error parsing image name \\"docker://127.0.0.1:50655/a/b:'
             'v1\\": reading manifest v1 in 127.0.0.1:50655/a/b: unauthorized: authentication '
             'required"\n')
REFUSED_TEXT = ('time="x" level=fatal msg="pinging container registry 127.0.0.1:1: Get \\"https:'
                '//127.0.0.1:1/v2/\\": dial tcp 127.0.0.1:1: connect: connection refused"\n')


@pytest.mark.parametrize(("message", "kind"), [
    (skopeo.message_of(MISSING_TEXT), skopeo.MISSING),
    ("no image found in manifest list for architecture arm64, variant \"\", OS linux",
     skopeo.MISSING),
    ("reading manifest v1 in r/a: name unknown: repository name not known to registry",
     skopeo.MISSING),
    (skopeo.message_of(AUTH_TEXT), skopeo.AUTH),
    ("requested access to the resource is denied", skopeo.AUTH),
    ("received unexpected HTTP status: 403 Forbidden", skopeo.AUTH),
    (skopeo.message_of(REFUSED_TEXT), skopeo.RETRY),
    ("received unexpected HTTP status: 503 Service Unavailable", skopeo.RETRY),
    ("pinging container registry r:1: invalid status code from registry 503 (Service "
     "Unavailable)", skopeo.RETRY),
    ("pinging container registry r:1: invalid status code from registry 403 (Forbidden)",
     skopeo.AUTH),
    ("toomanyrequests: slow down", skopeo.RETRY),
    ("Get \"https://r/v2/\": context deadline exceeded", skopeo.RETRY),
    ("timed out after 900 s", skopeo.RETRY),
    ("writing manifest: uploading manifest latest to r/ci: manifest blob unknown: blob unknown "
     "to registry", skopeo.RETRY),  # a parallel copy of the same blobs is still writing them
    ("x509: certificate signed by unknown authority", skopeo.FAILED),
    ("dial tcp 127.0.0.1:5001: lookup nowhere: no such host", skopeo.FAILED),
])
def test_failures_are_classified(message: str, kind: str) -> None:
    assert skopeo.classify(message) == kind


def test_the_message_is_skopeos_one_line() -> None:
    assert skopeo.message_of(AUTH_TEXT) == (
        'Error parsing image name "docker://127.0.0.1:50655/a/b:v1": reading manifest v1 in '
        "127.0.0.1:50655/a/b: unauthorized: authentication required")
    assert skopeo.message_of("warning: a\nerror: b\n\n") == "error: b"
    assert skopeo.message_of("") == "failed without a message"
    assert skopeo.message_of("Authorization: Basic bWlycm9yOnNlY3JldA==") == \
        "Authorization: Basic <hidden>"


def test_copy_arguments(tmp_path: Path) -> None:
    (tmp_path / "src.io:5000").mkdir()
    tool = Skopeo(authfile=Path("/a/config.json"), certs_dir=tmp_path)
    assert tool.copy_args(SRC, DEST, KEEP_LIST, Path("/t/d")) == [
        "skopeo", "copy", "--multi-arch", "all", "--preserve-digests", "--quiet",
        "--authfile", "/a/config.json", "--src-cert-dir", str(tmp_path / "src.io:5000"),
        "--digestfile", "/t/d", "docker://src.io:5000/ns/app:v1", "docker://dst.io/ci/app:v1"]
    assert tool.copy_args(DEST, SRC, ARM64) == [
        "skopeo", "--override-os", "linux", "--override-arch", "arm64", "copy",
        "--multi-arch", "system", "--preserve-digests", "--quiet", "--authfile",
        "/a/config.json", "--dest-cert-dir", str(tmp_path / "src.io:5000"),
        "docker://dst.io/ci/app:v1", "docker://src.io:5000/ns/app:v1"]
    assert Skopeo(certs_dir=None).inspect_args(SRC) == [
        "skopeo", "inspect", "--raw", "docker://src.io:5000/ns/app:v1"]


class Script:
    """A fake skopeo answering from a list of (returncode, stderr); records the calls."""

    def __init__(self, *answers: tuple[int, str]) -> None:
        self.answers = list(answers)
        self.calls: list[list[str]] = []

    def __call__(self, args: Sequence[str], timeout: float) -> skopeo.Completed:
        self.calls.append(list(args))
        code, stderr = self.answers.pop(0)
        return skopeo.Completed(code, b"{}", stderr)


def test_retryable_failures_are_tried_three_times_with_a_growing_wait() -> None:
    waits: list[float] = []
    script = Script((1, REFUSED_TEXT), (1, REFUSED_TEXT), (0, ""))
    tool = Skopeo(certs_dir=None, run=script, sleep=waits.append)
    assert tool.digest(SRC) == skopeo.sha256_digest(b"{}")
    assert (len(script.calls), waits, tool.runs) == (3, [1.0, 2.0], 3)


def test_a_registry_that_stays_down_is_an_error_after_three_tries() -> None:
    waits: list[float] = []
    tool = Skopeo(certs_dir=None, run=Script(*[(1, REFUSED_TEXT)] * 3), sleep=waits.append)
    with pytest.raises(RegistryError) as caught:
        tool.digest(SRC)
    assert caught.value.kind == skopeo.RETRY and waits == [1.0, 2.0]
    assert str(caught.value).startswith("cannot read src.io:5000/ns/app:v1 after 3 tries: ")


@pytest.mark.parametrize(("text", "kind"), [(MISSING_TEXT, skopeo.MISSING),
                                            (AUTH_TEXT, skopeo.AUTH)])
def test_missing_and_refused_are_not_retried(text: str, kind: str) -> None:
    script = Script((1, text))
    with pytest.raises(RegistryError) as caught:
        Skopeo(certs_dir=None, run=script).copy(SRC, DEST, AMD64)
    assert (caught.value.kind, len(script.calls)) == (kind, 1)


def test_a_missing_manifest_reads_as_none() -> None:
    assert Skopeo(certs_dir=None, run=Script((1, MISSING_TEXT))).digest(SRC) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("quay.io/openshift/ci:art__ocp_4.17_base", ("quay.io", "openshift/ci", "art__ocp_4.17_base",
                                                 None)),
    ("127.0.0.1:5000/a/b@sha256:" + "0" * 64, ("127.0.0.1:5000", "a/b", None, "sha256:" + "0" * 64)),
    ("localhost/a", ("localhost", "a", "latest", None)),
])
def test_pullspecs(text: str, expected: tuple[str, str, str | None, str | None]) -> None:
    ref = refs.parse(text)
    assert (ref.host, ref.repository, ref.tag, ref.digest) == expected
    assert str(ref) == (text if text != "localhost/a" else "localhost/a:latest")


@pytest.mark.parametrize(("text", "error"), [
    ("openshift/golang-builder:v1", "needs a registry host first"),
    ("quay.io/UPPER/x:y", "is not a valid repository name"),
    ("quay.io/a/b:" + "t" * 129, "is not a valid tag"),
    ("quay.io/a/b@sha256:abc", "is not a sha256 digest"),
])
def test_bad_pullspecs(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        refs.parse(text)


# -- against real registries ------------------------------------------------------------


def tool_for(registries: Registries, authfile: Path | None = None) -> Skopeo:
    return Skopeo(authfile=authfile or registries.authfile, certs_dir=registries.certs_dir)


def at(registries: Registries, name: str, path: str) -> refs.Pullspec:
    return refs.parse(f"{registries[name].host}/{path}")


def test_a_list_is_read_by_its_own_digest(registries: Registries) -> None:
    listed = images.image_list("read-list")
    images.push(registries.client("source"), "osbs/read-list", "v1", listed)
    tool = tool_for(registries)
    assert tool.digest(at(registries, "source", "osbs/read-list:v1")) == listed.digest
    assert tool.digest(at(registries, "source", "osbs/read-list:nothere")) is None
    assert tool.digest(at(registries, "source", "osbs/no-such-repo:v1")) is None


def test_keeping_the_list_preserves_its_digest(registries: Registries) -> None:
    listed = images.image_list("keep-list")
    images.push(registries.client("source"), "osbs/keep-list", "v1", listed)
    dest = at(registries, "ci", "openshift/ci:keep-list")
    pushed = tool_for(registries).copy(at(registries, "source", "osbs/keep-list:v1"), dest,
                                       KEEP_LIST)
    assert pushed == listed.digest
    stored = registries.client("ci").manifest("openshift/ci", "keep-list")
    assert stored is not None and stored[0] == images.MANIFEST_LIST
    assert {m["digest"] for m in json.loads(stored[1])["manifests"]} == \
        {i.digest for i in listed.images}
    for single in listed.images:  # the list's images came along, by digest
        assert registries.client("ci").manifest("openshift/ci", single.digest) is not None


@pytest.mark.parametrize(("selection", "arch"), [(AMD64, "amd64"), (ARM64, "arm64")])
def test_one_platform_of_a_list(registries: Registries, selection: skopeo.Selection,
                                arch: str) -> None:
    listed = images.image_list("platforms")
    images.push(registries.client("source"), "osbs/platforms", "v1", listed)
    dest = at(registries, "other", f"art/platforms:{arch}")
    pushed = tool_for(registries).copy(at(registries, "source", "osbs/platforms:v1"), dest,
                                       selection)
    assert pushed == listed.for_arch(arch).digest
    stored = registries.client("other").manifest("art/platforms", arch)
    assert stored == (images.MANIFEST, listed.for_arch(arch).manifest)


def test_a_single_image_is_copied_as_it_is_whatever_the_platform(registries: Registries) -> None:
    single = images.image("single-amd64")
    images.push(registries.client("source"), "osbs/single", "v1", single)
    pushed = tool_for(registries).copy(at(registries, "source", "osbs/single:v1"),
                                       at(registries, "other", "art/single:arm"), ARM64)
    assert pushed == single.digest


def test_a_list_without_the_platform_is_a_missing_source(registries: Registries) -> None:
    images.push(registries.client("source"), "osbs/amd-only", "v1",
                images.image_list("amd-only", ("amd64",)))
    with pytest.raises(RegistryError) as caught:
        tool_for(registries).copy(at(registries, "source", "osbs/amd-only:v1"),
                                  at(registries, "other", "art/amd-only:arm"), ARM64)
    assert caught.value.kind == skopeo.MISSING and "no image found" in str(caught.value)
    assert registries.client("other").tags("art/amd-only") == []


def test_a_missing_source_copies_nothing(registries: Registries) -> None:
    with pytest.raises(RegistryError) as caught:
        tool_for(registries).copy(at(registries, "source", "osbs/never:v1"),
                                  at(registries, "other", "art/never:v1"), AMD64)
    assert caught.value.kind == skopeo.MISSING
    assert str(caught.value).startswith(f"cannot copy {registries['source'].host}/osbs/never:v1")


def test_a_wrong_password_is_an_auth_error_and_is_not_shown(registries: Registries,
                                                            tmp_path: Path) -> None:
    images.push(registries.client("source"), "osbs/auth", "v1", images.image("auth"))
    bad = registries.write_authfile(tmp_path / "bad.json", "mirror", "not-the-password")
    before = registries["source"].mark()
    with pytest.raises(RegistryError) as caught:
        tool_for(registries, bad).digest(at(registries, "source", "osbs/auth:v1"))
    assert caught.value.kind == skopeo.AUTH
    assert "not-the-password" not in str(caught.value) and registries.password not in str(caught.value)
    assert [r.status for r in registries["source"].requests()[before:]][-1] == 401


def test_a_registry_that_is_down_is_retried_then_an_error(registries: Registries) -> None:
    waits: list[float] = []
    tool = Skopeo(authfile=registries.authfile, certs_dir=registries.certs_dir,
                  sleep=waits.append)
    with pytest.raises(RegistryError) as caught:
        tool.digest(refs.parse(f"127.0.0.1:{free_port()}/a/b:v1"))
    assert caught.value.kind == skopeo.RETRY and "connection refused" in str(caught.value)
    assert (tool.runs, waits) == (3, [1.0, 2.0])


def test_an_untrusted_registry_fails_at_once(registries: Registries, tmp_path: Path) -> None:
    tool = Skopeo(authfile=registries.authfile, certs_dir=tmp_path)  # no ca.crt for the host
    with pytest.raises(RegistryError) as caught:
        tool.digest(at(registries, "source", "osbs/auth:v1"))
    assert caught.value.kind == skopeo.FAILED and "x509" in str(caught.value)
    assert tool.runs == 1


@pytest.fixture
def flaky(registries: Registries) -> Iterator[FaultProxy]:
    """The fault-injecting TLS proxy of the cluster tests, in front of the `source` registry
    (its certificate is for 127.0.0.1 too, signed by the registries' CA)."""
    upstream = SimpleNamespace(server=f"https://{registries['source'].host}",
                               workdir=registries.workdir, ca_path=registries.ca_path)
    with FaultProxy(cast(TestCluster, upstream)) as proxy:
        host = f"127.0.0.1:{proxy.port}"
        registries.trust(host)
        registries.write_authfile(registries.authfile, "mirror", registries.password, (host,))
        yield proxy


def test_a_503_is_retried_and_the_third_try_reads(registries: Registries,
                                                  flaky: FaultProxy) -> None:
    listed = images.image_list("flaky")
    images.push(registries.client("source"), "osbs/flaky", "v1", listed)
    flaky.answer_503(2, "0", where=lambda method, path: "/manifests/" in path)
    waits: list[float] = []
    tool = Skopeo(authfile=registries.authfile, certs_dir=registries.certs_dir,
                  sleep=waits.append)
    ref = refs.parse(f"127.0.0.1:{flaky.port}/osbs/flaky:v1")
    assert tool.digest(ref) == listed.digest
    assert (tool.runs, waits) == (3, [1.0, 2.0])
    assert [s.outcome for s in flaky.seen if "/manifests/" in s.path] == ["503", "503",
                                                                          "forwarded"]


def test_a_registry_that_answers_503_for_good_is_an_error(registries: Registries,
                                                          flaky: FaultProxy) -> None:
    flaky.answer_503(None)
    tool = Skopeo(authfile=registries.authfile, certs_dir=registries.certs_dir,
                  sleep=lambda _: None)
    with pytest.raises(RegistryError) as caught:
        tool.copy(refs.parse(f"127.0.0.1:{flaky.port}/osbs/flaky:v1"),
                  at(registries, "other", "art/flaky:v1"), AMD64)
    assert caught.value.kind == skopeo.RETRY and "after 3 tries" in str(caught.value)
    assert "503" in str(caught.value)
    assert registries.client("other").tags("art/flaky") == []
