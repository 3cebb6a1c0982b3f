"""`--compat doozer-2020` against an independent oracle of the seed doozer (doozer_reference).

Whenever the oracle (doozer) produces output, cistreams must write the same bytes; whenever
the oracle raises, cistreams must exit 1 with an error message (never a traceback, exit 3)
and write nothing.

Intentional differences, kept out of the generators below (cistreams refuses, in both modes,
input that doozer 2020 accepted or mangled):
- repo names and x86_64 baseurls that cannot be quoted safely in a Dockerfile RUN line
  (quotes, whitespace, `$`, backticks, backslashes; repo names beyond [A-Za-z0-9._+-]);
- non-printable characters in names, labels and pullspecs;
- digests in pullspecs (`name@sha256:...`);
- freeze_automation set to YAML true (unquoted yes/on/true) or a true-ish string other than
  the exact string 'yes' (doozer compared with 'yes' only, so it ran; cistreams refuses);
- a stream entry that is not a mapping (doozer only failed if it was selected);
- `transform: null` (doozer: "transform None not found"; cistreams: an error too, but also
  when the stream is not selected), and other stream keys of the wrong type (for example
  `mirror: 'yes'` or a non-string final_user, which doozer 2020 never read);
- stream names that are not strings (YAML ints/bools as keys);
- vars that are not one-line strings or numbers (null, booleans, lists, mappings);
- duplicate keys and non-plain YAML tags (`!!python/...`) in build data;
- localdev repos with a non-string x86_64 baseurl (an int, say).
- substitution that creates duplicate keys in group.yml (doozer: the last one wins);
- a streams.yml that is valid YAML only after substitution (doozer parsed the raw text
  once before formatting it), and `build_profiles` levels that are not mappings (doozer's
  gpgcheck lookup raised AttributeError): not reproduced, not generated.
Out of scope of the oracle (no effect on the bytes of a successful run): git, the `images/`
directory doozer required, image_build_log_scanner.
"""

from __future__ import annotations

import contextlib
import io
import string
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import doozer_reference
from cistreams.cli import main

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ocp-build-data"
SEED_ERA = sorted(CORPUS.glob("*_2020-11-30")) if CORPUS.is_dir() else []
TRANSFORMS = ("rhel-7/base-repos", "rhel-8/base-repos", "rhel-7/golang", "rhel-8/golang",
              "rhel-7/ci-build-root", "rhel-8/ci-build-root")


@dataclass
class Outcome:
    """One cistreams run: exit code, stderr, and the output bytes (None if not written)."""

    code: int
    stderr: str
    output: bytes | None


def run_cistreams(data_dir: Path, group: str, streams: tuple[str, ...], live: bool,
                  out_dir: Path) -> Outcome:
    """Run the CLI in-process in doozer-2020 mode."""
    output = out_dir / "out.yaml"
    args = ["--data-path", str(data_dir), "-g", group, "images:streams", "gen-buildconfigs",
            "--compat", "doozer-2020", "-o", str(output)]
    for name in streams:
        args += ["--stream", name]
    if live:
        args.append("--live-test-mode")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    return Outcome(code, err.getvalue(), output.read_bytes() if output.exists() else None)


def oracle(data_dir: Path, group: str, streams: tuple[str, ...],
           live: bool) -> str | Exception:
    """What doozer wrote, or what it raised."""
    try:
        return doozer_reference.gen_buildconfigs(data_dir, group, streams, live)
    except Exception as exc:  # doozer raised anything: IOError, ValueError, KeyError, ...
        return exc


def assert_same(data_dir: Path, group: str, streams: tuple[str, ...] = (),
                live: bool = False) -> str | Exception:
    """cistreams matches the oracle on this input; returns the oracle's result."""
    expected = oracle(data_dir, group, streams, live)
    with tempfile.TemporaryDirectory() as tmp:
        got = run_cistreams(data_dir, group, streams, live, Path(tmp))
    if isinstance(expected, Exception):
        assert got.code == 1, (f"doozer raised {expected!r}; cistreams exited {got.code}\n"
                               f"{got.stderr}")
        assert "error" in got.stderr and "Traceback" not in got.stderr, got.stderr
        assert got.output is None
    else:
        assert got.code == 0, got.stderr
        assert got.output == expected.encode("utf-8")
    return expected


# --- the real build data of late 2020 ---------------------------------------------------------

needs_corpus = pytest.mark.skipif(not SEED_ERA, reason="no ../shared/corpus")


def _group(data_dir: Path) -> str:
    return data_dir.name.split("_", 1)[0]


def _stream_names(data_dir: Path) -> tuple[list[str], list[str]]:
    """(streams with a transform, streams without) in file order, as doozer read them."""
    runtime = doozer_reference.Runtime(data_dir, _group(data_dir))
    with_t: list[str] = []
    without: list[str] = []
    for name in runtime.get_stream_names():
        has = runtime.streams[name].transform is not doozer_reference.Missing
        (with_t if has else without).append(name)
    return with_t, without


@needs_corpus
@pytest.mark.parametrize("live", [False, True], ids=["normal", "live-test"])
@pytest.mark.parametrize("data_dir", SEED_ERA, ids=lambda p: p.name)
def test_corpus_all_streams(data_dir: Path, live: bool) -> None:
    result = assert_same(data_dir, _group(data_dir), live=live)
    assert isinstance(result, str)


@needs_corpus
@pytest.mark.parametrize("live", [False, True], ids=["normal", "live-test"])
@pytest.mark.parametrize("data_dir", SEED_ERA, ids=lambda p: p.name)
def test_corpus_stream_selections(data_dir: Path, live: bool) -> None:
    group = _group(data_dir)
    with_t, without = _stream_names(data_dir)
    selections: list[tuple[str, ...]] = [tuple(without[:2])]
    if with_t:
        first, last = with_t[0], with_t[-1]
        selections += [(first,), (last, first), (first, first), (first, *without[:1], first)]
    for selection in selections:
        result = assert_same(data_dir, group, selection, live)
        assert isinstance(result, str)
    if with_t:  # a stream named twice is rendered twice, as doozer did
        twice = assert_same(data_dir, group, (with_t[0], with_t[0]), live)
        assert isinstance(twice, str) and twice.count("kind: BuildConfig") == 2
    for unknown in [("no-such-stream",), (*with_t[:1], "no-such-stream")]:
        assert isinstance(assert_same(data_dir, group, unknown, live), Exception)


# --- generated build data ---------------------------------------------------------------------

LOWER = string.ascii_lowercase + string.digits
SAFE_NAME = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,11}", fullmatch=True)
REPO_NAME = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,14}", fullmatch=True)
TAG_CHARS = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,15}", fullmatch=True)
# Stream names YAML would read as other types unless quoted, or that need quoting as labels.
STREAM_NAME = st.one_of(SAFE_NAME, SAFE_NAME, st.sampled_from(
    ["yes", "on", "1.5", "null", "0o17", "True", "~", "x y", "a:b", "#c", "it's", "é-1"]))
PATH_PART = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,8}", fullmatch=True)


def rarely(draw: st.DrawFn, n: int) -> bool:
    """True about once in `n` draws (a middle value, which hypothesis does not favour)."""
    return bool(draw(st.integers(0, n)) == n // 2)


@dataclass
class Case:
    """Generated build data plus how to run gen-buildconfigs on it."""

    group: str
    group_yml: str
    streams_yml: str | None
    overrides: dict[str, str] = field(default_factory=dict)
    selection: tuple[str, ...] = ()
    live: bool = False

    def write(self, root: Path) -> None:
        """Lay the build data out as a data directory."""
        (root / "group.yml").write_text(self.group_yml, encoding="utf-8")
        if self.streams_yml is not None:
            (root / "streams.yml").write_text(self.streams_yml, encoding="utf-8")
        for transform, text in self.overrides.items():
            folder = root / "ci_transforms" / transform
            folder.mkdir(parents=True)
            (folder / "Dockerfile").write_text(text, encoding="utf-8")


@st.composite
def urls(draw: st.DrawFn, placeholders: bool) -> str:
    """An http(s) baseurl without characters cistreams refuses to quote."""
    host = draw(st.sampled_from(["download.example.com", "pulp.dist.example.redhat.com",
                                 "mirror.example.org:8080"]))
    parts = draw(st.lists(PATH_PART, min_size=1, max_size=4))
    if placeholders and draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), "{MAJOR}.{MINOR}-el8")
    return f"{draw(st.sampled_from(['http', 'https']))}://{host}/{'/'.join(parts)}/"


@st.composite
def baseurls(draw: st.DrawFn, arches: list[str], placeholders: bool) -> Any:
    """Arch-mapped, unsigned/signed-mapped, or (rarely used by doozer) a plain string."""
    per_arch = {a: draw(urls(placeholders)) for a in arches}
    if rarely(draw, 40):
        per_arch.pop("x86_64", None)  # then doozer fails if localdev needs it
    shape = draw(st.sampled_from(["arch", "arch", "unsigned", "string"]))
    if shape == "unsigned":
        return {"unsigned": per_arch, "signed": dict(per_arch)}
    return draw(urls(placeholders)) if shape == "string" else per_arch


@st.composite
def ci_alignments(draw: st.DrawFn) -> dict[str, Any] | None:
    """conf.ci_alignment: profiles and localdev.enabled, either may be absent."""
    alignment = draw(st.sampled_from(["none", "full", "full", "no-localdev", "no-profiles"]))
    if alignment == "none":
        return None
    ci: dict[str, Any] = {}
    if alignment != "no-profiles":
        ci["profiles"] = draw(st.lists(st.sampled_from(["el7", "el8", "el9"]), unique=True,
                                       max_size=3))
    if alignment != "no-localdev":
        ci["localdev"] = {"enabled": draw(st.booleans())}
    return ci


@st.composite
def repos(draw: st.DrawFn, arches: list[str], placeholders: bool) -> dict[str, Any]:
    """A repos section as doozer's Repos() accepted it (rarely one it refused)."""
    result: dict[str, Any] = {}
    names = draw(st.lists(REPO_NAME, min_size=0 if rarely(draw, 4) else 1, max_size=5,
                          unique=True))
    if placeholders and names and draw(st.booleans()):  # doozer sorted before substituting
        names[0] = draw(st.sampled_from(["{MAJOR}-x", "rhel-{MAJOR}", "{MINOR}.{MAJOR}"]))
    for name in names:
        conf: dict[str, Any] = {"baseurl": draw(baseurls(arches, placeholders))}
        ci = draw(ci_alignments())
        if ci is not None:
            conf["ci_alignment"] = ci
        repo: dict[str, Any] = {"conf": conf, "content_set": {"default": f"{name}-cs"}}
        if draw(st.booleans()):
            repo["reposync"] = {"enabled": draw(st.booleans())}
        if rarely(draw, 60):
            del repo["content_set"]  # doozer's Repos() refused this
        result[name] = repo
    return result


@st.composite
def pullspecs(draw: st.DrawFn, placeholders: bool) -> str:
    """Mostly `host/ns/name:tag` (ports, deeper paths); sometimes shapes doozer rejects."""
    host = draw(st.sampled_from(["registry.svc.ci.openshift.org", "registry.ci.openshift.org",
                                 "quay.io", "localhost:5000", "host-1.example.com:443"]))
    namespace, name = draw(PATH_PART), draw(PATH_PART)
    tag = draw(TAG_CHARS)
    if placeholders and draw(st.booleans()):
        tag = f"{tag}-openshift-{{MAJOR}}.{{MINOR}}"
    if draw(st.booleans()):
        tag += ".art"
    if rarely(draw, 80):
        return f"{namespace}/{name}:{tag}"  # one '/': doozer cannot unpack
    if rarely(draw, 80):
        return f"{host}/{namespace}/{name}"  # no tag
    if rarely(draw, 80):
        return f"{host}/{namespace}/{name}:{tag}:{tag}"  # two ':'
    if rarely(draw, 6):
        return f"{host}/{draw(PATH_PART)}/{namespace}/{name}:{tag}"  # deeper path
    return f"{host}/{namespace}/{name}:{tag}"


@st.composite
def stream_entries(draw: st.DrawFn, placeholders: bool) -> dict[str, Any]:
    """One streams.yml entry (always a mapping; see the intentional differences above)."""
    entry: dict[str, Any] = {"image": f"openshift/{draw(PATH_PART)}:{draw(TAG_CHARS)}"}
    if draw(st.booleans()):
        entry["mirror"] = draw(st.booleans())
    if rarely(draw, 40):
        entry["transform"] = draw(st.sampled_from(["rhel-9/golang", "rhel-8/nope", "golang"]))
    elif not rarely(draw, 5):
        entry["transform"] = draw(st.sampled_from(TRANSFORMS))
    if not rarely(draw, 40):
        entry["upstream_image_base"] = draw(pullspecs(placeholders))
    if not rarely(draw, 40):
        entry["upstream_image"] = draw(pullspecs(placeholders))
    keys = list(entry)
    order = draw(st.permutations(keys))
    return {k: entry[k] for k in order}


ENV_LINES = ["ENV OPENSHIFT_CI=true", "ENV OPENSHIFT_CI=false", "ENV OPENSHIFT_CI true",
             "ENV A=1 \\\n    OPENSHIFT_CI=yes \\\n    B=2", "ENV GOPATH=/go PATH=$PATH:/go/bin"]
LABEL_LINES = ["LABEL io.k8s.display-name=old", 'LABEL "io.k8s.description"="old text"',
               "LABEL io.k8s.description='x y' \\\n      other=1", "LABEL vendor=example"]
OTHER_LINES = ["# a comment", "# {MAJOR} braces are left alone", "RUN echo hi \\\n  && echo there",
               "WORKDIR /go/src/github.com/openshift/origin", "USER 1001", "",
               "RUN yum install -y tar && yum clean all"]


@st.composite
def templates(draw: st.DrawFn) -> str:
    """A sane Dockerfile template: maybe multi-stage, with ENV/LABEL/comment/continuations."""
    lines: list[str] = []
    if draw(st.booleans()):
        lines += ["FROM golang:1.15 AS builder", "RUN go build ./...", "ENV OPENSHIFT_CI=false"]
    lines.append("FROM replaced-by-buildconfig")
    body = st.sampled_from(ENV_LINES + LABEL_LINES + OTHER_LINES)
    lines += draw(st.lists(body, max_size=6))
    text = "\n".join(lines)
    ending = draw(st.sampled_from(["\n", "", "\n\n", "\n\n\n", " \n"]))
    return text + ending


@st.composite
def group_configs(draw: st.DrawFn) -> tuple[str, str, bool]:
    """(group name, group.yml text, whether it has vars)."""
    with_vars = draw(st.booleans())
    variables: dict[str, Any] = {"MAJOR": draw(st.integers(3, 5)), "MINOR": draw(st.integers(0, 23))}
    if draw(st.booleans()):  # quotes, '#', ': ' can break doozer's re-dumped group.yml text
        variables["EXTRA"] = draw(st.text(alphabet="ab1.-_ '\"#:", max_size=6))
        if rarely(draw, 20):
            variables["EXTRA"] += "{"  # even in vars, doozer str.format'ed the re-dumped text
    name_template = draw(st.sampled_from(["openshift-{MAJOR}.{MINOR}", "grp.{MAJOR}-x",
                                          "openshift-4.7"]) if with_vars else SAFE_NAME)
    arches = draw(st.sampled_from([None, ["x86_64"], ["x86_64", "aarch64"],
                                   ["aarch64", "x86_64", "ppc64le"]]))
    config: dict[str, Any] = {"name": name_template, "vars": variables, "arches": arches,
                              "freeze_automation": draw(st.sampled_from(
                                  [None, "no", False, "scheduled", "weekdays"]))}
    if rarely(draw, 20):
        config["freeze_automation"] = "yes"  # quoted: the only spelling doozer honoured
    if not with_vars:
        del config["vars"]
    if with_vars and draw(st.booleans()):
        config["branch"] = draw(st.sampled_from(["rhaos-{MAJOR}.{MINOR}-rhel-8", "{EXTRA}",
                                                 "b-{EXTRA}", "{{literal}}"]))
    if draw(st.booleans()) and arches:
        config["arches_override"] = draw(st.permutations(arches))
    first_arches = config.get("arches_override") or arches or ["x86_64"]
    config["repos"] = draw(repos(first_arches, with_vars))
    if rarely(draw, 30):
        config["build_profiles"] = {}  # an empty mapping: `{}` in doozer's re-dumped text
    keep_empty_repos = rarely(draw, 10)
    config = {k: v for k, v in config.items()
              if v is not None and (k != "repos" or v or keep_empty_repos)}
    config = {k: config[k] for k in draw(st.permutations(list(config)))}
    text = yaml.safe_dump(config, sort_keys=False, default_flow_style=False)
    if with_vars and draw(st.booleans()):  # vars in flow style, first
        block = yaml.safe_dump({"vars": variables}, sort_keys=False, default_flow_style=False)
        flow = yaml.safe_dump(variables, sort_keys=False, default_flow_style=True)
        text = "vars: " + flow + text.replace(block, "")
    group = name_template.format(**variables) if with_vars else name_template
    return group, "# group config\n" + text, with_vars


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Random-but-valid build data (plus a few shapes doozer itself rejected)."""
    group, group_yml, with_vars = draw(group_configs())
    streams_yml: str | None = None
    names: list[str] = []
    if not rarely(draw, 10):
        names = draw(st.lists(STREAM_NAME, min_size=0 if rarely(draw, 5) else 1, max_size=6,
                              unique=True))
        entries = {n: draw(stream_entries(with_vars)) for n in names}
        header = draw(st.sampled_from(["", "---\n", "# STOP. HOLD. PLEASE WAIT.\n\n",
                                       "# images for {MAJOR}.{MINOR}\n",
                                       "# {NOT_A_VAR} disables substitution\n"]))
        streams_yml = header + (yaml.safe_dump(entries, sort_keys=False) if entries else "")

    chosen = draw(st.lists(st.sampled_from(TRANSFORMS), unique=True, max_size=3))
    overrides = {t: draw(templates()) for t in chosen}

    selection: tuple[str, ...] = ()
    select_some: bool = draw(st.booleans())
    if names and select_some:
        pool = [*names, "no-such-stream"] if draw(st.integers(0, 4)) == 0 else names
        selection = tuple(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4)))
    return Case(group, group_yml, streams_yml, overrides, selection, draw(st.booleans()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_generated_build_data_matches_doozer(case: Case) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        case.write(data_dir)
        assert_same(data_dir, case.group, case.selection, case.live)


# --- targeted cases the generators reach rarely -----------------------------------------------


def _case_dir(tmp_path: Path, group_yml: str, streams_yml: str) -> Path:
    (tmp_path / "group.yml").write_text(group_yml, encoding="utf-8")
    (tmp_path / "streams.yml").write_text(streams_yml, encoding="utf-8")
    return tmp_path


RHEL8 = ("rhel:\n  transform: rhel-8/base-repos\n"
         "  upstream_image_base: r.io/ocp/builder:base-{MAJOR}.{MINOR}.art\n"
         "  upstream_image: r.io/ocp/builder:base-{MAJOR}.{MINOR}\n")
EL8_REPO = ("repos:\n  {name}:\n    conf:\n      baseurl: {baseurl}\n"
            "      ci_alignment: {{profiles: [el8], localdev: {{enabled: true}}}}\n"
            "    content_set: {{default: x}}\n")


@pytest.mark.parametrize(("group_yml", "doozer_fails"), [
    # An empty mapping becomes `{}` in the re-dumped text: str.format raised IndexError.
    ("name: g-4.7\nvars: {MAJOR: 4, MINOR: 7}\nbuild_profiles: {}\n", True),
    ("name: g-4.7\nvars: {}\n", True),
    # Without vars nothing is re-dumped or formatted.
    ("name: g-4.7\nbuild_profiles: {}\n", False),
    # A string baseurl passes doozer's Repos() but `.unsigned` on it fails for localdev.
    ("name: g-4.7\nvars: {MAJOR: 4, MINOR: 7}\n"
     + EL8_REPO.format(name="r1", baseurl="http://example.com/x/"), True),
    ("name: g-4.7\nvars: {MAJOR: 4, MINOR: 7}\n"
     + EL8_REPO.format(name="r1", baseurl="{unsigned: http://example.com/x/}"), True),
    ("name: g-4.7\nvars: {MAJOR: 4, MINOR: 7}\n"
     + EL8_REPO.format(name="r1", baseurl="{unsigned: {x86_64: 'http://e.com/{MAJOR}'}}"),
     False),
    # Repos() wanted conf, content_set and a baseurl for the first arch.
    ("name: g-4.7\nrepos:\n  r1: {conf: {baseurl: {x86_64: u}}}\n", True),
    ("name: g-4.7\nrepos:\n  r1: {content_set: {default: x}, conf: {}}\n", True),
    ("name: g-4.7\narches: [aarch64]\nrepos:\n"
     "  r1: {content_set: {default: x}, conf: {baseurl: {x86_64: u}}}\n", True),
    ("name: g-4.7\nrepos:\n  r1: {content_set: x, conf: {baseurl: u}}\n", True),
    ("name: g-4.7\nrepos:\n  r1: {content_set: {}, conf: {baseurl: u}, reposync: 3}\n", True),
    ("name: g-4.7\nrepos:\n", True),
    # A var whose value is itself a placeholder stays literal in group.yml ...
    ("name: g-4.7\nvars: {MAJOR: 4, MINOR: '{MAJOR}'}\nbranch: b-{MINOR}\n", False),
    # ... a value that only looks like a number after substitution turns into one.
    ("name: g-4.7\nvars: {MAJOR: 4, MINOR: 7, E: ''}\nx: 1{E}\n", False),
    ("name: g-{MAJOR}.{MINOR}\nvars: {MAJOR: 4, MINOR: 7, N: \"it's\"}\nx: '{N}'\n", True),
    # Repos iterate in the order of their names *before* substitution: '5-y' < '{MAJOR}-x'.
    ("name: g-4.7\nvars: {MAJOR: 4, MINOR: 7}\nrepos:\n"
     + EL8_REPO.format(name="'{MAJOR}-x'", baseurl="{x86_64: http://e.com/a/}")[7:]
     + EL8_REPO.format(name="5-y", baseurl="{x86_64: http://e.com/b/}")[7:], False),
], ids=lambda v: repr(v)[:60] if isinstance(v, str) else str(v))
def test_group_loading_edge_cases(tmp_path: Path, group_yml: str, doozer_fails: bool) -> None:
    data_dir = _case_dir(tmp_path, group_yml, RHEL8)
    result = assert_same(data_dir, "g-4.7")
    assert isinstance(result, Exception) == doozer_fails, result
    if "5-y" in group_yml:
        assert isinstance(result, str)
        assert result.index("localdev-5-y") < result.index("localdev-4-x")
