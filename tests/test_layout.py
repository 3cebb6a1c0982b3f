"""The package tree shows the pipeline: no import cycles, and each package's internals stay inside.

The imports are read from the source (lazy imports inside functions included), so a cycle
hidden behind a function-level import is still a cycle here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "cistreams"
# The stages, in pipeline order; a stage may import only stages before it (and the shared
# foundation: errors, options, yamlio). app runs the first five as gen-buildconfigs; cibuilds
# (start-builds, check-upstream) builds on it. commands/ (one module per verb), job/ (sync,
# which runs the verbs in turn) and cli sit on top and may import anything below.
STAGES = ["builddata", "transforms", "render", "schemas", "output", "cluster", "registry",
          "app", "cibuilds"]
FOUNDATION = {"errors", "options", "yamlio"}
# Packages whose public face is their __init__: nothing outside them imports a submodule.
SEALED = {"yamlio"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imported(name: str) -> set[str]:
    """The cistreams modules `name` imports (a `from pkg import sub` counts as `pkg.sub`)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            submodules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
            found.update(submodules)
            if len(submodules) < len(node.names):  # a name defined by the package itself
                found.add(base)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imported(name) for name in MODULES}


def test_there_are_no_import_cycles() -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dep in sorted(GRAPH[name]):
            if state.get(dep) == 1:
                cycle = [*path[path.index(dep):], dep] if dep in path else [name, dep]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep, [*path, dep])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])


def test_the_graph_sees_lazy_imports() -> None:
    """A check that read only top-level imports would miss app -> cluster work done lazily."""
    assert "cistreams.app" in GRAPH["cistreams.commands.gen_buildconfigs"]


def stage_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_only_earlier_stages(stage: str) -> None:
    allowed = {None, *STAGES[: STAGES.index(stage) + 1], *FOUNDATION}
    for name, deps in GRAPH.items():
        if stage_of(name) != stage:
            continue
        for dep in deps:
            assert stage_of(dep) in allowed, f"{name} imports {dep}, a later stage"


@pytest.mark.parametrize("sealed", sorted(SEALED))
def test_sealed_packages_are_used_through_their_public_face(sealed: str) -> None:
    inside = f"cistreams.{sealed}"
    for name, deps in GRAPH.items():
        if name == inside or name.startswith(inside + "."):
            continue
        private = sorted(d for d in deps if d.startswith(inside + "."))
        assert not private, f"{name} imports {private}; use `from cistreams import {sealed}`"


def test_every_package_says_what_it_is_for() -> None:
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc.splitlines()) >= 2, f"{init} needs a docstring saying what it is for"
