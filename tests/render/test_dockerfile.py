"""dockerfile.apply (planned, by concatenation) must equal dockerfile-parse's edits."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cistreams import transforms
from cistreams.render import dockerfile
from cistreams.render import objects as render
from cistreams.render.dockerfile import Edits, apply, reference_apply
from helpers import CORPUS

BUNDLED = Path(transforms.__file__).parent / "bundled"
KEYS_ENV = render.ENV_KEYS
KEYS_LABEL = render.LABEL_KEYS


def templates() -> list[Path]:
    found = sorted(BUNDLED.glob("*/*/Dockerfile"))
    if CORPUS.is_dir():
        found += sorted(CORPUS.glob("*/ci_transforms/*/*/Dockerfile"))
    return found


def realistic_edits(name: str, lines: tuple[str, ...]) -> Edits:
    return Edits((("OPENSHIFT_CI", "true"),),
                 (("io.k8s.display-name", f"builder-{name}"),
                  ("io.k8s.description", f"ART equivalent image openshift-4.17-{name} - x/y")),
                 lines)


@pytest.mark.parametrize("path", templates(), ids=str)
def test_real_templates_are_planned_and_match(path: Path) -> None:
    template = path.read_text(encoding="utf-8")
    edits = realistic_edits("rhel-8-golang-1.22", ("USER 0", "RUN yum config-manager --save"))
    assert dockerfile._plan(template, KEYS_ENV, KEYS_LABEL) is not None
    assert apply(template, edits) == reference_apply(template, edits)


FRAGMENTS = st.sampled_from([
    "FROM base\n", "FROM scratch AS build\n", "FROM a AS b\nRUN x\n", "ENV OPENSHIFT_CI=true\n",
    "ENV OPENSHIFT_CI true\n", "ENV OPENSHIFT_CI=\"true\"\n", "ENV OPENSHIFT_CI=false\n",
    "ENV A=1 OPENSHIFT_CI=true\n", "ENV X=true\nENV OPENSHIFT_CI=$X\n",
    "LABEL io.k8s.display-name=old\n", "LABEL \"io.k8s.description\"=\"d\"\n",
    "LABEL other=1\n", "RUN a && \\\n    b\n", "RUN a \\\n", "# comment\n", "# escape=`\n",
    "RUN a `\n", "\n", "  \n", "RUN trailing   \n", "RUN x", "USER 1001\n", "ARG V=1\n",
    "ENV GOPATH=/go \\\n    LOGNAME=x\n", "ENV OPENSHIFT_CI \\\n", "LABEL x=1 \\\n",
    "ENV \\\n", "RUN a\r\n", "LABEL a=b\x0c\n", "\t\n",
])
TEMPLATES = st.lists(FRAGMENTS, min_size=1, max_size=8).map("".join)
VALUES = st.one_of(
    st.sampled_from(["true", "", "x y", "it's", "a\\", "$HOME", "a=b", "\"q\"", "`x`", "é",
                     "a\nFROM x", "tab\there", "line\u2028sep", "ends\\"]),
    st.text(max_size=20))
LINES = st.lists(st.one_of(st.sampled_from(["USER 0", "RUN a  ", "", "   ", "RUN a \\",
                                            "FROM x", "RUN a\nb", "RUN\x0cx "]),
                           st.text(max_size=15)), max_size=3).map(tuple)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEMPLATES, VALUES, VALUES, VALUES, LINES)
def test_random_templates_match_dockerfile_parse(template: str, env: str, name: str,
                                                 description: str, lines: tuple[str, ...]
                                                 ) -> None:
    edits = Edits((("OPENSHIFT_CI", env),),
                  (("io.k8s.display-name", name), ("io.k8s.description", description)), lines)
    try:
        expected = reference_apply(template, edits)
    except Exception as exc:  # the library rejects it: so must we, the same way
        with pytest.raises(type(exc)):
            apply(template, edits)
        return
    assert apply(template, edits) == expected


@settings(max_examples=200, deadline=None)
@given(VALUES, VALUES, LINES)
def test_bundled_templates_with_random_values(name: str, description: str,
                                              lines: tuple[str, ...]) -> None:
    for path in sorted(BUNDLED.glob("*/*/Dockerfile")):
        template = path.read_text(encoding="utf-8")
        edits = Edits((("OPENSHIFT_CI", "true"),),
                      (("io.k8s.display-name", name), ("io.k8s.description", description)),
                      lines)
        assert apply(template, edits) == reference_apply(template, edits)


def test_plan_is_refused_when_the_library_disagrees() -> None:
    # The appended ENV line would continue the LABEL instruction.
    assert dockerfile._plan("FROM a\nLABEL x=1 \\\n", KEYS_ENV, KEYS_LABEL) is None
    assert dockerfile._plan("FROM a\nLABEL x=1\n", KEYS_ENV, KEYS_LABEL) is not None
    assert dockerfile._plan("FROM a\n", ("BAD KEY",), KEYS_LABEL) is None


def test_existing_key_with_other_value_uses_the_library() -> None:
    template = "FROM a\nENV OPENSHIFT_CI=false\nRUN x\n"
    edits = realistic_edits("n", ("USER 0",))
    plan = dockerfile._plan(template, KEYS_ENV, KEYS_LABEL)
    assert plan is not None and plan.existing_env == {"OPENSHIFT_CI": "false"}
    assert dockerfile._fast_apply(plan, edits) is None
    assert "ENV OPENSHIFT_CI=true\n" in apply(template, edits)
    assert apply(template, edits) == reference_apply(template, edits)


def test_existing_equal_key_is_left_in_place_and_last_line_is_stripped() -> None:
    template = "FROM a\nENV OPENSHIFT_CI=true\nRUN x   "
    edits = Edits((("OPENSHIFT_CI", "true"),), (), ("USER 0",))
    assert apply(template, edits) == "FROM a\nENV OPENSHIFT_CI=true\nRUN x\nUSER 0\n"
    assert apply(template, edits) == reference_apply(template, edits)


def test_every_bundled_template_is_confirmed_by_the_library() -> None:
    for path in sorted(BUNDLED.glob("*/*/Dockerfile")):
        template = path.read_text(encoding="utf-8")
        assert dockerfile.confirm_plan(template, KEYS_ENV, KEYS_LABEL) is not None, path


def test_an_edited_template_is_confirmed_afresh() -> None:
    template = (BUNDLED / "rhel-8" / "golang" / "Dockerfile").read_text(encoding="utf-8")
    edited = template + "ENV OPENSHIFT_CI=false\n"
    edits = realistic_edits("x", ("USER 0",))
    assert apply(edited, edits) == reference_apply(edited, edits)
    assert "OPENSHIFT_CI=true" in apply(edited, edits)
