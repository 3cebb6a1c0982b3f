"""Finding the cluster and its credentials, as kubectl does, and opening a connection.

The kubeconfig is `--kubeconfig`, else the first file named by KUBECONFIG, else
~/.kube/config, else the in-cluster service account of a pod. lightkube reads it (contexts,
tokens, token files, client certificates, exec plugins); TLS is verified unless the
kubeconfig itself says `insecure-skip-tls-verify: true`. Every problem with the file, its
context or its credentials (an exec plugin that fails, say) is one error naming the file and
the context. Credentials stay inside the HTTP client: no message built here contains a token
or a key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from cistreams.cluster.api import Api
from cistreams.errors import CistreamsError, safe
from cistreams.options import ConnectionOptions

if TYPE_CHECKING:
    from lightkube.config.kubeconfig import KubeConfig, SingleConfig

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
# What lightkube raises on a kubeconfig of the wrong shape (msgspec's errors are ValueErrors).
SHAPE_ERRORS = (KeyError, ValueError, TypeError, AttributeError)


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
    if path is not None:
        return read_kubeconfig(path)
    if (SERVICE_ACCOUNT / "token").is_file():
        try:
            return KubeConfig.from_service_account(SERVICE_ACCOUNT)
        except (ConfigError, OSError, *SHAPE_ERRORS) as exc:
            raise CistreamsError(f"service account {SERVICE_ACCOUNT}: cannot be read "
                                 f"({safe(exc)})") from None
    raise CistreamsError("no kubeconfig: give --kubeconfig PATH, set KUBECONFIG, create "
                         "~/.kube/config, or run in a pod with a service account")


def read_kubeconfig(path: Path) -> KubeConfig:
    """A kubeconfig file, or one clear error: missing, unreadable, not YAML, the wrong shape."""
    import yaml
    from lightkube.config.kubeconfig import KubeConfig

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CistreamsError(f"kubeconfig {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else safe(exc)
        raise CistreamsError(f"kubeconfig {path}: cannot be read ({reason})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # never the YAML library's whole text: it quotes the line, which may hold a token
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise CistreamsError(f"kubeconfig {path}{line}: not valid YAML "
                             f"({getattr(exc, 'problem', None) or 'a syntax error'})") from None
    if not isinstance(data, dict):
        raise CistreamsError(f"kubeconfig {path}: not a kubeconfig (a mapping with clusters, "
                             "contexts and users)")
    try:
        return KubeConfig.from_dict(data, fname=path)
    except SHAPE_ERRORS as exc:
        raise CistreamsError(f"kubeconfig {path}: cannot be read ({safe(exc)})") from None


def select(config: KubeConfig, context: str | None) -> SingleConfig:
    """The context to use (`context`, else the current-context), with its cluster and user."""
    from lightkube.config.kubeconfig import SingleConfig

    source = f"kubeconfig {config.fname}" if config.fname else "the service account"
    name = context or config.current_context
    known = ", ".join(sorted(config.contexts)) or "none"
    if not name:
        raise CistreamsError(f"{source}: no current-context; give --context NAME "
                             f"(contexts: {known})")
    chosen = config.contexts.get(name)
    if chosen is None:
        wanted = f"--context {name}" if context else f"current-context {name}"
        raise CistreamsError(f"{source}: {wanted}: no such context (contexts: {known})")
    where = f"{source}, context {name}"
    cluster = config.clusters.get(chosen.cluster)
    if cluster is None:
        raise CistreamsError(f"{where}: no cluster named '{chosen.cluster}' in the file")
    if not chosen.user:
        raise CistreamsError(f"{where}: names no user")
    user = config.users.get(chosen.user)
    if user is None:
        raise CistreamsError(f"{where}: no user named '{chosen.user}' in the file")
    return SingleConfig(context_name=name, context=chosen, cluster=cluster, user=user,
                        fname=config.fname)


def connect(options: ConnectionOptions, as_user: str | None = None) -> Api:
    """An Api for the selected context, with TLS verified as the kubeconfig says."""
    import httpx2 as httpx
    from lightkube.config import client_adapter
    from lightkube.core.exceptions import ConfigError

    from cistreams.cluster.credentials import Credentials

    config = load_config(options)
    single = select(config, options.context)
    source = f"kubeconfig {config.fname}" if config.fname else "the service account"
    where = f"{source}, context {single.context_name}"
    timeout = httpx.Timeout(options.request_timeout or None)
    params = client_adapter.ConnectionParams(timeout=timeout)
    limits = httpx.Limits(max_connections=options.max_inflight,
                          max_keepalive_connections=options.max_inflight)
    try:
        settings = params.httpx_params(single)
        client = httpx.Client(**settings | {"auth": Credentials.wrap(settings["auth"], where)},
                              limits=limits)
    except (ConfigError, OSError, *SHAPE_ERRORS) as exc:
        raise CistreamsError(f"{where}: cannot set up the connection ({safe(exc)})") from None
    return Api(client, single.cluster.server, impersonate=as_user, credentials=where)
