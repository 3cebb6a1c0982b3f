"""The command line: the root group with doozer's global options, the verbs (one module
each in `commands/`), and the mapping of errors to exit codes.

Exit codes: 0 success, 1 a mistake in the input (a one-line message per problem),
2 a usage error, 3 a bug in cistreams (rerun with --debug for the traceback).
"""

from __future__ import annotations

import io
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import click

from cistreams import __version__
from cistreams.commands import (
    check,
    check_upstream,
    diff,
    gen_buildconfigs,
    mirror,
    shared,
    start_builds,
    sync,
)
from cistreams.commands.shared import CONTEXT, EXIT_BUG, EXIT_USAGE, EXIT_USER, STATE, Globals
from cistreams.errors import CistreamsError


@click.group(context_settings=CONTEXT)
@click.option("--data-path", metavar="PATH_OR_URL", envvar=shared.env("DATA_PATH"),
              help="Build data: a directory (used as it is) or a git URL whose branch named "
                   "like the group is cloned. Env: CISTREAMS_DATA_PATH or DOOZER_DATA_PATH.")
@click.option("-g", "--group", metavar="NAME", envvar=shared.env("GROUP"),
              help="The group, e.g. openshift-4.17; also the branch cloned from a git URL. "
                   "Env: CISTREAMS_GROUP or DOOZER_GROUP.")
@click.option("--working-dir", metavar="DIR", envvar=shared.env("WORKING_DIR"),
              type=click.Path(file_okay=False, path_type=Path),
              help="Where a git URL is cloned (and reused next time); a temporary folder "
                   "when absent. Env: CISTREAMS_WORKING_DIR or DOOZER_WORKING_DIR.")
@shared.debug_option
@click.version_option(__version__, prog_name="cistreams")
@click.pass_context
def cli(ctx: click.Context, data_path: str | None, group: str | None,
        working_dir: Path | None) -> None:
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
    ctx.obj = Globals(data_path, group, working_dir)


@cli.group("images:streams", context_settings=CONTEXT)
def images_streams() -> None:
    """Manage ART equivalent images in upstream CI (doozer's command path)."""


# doozer's verbs exist in both forms; cistreams' own verbs only at the top
for _command in (gen_buildconfigs.gen_buildconfigs,):
    images_streams.add_command(_command)
    cli.add_command(_command)
for _command in (diff.diff, check.check, sync.sync):
    cli.add_command(_command)

# mirror (issue 18): a doozer verb, so in both forms too
images_streams.add_command(mirror.mirror)
cli.add_command(mirror.mirror)

# start-builds and check-upstream (issue 19): doozer verbs, in both forms
for _command in (start_builds.start_builds, check_upstream.check_upstream):
    images_streams.add_command(_command)
    cli.add_command(_command)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C: a run that CI stops says what it did, as after Ctrl-C."""


def _terminated(signum: int, frame: object) -> None:
    raise Terminated


def _interrupt_code(exc: BaseException) -> int | None:
    """130 when `exc` comes from Ctrl-C, 143 from SIGTERM (the shells' 128 + signal)."""
    cause = exc.__cause__
    if isinstance(cause, KeyboardInterrupt):
        return 128 + (signal.SIGTERM if isinstance(cause, Terminated) else signal.SIGINT)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console-script entry point)."""
    args = list(sys.argv[1:] if argv is None else argv)
    STATE.reset()
    on_main = threading.current_thread() is threading.main_thread()  # signals need it
    previous = signal.signal(signal.SIGTERM, _terminated) if on_main else None
    try:
        code = cli.main(args=args, prog_name="cistreams", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.ClickException as exc:
        _show_usage_error(exc)
        return EXIT_USAGE if isinstance(exc, click.UsageError) else EXIT_USER
    except click.exceptions.Abort as exc:
        code = _interrupt_code(exc) or 130
        click.echo("terminated" if code == 128 + signal.SIGTERM else "aborted", err=True)
        return code
    except CistreamsError as exc:
        shared.echo_problem(exc)
        return _interrupt_code(exc) or EXIT_USER
    except Exception as exc:
        if STATE.debug:
            import traceback

            traceback.print_exc()
        click.echo(f"cistreams: internal error: {type(exc).__name__}: {exc}"
                   + ("" if STATE.debug else " (rerun with --debug for the traceback)"), err=True)
        return EXIT_BUG
    finally:
        if on_main:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
    # click returns the code of an Exit raised inside a command when not in standalone mode
    return code if isinstance(code, int) else 0


def _show_usage_error(exc: click.ClickException) -> None:
    """click's message in the house style: its usage lines, then one lower-case `error:` line."""
    shown = io.StringIO()
    exc.show(file=shown)
    # the first "Error: " is click's: the message after it may quote the user's text
    head, sep, message = shown.getvalue().partition("Error: ")
    click.echo(f"{head}error: {message}" if sep else shown.getvalue(), err=True, nl=False)
