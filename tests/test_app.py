"""app.generate runs the stages in order: the cluster's dry run comes before the output file
is written (all or nothing), and only a server-side apply talks to a cluster at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cistreams import app
from cistreams.errors import CistreamsError, Problems
from cistreams.options import ApplyOptions, GenerateRequest, Source
from helpers import EXAMPLE


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
