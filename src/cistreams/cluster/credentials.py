"""The kubeconfig's credentials as an httpx auth, with its failures turned into one clear line.

lightkube's auth runs an exec plugin (or reads a token file) while a request is sent; when
the plugin is missing, fails or prints no token, lightkube raises whatever it met
(FileNotFoundError, its own ConfigError, a JSON error). `Credentials` wraps that auth and
raises a CistreamsError naming the kubeconfig and context instead. Imported only by
`connection.connect`: it needs the HTTP library.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx2 as httpx
from lightkube.core.exceptions import ConfigError

from cistreams.errors import CistreamsError, safe


class CredentialError(CistreamsError):
    """The kubeconfig's credentials could not be produced (an exec plugin failed, say)."""


class Credentials(httpx.Auth):
    """Another auth's flow, whose errors become a CredentialError naming `where`."""

    def __init__(self, inner: httpx.Auth, where: str) -> None:
        self.inner = inner
        self.where = where

    @classmethod
    def wrap(cls, inner: httpx.Auth | None, where: str) -> Credentials | None:
        """`inner` wrapped (None stays None: a kubeconfig with client certificates only)."""
        return None if inner is None else cls(inner, where)

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response,
                                                                   None]:
        """The inner flow, request by request; its errors, reworded."""
        try:
            yield from self.inner.sync_auth_flow(request)
        except FileNotFoundError as exc:
            raise CredentialError(f"{self.where}: the credential plugin '{exc.filename}' was "
                                  "not found") from None
        except PermissionError as exc:
            raise CredentialError(f"{self.where}: the credential plugin '{exc.filename}' is "
                                  "not executable") from None
        except OSError as exc:
            raise CredentialError(f"{self.where}: the credential plugin could not be run "
                                  f"({safe(exc)})") from None
        except ConfigError as exc:  # the plugin failed (its stderr), a token file is missing
            raise CredentialError(f"{self.where}: cannot get credentials ({safe(exc)})") from None
        except (ValueError, KeyError, TypeError):  # its output is not what it should be
            raise CredentialError(f"{self.where}: the credential plugin printed no "
                                  "ExecCredential with a status.token") from None
