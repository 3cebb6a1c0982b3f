"""--push-to, --qci-repo and --push-secret: where the BuildConfigs push (docs/targets.md).

The options reach a command as one `push: options.PushTarget`, resolved against its
--compat (doozer-2020 pushed to imagestreams, doozer-2026 to QCI); a combination no doozer
ever wrote, or a repository or secret name the cluster would refuse, is a usage error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from cistreams import options


def push_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The push-target options, handed to the command as `push` (its `compat` keyword, when
    it has one, decides the default target)."""
    @functools.wraps(func)
    def command(*args: Any, push_to: str | None, qci_repo: str | None,
                push_secret: str | None, **kwargs: Any) -> Any:
        kwargs["push"] = resolve(kwargs.get("compat"), push_to, qci_repo, push_secret)
        return func(*args, **kwargs)

    decorators = [
        click.option("--push-to", type=click.Choice(options.PUSH_TARGETS), default=None,
                     help="qci (the default, ART's CI since June 2026): each build pushes to "
                          "<qci-repo>:art-builder-<MAJOR>.<MINOR>-<tag>, has no trigger, and "
                          "no DaemonSet is written. imagestream: each build pushes to its "
                          "upstream_image ImageStreamTag with an ImageChange trigger (the CI "
                          "of 2021 to mid-2026). Default imagestream with --compat doozer-2020."),
        click.option("--qci-repo", metavar="REPOSITORY", default=None,
                     help=f"The QCI repository (default {options.DEFAULT_QCI_REPO})."),
        click.option("--push-secret", metavar="SECRET", default=None,
                     help="The secret the builds push to QCI with (default "
                          f"{options.DEFAULT_PUSH_SECRET})."),
    ]
    wrapped: Callable[..., Any] = command
    for decorator in reversed(decorators):
        wrapped = decorator(wrapped)
    return wrapped


def resolve(compat: str | None, push_to: str | None, qci_repo: str | None,
            push_secret: str | None) -> options.PushTarget:
    """The push target, or a usage error."""
    try:
        target = options.push_target(compat, push_to, qci_repo, push_secret)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    from cistreams.render import qci  # not at import: --help stays fast

    if target.qci and (why := qci.target_problem(target)):
        raise click.UsageError(why)
    return target
