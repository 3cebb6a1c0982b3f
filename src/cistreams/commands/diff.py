"""`diff`: what --apply would change on the cluster, object by object."""

from __future__ import annotations

import sys

import click

from cistreams import options
from cistreams.commands.pushing import push_options
from cistreams.commands.shared import (
    CONTEXT,
    EXIT_USAGE,
    EXIT_USER,
    connection_options,
    echo_error,
    print_warnings,
    source_options,
)
from cistreams.errors import CistreamsError, Problems
from cistreams.progress import delayed_progress

_DIFF_COLOURS = {"+": "green", "-": "red", "@": "cyan"}


@click.command("diff", context_settings=CONTEXT)
@click.option("--stream", "streams", multiple=True, metavar="STREAM_NAME",
              help="Only these streams (no DaemonSet).")
@click.option("--image", "images", multiple=True, metavar="IMAGE_NAME",
              help="Only these image-metadata entries.")
@click.option("--live-test-mode", is_flag=True, help="Diff the live-test objects.")
@click.option("--no-daemonset", is_flag=True, help="Leave out the DaemonSet (imagestream target).")
@click.option("--prune", is_flag=True,
              help="Also show the objects --apply --prune would delete, as removals.")
@click.option("--prune-despite-warnings", is_flag=True,
              help="With --prune: show the removals even when the build data gave warnings "
                   "(as --apply --prune --prune-despite-warnings would delete them).")
@push_options
@connection_options
@source_options
def diff(*, source: options.Source, connection: options.ConnectionOptions,
         as_user: str | None, streams: tuple[str, ...], images: tuple[str, ...],
         live_test_mode: bool, no_daemonset: bool, prune: bool, prune_despite_warnings: bool,
         push: options.PushTarget) -> None:
    """Show what --apply would change on the cluster, object by object.

    A unified diff of each live object against the server's own dry-run result of applying
    it (server-managed fields left out; a missing object diffs against nothing). Exit
    status, as kubectl diff: 0 nothing would change, 1 something would, 2 or more an error.
    """
    if prune and (streams or images):
        raise click.UsageError("--prune needs the whole group (no --stream or --image)")
    if prune_despite_warnings and not prune:
        raise click.UsageError("--prune-despite-warnings needs --prune")
    from cistreams import app  # imported here so that --help stays fast

    request = options.GenerateRequest(
        source, "-", streams, images, live_test_mode, daemonset=not no_daemonset,
        as_user=as_user, push=push,
        apply_options=options.ApplyOptions(prune_despite_warnings=prune_despite_warnings))
    problems = Problems()
    try:
        report = app.diff(request, connection, problems, progress=delayed_progress,
                          prune=prune)
    except CistreamsError as exc:  # kubectl diff's convention: errors are 2 or more
        echo_error(str(exc))
        raise click.exceptions.Exit(EXIT_USAGE) from None
    finally:
        print_warnings(problems)
    print_diff(report.text)
    click.echo(f"{report.changed} of {report.objects} objects would change", err=True)
    if report.changed:
        raise click.exceptions.Exit(EXIT_USER)


def print_diff(text: str) -> None:
    """The diff on standard output, coloured on a terminal only."""
    colour = sys.stdout.isatty()
    for line in text.splitlines():
        if colour and line.startswith(("+++", "---")):
            line = click.style(line, bold=True)
        elif colour and line[:1] in _DIFF_COLOURS:
            line = click.style(line, fg=_DIFF_COLOURS[line[:1]])
        click.echo(line)
