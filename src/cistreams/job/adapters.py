"""The four steps of ART's sync-ci-images job, each through its verb's typed core function.

gen-buildconfigs applies with server-side apply (all or nothing, pruning when asked) and
writes no file: the run's lines are the record. mirror, start-builds and check-upstream call
the functions their verbs call, with the sync's options, and hand their lines to the
group's log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

# imported here, not in each step: groups run on threads side by side (see runner.py)
from cistreams import app, cluster
from cistreams.cibuilds import qci, startbuilds, upstream
from cistreams.cibuilds.display import Display
from cistreams.commands import check_upstream as check_verb
from cistreams.commands import mirror as mirroring
from cistreams.commands import start_builds as start_verb
from cistreams.errors import Problems, one_line
from cistreams.job.steps import FAILED, OK, SKIPPED, GroupRun, Step, StepOutcome
from cistreams.options import PUSH_QCI, ApplyOptions, GenerateRequest, PushTarget
from cistreams.registry import plan as planning
from cistreams.registry import run as running

if TYPE_CHECKING:
    from cistreams.commands.registry_options import RegistryOptions


def _warnings(problems: Problems, echo: Callable[[str], None]) -> None:
    for warning in problems.warnings:
        echo(f"warning: {one_line(str(warning))}")


class GenBuildconfigs:
    """`gen-buildconfigs --apply [--prune]`: render the group and apply it."""

    name = "gen-buildconfigs"

    def run(self, group: GroupRun) -> StepOutcome:
        """Render (every problem raised together), dry-run every object, then apply."""

        options = group.options
        apply_options = ApplyOptions(options.connection, None, options.dry_run, options.prune,
                                     options.max_prune)
        # no DaemonSet: OpenShift 4 keeps images without it, and ART's job stopped making it
        # the BuildConfigs push to the QCI repository start-builds promotes from
        push = PushTarget(PUSH_QCI, options.registry.qci_repo, options.push_secret)
        request = GenerateRequest(group.source, "-", daemonset=False, apply=True,
                                  as_user=options.as_user, apply_options=apply_options,
                                  push=push)
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

        options, registry = group.options, group.options.registry
        settings = planning.Settings(False, False, registry.ci_registry, registry.qci_repo,
                                     registry.qci_proxy)
        request = mirroring.MirrorRequest(
            group.source, only_if_missing=options.only_if_missing, dry_run=options.dry_run,
            settings=settings, registry_auth=registry.auth, registry_certs=registry.certs,
            max_inflight=options.max_inflight, connection=options.connection,
            as_user=options.as_user)
        errors: list[str] = []

        def emit(report: running.EntryReport) -> None:
            for outcome in report.outcomes:
                text = one_line(outcome.text)
                if outcome.action == running.ERROR:
                    errors.append(text)  # run_step shows the errors
                elif outcome.action == running.MISSING_SOURCE:
                    group.echo(f"warning: {text}")
                else:
                    group.echo(text)

        problems = Problems()
        try:
            plans = mirroring.prepare(request, problems)
        finally:
            _warnings(problems, group.echo)
        reports = mirroring.execute(request, plans, emit)
        line, counts = mirroring.summary(reports, options.dry_run)
        return StepOutcome(FAILED if errors else OK, line, dict(counts), errors)


class StartBuilds:
    """`start-builds` (waiting): start the group's builds, watch them, promote each image."""

    name = "start-builds"

    def run(self, group: GroupRun) -> StepOutcome:
        """Preserve, start, wait for and promote every build; a build that did not complete
        and promote fails the step, one line per BuildConfig."""

        options, registry = group.options, group.options.registry
        request = startbuilds.Request(
            group.source, dry_run=options.dry_run, wait=True, timeout=options.build_timeout,
            hosts=_hosts(registry), registry_auth=registry.auth, registry_certs=registry.certs,
            connection=options.connection, as_user=options.as_user)
        problems = Problems()
        try:
            report = startbuilds.start_builds(request, problems, Display(echo=group.echo))
        finally:
            _warnings(problems, group.echo)
        counts: dict[str, int] = {"requests": report.requests,
                                  "registry_runs": report.registry_runs}
        errors = []
        for item in report.selected:
            phase = item.build.phase.lower() if item.build is not None else "not-started"
            counts[phase] = counts.get(phase, 0) + 1
            if not item.ok:
                why = item.error or ("timed out" if item.timed_out else item.status)
                errors.append(f"{item.buildconfig}: {one_line(why)}")
        for line in start_verb.summary_table(report):
            group.echo(line)
        if not report.selected:
            return StepOutcome(SKIPPED, start_verb.summary_line(report), counts)
        return StepOutcome(OK if report.ok else FAILED, start_verb.summary_line(report), counts,
                           errors)


class CheckUpstream:
    """`check-upstream`: is every CI imagestream tag where the build data says?"""

    name = "check-upstream"

    def run(self, group: GroupRun) -> StepOutcome:
        """Check (and sync, as doozer does) every entry's tags; an ERROR fails the step."""

        options, registry = group.options, group.options.registry
        request = upstream.Request(
            group.source, dry_run=options.dry_run, hosts=_hosts(registry),
            registry_auth=registry.auth, registry_certs=registry.certs,
            connection=options.connection, as_user=options.as_user)
        problems = Problems()
        try:
            report = upstream.check_upstream(request, problems, Display(echo=group.echo))
        finally:
            _warnings(problems, group.echo)
        counts = {status.lower().replace(" ", "-"): n for status, n in report.counts().items()}
        counts["requests"] = report.requests
        for line in check_verb.as_lines(report):
            group.echo(line)
        errors = [f"{check.entry}: {check.what} {check.subject}: {one_line(check.detail)}"
                  for check in report.checks if check.status == upstream.ERROR]
        summary = ", ".join(f"{n} {status}" for status, n in report.counts().items() if n)
        return StepOutcome(OK if report.ok else FAILED, summary or "nothing to check", counts,
                           errors)


def _hosts(registry: RegistryOptions) -> qci.Hosts:
    """The registry hosts as the build steps take them."""

    return qci.Hosts(registry.ci_registry, registry.qci_repo, registry.qci_proxy)


def default_steps() -> list[Step]:
    """ART's job, in order: gen-buildconfigs, mirror, start-builds, check-upstream."""
    return [GenBuildconfigs(), Mirror(), StartBuilds(), CheckUpstream()]
