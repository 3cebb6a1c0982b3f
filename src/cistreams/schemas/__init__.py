"""Stage 3, validate: every generated object checked against its API schema before writing.

The OpenShift BuildConfig and Kubernetes DaemonSet schemas are bundled here as JSON (see
SOURCES.md). `find_violations` checks objects (once per shape; jsonschema is imported only
when the quick strict check in `quick` cannot vouch for an object); `summarise` turns the
violations into one line each.
"""

from cistreams.schemas.validate import (
    ShapeValidator,
    Violation,
    find_violations,
    summarise,
    validate_objects,
)

__all__ = ["ShapeValidator", "Violation", "find_violations", "summarise", "validate_objects"]
