"""gen-buildconfigs as one typed function: load, validate, render, write, apply."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cistreams import builddata, output, render, transforms, yamlio
from cistreams.builddata import BuildData, LoadOptions, Runner, run_command
from cistreams.cluster import Applier
from cistreams.errors import Location, Problems, did_you_mean
from cistreams.model import Entry

COMPAT_DOOZER_2020 = "doozer-2020"
COMPAT_MODES = (COMPAT_DOOZER_2020,)


@dataclass(frozen=True)
class Source:
    """Where the build data comes from (doozer's global options)."""

    data_path: str
    group: str
    working_dir: Path | None = None
    assembly: str = "stream"
    var_overrides: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class GenerateRequest:
    """Everything `gen-buildconfigs` was asked to do."""

    source: Source
    output: str
    streams: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    live_test: bool = False
    compat: str | None = None
    daemonset: bool = True
    apply: bool = False
    as_user: str | None = None

    @property
    def doozer_2020(self) -> bool:
        """True in byte-for-byte doozer 2020 mode."""
        return self.compat == COMPAT_DOOZER_2020


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
                    run: Runner = run_command) -> BuildData:
    """Locate (clone if remote) and load the group's build data."""
    options = LoadOptions(source.group, doozer_2020, source.assembly, source.var_overrides)
    with working_dir(source.working_dir) as work:
        data_dir = builddata.locate(source.data_path, source.group, work, run)
        data = builddata.load(data_dir, options, problems)
    problems.check()
    return data


def select(data: BuildData, streams: Sequence[str], images: Sequence[str], doozer_2020: bool,
           problems: Problems) -> list[Entry]:
    """The entries to render: every stream then every image-metadata entry, or those named
    with --stream / --image (in the order named)."""
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
            problems.error(_image_problem(data, name), Location(f"images/{name}.yml"))
        elif image not in chosen:
            chosen.append(image)
    problems.check()
    return chosen


def _image_problem(data: BuildData, name: str) -> str:
    reason = data.images.ineligible.get(name)
    if reason:
        return f"--image {name}: image {name} {reason}"
    known = [*data.images.entries, *data.images.ineligible]
    return f"--image {name}: image {name} not found in group metadata{did_you_mean(name, known)}"


def generate(request: GenerateRequest, problems: Problems, run: Runner = run_command,
             applier: Applier | None = None,
             dump: Callable[[list[dict[str, object]]], str] | None = None) -> GenerateResult:
    """Render BuildConfigs for the request, write them atomically, and apply if asked.

    Warnings accumulate in `problems` (so the caller can show them even when a later error
    stops the run); errors raise CistreamsError before anything is written or applied.
    """
    data = load_build_data(request.source, request.doozer_2020, problems, run)
    registry = transforms.load_registry(data.data_dir, doozer_2020=request.doozer_2020,
                                        problems=problems)
    problems.check()
    entries = select(data, request.streams, request.images, request.doozer_2020, problems)
    options = render.RenderOptions(request.doozer_2020, request.live_test,
                                   all_entries=not (request.streams or request.images),
                                   daemonset=request.daemonset)
    rendered = render.render(data.group, entries, registry, options, problems)
    dumper = dump or (yamlio.dump_doozer if request.doozer_2020 else yamlio.dump_readable)
    text = dumper(rendered.objects)
    output.write_atomic(request.output, text)
    result = GenerateResult(rendered.buildconfig_names, len(rendered.objects))
    if request.apply:
        _apply(request, text, result, applier or Applier())
    return result


def _apply(request: GenerateRequest, text: str, result: GenerateResult, applier: Applier) -> None:
    if not result.buildconfigs:
        result.messages.append("No buildconfigs were generated; skipping apply.")
        return
    result.messages.append("Applying buildconfigs...")
    from_stdin = request.output == output.STDOUT
    printed = applier.apply(request.output, request.as_user, text if from_stdin else None)
    result.messages.extend(line for line in printed.splitlines() if line.strip())
    result.applied = True

