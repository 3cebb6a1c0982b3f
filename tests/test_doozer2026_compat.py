"""`--compat doozer-2026` against an independent oracle of art-tools' doozer at 8cb2b372
(tests/doozer2026_reference.py, whose header lists what it assumes offline).

Whenever the oracle writes output, cistreams must write the same bytes; whenever it raises
one of the verb's own errors (an OSError), cistreams must exit 1 with that text in its
error line (the transform set's repr sorted: doozer prints a Python set, whose order
changes from run to run) and write nothing; any other exception must be an exit 1 too.

Intentional differences, kept out of the generators (cistreams refuses, in every mode, input
that doozer accepted or mangled): repo names and baseurls that cannot be quoted in a RUN
line; non-printable names and pullspecs; digests in pullspecs; freeze_automation as YAML
true or a yes-like string other than 'yes'; vars that are not one-line scalars and a missing
vars.MAJOR/MINOR (doozer printed "(MissingModel)"); wrong types of keys cistreams reads for
any verb (mirror: 'yes', final_user: 0 or a list); misspelt keys; a missing images/ folder
(doozer refuses the group, cistreams does not need it); pydantic's validation of new-style
repos beyond the keys read; duplicate keys and non-plain YAML tags; a template whose
placeholders only parse after substitution; a file with vars that doozer reads unsubstituted
because its raw text is no format string (a flow mapping): cistreams refuses it in this mode
(see cistreams.builddata.doozer2026; the generators write block style, and tests below pin both sides).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import doozer2026_reference as ref
from cistreams.cli import main
from doozer_reference import Missing

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ocp-build-data"
# every snapshot of 2022 and later (the branch heads are all from 2022 to 2026)
ERAS = sorted(p for p in CORPUS.glob("openshift-*") if not p.name.endswith("_2020-11-30")) \
    if CORPUS.is_dir() else []
SORTED_SET = "{" + ", ".join(map(repr, sorted(ref.TRANSFORMS))) + "}"


@dataclass
class Outcome:
    """One cistreams run: exit code, stderr, and the output bytes (None if not written)."""

    code: int
    stderr: str
    output: bytes | None


def run_cistreams(data_dir: Path, group: str, streams: tuple[str, ...], images: tuple[str, ...],
                  live: bool) -> Outcome:
    """The CLI in-process in doozer-2026 mode."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "out.yaml"
        args = ["--data-path", str(data_dir), "-g", group, "images:streams", "gen-buildconfigs",
                "--compat", "doozer-2026", "-o", str(output)]
        args += [a for name in streams for a in ("--stream", name)]
        args += [a for name in images for a in ("--image", name)]
        args += ["--live-test-mode"] if live else []
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(args)
        return Outcome(code, err.getvalue(), output.read_bytes() if output.exists() else None)


def assert_same(data_dir: Path, group: str, streams: tuple[str, ...] = (),
                images: tuple[str, ...] = (), live: bool = False) -> str | Exception:
    """cistreams matches the oracle on this input; returns the oracle's result."""
    try:
        expected: str | Exception = ref.gen_buildconfigs(data_dir, group, streams, images, live)
    except Exception as exc:  # doozer raised: IOError, ValueError, KeyError, ...
        expected = exc
    got = run_cistreams(data_dir, group, streams, images, live)
    if isinstance(expected, Exception):
        assert got.code == 1, f"doozer raised {expected!r}; cistreams exited {got.code}\n{got.stderr}"
        assert "error" in got.stderr and "Traceback" not in got.stderr, got.stderr
        assert got.output is None
        if type(expected) is OSError:  # the verb's own texts
            text = str(expected).replace(str(ref.TRANSFORMS), SORTED_SET)
            assert text in got.stderr, (text, got.stderr)
    else:
        assert got.code == 0, got.stderr
        assert got.output == expected.encode("utf-8")
    return expected


# --- the real build data of 2022 to 2026 --------------------------------------------------------

needs_corpus = pytest.mark.skipif(not ERAS, reason="no ../shared/corpus")


def _group(data_dir: Path) -> str:
    return data_dir.name.split("_", 1)[0]


@needs_corpus
@pytest.mark.parametrize("live", [False, True], ids=["normal", "live-test"])
@pytest.mark.parametrize("data_dir", ERAS, ids=lambda p: p.name)
def test_corpus_whole_group(data_dir: Path, live: bool) -> None:
    result = assert_same(data_dir, _group(data_dir), live=live)
    assert isinstance(result, str)


@needs_corpus
@pytest.mark.parametrize("data_dir", ERAS, ids=lambda p: p.name)
def test_corpus_selections(data_dir: Path) -> None:
    group = _group(data_dir)
    runtime = ref.Runtime(data_dir, group)
    streams = list(runtime.streams.keys())
    images = [k for k in runtime.image_order
              if runtime.image_map[k].content.source.ci_alignment.upstream_image is not Missing]
    selections: list[tuple[tuple[str, ...], tuple[str, ...]]] = [((), tuple(images[:1]))]
    if streams:
        selections += [((streams[0],), ()), ((streams[-1], streams[0], streams[-1]), ()),
                       ((streams[0],), tuple(images[-1:]))]
    for chosen_streams, chosen_images in selections:
        assert isinstance(assert_same(data_dir, group, chosen_streams, chosen_images), str)
    for unknown in [(("no-such-stream",), ()), ((), ("no-such-image",))]:
        assert isinstance(assert_same(data_dir, group, *unknown), OSError)


# --- generated build data -----------------------------------------------------------------------

NAME = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,10}", fullmatch=True)
PART = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,8}", fullmatch=True)
TAG = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}", fullmatch=True)
KNOWN = sorted(ref.TRANSFORMS)


def rarely(draw: st.DrawFn, n: int) -> bool:
    """True about once in `n` draws."""
    return bool(draw(st.integers(0, n)) == n // 2)


@dataclass
class Case:
    """Generated build data and how to run gen-buildconfigs on it."""

    group: str
    files: dict[str, str] = field(default_factory=dict)
    streams: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    live: bool = False

    def write(self, root: Path) -> None:
        """Lay the build data out as a data directory."""
        for name, text in self.files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


@st.composite
def pullspecs(draw: st.DrawFn) -> str:
    """Mostly `host/ns/name:tag`; rarely shapes doozer cannot split."""
    host = draw(st.sampled_from(["registry.ci.openshift.org", "quay.io", "localhost:5000"]))
    tag = draw(TAG) + draw(st.sampled_from(["", "-openshift-{MAJOR}.{MINOR}", ".art"]))
    if rarely(draw, 60):
        return f"{draw(PART)}/{draw(PART)}:{tag}"  # one '/'
    if rarely(draw, 60):
        return f"{host}/{draw(PART)}/{draw(PART)}"  # no tag
    return f"{host}/{draw(PART)}/{draw(PART)}:{tag}"


@st.composite
def alignments(draw: st.DrawFn) -> dict[str, Any]:
    """A streams.yml entry, or an image's ci_alignment (then without `image`)."""
    entry: dict[str, Any] = {"mirror": draw(st.booleans())}
    if rarely(draw, 30):
        entry["transform"] = draw(st.sampled_from(["rhel-10/golang", "golang"]))
    elif not rarely(draw, 5):
        entry["transform"] = draw(st.sampled_from(KNOWN))
    for key in ("upstream_image_base", "upstream_image"):
        if not rarely(draw, 12):
            entry[key] = draw(pullspecs())
    if rarely(draw, 4):
        entry["final_user"] = draw(st.sampled_from(["1001", "root", "1001:0", "nobody"]))
    return {k: entry[k] for k in draw(st.permutations(list(entry)))}


@st.composite
def repos(draw: st.DrawFn, first_arch: str) -> list[dict[str, Any]]:
    """Repos in the order they are written, with a ci_alignment; a repo without an x86_64
    URL only when the group's first arch is another (doozer's Repos refuses a repo without
    one for the first arch, which cistreams does not check)."""
    found = []
    for name in draw(st.lists(st.from_regex(r"[a-z][a-z0-9.-]{0,10}", fullmatch=True),
                              max_size=4, unique=True)):
        url = f"https://{draw(st.sampled_from(['rpm.example.com', 'pulp.example.org']))}/" \
              f"{draw(PART)}/x86_64/"
        shape = draw(st.sampled_from(["arch", "unsigned", "no-x86"]))
        baseurl: Any = {"x86_64": url, "aarch64": url.replace("x86_64", "aarch64")}
        if shape == "unsigned":
            baseurl = {"unsigned": dict(baseurl), "signed": dict(baseurl)}
        elif shape == "no-x86" and first_arch != "x86_64":
            baseurl = {"unsigned": {"aarch64": url}}
        conf: dict[str, Any] = {"baseurl": baseurl}
        if draw(st.booleans()):
            conf["ci_alignment"] = {"profiles": draw(st.lists(st.sampled_from(["el7", "el8", "el9"]),
                                                              unique=True, min_size=1, max_size=3)),
                                    "localdev": {"enabled": draw(st.booleans())}}
        found.append({"name": name, "conf": conf, "content_set": {"default": f"{name}-cs"}})
    return found


@st.composite
def group_files(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """(group name, group.yml and maybe group.ext.yml with repos/*.yml)."""
    major, minor = draw(st.integers(4, 5)), draw(st.integers(0, 23))
    config: dict[str, Any] = {"name": "openshift-{MAJOR}.{MINOR}",
                              "vars": {"MAJOR": major, "MINOR": minor}}
    if draw(st.booleans()):
        config["assemblies"] = {"enabled": True}
    if draw(st.booleans()):
        config["arches"] = draw(st.sampled_from([["x86_64"], ["x86_64", "aarch64"],
                                                 ["aarch64", "x86_64"]]))
    config["freeze_automation"] = draw(st.sampled_from(["no", False, "scheduled"]))
    if rarely(draw, 25):
        config["freeze_automation"] = "yes"
    defined = draw(repos(config.get("arches", ["x86_64"])[0]))
    files: dict[str, str] = {}
    if draw(st.booleans()):  # old style: a mapping in group.yml, in file order
        config["repos"] = {r["name"]: {k: v for k, v in r.items() if k != "name"} for r in defined}
        if not defined:
            del config["repos"]
    else:  # new style: repos/*.yml through group.ext.yml, with a plashet repo
        files["group.ext.yml"] = "plashet: !include plashet.yml\nall_repos: !include repos/*.yml\n"
        files["plashet.yml"] = ("base_dir: x\nplashet_dir: y\narches: [x86_64, aarch64]\n"
                                "download_url: https://plashets.example.com/{MAJOR}.{MINOR}/"
                                "$runtime_assembly/$slug/latest/$arch/os/\n")
        plashet = {"name": "ose-rpms", "type": "plashet", "content_set": {"optional": True},
                   "plashet": {"slug": draw(st.sampled_from(["el9", "el8"]))},
                   "conf": {"ci_alignment": {"profiles": ["el8", "el9"], "localdev": {"enabled": True}}}}
        for index, repo in enumerate([*defined, plashet]):
            repo.setdefault("type", "external")
            files[f"repos/{index:02d}-{repo['name']}.yml"] = yaml.safe_dump([repo], sort_keys=False)
    files["group.yml"] = yaml.safe_dump(config, sort_keys=False)
    return f"openshift-{major}.{minor}", files


TEMPLATE_LINES = ["ENV OPENSHIFT_CI=false", "LABEL io.k8s.display-name=old", "USER 1001",
                  "RUN yum install -y tar", "# {MAJOR} braces stay", "WORKDIR /go/src"]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Random build data: streams, image metadata with parents, templates, a selection."""
    group, files = draw(group_files())
    names = draw(st.lists(NAME, max_size=5, unique=True))
    streams = {n: {"image": f"openshift/{n}:x", **draw(alignments())} for n in names}
    if streams:
        files["streams.yml"] = yaml.safe_dump(streams, sort_keys=False)
    images = draw(st.lists(NAME, max_size=5, unique=True))
    files["images/.keep.yml.txt"] = ""  # images/ always exists, as doozer requires
    for index, name in enumerate(images):
        meta: dict[str, Any] = {"mode": draw(st.sampled_from(["enabled"] * 4 + ["disabled"]))}
        if index and draw(st.booleans()):  # a parent among the images met before
            meta["from"] = {"member": draw(st.sampled_from(images[:index]))}
        if rarely(draw, 3):
            meta["final_stage_user"] = draw(st.sampled_from([1001, "builder"]))
        if not rarely(draw, 4):
            meta["content"] = {"source": {"ci_alignment": draw(alignments())}}
        files[f"images/{name}.yml"] = yaml.safe_dump(meta, sort_keys=False)
    for transform in draw(st.lists(st.sampled_from(KNOWN), unique=True, max_size=3)):
        body = draw(st.lists(st.sampled_from(TEMPLATE_LINES), max_size=4))
        files[f"ci_transforms/{transform}/Dockerfile"] = "\n".join(
            ["FROM replaced-by-buildconfig", *body]) + draw(st.sampled_from(["\n", "", "\n\n"]))
    chosen_streams: tuple[str, ...] = ()
    chosen_images: tuple[str, ...] = ()
    if draw(st.booleans()) and names:
        pool = [*names, "no-such-stream"] if rarely(draw, 4) else names
        chosen_streams = tuple(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3)))
    if images and rarely(draw, 2):
        chosen_images = tuple(draw(st.lists(st.sampled_from(images), min_size=1, max_size=2)))
    return Case(group, files, chosen_streams, chosen_images, draw(st.booleans()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_generated_build_data_matches_doozer_2026(case: Case) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        case.write(data_dir)
        result = assert_same(data_dir, case.group, case.streams, case.images, case.live)
        event(type(result).__name__ if isinstance(result, Exception)
              else f"{min(result.count('kind: BuildConfig'), 3)}+ BuildConfigs")


# --- targeted cases the generators reach rarely -------------------------------------------------

STREAM = ("golang:\n  transform: rhel-8/golang\n"
          "  upstream_image_base: registry.ci.openshift.org/ocp/builder:g-{MAJOR}.{MINOR}.art\n"
          "  upstream_image: registry.ci.openshift.org/ocp/builder:g-{MAJOR}.{MINOR}\n")


def _image(member: str | None, transform: bool = True) -> str:
    meta: dict[str, Any] = {"from": {"member": member} if member else {"stream": "golang"}}
    if transform:
        meta["content"] = {"source": {"ci_alignment": {
            "transform": "rhel-9/base-repos",
            "upstream_image_base": "registry.ci.openshift.org/ocp/b:x.art",
            "upstream_image": "registry.ci.openshift.org/ocp/b:x"}}}
    return yaml.safe_dump(meta)


@pytest.mark.parametrize(("files", "expect"), [
    # children come a level after their parent, whatever their names
    ({"images/a.yml": _image("c"), "images/b.yml": _image(None), "images/c.yml": _image(None,
                                                                                       False)},
     ["golang", "b", "a"]),
    # an image named like a stream replaces it, where the stream stood
    ({"images/golang.yml": _image(None), "images/z.yml": _image(None)}, ["golang", "z"]),
    # a stream without upstream_image is no entry at all, even with a transform
    ({"streams.yml": "golang:\n  transform: rhel-8/golang\n  upstream_image_base: r.io/a/b:c\n"},
     []),
])
def test_entry_order(tmp_path: Path, files: dict[str, str], expect: list[str]) -> None:
    files = {"group.yml": "name: openshift-4.19\nvars: {MAJOR: 4, MINOR: 19}\n",
             "streams.yml": STREAM, **files}
    Case("openshift-4.19", files).write(tmp_path)
    (tmp_path / "images").mkdir(exist_ok=True)
    result = assert_same(tmp_path, "openshift-4.19")
    assert isinstance(result, str)
    stream_labels = [d["metadata"]["labels"]["art-builder-stream"]
                     for d in yaml.safe_load_all(result) if d]
    assert stream_labels == expect
    labels = [d["metadata"]["labels"] for d in yaml.safe_load_all(result) if d]
    assert all(label["art-builder-qci-tag"].startswith("art-builder-4.19-") for label in labels)


@pytest.mark.parametrize("streams", [
    "golang:\n  transform: rhel-8/nope\n  upstream_image_base: r.io/a/b:c\n  upstream_image: r.io/a/b:d\n",
    "golang:\n  transform: rhel-8/golang\n  upstream_image: r.io/a/b:d\n",
])
def test_doozer_error_texts(tmp_path: Path, streams: str) -> None:
    Case("openshift-4.19", {"group.yml": "name: openshift-4.19\nvars: {MAJOR: 4, MINOR: 19}\n",
                            "streams.yml": streams, "images/.keep.yml.txt": ""}).write(tmp_path)
    result = assert_same(tmp_path, "openshift-4.19")
    assert isinstance(result, OSError) and "Unable to render buildconfig for upstream config " \
        "golang - " in str(result)


def test_what_the_cluster_would_refuse_is_written_with_a_warning(tmp_path: Path) -> None:
    """doozer checks no names: a stream name too long for a label and two streams pushing
    to one QCI tag are written as doozer writes them, each with a warning (the default mode
    refuses both)."""
    long_name = "s" * 64
    streams = (f"{long_name}:\n  transform: rhel-8/golang\n  upstream_image_base: r.io/a/b:c.art\n"
               "  upstream_image: r.io/a/b:c\n"
               "twin:\n  transform: rhel-8/golang\n  upstream_image_base: r.io/a/b:c.art\n"
               "  upstream_image: r.io/x/y:c\n")
    Case("openshift-4.19", {"group.yml": "name: openshift-4.19\nvars:\n  MAJOR: 4\n  MINOR: 19\n",
                            "streams.yml": streams, "images/.keep.yml.txt": ""}).write(tmp_path)
    assert isinstance(assert_same(tmp_path, "openshift-4.19"), str)
    got = run_cistreams(tmp_path, "openshift-4.19", (), (), False)
    assert f"warning: streams.yml:1: {long_name}: the stream name becomes the art-builder-stream " \
           "label" in got.stderr and "(doozer writes it; the cluster will refuse it)" in got.stderr
    assert "warning: streams.yml:8: twin.upstream_image: QCI tag 'quay.io/openshift/ci:" \
           "art-builder-4.19-c' is also pushed to by stream" in got.stderr
    default = run_cli_default(tmp_path, "openshift-4.19")
    assert default.code == 1 and "error: streams.yml:1:" in default.stderr


def run_cli_default(data_dir: Path, group: str) -> Outcome:
    """The default mode on the same build data (nothing kept)."""
    with tempfile.TemporaryDirectory() as tmp:
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["--data-path", str(data_dir), "-g", group, "gen-buildconfigs", "-o",
                         str(Path(tmp) / "o.yaml")])
        return Outcome(code, err.getvalue(), None)


BLOCK_GROUP = "name: openshift-{MAJOR}.{MINOR}\nvars:\n  MAJOR: 4\n  MINOR: 19\n"


def test_a_flow_mapping_that_hides_vars_from_doozer(tmp_path: Path) -> None:
    """doozer formats raw text; `{MAJOR: 4}` breaks that and the whole file is read with no
    vars: in group.yml its name check then fails (cistreams stops with doozer's text)."""
    Case("openshift-4.19", {"group.yml": "name: openshift-{MAJOR}.{MINOR}\nvars: {MAJOR: 4, "
                                         "MINOR: 19}\n",
                            "streams.yml": STREAM, "images/.keep.yml.txt": ""}).write(tmp_path)
    result = assert_same(tmp_path, "openshift-4.19")
    assert isinstance(result, OSError) and "Name in group.yml (openshift-{MAJOR}.{MINOR})" in str(result)


def test_a_flow_mapping_in_streams_is_refused_where_doozer_writes_placeholders(
        tmp_path: Path) -> None:
    """The intentional difference: doozer writes the literal `{MAJOR}`, cistreams refuses."""
    streams = ("golang: {transform: rhel-8/golang, upstream_image_base: 'r.io/a/b:x-{MAJOR}.art',"
               " upstream_image: 'r.io/a/b:x-{MAJOR}'}\n")
    Case("openshift-4.19", {"group.yml": BLOCK_GROUP, "streams.yml": streams,
                            "images/.keep.yml.txt": ""}).write(tmp_path)
    assert "b:x-{MAJOR}" in ref.gen_buildconfigs(tmp_path, "openshift-4.19")
    got = run_cistreams(tmp_path, "openshift-4.19", (), (), False)
    assert got.code == 1 and got.output is None
    assert got.stderr.startswith("error: streams.yml: doozer 2026 fills vars into the raw text "
                                 "of this file and cannot here (ValueError: ")


def test_a_flow_mapping_without_vars_changes_nothing(tmp_path: Path) -> None:
    Case("openshift-4.19", {"group.yml": "name: openshift-4.19\nvars: {MAJOR: 4, MINOR: 19}\n",
                            "streams.yml": STREAM, "images/.keep.yml.txt": ""}).write(tmp_path)
    assert isinstance(assert_same(tmp_path, "openshift-4.19"), str)
