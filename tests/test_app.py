"""app.generate's cluster overlap: the dry-run thread starts only for server-side apply, and
Ctrl-C does not wait for it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from cistreams import app
from cistreams.errors import Problems
from cistreams.options import ApplyOptions, GenerateRequest, Source
from helpers import EXAMPLE


def request(tmp_path: Path, **options: Any) -> GenerateRequest:
    return GenerateRequest(Source(str(EXAMPLE), "openshift-4.7"), str(tmp_path / "o.yaml"),
                           **options)


@pytest.mark.parametrize("options", [
    {},                                                   # no --apply
    {"apply": True, "streams": ("rhel-8-golang-ci-build-root-none",)},  # nothing to apply
])
def test_no_cluster_thread_without_server_side_apply(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]) -> None:
    def refuse(self: app.Background) -> None:
        raise AssertionError("a cluster thread was started")

    monkeypatch.setattr(app.Background, "start", refuse)
    if "streams" in options:  # a stream without a transform renders nothing
        data = tmp_path / "data"
        data.mkdir()
        (data / "group.yml").write_text((EXAMPLE / "group.yml").read_text())
        (data / "streams.yml").write_text("plain:\n  image: x/y:z\n")
        req = GenerateRequest(Source(str(data), "openshift-4.7"), str(tmp_path / "o.yaml"),
                              apply=True)
    else:
        req = request(tmp_path)
    result = app.generate(req, Problems())
    assert result.applied is False


def test_ctrl_c_while_writing_does_not_wait_for_the_dry_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    finished: list[bool] = []

    def slow_dry_run(*args: Any) -> Any:
        release.wait(30)  # a server that takes long to answer
        finished.append(True)

    def interrupted_dump(objects: list[dict[str, object]]) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(app, "_prepare_apply", slow_dry_run)
    req = request(tmp_path, apply=True, apply_options=ApplyOptions())
    with pytest.raises(KeyboardInterrupt):
        app.generate(req, Problems(), dump=interrupted_dump)
    assert finished == []  # generate returned while the dry run was still waiting
    release.set()
