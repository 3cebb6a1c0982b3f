"""app.generate runs the stages in order: the cluster's dry run comes before the output file
is written (all or nothing), and only a server-side apply talks to a cluster at all.

When --prune may run (issue 16): never after a warning about the build data unless
--prune-despite-warnings; a run that renders nothing says so the same way for --apply --prune
and diff --prune; too many stale objects are listed as objects that would be pruned.

The cluster is faked here (app._prepare_apply, cluster.run_diff): these are the decisions
taken before any request. tests/cluster/test_prune.py runs the warning guard against the real test cluster.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from cistreams import app
from cistreams.cluster import kinds
from cistreams.cluster import prune as pruning
from cistreams.cluster.diff import DiffReport
from cistreams.errors import CistreamsError, Problems
from cistreams.options import ApplyOptions, ConnectionOptions, GenerateRequest, Source
from helpers import EXAMPLE, patch_generate, run_cli


def request(tmp_path: Path, **options: Any) -> GenerateRequest:
    return GenerateRequest(Source(str(EXAMPLE), "openshift-4.7"), str(tmp_path / "o.yaml"),
                           **options)


@pytest.mark.parametrize("apply", [False, True])
def test_no_cluster_without_server_side_apply(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, apply: bool) -> None:
    def refuse(*args: Any) -> None:
        raise AssertionError("the cluster was contacted")

    monkeypatch.setattr(app, "_prepare_apply", refuse)
    data = tmp_path / "data"
    data.mkdir()
    (data / "group.yml").write_text((EXAMPLE / "group.yml").read_text())
    (data / "streams.yml").write_text("plain:\n  image: x/y:z\n")  # renders nothing
    req = GenerateRequest(Source(str(data if apply else EXAMPLE), "openshift-4.7"),
                          str(tmp_path / "o.yaml"), apply=apply)
    result = app.generate(req, Problems())
    assert result.applied is False
    assert (tmp_path / "o.yaml").exists()


def test_a_refused_dry_run_leaves_the_output_file_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "o.yaml").write_text("previous\n")

    def refused(*args: Any) -> None:
        raise CistreamsError("the server refused it")

    monkeypatch.setattr(app, "_prepare_apply", refused)
    with pytest.raises(CistreamsError, match="refused"):
        app.generate(request(tmp_path, apply=True, apply_options=ApplyOptions()), Problems())
    assert (tmp_path / "o.yaml").read_text() == "previous\n"


def test_the_dry_run_comes_before_the_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    class Session:
        def commit(self) -> Any:
            raise AssertionError("not reached")

    def dry_run(*args: Any) -> Session:
        seen.append((tmp_path / "o.yaml").exists())
        raise KeyboardInterrupt

    monkeypatch.setattr(app, "_prepare_apply", dry_run)
    with pytest.raises(KeyboardInterrupt):
        app.generate(request(tmp_path, apply=True, apply_options=ApplyOptions()), Problems())
    assert seen == [False]
    assert not (tmp_path / "o.yaml").exists()


BASE = Path(__file__).parent / "bad_inputs" / "_base"
GROUP = "openshift-4.17"
NOT_PRUNING = ("not pruning: the build data gave 1 warning(s) (shown here), and an entry dropped "
               "by one would look stale; fix them, or pass --prune-despite-warnings")


class Stop(CistreamsError):
    """Raised by the fake cluster once it has seen what it was asked."""

    def __init__(self) -> None:
        super().__init__("stopped by the test")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """The bad-input base (one BuildConfig) with a foreign key in its stream: one warning."""
    copy = tmp_path / "data"
    shutil.copytree(BASE, copy)
    streams = copy / "streams.yml"
    streams.write_text(streams.read_text() + "  owner: someone@example.com\n")
    return copy


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[ApplyOptions]:
    """The apply options each server-side apply was prepared with (then the run stops)."""
    seen: list[ApplyOptions] = []

    def prepare(request: GenerateRequest, *args: Any) -> None:
        seen.append(request.apply_options)
        raise Stop

    monkeypatch.setattr(app, "_prepare_apply", prepare)
    return seen


@pytest.fixture
def diffed(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The `prune` of each diff sent to the (fake) cluster."""
    seen: list[bool] = []

    def run_diff(objects: Any, connection: Any, as_user: Any, prune: bool,
                 progress: Any = None) -> DiffReport:
        seen.append(prune)
        return DiffReport("", 0, len(objects))

    monkeypatch.setattr("cistreams.cluster.run_diff", run_diff)
    return seen


def apply_request(data: Path, tmp_path: Path, **apply: Any) -> GenerateRequest:
    return GenerateRequest(Source(str(data), GROUP), str(tmp_path / "out.yaml"), apply=True,
                           apply_options=ApplyOptions(**apply))


def test_a_run_with_a_warning_does_not_prune(data: Path, tmp_path: Path,
                                             asked: list[ApplyOptions]) -> None:
    problems = Problems()
    with pytest.raises(Stop):
        app.generate(apply_request(data, tmp_path, prune=True), problems)
    assert [options.prune for options in asked] == [False]
    assert problems.warnings == ["streams.yml:7: golang.owner: unknown key, ignored", NOT_PRUNING]


def test_the_override_prunes_despite_the_warning(data: Path, tmp_path: Path,
                                                 asked: list[ApplyOptions]) -> None:
    problems = Problems()
    with pytest.raises(Stop):
        app.generate(apply_request(data, tmp_path, prune=True, prune_despite_warnings=True),
                     problems)
    assert [options.prune for options in asked] == [True]
    assert problems.warnings == ["streams.yml:7: golang.owner: unknown key, ignored"]


def test_a_clean_run_prunes(tmp_path: Path, asked: list[ApplyOptions]) -> None:
    problems = Problems()
    with pytest.raises(Stop):
        app.generate(apply_request(BASE, tmp_path, prune=True), problems)
    assert [options.prune for options in asked] == [True]
    assert problems.warnings == []


def test_the_cli_says_it_in_one_line_and_passes_the_override(
        data: Path, tmp_path: Path, asked: list[ApplyOptions]) -> None:
    args = ("gen-buildconfigs", "--data-path", str(data), "-g", GROUP, "-o",
            str(tmp_path / "out.yaml"), "--apply", "--prune")
    held = run_cli(*args)
    assert (held.code, held.stderr) == (1, "warning: streams.yml:7: golang.owner: unknown key, "
                                           f"ignored\nwarning: {NOT_PRUNING}\n"
                                           "error: stopped by the test\n")
    assert run_cli(*args, "--prune-despite-warnings").code == 1
    assert [options.prune for options in asked] == [False, True]
    assert [options.prune_despite_warnings for options in asked] == [False, True]


def test_diff_prune_shows_no_removals_after_a_warning(data: Path, diffed: list[bool]) -> None:
    result = run_cli("diff", "--data-path", str(data), "-g", GROUP, "--prune")
    assert (result.code, result.stderr) == (0, "warning: streams.yml:7: golang.owner: unknown "
                                               f"key, ignored\nwarning: {NOT_PRUNING}\n"
                                               "0 of 1 objects would change\n")
    assert run_cli("diff", "--data-path", str(data), "-g", GROUP, "--prune",
                   "--prune-despite-warnings").code == 0
    assert diffed == [False, True]


@pytest.mark.parametrize("verb", [("gen-buildconfigs", "-o", "-"), ("diff",)])
def test_the_override_needs_prune(verb: tuple[str, ...]) -> None:
    result = run_cli(*verb, "--data-path", str(BASE), "-g", GROUP, "--prune-despite-warnings")
    assert result.code == 2
    assert result.stderr.endswith("\nerror: --prune-despite-warnings needs --prune\n")


# -- a run that renders nothing: the same plain line for --apply --prune and diff --prune --------


@pytest.fixture
def nothing(tmp_path: Path) -> Path:
    """Build data whose one stream has no transform."""
    copy = tmp_path / "nothing"
    shutil.copytree(BASE, copy)
    (copy / "streams.yml").write_text("etcd:\n  image: openshift/etcd:v1\n"
                                      "  upstream_image: registry.ci.openshift.org/ocp/etcd:v1\n")
    return copy


def test_apply_prune_of_nothing_says_what_was_done(nothing: Path, tmp_path: Path,
                                                   asked: list[ApplyOptions]) -> None:
    out = tmp_path / "out.yaml"
    result = run_cli("gen-buildconfigs", "--data-path", str(nothing), "-g", GROUP, "-o", str(out),
                     "--apply", "--prune")
    assert (result.code, result.stderr) == (
        0, "warning: no BuildConfig was rendered (no entry of this run names a transform), so "
           f"nothing was applied or pruned\nwrote 0 BuildConfigs to {out}\n")
    assert asked == []  # no cluster at all


def test_diff_prune_of_nothing_says_the_same(nothing: Path, diffed: list[bool]) -> None:
    result = run_cli("diff", "--data-path", str(nothing), "-g", GROUP, "--prune")
    assert (result.code, result.stderr) == (
        0, "warning: no BuildConfig was rendered (no entry of this run names a transform), so "
           "nothing was compared or pruned\n0 of 0 objects would change\n")
    assert diffed == []


def test_oc_apply_of_nothing_says_it_too(nothing: Path, tmp_path: Path) -> None:
    result = run_cli("gen-buildconfigs", "--data-path", str(nothing), "-g", GROUP, "-o", "-",
                     "--apply", "--oc", str(tmp_path / "no-such-oc"))
    assert (result.code, result.stderr) == (
        0, "warning: no BuildConfig was rendered (no entry of this run names a transform), so "
           "nothing was applied\nwrote 0 BuildConfigs to standard output\n")


# -- --max-prune: the stale objects are what would be pruned, not errors --------------------------


def stale(count: int) -> list[pruning.Stale]:
    kind = kinds.BUILDCONFIG
    return [pruning.Stale(kinds.Ref(kind, "ci", f"bc-{i}"), f"uid-{i}", {}) for i in range(count)]


def test_too_many_lists_every_object_as_one_that_would_be_pruned() -> None:
    pruning.check_count(stale(5), 5)  # at the limit: fine
    with pytest.raises(pruning.TooMany) as raised:
        pruning.check_count(stale(30), 5)
    assert str(raised.value) == ("--prune would delete 30 objects, more than --max-prune 5; "
                                 "nothing was applied or deleted. If the build data is right, "
                                 "rerun with a higher --max-prune")
    assert raised.value.details == tuple(f"  would prune buildconfig.build.openshift.io/bc-{i}"
                                         for i in range(30))


def test_the_cli_shows_them_after_one_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def generate(*args: Any, **kwargs: Any) -> None:
        raise pruning.TooMany(stale(30), 5)

    patch_generate(monkeypatch, generate)
    result = run_cli("gen-buildconfigs", "--data-path", str(BASE), "-g", GROUP, "-o", "-",
                     "--apply", "--prune")
    lines = result.stderr.splitlines()
    assert result.code == 1
    assert lines[0].startswith("error: --prune would delete 30 objects")
    assert lines[1:] == [f"  would prune buildconfig.build.openshift.io/bc-{i}" for i in range(30)]
    assert "more error" not in result.stderr


def test_a_prune_decision_never_hides_an_error(data: Path, tmp_path: Path,
                                               asked: list[ApplyOptions]) -> None:
    (data / "streams.yml").write_text((data / "streams.yml").read_text() + "  transfrom: x\n")
    with pytest.raises(CistreamsError, match="did you mean 'transform'"):
        app.generate(apply_request(data, tmp_path, prune=True), Problems())
    assert asked == []


def test_diff_without_prune_is_unchanged_by_warnings(data: Path, diffed: list[bool]) -> None:
    problems = Problems()
    request = GenerateRequest(Source(str(data), GROUP), "-")
    report = app.diff(request, ConnectionOptions(), problems)
    assert (report.objects, diffed) == (1, [False])
    assert problems.warnings == ["streams.yml:7: golang.owner: unknown key, ignored"]
