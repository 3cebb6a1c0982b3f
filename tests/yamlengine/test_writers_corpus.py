"""On every corpus group, the fast writers and Dockerfile plans give the reference bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from cistreams import app, yamlengine
from cistreams.errors import CistreamsError, Problems
from cistreams.render import dockerfile

CORPUS = Path("/work/shared/corpus/ocp-build-data")
GROUPS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []


@pytest.mark.skipif(not GROUPS, reason="the corpus is not available")
@pytest.mark.parametrize("compat", [None, app.COMPAT_DOOZER_2020])
@pytest.mark.parametrize("name", GROUPS)
def test_corpus_group_bytes_equal_reference(name: str, compat: str | None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    request = app.GenerateRequest(app.Source(str(CORPUS / name), name.split("_")[0]), "-",
                                  compat=compat)
    try:
        fast = app.render_request(request, Problems())
    except CistreamsError:
        pytest.skip("this group does not render in this mode")
    monkeypatch.setattr(dockerfile, "apply", dockerfile.reference_apply)
    slow = app.render_request(request, Problems())
    assert fast.objects == slow.objects
    if compat:
        assert yamlengine.dump_doozer(fast.objects) == yamlengine.reference_dump_doozer(slow.objects)
    else:
        assert yamlengine.dump_readable(fast.objects) == yamlengine.reference_dump_readable(slow.objects)
