"""Container registries: pullspecs (`refs`) and skopeo, the one tool that reads and copies.

`skopeo.Skopeo` reads a manifest's digest and copies images by argument list, with an auth
file and containers-certs.d(5) trust, classifying failures (missing source, auth, retryable)
from skopeo's message. The mirror verb's plan and its run are `plan` and `run`.
"""

from cistreams.registry.refs import Pullspec, parse
from cistreams.registry.skopeo import (
    AMD64,
    ARM64,
    AUTH,
    FAILED,
    KEEP_LIST,
    MISSING,
    RETRY,
    RegistryError,
    Selection,
    Skopeo,
)

__all__ = ["AMD64", "ARM64", "AUTH", "FAILED", "KEEP_LIST", "MISSING", "RETRY", "Pullspec",
           "RegistryError", "Selection", "Skopeo", "parse"]
