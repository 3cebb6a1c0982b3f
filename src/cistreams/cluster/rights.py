"""Does the user (or the one impersonated with --as) have the rights a verb needs?

Asked of the server before anything is written, with one SelfSubjectAccessReview per right:
any authenticated user may create those, impersonation applies to them as to every request,
and nothing is stored. So a run without, say, `create buildconfigs/instantiate` stops at
the start with every missing right named, instead of after it has copied images and patched
imagestreams.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cistreams.cluster.api import Api
from cistreams.errors import CistreamsError

REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


@dataclass(frozen=True, order=True)
class Right:
    """One verb on one resource in one namespace."""

    namespace: str
    group: str
    resource: str  # `buildconfigs/instantiate` for a subresource
    verb: str

    def __str__(self) -> str:
        group = f".{self.group}" if self.group else ""
        name, _, sub = self.resource.partition("/")
        return f"{self.verb} {name}{group}{'/' + sub if sub else ''} in namespace {self.namespace}"


def missing(api: Api, rights: list[Right]) -> list[str]:
    """One line per right the server says the user lacks (with its reason when it gives
    one), in a stable order; raises CistreamsError when it will not answer."""
    lines = []
    for right in sorted(set(rights)):
        resource, _, subresource = right.resource.partition("/")
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                  "spec": {"resourceAttributes": {
                      "namespace": right.namespace, "verb": right.verb, "group": right.group,
                      "resource": resource, "subresource": subresource}}}
        answer = api.request("POST", REVIEWS, content=json.dumps(review),
                             content_type="application/json")
        if answer.status != 201:
            raise CistreamsError(f"{api.server}: cannot check the rights ({right}): HTTP "
                                 f"{answer.status}: {answer.reason}")
        status = answer.body.get("status") or {}
        if status.get("allowed") is not True:
            reason = " ".join(str(status.get("reason") or "").split())
            who = f"user {api.impersonate}" if api.impersonate else "the user"
            lines.append(f"{who} may not {right} (the server's access review: "
                         f"{reason or 'not allowed'})")
    return lines
