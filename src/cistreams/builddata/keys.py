"""Which keys each build-data mapping may hold, and what an unknown key means.

cistreams reads some keys of each mapping (`read`); the others it knows (`known`) are the
ones the rest of ART's tools use, taken from the art-tools validator's schemas and from
every key the ocp-build-data corpus (2020 to 2026) uses, so that a real key is never
mistaken for a misspelling. An unknown key close to one cistreams reads is most likely a
misspelling that would silently drop what it sets (a typo in `transform:` drops a CI
image, and --prune would delete its BuildConfig): an error. The doozer modes keep
doozer's behaviour, which ignored such keys: there it is a warning (and a run with
warnings does not prune). Any other unknown key
is a warning where cistreams owns the mapping's shape (`closed`: a stream, ci_alignment),
and passes silently where the file belongs to many tools (group.yml, a repo, image
metadata), which add keys of their own all the time.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cistreams.errors import Location, Problems, closest, did_you_mean
from cistreams.yamlio import line_of

# art-tools' assembly merge marks a key with one of these suffixes (`ci_alignment!`)
_MERGE_SUFFIXES = ("!", "?", "-")


# True while a doozer mode loads build data (set by `doozer_rules`): every parse function
# would otherwise need the mode passed down only to hand it to `check`.
_DOOZER_RULES = contextvars.ContextVar("doozer_rules", default=False)


@contextlib.contextmanager
def doozer_rules(active: bool) -> Iterator[None]:
    """Within the block (when `active`), misspelt keys are warnings, as doozer ignored them."""
    token = _DOOZER_RULES.set(active)
    try:
        yield
    finally:
        _DOOZER_RULES.reset(token)


@dataclass(frozen=True)
class Keys:
    """The keys of one kind of mapping."""

    read: frozenset[str]  # what cistreams reads: a close unknown key is a misspelling
    others: frozenset[str] = frozenset()  # keys other tools read
    closed: bool = False  # True: any other unknown key is a warning

    @property
    def known(self) -> frozenset[str]:
        """Every key this kind of mapping may hold."""
        return self.read | self.others


def check(raw: Mapping[Any, Any], keys: Keys, where: Location, problems: Problems,
          doozer_2020: bool = False) -> None:
    """Report the unknown keys of `raw` (located at `where`), as the module doc says."""
    for key in raw:
        text = str(key)
        if text in keys.known or (text.endswith(_MERGE_SUFFIXES) and text[:-1] in keys.known):
            continue
        at = where.child(key, line_of(raw, key))
        likely = closest(text, keys.read)
        if likely is not None and not (doozer_2020 or _DOOZER_RULES.get()):
            problems.error(f"unknown key (did you mean '{likely}'?)", at)
        elif likely is not None or keys.closed:
            problems.warn(f"unknown key, ignored{did_you_mean(text, keys.known)}", at)


_STREAM_READ = frozenset({"image", "upstream_image", "upstream_image_base", "transform",
                          "mirror", "mirror_manifest_list", "upstream_image_mirror",
                          "final_user"})
# A streams.yml entry (skip_nvr_check, aliases and okd belong to sibling tools).
STREAM = Keys(_STREAM_READ, frozenset({"aliases", "skip_nvr_check", "okd"}), closed=True)
# An image's content.source.ci_alignment (its image is the image metadata's own).
IMAGE_CI = Keys(_STREAM_READ - {"image"}, frozenset({"streams_prs"}), closed=True)

GROUP = Keys(
    frozenset({"name", "vars", "repos", "freeze_automation", "urls", "arches",
               "arches_override", "assemblies", "all_repos", "plashet"}),
    frozenset({
        "advisories", "base_image_release", "branch", "bridge_release", "build_profiles",
        "cachito", "canonical_builders_from_upstream", "check_external_packages",
        "check_golang_versions", "compliance", "csv_namespace", "default_image_build_method",
        "default_image_build_profile", "default_rpm_build_profile", "dependencies",
        "dist_git_ignore", "external_scanners", "image_build_log_scanner", "konflux",
        "microshift_bootc_shipment", "mr_approvers", "multi_arch",
        "new_payload_versioning_scheme", "non_release", "okd", "operator_channel_stable",
        "operator_image_ref_mode", "operator_index_mode", "public_upstreams", "push",
        "reconciliation_prs", "release_date", "release_jira", "rhcos", "rpm_deliveries",
        "scan_freshness", "shipment", "shipment_advisory", "signing_advisory",
        "software_lifecycle", "sources", "upgrades", "upgrades_next",
    }))
# A repo: an entry of group.yml `repos:` or of the repos/*.yml lists (name, type, plashet).
REPO = Keys(frozenset({"conf", "name", "plashet"}),
            frozenset({"content_set", "reposync", "type"}))
CONF = Keys(frozenset({"baseurl", "ci_alignment", "extra_options", "sslverify"}))
EXTRA_OPTIONS = Keys(frozenset({"sslverify"}),
                     frozenset({"module_hotfixes", "excludepkgs", "includepkgs", "gpgcheck"}))
BASEURL = Keys(frozenset({"x86_64", "unsigned"}),
               frozenset({"aarch64", "ppc64le", "s390x", "signed"}))
CI_ALIGNMENT = Keys(frozenset({"profiles", "localdev"}), closed=True)
LOCALDEV = Keys(frozenset({"enabled"}), closed=True)

IMAGE = Keys(
    frozenset({"mode", "content", "final_stage_user"}),
    frozenset({
        "additional_tags", "alternative_upstream", "arches", "base_image_release",
        "base_only", "bridge_release", "bundle_name_override", "cachito",
        "canonical_builders_from_upstream", "check_external_packages", "container_yaml",
        "delivery", "dependencies", "dependents", "distgit", "el_minor", "enabled_repos",
        "envs", "external_scanners", "for_payload", "for_release", "from",
        "image_build_method", "is", "konflux", "labels", "maintainer", "mr_approvers", "name",
        "name_in_bundle", "no_oit_comments", "non_shipping_repos", "non_shipping_rpms", "odcs",
        "okd", "owners", "payload_name", "push", "required", "scan_sources", "update-csv",
        "wait_for",
    }))
IMAGE_CONTENT = Keys(frozenset({"source"}), frozenset({"set_build_variables"}))
IMAGE_SOURCE = Keys(frozenset({"ci_alignment"}), frozenset({
    "alias", "allow_mismatched_siblings", "artifacts", "dockerfile", "dockerfile_fallback",
    "git", "modifications", "okd_alignment", "path", "pkg_managers"}))
