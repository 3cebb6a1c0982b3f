"""The four steps of ART's sync-ci-images job, each through its verb's typed core function.

gen-buildconfigs applies with server-side apply (all or nothing, pruning when asked) and
writes no file: the run's lines are the record. mirror, start-builds and check-upstream call
the functions their verbs call. A verb missing from this build of cistreams fails its step
with one line saying so, never a silent pass.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from cistreams.errors import CistreamsError, Problems, one_line
from cistreams.job.steps import FAILED, OK, SKIPPED, GroupRun, Step, StepOutcome
from cistreams.options import ApplyOptions, GenerateRequest


def _warnings(problems: Problems, echo: Callable[[str], None]) -> None:
    for warning in problems.warnings:
        echo(f"warning: {one_line(str(warning))}")


def _module(name: str, verb: str) -> ModuleType:
    """A verb's module, or one clear error when this build of cistreams lacks it."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise CistreamsError(f"{verb} is not available in this build of cistreams") from None


class GenBuildconfigs:
    """`gen-buildconfigs --apply [--prune]`: render the group and apply it."""

    name = "gen-buildconfigs"

    def run(self, group: GroupRun) -> StepOutcome:
        """Render (every problem raised together), dry-run every object, then apply."""
        from cistreams import app, cluster

        options = group.options
        apply_options = ApplyOptions(options.connection, None, options.dry_run, options.prune,
                                     options.max_prune)
        # no DaemonSet: OpenShift 4 keeps images without it, and ART's job stopped making it
        request = GenerateRequest(group.source, "-", daemonset=False, apply=True,
                                  as_user=options.as_user, apply_options=apply_options)
        problems = Problems()
        try:
            _, rendered = app.load_and_render(request, problems)
        finally:
            _warnings(problems, group.echo)
        if not rendered.buildconfig_names:
            return StepOutcome(SKIPPED, "no BuildConfigs generated; nothing to apply")
        session = cluster.prepare_apply(rendered.objects, apply_options, options.as_user,
                                        echo=group.echo)
        report = session.commit()
        for line in report.lines():
            group.echo(line)
        counts: dict[str, int] = {}
        for planned in report.planned:
            counts[planned.action] = counts.get(planned.action, 0) + 1
        if report.pruned:
            counts["pruned"] = sum(" pruned" in line for line in report.pruned)
        counts["requests"] = report.requests
        return StepOutcome(OK, report.summary(), counts)


class Mirror:
    """`mirror [--only-if-missing]`: ART's images to CI, by digest."""

    name = "mirror"

    def run(self, group: GroupRun) -> StepOutcome:
        """Plan and run the copies and imagestream patches; any error fails the step."""
        mirroring = _module("cistreams.commands.mirror", "mirror")
        from cistreams.registry import plan as planning
        from cistreams.registry import run as running

        options, registry = group.options, group.options.registry
        settings = planning.Settings(False, False, registry.ci_registry, registry.qci_repo,
                                     registry.qci_proxy)
        request = mirroring.MirrorRequest(
            group.source, only_if_missing=options.only_if_missing, dry_run=options.dry_run,
            settings=settings, registry_auth=registry.auth, registry_certs=registry.certs,
            max_inflight=options.max_inflight, connection=options.connection,
            as_user=options.as_user)
        errors: list[str] = []

        def emit(report: Any) -> None:
            for outcome in report.outcomes:
                text = one_line(outcome.text)
                if outcome.action == running.ERROR:
                    errors.append(text)
                    continue  # run_step shows the errors
                prefix = "warning: " if outcome.action == running.MISSING_SOURCE else ""
                group.echo(prefix + text)

        problems = Problems()
        try:
            reports = mirroring.mirror_images(request, problems, emit)
        finally:
            _warnings(problems, group.echo)
        line, counts = mirroring.summary(reports, options.dry_run)
        return StepOutcome(FAILED if errors else OK, line, dict(counts), errors)


class StartBuilds:
    """`start-builds` (waiting): start the group's builds, watch them, promote each image."""

    name = "start-builds"

    def run(self, group: GroupRun) -> StepOutcome:
        """Not wired yet: the verb's module is looked up, and its absence is an error."""
        _module("cistreams.commands.start_builds", "start-builds")
        raise CistreamsError("start-builds: its typed core is not wired into sync yet")


class CheckUpstream:
    """`check-upstream`: is every CI imagestream tag where the build data says?"""

    name = "check-upstream"

    def run(self, group: GroupRun) -> StepOutcome:
        """Not wired yet: the verb's module is looked up, and its absence is an error."""
        _module("cistreams.commands.check_upstream", "check-upstream")
        raise CistreamsError("check-upstream: its typed core is not wired into sync yet")


def default_steps() -> list[Step]:
    """ART's job, in order: gen-buildconfigs, mirror, start-builds, check-upstream."""
    return [GenBuildconfigs(), Mirror(), StartBuilds(), CheckUpstream()]
