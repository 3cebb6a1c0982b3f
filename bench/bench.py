"""cistreams benchmark: end-to-end CLI timings against the targets of issue 15.

Run from the repository root (a few minutes; --quick skips the 50,000-stream runs):

    .venv/bin/python bench/bench.py [--quick] [--check]

It writes synthetic build data (bench_data.py) of 1,000, 10,000 and 50,000 streams into a
temporary folder, runs `python -m cistreams ... gen-buildconfigs` as a subprocess in both
modes (byte-compiled first, as an installed package is), and reports wall time and the
run's peak RSS (from wait4, in a small launcher). Real corpus groups are the rows users
wait on; the synthetic sizes are scale rows (no real group has more than 19 streams). It
also times `cistreams --help`, checks that doozer-2020 bytes equal those of doozer's own
libraries (dockerfile-parse on every stream, PyYAML's yaml.dump_all), and prints a cProfile
summary of one in-process 10,000-stream run.
With --check the exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import bench_data

CORPUS = Path("/work/shared/corpus/ocp-build-data")
CORPUS_GROUPS = ("openshift-4.7_2020-11-30", "openshift-4.16")
COMPAT = ("--compat", "doozer-2020")
# doozer 2020 on a 1,000-stream group, measured when the issue was written.
DOOZER_1K_SECONDS = 6.6
# Runs the CLI with doozer's own Dockerfile editing patched in (dockerfile-parse for every
# stream); the YAML is doozer's own call already.
REFERENCE_DRIVER = (
    "import sys\n"
    "from cistreams.render import dockerfile\n"
    "dockerfile.apply = dockerfile.reference_apply\n"
    "from cistreams.cli import main\n"
    "raise SystemExit(main(sys.argv[1:]))\n"
)


# The same work on every run: when it is slow, the machine is busy (compare runs with it).
CALIBRATION = "total = 0\nfor i in range(3_000_000):\n    total += i % 7\n"


@dataclass
class Run:
    """One measured subprocess."""

    label: str
    seconds: float
    peak_mb: float


# Peak RSS must be the measured program's own. A child made by forking this process starts
# with this process's high-water mark (Linux keeps it across exec), and this process grows
# while it writes 50,000-stream data. So a small launcher spawns each run and reports the
# run's wall time and peak RSS (wait4 includes the run's own forked writer).
LAUNCHER = (
    "import os, sys, time\n"
    "null = os.open(os.devnull, os.O_WRONLY)\n"
    "start = time.perf_counter()\n"
    "pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ,\n"
    "                     file_actions=[(os.POSIX_SPAWN_DUP2, null, 1)])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "seconds = time.perf_counter() - start\n"
    "print(seconds, usage.ru_maxrss, os.waitstatus_to_exitcode(status))\n"
)


def run(label: str, argv: list[str], repeat: int = 1) -> Run:
    """Best wall time of `repeat` runs of argv, with the peak RSS of the best run."""
    best: Run | None = None
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", LAUNCHER, *argv], capture_output=True,
                              text=True, check=True)
        seconds, peak_kb, code = done.stdout.split()
        if int(code) != 0:
            raise SystemExit(f"{label} failed:\n{done.stderr}")
        result = Run(label, float(seconds), int(peak_kb) / 1024)
        if best is None or result.seconds < best.seconds:
            best = result
    assert best is not None
    return best


def compile_package() -> None:
    """Byte-compile cistreams first, as `pip install` leaves an installed package.

    An editable install under PYTHONDONTWRITEBYTECODE (set on some machines) would otherwise
    compile every module from source on every run: 20-30 ms that no installed copy pays.
    """
    import cistreams

    folder = Path(cistreams.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder)], check=True,
                   stdout=subprocess.DEVNULL)


def cli(data: Path, group: str, out: Path, *extra: str) -> list[str]:
    """The argv of one gen-buildconfigs run."""
    return [sys.executable, "-m", "cistreams", "--data-path", str(data), "-g", group,
            "gen-buildconfigs", "-o", str(out), *extra]


def reference(data: Path, group: str, out: Path) -> list[str]:
    """The argv of a doozer-2020 run on the reference path (doozer's libraries)."""
    argv = cli(data, group, out, *COMPAT)
    return [sys.executable, "-c", REFERENCE_DRIVER, *argv[3:]]


def synthetic(root: Path, sizes: list[int]) -> dict[str, Run]:
    """Both modes at every size, plus the reference path at 1,000 streams."""
    runs: dict[str, Run] = {}
    group = bench_data.GROUP
    for size in sizes:
        data = bench_data.write(root / f"streams-{size}", size)
        out = root / f"out-{size}.yaml"
        repeat = 5 if size <= 10_000 else 1
        runs[f"default {size}"] = run(f"default, {size:,} streams", cli(data, group, out), repeat)
        runs[f"compat {size}"] = run(f"doozer-2020, {size:,} streams",
                                     cli(data, group, out, *COMPAT), repeat)
    data = root / "streams-1000"
    fast_bytes = (root / "compat-1000.yaml")
    subprocess.run(cli(data, group, fast_bytes, *COMPAT), check=True, capture_output=True)
    slow_bytes = root / "reference-1000.yaml"
    runs["reference 1000"] = run("reference path (doozer's libraries), doozer-2020, 1,000",
                                 reference(data, group, slow_bytes))
    if fast_bytes.read_bytes() != slow_bytes.read_bytes():
        raise SystemExit("doozer-2020 output differs from doozer's libraries' output")
    return runs


def corpus(root: Path) -> dict[str, Run]:
    """Real corpus groups, in the modes they render in."""
    runs: dict[str, Run] = {}
    for name in CORPUS_GROUPS:
        data = CORPUS / name
        if not data.is_dir():
            continue
        group = name.split("_")[0]
        runs[f"corpus {name}"] = run(f"corpus {name}, default", cli(data, group, root / "c.yaml"),
                                     repeat=5)
        if name.endswith("2020-11-30"):
            runs[f"corpus {name} compat"] = run(f"corpus {name}, doozer-2020",
                                                cli(data, group, root / "c.yaml", *COMPAT), 5)
    return runs


def profile(root: Path, size: int) -> str:
    """The top 15 cumulative entries of one in-process default-mode run."""
    from cistreams.cli import main

    data = root / f"streams-{size}"
    argv = ["--data-path", str(data), "-g", bench_data.GROUP, "gen-buildconfigs",
            "-o", str(root / "profiled.yaml")]
    profiler = cProfile.Profile()
    profiler.runcall(main, argv)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(15)
    return text.getvalue()


def targets(runs: dict[str, Run]) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for every target whose runs exist."""
    rows: list[tuple[str, str, bool]] = []
    ten = runs["default 10000"]
    rows.append(("default 10k streams <= 3 s", f"{ten.seconds:.2f} s", ten.seconds <= 3))
    rows.append(("default 10k streams <= 300 MB", f"{ten.peak_mb:.0f} MB", ten.peak_mb <= 300))
    growth = ten.seconds / runs["default 1000"].seconds
    rows.append(("growth 1k -> 10k <= 12x", f"{growth:.1f}x", growth <= 12))
    compat = runs["compat 1000"].seconds
    speedup = DOOZER_1K_SECONDS / compat
    rows.append(("doozer-2020 1k faster than doozer (6.6 s)", f"{speedup:.1f}x", speedup > 1))
    for key, value in runs.items():
        if key.startswith("corpus"):
            rows.append((f"{value.label} <= 0.25 s", f"{value.seconds:.3f} s",
                         value.seconds <= 0.25))
    help_run = runs["help"]
    rows.append(("cistreams --help <= 0.15 s", f"{help_run.seconds:.3f} s",
                 help_run.seconds <= 0.15))
    return rows


def main() -> int:
    """Run everything, print the tables, and fail under --check when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 50,000-stream runs")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--cluster", action="store_true",
                        help="apply at scale against the test cluster, beside kubectl "
                             "(cluster_bench.py; about 35 minutes)")
    args = parser.parse_args()
    if args.cluster:
        import cluster_bench

        return cluster_bench.main(["--check"] if args.check else [])
    sizes = [1_000, 10_000] + ([] if args.quick else [50_000])
    compile_package()
    with tempfile.TemporaryDirectory(prefix="cistreams-bench-") as temp:
        root = Path(temp)
        runs = synthetic(root, sizes)
        runs.update(corpus(root))
        runs["help"] = run("cistreams --help", [sys.executable, "-m", "cistreams", "--help"], 5)
        runs["calibration"] = run("calibration: a fixed pure-Python loop (machine speed)",
                                  [sys.executable, "-c", CALIBRATION], 5)
        print(f"{'run':<62} {'wall s':>8} {'peak MB':>8}")
        for item in runs.values():
            print(f"{item.label:<62} {item.seconds:>8.3f} {item.peak_mb:>8.0f}")
        print()
        rows = targets(runs)
        for name, measured, met in rows:
            print(f"{'met   ' if met else 'MISSED'} {name:<55} {measured:>10}")
        reference_speedup = runs["reference 1000"].seconds / runs["compat 1000"].seconds
        print(f"{'info  '} {'doozer-2020 1k vs doozer libraries in our pipeline':<55} "
              f"{reference_speedup:>9.1f}x")
        print("\ncProfile, default mode, 10,000 streams, in process (top 15 cumulative):")
        print(profile(root, 10_000))
    missed = [name for name, _, met in rows if not met]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
