"""start-builds' and check-upstream's parts without a cluster: tables, the display, the QCI
route and its steps (against an in-memory registry behind skopeo's argument lists), build
states, the watch loop's resume logic, and the verbs' tables and lines."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from cistreams.cibuilds import qci, selection, tables, upstream
from cistreams.cibuilds.display import CLEAR, Display
from cistreams.cibuilds.startbuilds import Item, Report
from cistreams.cluster import builds
from cistreams.cluster.rights import Right
from cistreams.commands import check_upstream, start_builds
from cistreams.errors import CistreamsError
from cistreams.registry.skopeo import Completed, Skopeo
from helpers import Terminal, run_cli

HOSTS = qci.Hosts("ci.example:5000", "quay.example/openshift/ci", "proxy.example/openshift/ci")
D1, D2, D3 = (f"sha256:{c * 64}" for c in "123")


def test_tables_align_columns_and_drop_trailing_spaces() -> None:
    assert tables.table(["A", "LONG HEADER", "C"], [["xyz", "1", ""], ["q", "22", "end"]]) == [
        "A    LONG HEADER  C", "xyz  1", "q    22           end"]


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "-"), (0.4, "0s"), (59.9, "59s"), (60, "1m00s"), (185, "3m05s"),
    (3600, "1h00m00s"), (3723, "1h02m03s")])
def test_durations(seconds: float | None, text: str) -> None:
    assert tables.duration(seconds) == text


def test_display_in_logs_is_one_whole_line_per_change() -> None:
    out = io.StringIO()
    shown = Display(out)
    shown.status("never drawn")
    shown.say("a")
    shown.say("b\nforged")
    shown.done()
    assert out.getvalue() == "a\nb\\nforged\n"
    assert shown.lines == ["a", "b\\nforged"]


def test_display_on_a_terminal_keeps_the_status_line_under_the_lines() -> None:
    screen = Terminal()
    shown = Display(screen)
    shown.status("1 of 2 done")
    shown.say("x: Complete")
    shown.done()
    assert screen.getvalue() == f"{CLEAR}1 of 2 done{CLEAR}x: Complete\n1 of 2 done{CLEAR}"


def test_a_live_status_line_is_redrawn_under_each_change() -> None:
    screen = Terminal()
    shown = Display(screen)
    state = {"n": 0}
    shown.live(lambda: f"{state['n']} done")
    state["n"] = 1
    shown.say("x: Complete")
    shown.done()
    text = screen.getvalue()
    assert text.startswith(f"{CLEAR}0 done")
    assert f"{CLEAR}x: Complete\n1 done" in text and text.endswith(CLEAR)


def test_display_quiet_and_echo() -> None:
    quiet = Display(Terminal(), quiet=True)
    quiet.say("kept")
    assert quiet.lines == ["kept"] and not quiet.terminal
    seen: list[str] = []
    echoed = Display(Terminal(), echo=seen.append)
    echoed.say("to the job log")
    assert seen == ["to the job log"] and not echoed.terminal


# -- the QCI route ----------------------------------------------------------------------------


def buildconfig(labels: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
    return {"metadata": {"name": "bc", "labels": labels, "annotations": annotations}}


QCI_META = ({"art-builder-qci-tag": "art-builder-4.17-golang"},
            {"art-builder-imagestream-namespace": "ocp", "art-builder-imagestream-name": "builder",
             "art-builder-imagestream-tag": "golang"})


def test_the_route_of_a_qci_buildconfig() -> None:
    route = qci.route_of(buildconfig(*QCI_META), HOSTS)
    assert route is not None
    assert str(route.qci) == "quay.example/openshift/ci:art-builder-4.17-golang"
    assert str(route.current) == "ci.example:5000/ocp/builder:golang"
    assert route.istag == "ocp/builder:golang"
    assert str(route.gc(D1)) == "quay.example/openshift/ci:art-builder-1111111111111111"
    assert route.reference(D1) == f"proxy.example/openshift/ci@{D1}"
    assert qci.route_of(buildconfig({}, {}), HOSTS) is None  # the imagestream target


def test_a_qci_label_without_its_annotations_is_an_error() -> None:
    with pytest.raises(CistreamsError) as missing:
        qci.route_of(buildconfig(QCI_META[0], {"art-builder-imagestream-name": "b"}), HOSTS)
    assert str(missing.value) == (
        "bc: has the art-builder-qci-tag label but not the annotation "
        "art-builder-imagestream-namespace, art-builder-imagestream-tag, so its imagestream "
        "tag is unknown; apply it again with gen-buildconfigs --apply")
    with pytest.raises(CistreamsError, match="make no pullspec: 'a:b' is not a valid image tag"):
        qci.route_of(buildconfig({"art-builder-qci-tag": "a:b"}, QCI_META[1]), HOSTS)


class FakeRegistry:
    """skopeo's `inspect --raw` and `copy --digestfile` over a dict of pullspec -> digest."""

    def __init__(self, images: dict[str, str]) -> None:
        self.images = dict(images)
        self.calls: list[str] = []

    def __call__(self, args: Sequence[str], timeout: float) -> Completed:
        verb = "copy" if "copy" in args else "inspect"
        refs = [a.removeprefix("docker://") for a in args if a.startswith("docker://")]
        self.calls.append(f"{verb} {' '.join(refs)}")
        if verb == "inspect":
            digest = self.images.get(refs[0])
            if digest is None:
                return Completed(1, b"", 'level=fatal msg="manifest unknown"')
            return Completed(0, f"manifest {digest}".encode(), "")
        source, dest = refs
        digest = source.partition("@")[2]
        Path(args[args.index("--digestfile") + 1]).write_text(digest, encoding="utf-8")
        self.images[dest] = digest
        return Completed(0, b"", "")


def fake_tool(images: dict[str, str]) -> tuple[Skopeo, FakeRegistry]:
    registry = FakeRegistry(images)
    # inspect returns bytes whose sha256 is the digest: map each digest to its bytes' hash
    tool = Skopeo(certs_dir=None, run=registry, sleep=lambda s: None)
    return tool, registry


def digest_of(text: str) -> str:
    from cistreams.registry.skopeo import sha256_digest

    return sha256_digest(f"manifest {text}".encode())


ROUTE = qci.route("art-builder-4.17-golang", "ocp", "builder", "golang", HOSTS)
CURRENT, QCI_TAG = str(ROUTE.current), str(ROUTE.qci)


def promoter(images: dict[str, str], dry_run: bool = False) -> tuple[qci.Promoter, list[str],
                                                                      FakeRegistry]:
    patches: list[str] = []

    def patch(namespace: str, imagestream: str, tag: str, pullspec: str) -> str:
        patches.append(f"{namespace}/{imagestream}:{tag} {pullspec}")
        return "patched"

    tool, registry = fake_tool(images)
    return qci.Promoter(tool, patch, dry_run), patches, registry


def test_preserve_keeps_both_images_then_points_the_tag_at_qci() -> None:
    made, patches, registry = promoter({CURRENT: "a", QCI_TAG: "b"})
    said: list[str] = []
    made.preserve(ROUTE, said.append)
    a, b = digest_of("a"), digest_of("b")
    assert registry.calls == [
        f"inspect {CURRENT}", f"copy ci.example:5000/ocp/builder@{a} {ROUTE.gc(a)}",
        f"inspect {QCI_TAG}", f"copy quay.example/openshift/ci@{b} {ROUTE.gc(b)}"]
    assert patches == [f"ocp/builder:golang proxy.example/openshift/ci@{b}"]
    assert said[-1] == f"patched imagestream tag ocp/builder:golang -> {ROUTE.reference(b)}"


def test_preserve_bootstraps_the_qci_tag_from_ci() -> None:
    made, patches, registry = promoter({CURRENT: "a"})
    said: list[str] = []
    made.preserve(ROUTE, said.append)
    a = digest_of("a")
    assert registry.calls[-1] == f"copy ci.example:5000/ocp/builder@{a} {QCI_TAG}"
    assert patches == [f"ocp/builder:golang {ROUTE.reference(a)}"]
    assert said[1] == f"bootstrapped ci.example:5000/ocp/builder@{a} -> {QCI_TAG}"


def test_preserve_with_nothing_anywhere_writes_nothing() -> None:
    made, patches, registry = promoter({})
    said: list[str] = []
    made.preserve(ROUTE, said.append)
    assert patches == [] and [c for c in registry.calls if c.startswith("copy")] == []
    assert said == [f"{CURRENT}: no image yet, nothing to preserve",
                    f"{QCI_TAG}: no image yet; the build will create it"]


def test_a_dry_run_reads_and_says_but_never_writes() -> None:
    made, patches, registry = promoter({CURRENT: "a", QCI_TAG: "b"}, dry_run=True)
    said: list[str] = []
    made.preserve(ROUTE, said.append)
    assert patches == [] and all(c.startswith("inspect") for c in registry.calls)
    b = digest_of("b")
    assert said[-1] == f"would point imagestream tag ocp/builder:golang at {ROUTE.reference(b)}"


def test_promote_uses_the_builds_digest_and_else_reads_the_tag() -> None:
    made, patches, registry = promoter({QCI_TAG: "c"})
    assert made.promote(ROUTE, D3, lambda s: None) == D3
    assert registry.calls == [f"copy quay.example/openshift/ci@{D3} {ROUTE.gc(D3)}"]
    c = digest_of("c")
    assert made.promote(ROUTE, None, lambda s: None) == c
    assert patches[-1] == f"ocp/builder:golang {ROUTE.reference(c)}"
    empty, _, _ = promoter({})
    with pytest.raises(CistreamsError, match="holds no image after the build"):
        empty.promote(ROUTE, None, lambda s: None)


# -- builds -----------------------------------------------------------------------------------


def build(name: str, number: int, phase: str | None = None, **status: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "creationTimestamp": f"2026-12-04T10:00:0{number}Z",
                         "annotations": {"openshift.io/build-config.name": "bc",
                                         "openshift.io/build.number": str(number)}},
            "status": {**({"phase": phase} if phase else {}), **status}}


def test_build_state_reads_what_openshift_writes() -> None:
    state = builds.build_state(build("bc-2", 2, "Complete", startTimestamp="2026-12-04T10:00:00Z",
                                     completionTimestamp="2026-12-04T10:01:05Z",
                                     output={"to": {"imageDigest": D1}}))
    assert (state.name, state.buildconfig, state.number, state.digest) == ("bc-2", "bc", 2, D1)
    assert state.done and state.duration() == 65.0
    assert builds.build_state(build("bc-1", 1)).phase == "New"  # before the status is written
    precise = builds.build_state(build("bc-3", 3, "Failed", duration=1_500_000_000))
    assert precise.duration() == 1.5 and precise.done
    assert builds.build_state(build("bc-4", 4, "Running"), deleted=True).done


def test_the_latest_build_of_each_buildconfig() -> None:
    states = [builds.build_state(build(f"bc-{n}", n)) for n in (2, 9, 3)]
    assert builds.latest_by_buildconfig(states)["bc"].name == "bc-9"


def watch_with(monkeypatch: pytest.MonkeyPatch, script: list[Any]) -> list[str]:
    """The watch loop over scripted connections: a list of events, or an exception."""
    calls: list[str] = []

    def events(api: Any, namespace: str, selector: str, version: str,
               remaining: float) -> Iterator[tuple[str, dict[str, Any]]]:
        calls.append(version)
        step = script.pop(0) if script else []
        if isinstance(step, Exception):
            raise step
        yield from step

    monkeypatch.setattr(builds, "_events", events)
    monkeypatch.setattr(builds, "list_builds", lambda api, ns, sel: (
        [builds.build_state(build("bc-7", 7, "Running"))], "500"))
    return calls


class FakeApi:
    """What the watch loop uses of an Api."""

    server = "https://test"
    impersonate = None
    credentials = "test"

    def __init__(self, client: Any = None) -> None:
        self.slept: list[float] = []
        self.client = client
        self._lock = threading.Lock()
        self.requests = 0

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_the_watch_resumes_from_the_last_version_and_relists_when_gone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = build("bc-1", 1, "Running")
    first["metadata"]["resourceVersion"] = "41"
    calls = watch_with(monkeypatch, [[("ADDED", first), ("BOOKMARK", {"metadata": {
        "resourceVersion": "42"}})], builds._Broken("reset"), builds._Gone(),
        [("MODIFIED", build("bc-7", 7, "Complete"))]])
    ticks = iter(range(100))
    seen = []
    for state in builds.watch(FakeApi(), "ci", "x=y", "40", 99.0,  # type: ignore[arg-type]
                              clock=lambda: float(next(ticks))):
        seen.append((state.name, state.phase))
        if state.phase == "Complete":
            break
    assert seen == [("bc-1", "Running"), ("bc-7", "Running"), ("bc-7", "Complete")]
    assert calls == ["40", "42", "42", "500"]


def test_a_watch_that_keeps_failing_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    watch_with(monkeypatch, [builds._Broken("refused")] * 3)
    api = FakeApi()
    with pytest.raises(builds.BuildsRefused, match="failed 3 times in a row: refused"):
        list(builds.watch(api, "ci", "x=y", "1", 1e9))  # type: ignore[arg-type]
    assert api.slept == [0.5, 1.0]


@pytest.mark.parametrize(("line", "problem"), [
    ("not json", "not JSON"), ('{"type": "ADDED"}', "without an object"),
    ('{"type": "ERROR", "object": {"code": 500, "message": "etcd\\nbroke"}}',
     "HTTP 500: etcd broke")])
def test_odd_watch_events(line: str, problem: str) -> None:
    with pytest.raises(builds._Broken, match=problem):
        builds._event(line)
    with pytest.raises(builds._Gone):
        builds._event(json.dumps({"type": "ERROR", "object": {"code": 410}}))


def test_rights_read_like_kubectl() -> None:
    assert str(Right("ci", "build.openshift.io", "buildconfigs/instantiate", "create")) == \
        "create buildconfigs.build.openshift.io/instantiate in namespace ci"
    assert str(Right("ci", "", "pods", "get")) == "get pods in namespace ci"


def test_selection_tells_outdated_from_not_selected() -> None:
    chosen = selection.Selection("g", "g", "4", "17", frozenset({"a", "b"}), ("a",), ())
    assert [chosen.status(n) for n in ("a", "b", "c")] == [
        selection.SELECTED, selection.NOT_SELECTED, selection.OUTDATED]


# -- what the verbs print ---------------------------------------------------------------------


def test_the_start_builds_table() -> None:
    route = ROUTE
    done = builds.BuildState("a-1", "a", 1, "Complete", started="2026-12-04T10:00:00Z",
                             completed="2026-12-04T10:00:42Z")
    hung = builds.BuildState("b-1", "b", 1, "Running", started="2026-12-04T10:00:00Z")
    report = Report("g", dry_run=False, wait=True, items=[
        Item("a", "selected", route, done, promoted=D1),
        Item("b", "selected", route, hung, timed_out=True),
        Item("c", "selected", None, builds.BuildState("c-1", "c", 1, "Complete", nanoseconds=0)),
        Item("d", "missing", error="not on the cluster"),
        Item("old", "outdated")])
    lines = start_builds.summary_table(report)
    assert lines[0].split() == ["BUILD", "PHASE", "DURATION", "PROMOTED"]
    assert [line.split()[0] for line in lines[1:]] == ["a-1", "b-1", "c-1", "d"]
    assert lines[1].split()[1:] == ["Complete", "42s", D1]
    assert lines[2].split()[1:4] == ["timed", "out", "(Running)"]
    assert lines[3].split()[1:] == ["Complete", "0s", "(imagestream", "target)"]
    assert lines[4].split()[1:] == ["missing", "-", "-"]
    assert not report.ok
    assert start_builds.summary_line(report).startswith(
        "start-builds g: 2 of 4 selected completed and promoted, 2 failed; 1 outdated and 0 "
        "not selected left alone")


def test_check_upstream_prints_a_table_on_a_terminal_and_lines_in_logs() -> None:
    report = upstream.Report(checks=[
        upstream.Check("golang", upstream.ISTAG, upstream.OK, "ocp/b:golang", "ref"),
        upstream.Check("golang", upstream.QCI_IMAGE, upstream.ERROR, "q:t", "missing")],
        buildconfigs=[upstream.LastBuild("b-golang--art-builder", None)])
    assert check_upstream.as_lines(report) == [
        "OK: golang: imagestream tag ocp/b:golang: ref",
        "ERROR: golang: QCI image q:t: missing",
        "buildconfig b-golang--art-builder: no builds"]
    assert check_upstream.as_tables(report) == [
        "STATUS  ENTRY   CHECK            SUBJECT       DETAIL",
        "OK      golang  imagestream tag  ocp/b:golang  ref",
        "ERROR   golang  QCI image        q:t           missing",
        "",
        "BUILDCONFIG            LAST BUILD  PHASE  AGE  DURATION",
        "b-golang--art-builder  -           -      -    -"]
    assert not report.ok and report.counts()[upstream.ERROR] == 1


@pytest.mark.parametrize(("tag", "status"), [
    ({"name": "t", "from": {"kind": "DockerImage", "name": f"proxy.example/openshift/ci@{D1}"},
      "referencePolicy": {"type": "Source"}}, upstream.OK),
    ({"name": "t", "from": {"kind": "DockerImage", "name": f"quay.example/openshift/ci@{D1}"},
      "referencePolicy": {"type": "Source"}}, upstream.OK),
    ({"name": "t", "from": {"kind": "DockerImage", "name": "quay.example/openshift/ci:tag"},
      "referencePolicy": {"type": "Source"}}, upstream.WARNING),
    ({"name": "t", "from": {"kind": "ImageStreamImage", "name": f"x@{D1}"}}, upstream.WARNING),
    ({"name": "t", "from": {"kind": "DockerImage", "name": f"proxy.example/openshift/ci@{D1}"}},
     upstream.WARNING),
    ({"name": "other"}, upstream.ERROR)])
def test_the_imagestream_tag_rules(tag: dict[str, Any], status: str) -> None:
    route = qci.route("q", "ocp", "b", "t", HOSTS)
    stream = {"spec": {"tags": [tag]}}
    assert upstream._check_tag("e", route, stream).status == status


def test_one_watch_request_lasts_five_minutes_at_most() -> None:
    import httpx2 as httpx  # the HTTP library the cluster layer uses

    asked: list[dict[str, str]] = []

    class Client:
        def stream(self, method: str, path: str, **kwargs: Any) -> Any:
            asked.append(kwargs["params"])
            raise httpx.ConnectError("refused")

    api = FakeApi(Client())
    with pytest.raises(builds.BuildsRefused, match="failed 3 times in a row: refused"):
        list(builds.watch(api, "ci", "x=y", "7", 1e9,  # type: ignore[arg-type]
                          clock=lambda: 0.0))
    assert [a["timeoutSeconds"] for a in asked] == ["300"] * 3
    assert asked[0]["resourceVersion"] == "7" and asked[0]["watch"] == "true"
    assert api.requests == 3 and api.slept == [0.5, 1.0]


@pytest.mark.parametrize(("args", "message"), [
    (["start-builds", "--timeout", "0"], "must be longer than 0"),
    (["start-builds", "--timeout", "soon"], "'soon' is not a duration"),
    (["check-upstream", "--ci-registry", "a/b"], "'a/b' is not a registry host"),
    (["start-builds", "--qci-repo", "quay.io/openshift/ci:tag"], "must be a repository"),
    (["images:streams", "check-upstream", "--format", "xml"], "'xml' is not one of"),
    (["start-builds", "-g", "openshift-4.17"], "no build data: give --data-path")])
def test_usage_mistakes_exit_2(args: list[str], message: str) -> None:
    done = run_cli(*args)
    assert done.code == 2
    assert message in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("verb", ["start-builds", "check-upstream"])
def test_a_mistake_in_the_build_data_is_one_line_before_any_cluster_is_asked(
        verb: str, tmp_path: Path) -> None:
    (tmp_path / "group.yml").write_text("name: openshift-4.17\nvars: {MAJOR: 4, MINOR: 17}\n",
                                        encoding="utf-8")
    (tmp_path / "streams.yml").write_text(
        "golang:\n  transform: rhel-9/golnag\n  upstream_image_base: r.io/ocp/b:x.art\n"
        "  upstream_image: r.io/ocp/b:x\n", encoding="utf-8")
    done = run_cli(verb, "--data-path", str(tmp_path), "-g", "openshift-4.17",
                   "--kubeconfig", str(tmp_path / "no-such-kubeconfig"))
    assert done.code == 1
    assert done.stderr.startswith("error: streams.yml:2: golang.transform: unknown transform "
                                  "'rhel-9/golnag'")
    assert "kubeconfig" not in done.stderr  # stopped before connecting
