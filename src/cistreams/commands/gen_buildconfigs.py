"""`gen-buildconfigs`: write (and optionally apply) the group's BuildConfigs."""

from __future__ import annotations

import click

from cistreams import options
from cistreams.commands.pushing import push_options
from cistreams.commands.shared import (
    CONTEXT,
    connection_options,
    dry_run_option,
    print_warnings,
    source_options,
)
from cistreams.errors import Problems
from cistreams.progress import delayed_progress


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
@dry_run_option
@click.option("--prune", is_flag=True,
              help="With --apply, for the whole group: after a clean apply, delete the "
                   "group's BuildConfigs and DaemonSets (same namespace, same art-builder-group "
                   "label) that the build data no longer renders.")
@click.option("--max-prune", type=click.IntRange(0), default=5, show_default=True, metavar="N",
              help="If --prune would delete more than N objects, delete nothing, list them "
                   "and exit 1 (a broken streams.yml must not wipe CI's builders).")
@click.option("--prune-despite-warnings", is_flag=True,
              help="With --prune: prune even when the build data gave warnings (a run with a "
                   "warning about what it renders does not prune otherwise, and says so).")
@click.option("--oc", "oc", metavar="PATH", envvar="CISTREAMS_OC", default=None,
              help="Apply with `PATH apply -f FILE` (oc or kubectl) instead of server-side "
                   "apply; always so with --compat doozer-2020 (default binary: oc). "
                   "Env: CISTREAMS_OC.")
@click.option("--live-test-mode", is_flag=True,
              help="Generate live-test BuildConfigs: '.test' is appended to the group label "
                   "and to the source and destination tags, so nothing reaches real CI tags.")
@click.option("--compat", type=click.Choice(options.COMPAT_MODES), default=None,
              help="doozer-2020: write exactly the bytes doozer wrote in late 2020 (apiVersion "
                   "v1 BuildConfigs, an extensions/v1beta1 DaemonSet, its quirks); "
                   "doozer-2026: exactly those of art-tools' doozer at 8cb2b372 (QCI output). "
                   "Both given doozer's own templates in the build data's ci_transforms/.")
@click.option("--no-daemonset", is_flag=True,
              help="Leave out the DaemonSet that keeps the images from being garbage-collected "
                   "(imagestream target only; not needed on OpenShift 4; ignored with "
                   "--compat doozer-2020).")
@push_options
@connection_options
@source_options
def gen_buildconfigs(*, source: options.Source, connection: options.ConnectionOptions,
                     as_user: str | None, streams: tuple[str, ...], images: tuple[str, ...],
                     output: str, apply_: bool, dry_run: bool, prune: bool, max_prune: int,
                     prune_despite_warnings: bool,
                     oc: str | None, live_test_mode: bool, compat: str | None,
                     no_daemonset: bool, push: options.PushTarget) -> None:
    """Generates buildconfigs necessary to assemble ART equivalent images upstream.

    Inside CI, yum must use CI's RPM mirrors and build-root images need extra tools, so ART
    mirrors each image to an intermediate tag (upstream_image_base) and a BuildConfig layers
    the CI changes on top, pushing to a QCI tag that CI's imagestream tag is then pointed at
    (--push-to qci, the default) or straight to upstream_image (--push-to imagestream, with a
    DaemonSet keeping the images in use). This writes those objects as multi-document YAML.
    """
    if images and compat == options.COMPAT_DOOZER_2020:
        raise click.UsageError("--image needs the default mode or --compat doozer-2026: "
                               "doozer 2020 did not read image metadata")
    check_apply_flags(apply_, dry_run, prune, bool(oc or compat == options.COMPAT_DOOZER_2020),
                      bool(streams or images))
    from cistreams import app  # imported here so that --help stays fast

    if prune_despite_warnings and not prune:
        raise click.UsageError("--prune-despite-warnings needs --prune")
    apply_options = options.ApplyOptions(connection, oc, dry_run, prune, max_prune,
                                         prune_despite_warnings)
    request = options.GenerateRequest(source, output, streams, images, live_test_mode, compat,
                                      daemonset=not no_daemonset, apply=apply_,
                                      as_user=as_user, apply_options=apply_options,
                                      push=push)
    problems = Problems()
    try:
        prepared = app.prepare(request, problems, progress=delayed_progress)
    finally:
        print_warnings(problems)  # before the apply's report lines, and on failure too
    result = app.finish(prepared)
    for message in result.messages:
        click.echo(message, err=True)
    noun = "BuildConfig" if len(result.buildconfigs) == 1 else "BuildConfigs"
    daemonsets = result.objects - len(result.buildconfigs)
    extra = {0: "", 1: " and a DaemonSet"}.get(daemonsets, f" and {daemonsets} DaemonSets")
    target = "standard output" if output == "-" else output
    click.echo(f"wrote {len(result.buildconfigs)} {noun}{extra} to {target}", err=True)


def check_apply_flags(apply_: bool, dry_run: bool, prune: bool, uses_oc: bool,
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
