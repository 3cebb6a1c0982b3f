"""Kubernetes naming rules, checked before anything is written."""

from __future__ import annotations

import hashlib
import re

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
LABEL_MAX = 63
SUBDOMAIN_MAX = 253
NAMESPACE = "ci"  # where every object is written, as doozer did
GROUP_LABEL = "art-builder-group"  # labels every object with its group (pruning finds them by it)


def subdomain_problem(name: str) -> str | None:
    """Why `name` is not a DNS-1123 subdomain (an object name), or None."""
    if len(name) > SUBDOMAIN_MAX:
        return f"'{name}' is {len(name)} characters; object names allow {SUBDOMAIN_MAX}"
    if not _SUBDOMAIN.match(name):
        return (f"'{name}' is not a valid object name (lower-case letters, digits, '-' and '.', "
                "starting and ending with a letter or digit)")
    return None


def label_value_problem(value: str) -> str | None:
    """Why `value` cannot be a label value, or None."""
    if len(value) > LABEL_MAX:
        return f"'{value}' is {len(value)} characters; label values allow {LABEL_MAX}"
    if not _LABEL_VALUE.match(value):
        return (f"'{value}' cannot be a label value (letters, digits, '-', '_' and '.', "
                "starting and ending with a letter or digit)")
    return None


def container_name(raw: str) -> str:
    """A DNS-1123 label from `raw`: dots become dashes, and a name over 63 characters keeps
    its first 54 characters plus '-' and 8 hex digits of its SHA-256, so it stays unique
    and the same on every run."""
    name = raw.replace(".", "-")
    if len(name) <= LABEL_MAX:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{name[:LABEL_MAX - 9].rstrip('-')}-{digest}"


def label_problem(name: str) -> str | None:
    """Why `name` is not a DNS-1123 label (a container name), or None."""
    if len(name) > LABEL_MAX or not _LABEL.match(name):
        return f"'{name}' is not a valid container name (DNS-1123 label, at most {LABEL_MAX})"
    return None
