"""Finding the cluster and its credentials, as kubectl does, and opening a connection.

The kubeconfig is `--kubeconfig`, else the first file named by KUBECONFIG, else
~/.kube/config, else the in-cluster service account of a pod. lightkube reads it (contexts,
tokens, token files, client certificates, exec plugins); TLS is verified unless the
kubeconfig itself says `insecure-skip-tls-verify: true`. Credentials stay inside the HTTP
client: no message built here contains a token or a key.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from cistreams.cluster.api import Api
from cistreams.errors import CistreamsError
from cistreams.options import ConnectionOptions

if TYPE_CHECKING:
    from lightkube.config.kubeconfig import KubeConfig

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?")


def parse_duration(text: str) -> float:
    """kubectl's --request-timeout: `30`, `30s`, `1m`, `1h2m3s`, or `0` for none."""
    stripped = text.strip()
    try:
        seconds = float(stripped)
    except ValueError:
        match = _DURATION.fullmatch(stripped)
        if not stripped or match is None:
            raise ValueError(f"'{text}' is not a duration (e.g. 30s, 1m, 0 for none)") from None
        hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    if seconds < 0:
        raise ValueError(f"'{text}' is negative")
    return seconds


def kubeconfig_path(option: str | None, environ: dict[str, str] | None = None,
                    home: Path | None = None) -> Path | None:
    """The kubeconfig file to read, or None for the in-cluster service account."""
    env = os.environ if environ is None else environ
    if option:
        return Path(option).expanduser()
    for entry in env.get("KUBECONFIG", "").split(os.pathsep):
        if entry:
            return Path(entry).expanduser()
    default = (home or Path.home()) / ".kube" / "config"
    return default if default.is_file() else None


def load_config(options: ConnectionOptions) -> KubeConfig:
    """The kubeconfig as lightkube reads it (or the pod's service account)."""
    from lightkube.config.kubeconfig import KubeConfig
    from lightkube.core.exceptions import ConfigError

    path = kubeconfig_path(options.kubeconfig)
    try:
        if path is not None:
            if not path.is_file():
                raise CistreamsError(f"kubeconfig {path}: no such file")
            return KubeConfig.from_file(path)
        if (SERVICE_ACCOUNT / "token").is_file():
            return KubeConfig.from_service_account(SERVICE_ACCOUNT)
    except (ConfigError, KeyError, ValueError, TypeError, OSError) as exc:
        where = path or SERVICE_ACCOUNT
        raise CistreamsError(f"kubeconfig {where}: cannot be read ({_safe(exc)})") from None
    raise CistreamsError("no kubeconfig: give --kubeconfig PATH, set KUBECONFIG, create "
                         "~/.kube/config, or run in a pod with a service account")


def connect(options: ConnectionOptions, as_user: str | None = None) -> Api:
    """An Api for the selected context, with TLS verified as the kubeconfig says."""
    import httpx2 as httpx
    from lightkube.config import client_adapter
    from lightkube.core.exceptions import ConfigError

    config = load_config(options)
    try:
        single = config.get(context_name=options.context)
    except (ConfigError, KeyError):
        single = None
    if single is None:
        contexts = ", ".join(sorted(config.contexts)) or "none"
        wanted = f"--context {options.context}" if options.context else "current-context"
        raise CistreamsError(f"{wanted}: no such context (or its cluster) in the kubeconfig "
                             f"(contexts: {contexts})")
    if single.user is None:
        raise CistreamsError(f"context {single.context_name}: names no user")
    timeout = httpx.Timeout(options.request_timeout or None)
    params = client_adapter.ConnectionParams(timeout=timeout)
    limits = httpx.Limits(max_connections=options.max_inflight,
                          max_keepalive_connections=options.max_inflight)
    try:
        client = httpx.Client(**params.httpx_params(single), limits=limits)
    except (ConfigError, OSError, ValueError) as exc:
        raise CistreamsError(f"context {single.context_name}: cannot set up the connection "
                             f"({_safe(exc)})") from None
    return Api(client, single.cluster.server, impersonate=as_user)


def _safe(exc: BaseException) -> str:
    """An exception's text on one line, with nothing that looks like a credential."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return re.sub(r"(?i)(token|password|key)[\w-]*\s*[:=]\s*\S+", r"\1: <hidden>", text)
