"""The registry options of mirror, start-builds and check-upstream, as one typed record.

`--registry-auth FILE` (a docker config.json handed to skopeo; doozer's global
`--registry-config-dir DIR` means DIR/config.json), `--registry-certs DIR`
(containers-certs.d(5)), and the hosts with ART's defaults: `--ci-registry`, `--qci-repo`,
`--qci-proxy` (so tests point them at local registries). They reach the command as
`registries: RegistryOptions`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from cistreams.registry.plan import CI_REGISTRY, QCI_PROXY, QCI_REPO
from cistreams.registry.refs import parse_repository
from cistreams.registry.skopeo import DEFAULT_CERTS


@dataclass(frozen=True)
class RegistryOptions:
    """Credentials, trust and hosts of the registries a verb reads and writes."""

    auth: Path | None = None
    certs: Path = DEFAULT_CERTS
    ci_registry: str = CI_REGISTRY
    qci_repo: str = QCI_REPO
    qci_proxy: str = QCI_PROXY


def _repository(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        parse_repository(value)
    except ValueError as exc:
        raise click.BadParameter(f"'{value}' {exc}") from None
    return value


def _host(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value or "/" in value or "@" in value:
        raise click.BadParameter(f"'{value}' is not a registry host (such as {CI_REGISTRY})")
    return value


def auth_file(registry_auth: Path | None, config_dir: Path | None) -> Path | None:
    """--registry-auth FILE, else doozer's --registry-config-dir DIR (DIR/config.json)."""
    if registry_auth is not None or config_dir is None:
        return registry_auth
    found = config_dir / "config.json"
    if not found.is_file():
        raise click.BadParameter(f"no config.json in {config_dir}",
                                 param_hint="--registry-config-dir")
    return found


def registry_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options of the module doc, handed to the command as `registries`."""
    @functools.wraps(func)
    def command(*args: Any, registry_auth: Path | None, registry_config_dir: Path | None,
                registry_certs: Path, ci_registry: str, qci_repo: str, qci_proxy: str,
                **kwargs: Any) -> Any:
        registries = RegistryOptions(auth_file(registry_auth, registry_config_dir),
                                     registry_certs, ci_registry, qci_repo, qci_proxy)
        return func(*args, registries=registries, **kwargs)

    decorators = [
        click.option("--registry-auth", type=click.Path(exists=True, dir_okay=False,
                                                        path_type=Path),
                     default=None, metavar="FILE",
                     help="Registry credentials: a docker config.json (handed to skopeo as "
                          "--authfile). Default: skopeo's own lookup."),
        click.option("--registry-config-dir", type=click.Path(file_okay=False, path_type=Path),
                     default=None, metavar="DIR",
                     help="doozer's form of the same: DIR/config.json (--registry-auth wins)."),
        click.option("--registry-certs", type=click.Path(file_okay=False, path_type=Path),
                     default=DEFAULT_CERTS, show_default=True, metavar="DIR",
                     help="TLS trust as containers-certs.d(5): DIR/HOST:PORT/ca.crt per "
                          "registry."),
        click.option("--ci-registry", default=CI_REGISTRY, show_default=True, metavar="HOST",
                     callback=_host,
                     help="The CI registry, which serves the CI imagestream tags."),
        click.option("--qci-repo", default=QCI_REPO, show_default=True, metavar="REPO",
                     callback=_repository,
                     help="The QCI repository the builds push to (floating and GC tags)."),
        click.option("--qci-proxy", default=QCI_PROXY, show_default=True, metavar="REPO",
                     callback=_repository,
                     help="The pull-through proxy of QCI that imagestream tags name."),
    ]
    wrapped: Callable[..., Any] = command
    for decorator in reversed(decorators):
        wrapped = decorator(wrapped)
    return wrapped
