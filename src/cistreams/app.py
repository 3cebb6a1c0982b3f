"""gen-buildconfigs as one typed function: load, render, validate, write, apply."""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cistreams import builddata, output, render, schemas, transforms, yamlio
from cistreams.builddata import BuildData, LoadOptions, Runner, doozer2026, eras, run_command
from cistreams.builddata.model import Entry, unmatched_profiles
from cistreams.errors import CistreamsError, Location, Problems, as_dict, did_you_mean, flatten
from cistreams.options import COMPAT_DOOZER_2020, COMPAT_MODES, GenerateRequest, PushTarget, Source

if TYPE_CHECKING:
    from cistreams.cluster import Applier, ApplySession, ProgressFactory
    from cistreams.cluster.diff import DiffReport
    from cistreams.options import ApplyOptions, ConnectionOptions

__all__ = ["COMPAT_DOOZER_2020", "COMPAT_MODES", "GenerateRequest", "Source", "check", "generate"]


@dataclass
class GenerateResult:
    """What a run produced, for the CLI to report."""

    buildconfigs: list[str]
    objects: int
    applied: bool = False
    messages: list[str] = field(default_factory=list)


@contextlib.contextmanager
def working_dir(path: Path | None) -> Iterator[Path]:
    """The given working directory (created if missing), or a temporary one removed after."""
    if path is not None:
        path = path.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="cistreams-") as temp:
        yield Path(temp)


def load_build_data(source: Source, doozer_2020: bool, problems: Problems,
                    run: Runner = run_command, *,
                    doozer_2026: bool = False) -> tuple[BuildData, transforms.Registry]:
    """Locate (clone if remote) and load the group's build data and its transforms.

    Problems found while loading are collected, not raised, so that rendering can report
    its own in the same run; the caller runs `problems.check()`.
    """
    options = LoadOptions(source.group, doozer_2020, source.assembly, source.var_overrides,
                          doozer_2026=doozer_2026)
    # only a git URL needs a working directory (a temporary one when none is given)
    remote = builddata.is_remote(source.data_path)
    with working_dir(source.working_dir) if remote else contextlib.nullcontext(Path()) as work:
        data_dir = builddata.locate(source.data_path, source.group, work, run)
        data = builddata.load(data_dir, options, problems)
        log = list(data.files_read)
        # inside the block: a temporary clone is gone once it ends
        registry = transforms.load_registry(data_dir, doozer_2020=doozer_2020, problems=problems,
                                            log=log, builtin_only=doozer_2026)
    in_use = {t.localdev_profile for t in registry.transforms.values() if t.localdev_profile}
    unmatched_profiles(data.group.repos, in_use, problems, doozer_2020)
    return dataclasses.replace(data, files_read=tuple(log)), registry


def select(data: BuildData, streams: Sequence[str], images: Sequence[str], doozer_2020: bool,
           problems: Problems, *, doozer_2026: bool = False) -> list[Entry]:
    """The entries to render: every stream then every image-metadata entry, or those named
    with --stream / --image (in the order named); doozer-2026 mode selects as that doozer."""
    if doozer_2026:
        doozer2026.check_substitution(data, problems)
        return doozer2026.entries(data, streams, images, problems)
    if not streams and not images:
        return [*data.entries, *data.images.entries.values()]
    by_name = {entry.name: entry for entry in data.entries}
    chosen: list[Entry] = []
    for name in streams:
        entry = by_name.get(name)
        if entry is None:
            problems.error(f"--stream {name}: no such stream in streams.yml"
                           f"{did_you_mean(name, by_name)}", Location("streams.yml"))
        elif doozer_2020 or entry not in chosen:
            chosen.append(entry)  # doozer 2020 rendered a stream named twice twice
    for name in images:
        image = data.images.entries.get(name)
        if image is None:
            problems.error(_image_problem(data, name))
        elif image not in chosen:
            chosen.append(image)
    problems.check()
    return chosen


def _say_why_nothing(entries: Sequence[Entry], problems: Problems) -> None:
    """A warning for each selected entry that renders nothing (it names no transform)."""
    for entry in entries:
        if entry.transform is None:
            problems.warn("no transform, so no BuildConfig: CI uses this image as ART mirrors "
                          "it (add transform: to build a CI image from it)", entry.location)


def _image_problem(data: BuildData, name: str) -> str:
    reason = data.images.ineligible.get(name)
    if reason:
        return f"--image {name}: image {name} {reason}"
    known = [*data.images.entries, *data.images.ineligible]
    return (f"--image {name}: image {name} not found in group metadata (images/*.yml)"
            f"{did_you_mean(name, known)}")


def render_request(request: GenerateRequest, problems: Problems,
                   run: Runner = run_command) -> render.Rendered:
    """Load, render and validate everything the request asks for; nothing is written.
    Raises CistreamsError (every problem of the run together) when there are errors."""
    return load_and_render(request, problems, run)[1]


def load_and_render(request: GenerateRequest, problems: Problems,
                    run: Runner = run_command) -> tuple[BuildData, render.Rendered]:
    """`render_request`, with the build data it read (its files, for the writer)."""
    data, registry = load_build_data(request.source, request.doozer_2020, problems, run,
                                     doozer_2026=request.doozer_2026)
    if request.streams or request.images:
        problems.check()  # an entry dropped for its own errors must not read as "no such stream"
    entries = select(data, request.streams, request.images, request.doozer_2020, problems,
                     doozer_2026=request.doozer_2026)
    if request.streams or request.images:
        _say_why_nothing(entries, problems)
    if request.doozer_2020:  # one line for newer build data, not "did you mean rhel-8/golang"
        later = transforms.load_registry(None, doozer_2020=False, problems=Problems())
        eras.refuse(eras.transform_signs(entries, registry.transforms, later.transforms))
    options = render.RenderOptions(request.doozer_2020, request.live_test,
                                   all_entries=not (request.streams or request.images),
                                   daemonset=request.daemonset, doozer_2026=request.doozer_2026,
                                   push=request.target)
    rendered = render.render(data.group, entries, registry, options, problems)
    validate_rendered(rendered, request.doozer_2020, problems, doozer_2026=request.doozer_2026)
    return data, rendered


def validate_rendered(rendered: render.Rendered, doozer_2020: bool, problems: Problems, *,
                      doozer_2026: bool = False) -> None:
    """Every object must match its API schema (in the doozer modes, whose bytes are
    doozer's, a mismatch is a warning); raises CistreamsError when there are errors."""
    violations = schemas.find_violations(rendered.objects, doozer_2020, doozer_2026=doozer_2026)
    report = problems.warn if doozer_2020 or doozer_2026 else problems.error
    for message in schemas.summarise(violations):
        report(f"generated object does not match its API schema: {message}")
    problems.check()


def generate(request: GenerateRequest, problems: Problems, run: Runner = run_command,
             applier: Applier | None = None,
             progress: ProgressFactory | None = None) -> GenerateResult:
    """Render BuildConfigs for the request, write them atomically, and apply if asked
    (`prepare`, then `finish`)."""
    return finish(prepare(request, problems, run, progress), applier)


@dataclass
class Prepared:
    """A run written and ready to apply: what `finish` needs."""

    request: GenerateRequest
    rendered: render.Rendered
    text: str
    session: ApplySession | None


def prepare(request: GenerateRequest, problems: Problems, run: Runner = run_command,
            progress: ProgressFactory | None = None) -> Prepared:
    """Every stage but the apply itself: load, render, validate, the cluster's dry run (for
    server-side apply), write.

    Warnings accumulate in `problems`, so the caller can show them before the apply (and
    even when a later error stops the run); errors raise CistreamsError before anything is
    written or applied. Every object is dry-run on the cluster before the file is written,
    so a refusal leaves both the file and the cluster as they were.
    """
    request = _daemonset_in_doozer_2020(request, problems)
    data, rendered = load_and_render(request, problems, run)
    if request.apply and not rendered.buildconfig_names:
        problems.warn(nothing_rendered("applied", request.apply_options.prune))
    elif request.apply_options.prune and not _may_prune(request.apply_options, problems):
        request = dataclasses.replace(request, apply_options=dataclasses.replace(
            request.apply_options, prune=False))
    server_side = request.apply and not request.uses_oc and bool(rendered.buildconfig_names)
    session = _prepare_apply(request, rendered, progress) if server_side else None
    dump = yamlio.dump_doozer if request.compat else yamlio.dump_readable
    text = dump(rendered.objects)
    output.write_atomic(request.output, text, protected=data.files_read)
    return Prepared(request, rendered, text, session)


def finish(prepared: Prepared, applier: Applier | None = None) -> GenerateResult:
    """The apply of a prepared run (server-side, or `oc apply` in doozer-2020 mode or with
    --oc), when it asked for one."""
    request, rendered = prepared.request, prepared.rendered
    result = GenerateResult(rendered.buildconfig_names, len(rendered.objects))
    if prepared.session is not None:
        report = prepared.session.commit()
        result.messages.extend([*report.lines(), report.summary()])
        result.applied = not request.apply_options.dry_run
    elif request.apply:
        _apply(request, prepared.text, result, applier)
    return result


def nothing_rendered(verb: str, prune: bool) -> str:
    """What a run that rendered nothing says instead of applying (or comparing), in one
    line; pruning needs what is rendered to find the group's objects."""
    return (f"no BuildConfig was rendered (no entry of this run names a transform), so "
            f"nothing was {verb}{' or pruned' if prune else ''}")


def _may_prune(options: ApplyOptions, problems: Problems) -> bool:
    """False, said in a warning, when --prune must not run: the build data gave warnings
    and --prune-despite-warnings was not given (see cluster.prune.held_back)."""
    if not options.prune:
        return False
    from cistreams.cluster import prune  # only a run that prunes pays for the import

    why = prune.held_back(len(problems.warnings), options.prune_despite_warnings)
    if why is not None:
        problems.warn(why)
    return why is None


def _daemonset_in_doozer_2020(request: GenerateRequest, problems: Problems) -> GenerateRequest:
    """--no-daemonset is ignored in doozer-2020 mode, whose output is doozer's bytes (with
    the DaemonSet); said in a warning."""
    if not request.doozer_2020 or request.daemonset:
        return request
    problems.warn("--no-daemonset is ignored with --compat doozer-2020: doozer 2020 always "
                  "wrote the DaemonSet, and this mode writes doozer's bytes")
    return dataclasses.replace(request, daemonset=True)


def _prepare_apply(request: GenerateRequest, rendered: render.Rendered,
                   progress: ProgressFactory | None) -> ApplySession:
    """Connect and dry-run every object (a run that applies with server-side apply)."""
    from cistreams import cluster  # only a run that talks to a cluster pays for the import

    return cluster.prepare_apply(rendered.objects, request.apply_options, request.as_user,
                                 progress)


def _apply(request: GenerateRequest, text: str, result: GenerateResult,
           applier: Applier | None) -> None:
    """`oc apply` (doozer-2020 mode or --oc), or nothing to apply (said by a warning)."""
    if not result.buildconfigs:
        return
    if applier is None:
        from cistreams.cluster import oc  # only a run that applies pays for the import

        connection = request.apply_options.connection
        args = [*(["--kubeconfig", connection.kubeconfig] if connection.kubeconfig else []),
                *(["--context", connection.context] if connection.context else [])]
        applier = oc.Applier(oc=request.apply_options.oc or "oc", connection_args=tuple(args))
    result.messages.append("Applying buildconfigs...")
    from_stdin = request.output == output.STDOUT
    printed = applier.apply(request.output, request.as_user, text if from_stdin else None)
    result.messages.extend(line for line in printed.splitlines() if line.strip())
    result.applied = True



@dataclass
class CheckReport:
    """The outcome of `cistreams check`: every problem found, nothing written or applied."""

    errors: list[CistreamsError]
    warnings: list[CistreamsError]
    buildconfigs: int

    @property
    def ok(self) -> bool:
        """True when the build data has no errors (warnings allowed)."""
        return not self.errors

    def as_dict(self) -> dict[str, object]:
        """The report as JSON-friendly data."""
        return {"ok": self.ok, "buildconfigs": self.buildconfigs,
                "errors": [as_dict(e) for e in self.errors],
                "warnings": [as_dict(w) for w in self.warnings]}


def check(source: Source, compat: str | None = None, push: PushTarget | None = None,
          run: Runner = run_command) -> CheckReport:
    """Validate the build data by rendering every entry in memory (no write, no apply)."""
    problems = Problems(limit=1000)
    request = GenerateRequest(source, output.STDOUT, compat=compat, push=push or PushTarget())
    try:
        rendered = render_request(request, problems, run)
    except CistreamsError as exc:
        return CheckReport(flatten(exc), problems.warning_items, 0)
    return CheckReport([], problems.warning_items, len(rendered.buildconfig_names))


def diff(request: GenerateRequest, connection: ConnectionOptions, problems: Problems,
         run: Runner = run_command, progress: ProgressFactory | None = None,
         prune: bool = False) -> DiffReport:
    """Render the request and diff every object against the cluster (nothing is written);
    with `prune`, also the objects --apply --prune would delete."""
    from cistreams import cluster
    from cistreams.cluster.diff import DiffReport

    rendered = render_request(request, problems, run)
    if not rendered.buildconfig_names:
        problems.warn(nothing_rendered("compared", prune))
        return DiffReport("", 0, 0)
    options = dataclasses.replace(request.apply_options, prune=prune)
    return cluster.run_diff(rendered.objects, connection, request.as_user,
                            _may_prune(options, problems), progress)
