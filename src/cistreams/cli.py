"""The command line: parse options, call one typed function, map errors to exit codes.

Exit codes: 0 success, 1 a mistake in the input (a one-line message per problem),
2 a usage error, 3 a bug in cistreams (rerun with --debug for the traceback).
"""

from __future__ import annotations

import gc
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from cistreams import __version__, options
from cistreams.errors import CistreamsError, Problems
from cistreams.progress import delayed_progress

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXIT_USER, EXIT_USAGE, EXIT_BUG = 1, 2, 3


def _env(*names: str) -> list[str]:
    return [f"CISTREAMS_{n}" for n in names] + [f"DOOZER_{n}" for n in names]


@dataclass
class Globals:
    """doozer's global options, given before the verb (or after it in the short form)."""

    data_path: str | None
    group: str | None
    working_dir: Path | None
    debug: bool


@click.group(context_settings=CONTEXT)
@click.option("--data-path", metavar="PATH_OR_URL", envvar=_env("DATA_PATH"),
              help="Build data: a directory (used as it is) or a git URL whose branch named "
                   "like the group is cloned. Env: CISTREAMS_DATA_PATH or DOOZER_DATA_PATH.")
@click.option("-g", "--group", metavar="NAME", envvar=_env("GROUP"),
              help="The group, e.g. openshift-4.17; also the branch cloned from a git URL. "
                   "Env: CISTREAMS_GROUP or DOOZER_GROUP.")
@click.option("--working-dir", metavar="DIR", envvar=_env("WORKING_DIR"),
              type=click.Path(file_okay=False, path_type=Path),
              help="Where a git URL is cloned (and reused next time); a temporary folder "
                   "when absent. Env: CISTREAMS_WORKING_DIR or DOOZER_WORKING_DIR.")
@click.option("--debug", is_flag=True, help="Show the traceback of unexpected errors.")
@click.version_option(__version__, prog_name="cistreams")
@click.pass_context
def cli(ctx: click.Context, data_path: str | None, group: str | None,
        working_dir: Path | None, debug: bool) -> None:
    """Generate the OpenShift BuildConfigs that turn ART's builder and base images into
    CI-ready images, as doozer's `images:streams gen-buildconfigs` did.

    For every stream in streams.yml that names a transform, the BuildConfig layers CI's yum
    repositories, local-development repositories, labels and OPENSHIFT_CI onto the image ART
    mirrored to CI (upstream_image_base) and pushes the result to upstream_image. OpenShift's
    build service runs the builds; cistreams writes (and optionally applies) the objects.

    \b
    Both forms work, with the same options:
      cistreams --data-path DIR -g openshift-4.17 images:streams gen-buildconfigs -o out.yaml
      cistreams gen-buildconfigs --data-path DIR -g openshift-4.17 -o out.yaml
    """
    ctx.obj = Globals(data_path, group, working_dir, debug)


@cli.group("images:streams", context_settings=CONTEXT)
def images_streams() -> None:
    """Manage ART equivalent images in upstream CI (doozer's command path)."""


def _source(ctx: click.Context, data_path: str | None, group: str | None,
            working_dir: Path | None, assembly: str, variables: tuple[str, ...]) -> options.Source:
    root = ctx.find_object(Globals) or Globals(None, None, None, False)
    data_path = data_path or root.data_path
    group = group or root.group
    if not data_path:
        raise click.UsageError("no build data: give --data-path PATH_OR_URL "
                               "(or set CISTREAMS_DATA_PATH / DOOZER_DATA_PATH)")
    if not group:
        raise click.UsageError("no group: give -g/--group NAME (or set CISTREAMS_GROUP / "
                               "DOOZER_GROUP)")
    return options.Source(data_path, group, working_dir or root.working_dir, assembly,
                      tuple(_parse_var(v) for v in variables))


def _parse_var(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise click.BadParameter(f"'{text}' is not KEY=VALUE", param_hint="--var")
    return key, value


def source_options(func: Any) -> Any:
    """The build-data options, accepted after the verb too (the short form)."""
    options = [
        click.option("--data-path", "data_path_", metavar="PATH_OR_URL", default=None,
                     help="Same as the global --data-path."),
        click.option("-g", "--group", "group_", metavar="NAME", default=None,
                     help="Same as the global --group."),
        click.option("--working-dir", "working_dir_", default=None,
                     type=click.Path(file_okay=False, path_type=Path),
                     help="Same as the global --working-dir."),
        click.option("--assembly", default="stream", show_default=True, metavar="NAME",
                     help="Fills {runtime_assembly} in group.yml when the group enables "
                          "assemblies; 'stream' is the assembly CI images are synced from."),
        click.option("--var", "variables", multiple=True, metavar="KEY=VALUE",
                     help="Override or add a group.yml var, e.g. --var MINOR=18."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _timeout(ctx: click.Context, param: click.Parameter, value: str) -> float:
    from cistreams.cluster.connection import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def connection_options(func: Any) -> Any:
    """kubectl's connection options, for --apply and diff."""
    options = [
        click.option("--kubeconfig", metavar="PATH", default=None,
                     help="The kubeconfig file; else KUBECONFIG, else ~/.kube/config, else "
                          "the pod's service account."),
        click.option("--context", "kube_context", metavar="NAME", default=None,
                     help="The kubeconfig context (default: its current-context)."),
        click.option("--as", "as_user", metavar="CLUSTER_USERNAME",
                     help="Impersonate this user on the cluster."),
        click.option("--request-timeout", default="30s", show_default=True, metavar="DURATION",
                     callback=_timeout,
                     help="Time limit of each request (30s, 1m, 0 for none); a request that "
                          "times out is retried, 3 tries in all."),
        click.option("--max-inflight", type=click.IntRange(1, 64), default=16,
                     show_default=True, help="Requests in flight at once."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command("gen-buildconfigs", context_settings=CONTEXT)
@click.option("--stream", "streams", multiple=True, metavar="STREAM_NAME",
              help="If specified, only these stream names will be processed (in this order). "
                   "Without it every stream is processed and the DaemonSet is generated.")
@click.option("--image", "images", multiple=True, metavar="IMAGE_NAME",
              help="Only these image-metadata entries (images/NAME.yml with ci_alignment."
                   "upstream_image); combined with --stream as a union.")
@click.option("-o", "--output", required=True, metavar="FILENAME",
              help="The file to write the YAML to ('-' for standard output). It is replaced "
                   "atomically, and is empty when no stream has a transform.")
@click.option("--apply", "apply_", is_flag=True,
              help="Apply the objects to the cluster with server-side apply, all or nothing "
                   "(a dry run of every object first), when at least one BuildConfig was "
                   "generated.")
@click.option("--dry-run", is_flag=True,
              help="With --apply: only the server-side dry run; report what would be created "
                   "or configured and write nothing to the cluster.")
@click.option("--prune", is_flag=True,
              help="With --apply, for the whole group: after a clean apply, delete the "
                   "group's BuildConfigs and DaemonSets (same namespace, same art-builder-group "
                   "label) that the build data no longer renders.")
@click.option("--max-prune", type=click.IntRange(0), default=5, show_default=True, metavar="N",
              help="If --prune would delete more than N objects, delete nothing, list them "
                   "and exit 1 (a broken streams.yml must not wipe CI's builders).")
@click.option("--oc", "oc", metavar="PATH", envvar="CISTREAMS_OC", default=None,
              help="Apply with `PATH apply -f FILE` (oc or kubectl) instead of server-side "
                   "apply; always so with --compat doozer-2020 (default binary: oc). "
                   "Env: CISTREAMS_OC.")
@click.option("--live-test-mode", is_flag=True,
              help="Generate live-test BuildConfigs: '.test' is appended to the group label "
                   "and to the source and destination tags, so nothing reaches real CI tags.")
@click.option("--compat", type=click.Choice(options.COMPAT_MODES), default=None,
              help="doozer-2020: write exactly the bytes doozer wrote in late 2020 (apiVersion "
                   "v1 BuildConfigs, an extensions/v1beta1 DaemonSet, its quirks).")
@click.option("--no-daemonset", is_flag=True,
              help="Leave out the DaemonSet that keeps the images from being garbage-collected "
                   "(not needed on OpenShift 4; ignored with --compat doozer-2020).")
@connection_options
@source_options
@click.pass_context
def gen_buildconfigs(ctx: click.Context, /, streams: tuple[str, ...], images: tuple[str, ...],
                     output: str, apply_: bool, dry_run: bool, prune: bool, max_prune: int,
                     oc: str | None, live_test_mode: bool, compat: str | None,
                     no_daemonset: bool, **more: Any) -> None:
    """Generates buildconfigs necessary to assemble ART equivalent images upstream.

    Inside CI, yum must use CI's RPM mirrors and build-root images need extra tools, so ART
    mirrors each image to an intermediate tag (upstream_image_base) and a BuildConfig layers
    the CI changes on top, pushing to upstream_image. This writes those BuildConfigs (and a
    DaemonSet keeping the images in use) as multi-document YAML.
    """
    source = _source_of(ctx, more)
    if images and compat:
        raise click.UsageError("--image needs the default mode: doozer 2020 did not read "
                               "image metadata")
    _check_apply_flags(apply_, dry_run, prune, bool(oc or compat), bool(streams or images))
    from cistreams import app  # imported here so that --help stays fast

    apply_options = options.ApplyOptions(_connection(more), oc, dry_run, prune, max_prune)
    request = options.GenerateRequest(source, output, streams, images, live_test_mode, compat,
                                      daemonset=not no_daemonset, apply=apply_,
                                      as_user=more["as_user"],
                                      apply_options=apply_options)
    problems = Problems()
    try:
        result = app.generate(request, problems, progress=delayed_progress)
    finally:
        _print_warnings(problems)
    for message in result.messages:
        click.echo(message, err=True)
    noun = "BuildConfig" if len(result.buildconfigs) == 1 else "BuildConfigs"
    daemonsets = result.objects - len(result.buildconfigs)
    extra = {0: "", 1: " and a DaemonSet"}.get(daemonsets, f" and {daemonsets} DaemonSets")
    target = "standard output" if output == "-" else output
    click.echo(f"wrote {len(result.buildconfigs)} {noun}{extra} to {target}", err=True)


def _check_apply_flags(apply_: bool, dry_run: bool, prune: bool, uses_oc: bool,
                       selected: bool) -> None:
    """Usage errors (exit 2) for cluster flags that would not do what they say."""
    for flag, given in (("--dry-run", dry_run), ("--prune", prune)):
        if given and not apply_:
            raise click.UsageError(f"{flag} needs --apply")
        if given and uses_oc:
            raise click.UsageError(f"{flag} needs server-side apply (not --oc or --compat "
                                   "doozer-2020)")
    if prune and selected:
        raise click.UsageError("--prune needs the whole group: with --stream or --image every "
                               "other object of the group would look stale")


def _source_of(ctx: click.Context, more: dict[str, Any]) -> options.Source:
    return _source(ctx, more["data_path_"], more["group_"], more["working_dir_"],
                   more["assembly"], more["variables"])


def _connection(more: dict[str, Any]) -> options.ConnectionOptions:
    return options.ConnectionOptions(more["kubeconfig"], more["kube_context"],
                                     more["request_timeout"], more["max_inflight"])


def _print_warnings(problems: Problems) -> None:
    for warning in problems.warnings:
        click.echo(f"warning: {warning}", err=True)


images_streams.add_command(gen_buildconfigs)
cli.add_command(gen_buildconfigs)


@cli.command("diff", context_settings=CONTEXT)
@click.option("--stream", "streams", multiple=True, metavar="STREAM_NAME",
              help="Only these streams (no DaemonSet).")
@click.option("--image", "images", multiple=True, metavar="IMAGE_NAME",
              help="Only these image-metadata entries.")
@click.option("--live-test-mode", is_flag=True, help="Diff the live-test objects.")
@click.option("--no-daemonset", is_flag=True, help="Leave out the DaemonSet.")
@click.option("--prune", is_flag=True,
              help="Also show the objects --apply --prune would delete, as removals.")
@connection_options
@source_options
@click.pass_context
def diff(ctx: click.Context, /, streams: tuple[str, ...], images: tuple[str, ...],
         live_test_mode: bool, no_daemonset: bool, prune: bool, **more: Any) -> None:
    """Show what --apply would change on the cluster, object by object.

    A unified diff of each live object against the server's own dry-run result of applying
    it (server-managed fields left out; a missing object diffs against nothing). Exit
    status, as kubectl diff: 0 nothing would change, 1 something would, 2 or more an error.
    """
    source = _source_of(ctx, more)
    if prune and (streams or images):
        raise click.UsageError("--prune needs the whole group (no --stream or --image)")
    from cistreams import app  # imported here so that --help stays fast

    request = options.GenerateRequest(source, "-", streams, images, live_test_mode,
                                      daemonset=not no_daemonset, as_user=more["as_user"])
    problems = Problems()
    try:
        report = app.diff(request, _connection(more), problems, progress=delayed_progress,
                          prune=prune)
    except CistreamsError as exc:  # kubectl diff's convention: errors are 2 or more
        for line in str(exc).splitlines():
            click.echo(f"error: {line}", err=True)
        raise click.exceptions.Exit(EXIT_USAGE) from None
    finally:
        _print_warnings(problems)
    _print_diff(report.text)
    click.echo(f"{report.changed} of {report.objects} objects would change", err=True)
    if report.changed:
        raise click.exceptions.Exit(EXIT_USER)


def _print_diff(text: str) -> None:
    """The diff on standard output, coloured on a terminal only."""
    colour = sys.stdout.isatty()
    for line in text.splitlines():
        if colour and line.startswith(("+++", "---")):
            line = click.style(line, bold=True)
        elif colour and line[:1] in _DIFF_COLOURS:
            line = click.style(line, fg=_DIFF_COLOURS[line[:1]])
        click.echo(line)


_DIFF_COLOURS = {"+": "green", "-": "red", "@": "cyan"}


@cli.command("check", context_settings=CONTEXT)
@click.option("--compat", type=click.Choice(options.COMPAT_MODES), default=None,
              help="Check with doozer 2020's rules (only the six transforms it knew).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json prints one object for CI bots.")
@source_options
@click.pass_context
def check(ctx: click.Context, compat: str | None, output_format: str, data_path_: str | None,
          group_: str | None, working_dir_: Path | None, assembly: str,
          variables: tuple[str, ...]) -> None:
    """Validate the build data without writing or applying anything.

    Loads group.yml, streams.yml and image metadata, checks every stream, transform template
    and repo, and renders every BuildConfig in memory. Exit status 0 when clean, 1 otherwise.
    """
    source = _source(ctx, data_path_, group_, working_dir_, assembly, variables)
    from cistreams import app  # imported here so that --help stays fast

    report = app.check(source, compat == options.COMPAT_DOOZER_2020)
    if output_format == "json":
        click.echo(json.dumps(report.as_dict(), indent=2, sort_keys=True))
    else:
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        for error in report.errors:
            click.echo(f"error: {error}", err=True)
        verdict = "ok" if report.ok else f"{len(report.errors)} error(s)"
        click.echo(f"{source.group}: {verdict}, {report.buildconfigs} BuildConfig(s), "
                   f"{len(report.warnings)} warning(s)")
    if not report.ok:
        raise click.exceptions.Exit(EXIT_USER)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console-script entry point)."""
    args = list(sys.argv[1:] if argv is None else argv)
    # A short-lived run builds hundreds of thousands of acyclic objects (YAML nodes, dicts);
    # the cyclic collector would rescan them again and again (2-3x the load time) to free
    # nothing. Reference counting still frees everything.
    gc.disable()
    debug = "--debug" in args or bool(os.environ.get("CISTREAMS_DEBUG"))
    try:
        code = cli.main(args=args, prog_name="cistreams", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if isinstance(exc, click.UsageError) else EXIT_USER
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except CistreamsError as exc:
        for line in str(exc).splitlines():
            click.echo(f"error: {line}", err=True)
        return EXIT_USER
    except Exception as exc:
        if debug:
            import traceback

            traceback.print_exc()
        click.echo(f"cistreams: internal error: {type(exc).__name__}: {exc}"
                   + ("" if debug else " (rerun with --debug for the traceback)"), err=True)
        return EXIT_BUG
    # click returns the code of an Exit raised inside a command when not in standalone mode
    return code if isinstance(code, int) else 0
