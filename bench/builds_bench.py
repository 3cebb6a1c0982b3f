"""start-builds with 20 builds ending at staggered times over ~30 s: how soon after the last
build ends does it return, and how many requests does following them cost?

Real parts as in the tests (tests/commands/buildenv.py): kube-apiserver 1.20 + etcd with the
BuildConfig, Build and ImageStream CRDs, the build service in front of it (instantiate, and
the build controller whose builds push a real image with skopeo), a real registry standing for
the CI registry and QCI. 20 QCI BuildConfigs in a steady state (an image CI serves, a QCI image
from an earlier build); build i runs 1.5 x (i + 1) s, so the last one ends about 30 s after it
started. `cistreams start-builds` runs as a process, timed from its start to its exit; the
build service records when each build reached Complete (the clock is the machine's monotonic
one, shared by both processes). Requests: those the build service passed to the API server
(or answered), and those the registry served (its access log).

doozer 2026 is not run (it needs `oc` and an OpenShift API server); its row is modelled on the
same end times: builds started one `oc start-build` after another, then one build at a time,
`oc get build` every 15 s until it ends, then the next.

    python bench/builds_bench.py [--builds 20] [--check]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from cluster import imagestream_crd  # noqa: E402  (test infrastructure, found above)
from cluster.buildservice import Scenario  # noqa: E402
from cluster.testcluster import TestCluster  # noqa: E402
from commands.buildenv import Env, Stack, start_stack, steady  # noqa: E402
from registry.testregistry import Registries  # noqa: E402

STEP_SECONDS = 1.5  # build i runs (i + 1) x this
POLL_SECONDS = 15.0  # doozer's poll interval
TARGET_SECONDS = 2.0  # start-builds returns within this of the last build's end
CISTREAMS = str(Path(sys.executable).with_name("cistreams"))


@dataclass
class Row:
    """One run, in seconds from its start."""

    name: str
    builds: int
    last_end: float
    returned: float
    requests: str

    @property
    def after_last_end(self) -> float:
        """How long the run went on after the last build ended."""
        return self.returned - self.last_end


def doozer_model(ends: list[float], started: float) -> tuple[float, int]:
    """(when doozer's loop would return, its `oc get build` polls): one build at a time, a
    poll every 15 s until it has ended, from `started` (every build started by then)."""
    now, polls = started, 0
    for end in ends:  # in the order it started them
        while True:
            polls += 1
            if now >= end:
                break
            now += POLL_SECONDS
    return now, polls


def run(count: int, workdir: Path) -> list[Row]:
    """Start the parts, put `count` builds in place, run start-builds; the rows."""
    with TestCluster(workdir / "cluster") as cluster, \
            Registries(workdir / "registries", ("ci",)) as registries:
        imagestream_crd.install(cluster, ("ocp",), "art-publish")
        service = start_stack(registries, cluster)
        try:
            env = Env(Stack(registries, cluster, service), workdir / "data", "bench")
            streams = tuple(f"s{i:02d}" for i in range(count))
            steady(env, *streams)
            for index, stream in enumerate(streams):
                service.scenarios[env.buildconfig_name(stream)] = Scenario(
                    run_seconds=STEP_SECONDS * (index + 1))
            api_mark, registry_mark = service.mark(), registries["ci"].mark()
            began = time.monotonic()
            done = subprocess.run([CISTREAMS, "start-builds", *env.options()],
                                  capture_output=True, text=True, check=False)
            returned = time.monotonic() - began
            if done.returncode != 0:
                raise SystemExit(f"start-builds failed ({done.returncode}):\n{done.stderr}")
            api = len(service.seen[api_mark:])
            served = len(registries["ci"].requests()[registry_mark:])
            print(done.stderr.splitlines()[-1], flush=True)
            ends = [service.ended[f"{env.buildconfig_name(s)}-1"] - began for s in streams]
        finally:
            service.stop()
    last = max(ends)
    started = min(ends) - STEP_SECONDS  # every build had started when the first began running
    model, polls = doozer_model(ends, started)
    return [Row("cistreams start-builds (one watch)", count, last, returned,
                f"{api} API, {served} registry"),
            Row("doozer 2026 (modelled: a 15 s poll, one build at a time)", count, last, model,
                f"{polls} `oc get build` polls + {count} `oc get builds`")]


def table(rows: list[Row]) -> str:
    """The README table."""
    lines = ["| run | builds | last build ended | returned | after the last end | requests |",
             "|---|---:|---:|---:|---:|---|"]
    lines += [f"| {r.name} | {r.builds} | {r.last_end:.1f} s | {r.returned:.1f} s | "
              f"{r.after_last_end:.1f} s | {r.requests} |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=20)
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="cistreams-builds-bench-") as temp:
        rows = run(args.builds, Path(temp))
    print(f"load average after: {os.getloadavg()[0]:.2f}\n")
    print(table(rows))
    late = rows[0].after_last_end
    if late > TARGET_SECONDS:
        print(f"missed: start-builds returned {late:.1f} s after the last build ended "
              f"(target {TARGET_SECONDS:.0f} s)")
        return 1 if args.check else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
