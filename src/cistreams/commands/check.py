"""`check`: validate the build data without writing or applying anything."""

from __future__ import annotations

import json

import click

from cistreams import options
from cistreams.commands.pushing import push_options
from cistreams.commands.shared import CONTEXT, EXIT_USER, source_options


@click.command("check", context_settings=CONTEXT)
@click.option("--compat", type=click.Choice(options.COMPAT_MODES), default=None,
              help="Check with doozer 2020's rules (only the six transforms it knew) or "
                   "doozer 2026's (its entries, its errors).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json prints one object for CI bots.")
@push_options
@source_options
def check(*, source: options.Source, compat: str | None, output_format: str,
          push: options.PushTarget) -> None:
    """Validate the build data without writing or applying anything.

    Loads group.yml, streams.yml and image metadata, checks every stream, transform template
    and repo, and renders every BuildConfig in memory. Exit status 0 when clean, 1 otherwise.
    """
    from cistreams import app  # imported here so that --help stays fast

    report = app.check(source, compat, push)
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
