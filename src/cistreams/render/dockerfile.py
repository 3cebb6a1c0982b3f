"""The Dockerfile edits a transform makes, with doozer's Dockerfile editor semantics.

doozer edited templates with dockerfile-parse: setting an ENV or LABEL rewrites an
existing instruction of the final stage in place or appends `KEY=value` (shell-quoted) at
the end; `add_lines` appends lines at the end of the last stage. `reference_apply` makes
exactly those library calls and is the definition of the result.

Running the parser per stream is slow (it re-parses the whole file for every edit), and
what it does depends on the template only through its structure. So `apply` works out a
plan once per template: which keys the final stage already sets (and to what), and how
the template's end is normalised. The plan is only used after the library itself has
confirmed it on the template with sentinel values; each stream then costs a few string
concatenations with `shlex.quote`, as the library quotes (the confirmation costs a few
milliseconds per template and run; the library alone would cost 1.5 ms per stream).

Whenever a stream's edits could behave differently (an existing key set to a different
value, values that would change how the appended lines parse, unusual keys), the library
runs instead.
"""

from __future__ import annotations

import io
import re
import shlex
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Edits:
    """What to change in a template: one ENV, LABELs in order, then lines appended in order."""

    env: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    lines: tuple[str, ...]


def reference_apply(template: str, edits: Edits) -> str:
    """The template with `edits` applied by dockerfile-parse, exactly as doozer did."""
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(cache_content=True, fileobj=io.BytesIO())
    parser.content = template
    for key, value in edits.env:
        parser.envs[key] = value
    for key, value in edits.labels:
        parser.labels[key] = value
    for line in edits.lines:
        parser.add_lines(line)
    return str(parser.content)


# Keys the plan handles: nothing the library would dequote, substitute or split.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
# Sentinel values differ in shape (one needs shell quoting) so the check covers both.
_SENTINELS = (("sentinel-value.1", "sentinel value 2"), ("x", "it's"))


@dataclass(frozen=True)
class Plan:
    """How edits with these keys change this template, confirmed by dockerfile-parse."""

    template: str
    # The value the final stage already gives each ENV / LABEL key (absent: appended).
    existing_env: dict[str, str]
    existing_labels: dict[str, str]
    with_newline: str  # the template as the library leaves it before an appended instruction
    endlined: str  # the template as add_lines leaves it (last line stripped, newline added)


def apply(template: str, edits: Edits) -> str:
    """The template with `edits` applied, byte for byte as `reference_apply` would."""
    plan = _plan(template, tuple(k for k, _ in edits.env), tuple(k for k, _ in edits.labels))
    text = _fast_apply(plan, edits) if plan is not None else None
    return text if text is not None else reference_apply(template, edits)


def _fast_apply(plan: Plan, edits: Edits) -> str | None:
    """The edited template by concatenation, or None when the plan does not cover `edits`."""
    appended: list[str] = []
    for instruction, pairs, existing in (("ENV", edits.env, plan.existing_env),
                                         ("LABEL", edits.labels, plan.existing_labels)):
        for key, value in pairs:
            # A value with a line break or a control character could change how the
            # appended line parses, and the library may not even encode it.
            if not value.isprintable():
                return None
            if key in existing:
                if existing[key] != value:
                    return None  # the library rewrites the instruction in place
                continue
            appended.append(f"{instruction} {_quoted_key(key)}={shlex.quote(value)}\n")
    # add_lines strips each line's trailing whitespace and ends it with a newline.
    lines = [line.rstrip() + "\n" for line in edits.lines]
    if appended:
        return plan.with_newline + "".join(appended) + "".join(lines)
    if lines:
        return plan.endlined + "".join(lines)
    return plan.template


@lru_cache(maxsize=256)
def _quoted_key(key: str) -> str:
    return shlex.quote(key)  # the same few keys for every stream


@lru_cache(maxsize=64)
def _plan(template: str, env_keys: tuple[str, ...], label_keys: tuple[str, ...]) -> Plan | None:
    """The plan for a template and these keys, or None when it cannot be confirmed."""
    keys = env_keys + label_keys
    if (not template.strip() or len(set(env_keys)) != len(env_keys)
            or len(set(label_keys)) != len(label_keys)
            or not all(_PLAIN_KEY.match(key) for key in keys)):
        return None
    return confirm_plan(template, env_keys, label_keys)


def confirm_plan(template: str, env_keys: tuple[str, ...],
                 label_keys: tuple[str, ...]) -> Plan | None:
    """The plan as dockerfile-parse reads the template, if the library confirms it."""
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(cache_content=True, fileobj=io.BytesIO())
    parser.content = template
    try:
        env = {k: str(v) for k, v in parser.envs.items() if k in env_keys}
        labels = {k: str(v) for k, v in parser.labels.items() if k in label_keys}
    except Exception:  # malformed ENV/LABEL lines: the library reports them per stream
        return None
    plan = _make_plan(template, env, labels)
    return plan if _confirmed(plan, env_keys, label_keys) else None


def _make_plan(template: str, env: dict[str, str], labels: dict[str, str]) -> Plan:
    lines = template.splitlines(True)
    return Plan(template, env, labels,
                template if template.endswith("\n") else template + "\n",
                "".join(lines[:-1]) + lines[-1].rstrip() + "\n")


def _confirmed(plan: Plan, env_keys: tuple[str, ...], label_keys: tuple[str, ...]) -> bool:
    """True when dockerfile-parse agrees with the plan on sentinel edits.

    The sentinel line and the appended instructions must parse as instructions of their
    own (a template ending in a line continuation would swallow them), and keys the final
    stage already sets must be left alone when set to the value they already have.
    """
    for env_value, label_value in _SENTINELS:
        env = tuple((k, plan.existing_env.get(k, env_value)) for k in env_keys)
        labels = tuple((k, plan.existing_labels.get(k, label_value)) for k in label_keys)
        for lines in ((), ("RUN sentinel  ", "USER 0")):
            edits = Edits(env, labels, lines)
            try:
                actual = reference_apply(plan.template, edits)
            except Exception:  # a template the library cannot edit: it will say so per stream
                return False
            if _fast_apply(plan, edits) != actual:
                return False
    return True
