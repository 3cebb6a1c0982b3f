"""Mutation testing of the modules that guard users (issue 11), one module at a time.

    python tools/mutation.py [MODULE ...]      (bash scripts/mutation installs mutmut first)

MODULE is a path such as `src/cistreams/render/names.py`, `render/names.py` or
`cistreams.render.names`; without one, every module in TARGETS is run. Each module gets a
fresh work directory `.mutation/<module>/` (ignored by git; nothing is written under src/)
holding a `setup.cfg` for mutmut, links to the project, and mutmut's `mutants/` copy. mutmut
mutates the module's functions and runs, for each mutant, those of the module's tests
(TARGETS) that call the mutated function, one process at a time.

mutmut never mutates module-level code, so the patterns of `re.compile(...)` constants (the
repo-name and user checks) would go untested; this driver adds its own "pattern" mutants
for every regular expression literal of the module: the trailing `$` or `\\Z` dropped,
`\\Z` weakened to `$` (which also matches before a final newline), and the leading `^`
dropped where the pattern is used with `.search`; each is run against the same tests.

A mutant that no test kills is a survivor. Each one either gets a test, or an entry in
tools/mutation-survivors.md saying why it is equivalent: a line starting with "- `NAME`"
followed by the mutated line in backticks. The report marks survivors without an entry
(or whose entry names another line: mutant numbers shift when a function changes) as
unexplained, and the exit code is 1 when any is.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutation"
SURVIVORS_FILE = ROOT / "tools" / "mutation-survivors.md"
PATTERNS_FILE = "patterns.json"  # the pattern mutants' verdicts, in the module's work directory

# Each guarded module and the tests that protect it: a fixed, fast selection (files or node
# ids, relative to the project root). Tests under tests/cluster that use the `cluster`
# fixture start a real kube-apiserver once per mutant run (about 7 s).
_CLI_TESTS = (
    "tests/test_cli.py", "tests/commands/test_shared.py", "tests/commands/test_gen_buildconfigs.py",
    "tests/commands/test_check.py", "tests/commands/test_diff.py", "tests/test_app.py")
TARGETS: dict[str, tuple[str, ...]] = {
    "src/cistreams/render/objects.py": (
        "tests/render/test_objects.py", "tests/render/test_objects_checks.py",
        "tests/render/test_daemonset.py", "tests/render/test_names.py", "tests/test_bad_inputs.py",
        "tests/test_cases.py"),
    "src/cistreams/render/names.py": (
        "tests/render/test_names.py", "tests/render/test_objects.py", "tests/render/test_daemonset.py",
        "tests/render/test_objects_checks.py"),
    "src/cistreams/render/daemonset.py": (
        "tests/render/test_daemonset.py", "tests/render/test_objects.py", "tests/test_cases.py",
        "tests/render/test_objects_checks.py"),
    "src/cistreams/render/qci.py": (
        "tests/render/test_qci.py", "tests/test_targets.py", "tests/render/test_objects.py",
        "tests/test_cases.py", "tests/test_bad_inputs.py"),
    "src/cistreams/render/repolines.py": (
        "tests/render/test_objects.py", "tests/render/test_objects_checks.py", "tests/test_cases.py",
        "tests/test_bad_inputs.py"),
    "src/cistreams/builddata/model.py": (
        "tests/builddata/test_model.py", "tests/builddata/test_model_mirror.py",
        "tests/builddata/test_keys.py", "tests/builddata/test_loader.py",
        "tests/builddata/test_data_files.py", "tests/test_bad_inputs.py", "tests/test_cases.py"),
    "src/cistreams/builddata/keys.py": (
        "tests/builddata/test_keys.py", "tests/builddata/test_model.py", "tests/test_bad_inputs.py"),
    "src/cistreams/builddata/substitution.py": (
        "tests/builddata/test_substitution.py", "tests/builddata/test_loader.py"),
    "src/cistreams/output/files.py": ("tests/output/test_files.py",),
    "src/cistreams/cli.py": _CLI_TESTS,
    "src/cistreams/commands/shared.py": _CLI_TESTS,
    "src/cistreams/errors.py": ("tests/test_errors.py", "tests/test_bad_inputs.py"),
    "src/cistreams/cluster/api.py": ("tests/cluster/test_api.py",),
    "src/cistreams/cluster/oc.py": ("tests/cluster/test_oc.py",),
    "src/cistreams/cluster/prune.py": ("tests/cluster/test_prune.py", "tests/test_app.py"),
    "src/cistreams/cluster/unchanged.py": ("tests/cluster/test_unchanged.py",),
    "src/cistreams/cluster/ownership.py": ("tests/cluster/test_ownership.py",),
    # mirror's guarded imagestream patch: the plan's unit tests and the real-registry runs
    "src/cistreams/cluster/imagestreams.py": (
        "tests/commands/test_mirror.py", "tests/commands/test_mirror_registry.py"),
}

# mutmut 3.8's meaning of the exit codes it records per mutant (mutmut/stats.py).
_KILLED = {1, 3}
_TIMEOUT = {36, 24, -24, 152, 255}
_NO_TESTS = {5, 33}


@dataclass
class Survivor:
    """A mutant no selected test killed: its name, its status and the line it changed."""

    name: str
    status: str
    diff: str
    mutated_line: str
    explained: bool = False


@dataclass
class Result:
    """The outcome of one module's run."""

    module: str
    killed: int = 0
    total: int = 0
    survivors: list[Survivor] = field(default_factory=list)
    log: Path | None = None


def resolve_module(text: str) -> str:
    """The TARGETS key for a module given as a path, a path under src/cistreams or a dotted name."""
    candidate = text.removesuffix(".py").replace(".", "/") if "/" not in text else text.removesuffix(".py")
    candidate = candidate.removeprefix("src/").removeprefix("cistreams/")
    key = f"src/cistreams/{candidate}.py"
    if key not in TARGETS:
        raise SystemExit(f"mutation: unknown module {text!r}; known: "
                         + ", ".join(k.removeprefix("src/cistreams/") for k in TARGETS))
    return key


def missing_tests(module: str) -> list[str]:
    """The module's selected test files that do not exist (after a file was split or merged:
    a selection that silently shrinks would make the score meaningless)."""
    return [t for t in TARGETS[module] if not (ROOT / t.split("::", 1)[0]).is_file()]


def status_of(code: int | None) -> str:
    """mutmut's word for a mutant's recorded exit code."""
    if code in _KILLED:
        return "killed"
    if code in _TIMEOUT:
        return "timeout"
    if code == 0:
        return "survived"
    if code in _NO_TESTS:
        return "no tests"
    return "not checked" if code is None else f"suspicious (exit {code})"


def explanations(text: str) -> dict[str, str]:
    """Mutant name -> the whole entry, from the survivors file's "- `NAME` ..." lines."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if match := re.match(r"- `([\w.ǁ]+__mutmut_\d+|[\w/.]+:\d+:[^`]+)`", line):
            found[match.group(1)] = line
    return found


def _mutated_line(diff: str) -> str:
    added = [line[1:].strip() for line in diff.splitlines()
             if line.startswith("+") and not line.startswith("+++")]
    return added[0] if added else ""


def work_dir(module: str) -> Path:
    """The module's work directory, `.mutation/render.names` for src/cistreams/render/names.py."""
    return WORK / module.removeprefix("src/cistreams/").removesuffix(".py").replace("/", ".")


def _prepare(module: str, tests: tuple[str, ...]) -> Path:
    work = work_dir(module)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in ("src", "tests", "examples", "bench"):
        (work / name).symlink_to(ROOT / name)
    shutil.copy2(ROOT / "pyproject.toml", work / "pyproject.toml")
    lines = ["[mutmut]", "source_paths = src", f"only_mutate = {module}",
             "pytest_add_cli_args_test_selection =", *(f"    {t}" for t in tests),
             "pytest_add_cli_args =", "    -p", "    no:cacheprovider",
             "also_copy =", "    examples", "    bench",
             "use_git_change_detection = false", ""]
    (work / "setup.cfg").write_text("\n".join(lines), encoding="utf-8")
    return work


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["CI"] = "true"  # the property tests' fixed seeds, and cluster tests fail rather than skip
    return env


def run_mutmut(module: str, mutmut: Path) -> None:
    """Run mutmut on one module with its tests, in a fresh work directory."""
    work = _prepare(module, TARGETS[module])
    with (work / "mutmut.log").open("w", encoding="utf-8") as out:
        code = subprocess.run([str(mutmut), "run", "--max-children", "1"], cwd=work, env=_env(),
                              stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    if code != 0:
        print(f"mutation: mutmut failed on {module} (exit {code}); see {work / 'mutmut.log'}",
              file=sys.stderr)


def read_results(module: str, mutmut: Path) -> Result:
    """Every verdict of the module's last run: mutmut's, then the pattern mutants'."""
    work = work_dir(module)
    result = Result(module, log=work / "mutmut.log")
    meta = work / "mutants" / f"{module}.meta"
    if not meta.exists():
        print(f"mutation: no results for {module}; see {result.log}", file=sys.stderr)
        return result
    verdicts: dict[str, int | None] = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
    for name, exit_code in sorted(verdicts.items()):
        result.total += 1
        status = status_of(exit_code)
        if status in ("killed", "timeout"):
            result.killed += 1
            continue
        diff = subprocess.run([str(mutmut), "show", name], cwd=work, env=_env(), capture_output=True,
                              text=True, check=False).stdout
        result.survivors.append(Survivor(name, status, diff, _mutated_line(diff)))
    patterns = work / PATTERNS_FILE
    if patterns.exists():
        saved = json.loads(patterns.read_text("utf-8"))
        result.total += saved["total"]
        result.killed += saved["killed"]
        result.survivors += [Survivor(**survivor) for survivor in saved["survivors"]]
    return result


def _searched(tree: ast.Module) -> set[int]:
    """The ids of the re.compile calls whose pattern is used with `.search` (where a dropped
    `^` matters; `.match` anchors at the start by itself)."""
    names = {node.value.id for node in ast.walk(tree) if isinstance(node, ast.Attribute)
             and node.attr == "search" and isinstance(node.value, ast.Name)}
    return {id(node.value) for node in tree.body if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id in names for t in node.targets)}


def pattern_mutants(source: str) -> list[tuple[int, str, str]]:
    """(line, label, mutated source) for each regular-expression literal with an anchor:
    the trailing `$` or `\\Z` dropped, `\\Z` weakened to `$`, and the leading `^` dropped
    where the pattern is searched."""
    mutants: list[tuple[int, str, str]] = []
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    tree = ast.parse(source)
    searched = _searched(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                and node.func.attr in ("compile", "match", "search") and node.args):
            continue
        search = node.func.attr == "search" or id(node) in searched
        literal = node.args[0]
        if not (isinstance(literal, ast.Constant) and isinstance(literal.value, str)
                and literal.end_lineno == literal.lineno and literal.end_col_offset is not None):
            continue
        pattern = literal.value
        text = lines[literal.lineno - 1].encode("utf-8")  # ast columns count UTF-8 bytes
        start = offsets[literal.lineno - 1] + len(text[:literal.col_offset].decode("utf-8"))
        end = offsets[literal.lineno - 1] + len(text[:literal.end_col_offset].decode("utf-8"))
        variants = []
        if pattern.startswith("^") and search:
            variants.append(("drop ^", pattern[1:]))
        if pattern.endswith("$") and not pattern.endswith("\\$"):
            variants.append(("drop $", pattern[:-1]))
        if pattern.endswith("\\Z"):  # `$` would also match before a final newline
            variants += [("drop \\Z", pattern[:-2]), ("\\Z to $", pattern[:-2] + "$")]
        for label, changed in variants:
            mutants.append((literal.lineno, label, source[:start] + repr(changed) + source[end:]))
    return mutants


def run_patterns(module: str) -> None:
    """Run the module's tests against each pattern mutant (a copy of src/ with one change);
    the verdicts go to the module's work directory."""
    source = (ROOT / module).read_text("utf-8")
    result = Result(module)
    work = WORK / "patterns"
    tests = list(TARGETS[module])
    for line, label, mutated in pattern_mutants(source):
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(ROOT / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__"))
        (work / module).write_text(mutated, encoding="utf-8")
        env = _env()
        env["PYTHONPATH"] = str(work / "src")
        code = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                               *tests], cwd=ROOT, env=env, capture_output=True, check=False).returncode
        name = f"{module.removeprefix('src/')}:{line}:{label}"
        result.total += 1
        if code == 1:
            result.killed += 1
        else:
            original = source.splitlines()[line - 1].strip()
            status = "survived" if code == 0 else f"suspicious (pytest exit {code})"
            result.survivors.append(Survivor(name, status, f"line {line}: {original} ({label})",
                                             label))
    shutil.rmtree(work, ignore_errors=True)
    saved = {"total": result.total, "killed": result.killed,
             "survivors": [{"name": v.name, "status": v.status, "diff": v.diff,
                            "mutated_line": v.mutated_line} for v in result.survivors]}
    (work_dir(module) / PATTERNS_FILE).write_text(json.dumps(saved, indent=1), encoding="utf-8")


def _explain(results: list[Result]) -> int:
    known = explanations(SURVIVORS_FILE.read_text("utf-8")) if SURVIVORS_FILE.exists() else {}
    unexplained = 0
    for result in results:
        for survivor in result.survivors:
            entry = known.get(survivor.name)
            survivor.explained = (entry is not None and survivor.status == "survived"
                                  and survivor.mutated_line in entry)
            unexplained += not survivor.explained
    return unexplained


def report(results: list[Result]) -> int:
    """Print each module's score, every unexplained survivor's diff and the overall score."""
    unexplained = _explain(results)
    for result in results:
        for survivor in result.survivors:
            if not survivor.explained:
                print(f"\n## {survivor.name}: {survivor.status}, not explained in "
                      f"{SURVIVORS_FILE.relative_to(ROOT)}\n{survivor.diff.rstrip()}")
    print(f"\n{'module':32} {'killed':>7} {'survived':>8} {'total':>6} {'score':>7}  unexplained")
    killed = total = 0
    for result in results:
        killed, total = killed + result.killed, total + result.total
        left = [s for s in result.survivors if not s.explained]
        score = f"{100 * result.killed / result.total:.1f}%" if result.total else "-"
        print(f"{result.module.removeprefix('src/cistreams/'):32} {result.killed:7} "
              f"{len(result.survivors):8} {result.total:6} {score:>7}  {len(left)}")
    if total:
        print(f"{'overall':32} {killed:7} {total - killed:8} {total:6} {100 * killed / total:6.1f}%"
              f"  {unexplained}")
    return 1 if unexplained or any(r.total == 0 for r in results) else 0


def main(argv: list[str] | None = None) -> int:
    """Run the mutation tests of the given modules (default: all of TARGETS) and report."""
    parser = argparse.ArgumentParser(prog="mutation", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE")
    parser.add_argument("--mutmut", type=Path, default=Path(sys.executable).with_name("mutmut"),
                        help="the mutmut executable (default: beside this Python)")
    parser.add_argument("--no-patterns", action="store_true", help="skip the regex-anchor mutants")
    parser.add_argument("--report", action="store_true",
                        help="run nothing: report the last run's results again (after editing "
                             "the survivors file, say)")
    args = parser.parse_args(argv)
    modules = [resolve_module(m) for m in args.modules] or list(TARGETS)
    if missing := sorted({t for m in modules for t in missing_tests(m)}):
        raise SystemExit("mutation: selected tests missing (update TARGETS in tools/mutation.py): "
                         + ", ".join(missing))
    mutmut = args.mutmut.absolute()
    results = []
    for module in modules:
        if not args.report:
            print(f"mutation: {module} with {', '.join(TARGETS[module])}", flush=True)
            run_mutmut(module, mutmut)
            if not args.no_patterns:
                run_patterns(module)
        results.append(read_results(module, mutmut))
        print(f"mutation: {module}: {results[-1].killed}/{results[-1].total} killed", flush=True)
    return report(results)


if __name__ == "__main__":
    sys.exit(main())
