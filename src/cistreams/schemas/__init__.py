"""Stage 3, validate: every generated object checked against its API schema before writing.

The OpenShift BuildConfig and Kubernetes DaemonSet schemas are bundled here as JSON (see
SOURCES.md). `find_violations` checks objects with a validator compiled once per schema;
`summarise` turns the violations into one line each.
"""

from cistreams.schemas.validate import Violation, find_violations, summarise, validate_objects

__all__ = ["Violation", "find_violations", "summarise", "validate_objects"]
