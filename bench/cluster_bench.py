"""Apply at scale against the real test cluster: cistreams beside kubectl 1.20 `apply -f`.

For 1,000 and 10,000 synthetic streams (bench_data), each tool in turn, on a cluster emptied
before each tool's turn: the first apply, an unchanged re-apply, one changed stream, and a
prune of 10 removed streams. kubectl applies the file cistreams wrote (client-side apply, as
doozer's `oc apply` did; rendering it is not timed); cistreams is timed end to end, render
included. Each row: wall time, requests sent, peak memory. The 1,000-stream rows run twice:
on loopback, and through a TCP proxy adding 20 ms of round-trip latency (latency_proxy.py;
TLS passes through it), as a remote CI cluster has. Requests are counted by cistreams' own summary
and by kubectl's request log (-v=6).

    python bench/cluster_bench.py [--sizes 1000,10000] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import bench_data
from latency_proxy import latency_proxy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from cluster.testcluster import TestCluster  # noqa: E402  (test infrastructure, found above)

LATENCY_SECONDS = 0.01  # each way: 20 ms per round trip
SCENARIOS = ("first apply", "unchanged re-apply", "one changed stream", "prune 10 removed")
KUBECTL_REQUEST = re.compile(r"\] (GET|POST|PUT|PATCH|DELETE) https?://")
CISTREAMS_REQUESTS = re.compile(r"; (\d+) requests$", re.M)
LAUNCHER = (
    "import os, sys, time\n"
    "start = time.perf_counter()\n"
    "pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status),\n"
    "      file=sys.stderr)\n"
)
TARGETS = {  # through the latency proxy, 1,000 streams: cistreams at least this much faster
    "first apply": 10.0,
    "unchanged re-apply": 20.0,
}


@dataclass
class Row:
    """One measured run."""

    tool: str
    size: int
    route: str
    scenario: str
    seconds: float
    requests: int
    peak_mb: float


def measure(argv: list[str]) -> tuple[float, float, str]:
    """(seconds, peak MB, stderr) of one run; the run's own peak memory, not this process's."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *argv], capture_output=True,
                          text=True, check=False)
    lines = done.stderr.rstrip("\n").split("\n")
    seconds, peak_kb, code = lines[-1].split()  # the launcher's own last line
    text = "\n".join(lines[:-1])
    if int(code) != 0:
        raise SystemExit(f"{argv[:3]} failed ({code}):\n{text[-3000:]}")
    return float(seconds), int(peak_kb) / 1024, text


def write_data(folder: Path, size: int, scenario: str) -> Path:
    """The build data a scenario applies: the group, one stream changed, or 10 removed."""
    data = bench_data.write(folder, size)
    streams = data / "streams.yml"
    text = streams.read_text(encoding="utf-8")
    if scenario == "one changed stream":
        text = text.replace("  transform: rhel-8/golang\n",
                            "  transform: rhel-8/golang\n  final_user: '1001'\n", 1)
    elif scenario == "prune 10 removed":
        for index in range(10):
            text = re.sub(rf"^stream-{index}:\n(?:  .*\n)*", "", text, count=1, flags=re.M)
    streams.write_text(text, encoding="utf-8")
    return data


def cistreams_argv(data: Path, out: Path, kubeconfig: Path, scenario: str) -> list[str]:
    argv = [sys.executable, "-m", "cistreams", "--data-path", str(data), "-g", bench_data.GROUP,
            "gen-buildconfigs", "-o", str(out), "--apply", "--kubeconfig", str(kubeconfig)]
    return argv + (["--prune", "--max-prune", "20"] if scenario.startswith("prune") else [])


def kubectl_argv(cluster: TestCluster, out: Path, kubeconfig: Path, scenario: str) -> list[str]:
    argv = [str(cluster.bin_dir / "kubectl"), "--kubeconfig", str(kubeconfig), "--cache-dir",
            str(cluster.workdir / "kubectl-cache"), "apply", "-f", str(out), "-v=6"]
    if scenario.startswith("prune"):
        argv += ["--prune", "-l", f"art-builder-group={bench_data.GROUP}",
                 "--prune-whitelist=build.openshift.io/v1/BuildConfig",
                 "--prune-whitelist=apps/v1/DaemonSet"]
    return argv


def run_tool(tool: str, cluster: TestCluster, kubeconfig: Path, work: Path, size: int,
             route: str) -> Iterator[Row]:
    """The four scenarios for one tool, on an emptied cluster."""
    empty(cluster)
    for scenario in SCENARIOS:
        data = write_data(work / f"data-{size}", size, scenario)
        out = work / f"out-{size}.yaml"
        if tool == "kubectl":
            subprocess.run([sys.executable, "-m", "cistreams", "--data-path", str(data), "-g",
                            bench_data.GROUP, "gen-buildconfigs", "-o", str(out)],
                           check=True, capture_output=True)
            seconds, peak, log = measure(kubectl_argv(cluster, out, kubeconfig, scenario))
            requests = len(KUBECTL_REQUEST.findall(log))
        else:
            seconds, peak, log = measure(cistreams_argv(data, out, kubeconfig, scenario))
            counts = CISTREAMS_REQUESTS.findall(log)
            requests = int(counts[-1]) if counts else -1
        yield Row(tool, size, route, scenario, seconds, requests, peak)


def empty(cluster: TestCluster) -> None:
    """Delete every BuildConfig and DaemonSet in `ci`. Deleting 10,000 objects at once can
    pass the server's request deadline (it answers 500, having deleted some): so again,
    until none are left."""
    for collection in ("/apis/build.openshift.io/v1/namespaces/ci/buildconfigs",
                       "/apis/apps/v1/namespaces/ci/daemonsets"):
        for _ in range(20):
            cluster.api("DELETE", collection + "?limit=2000", {"kind": "DeleteOptions",
                                                                "apiVersion": "v1"})
            status, body = cluster.api("GET", collection + "?limit=1")
            if status == 200 and not body.get("items"):
                break
        else:
            raise SystemExit(f"cannot empty {collection}")


@contextmanager
def route_to(cluster: TestCluster, route: str) -> Iterator[Path]:
    """A kubeconfig for the admin, direct (loopback) or through the latency proxy."""
    if route == "loopback":
        yield cluster.kubeconfig("admin")
        return
    direct = cluster.kubeconfig("admin")
    port = int(cluster.server.rsplit(":", 1)[1])
    with latency_proxy(("127.0.0.1", port), LATENCY_SECONDS) as proxy_port:
        config = json.loads(direct.read_text(encoding="utf-8"))
        for entry in config["clusters"]:
            entry["cluster"]["server"] = f"https://127.0.0.1:{proxy_port}"
        routed = direct.with_name(f"admin-via-latency-{proxy_port}")
        routed.write_text(json.dumps(config), encoding="utf-8")
        yield routed


def cell(row: Row | None) -> str:
    """One tool's measurements in a table cell."""
    return f"{row.seconds:.1f} s, {row.requests} req, {row.peak_mb:.0f} MB" if row else "-"


def table(rows: list[Row]) -> str:
    lines = ["| streams | route | scenario | kubectl | cistreams | speed-up |",
             "|---|---|---|---|---|---|"]
    by_key: dict[tuple[int, str, str], dict[str, Row]] = {}
    for row in rows:
        by_key.setdefault((row.size, row.route, row.scenario), {})[row.tool] = row
    for (size, route, scenario), tools in by_key.items():
        k, c = tools.get("kubectl"), tools.get("cistreams")
        ratio = f"{k.seconds / c.seconds:.1f}x" if k and c else "-"
        lines.append(f"| {size:,} | {route} | {scenario} | {cell(k)} | {cell(c)} | {ratio} |")
    return "\n".join(lines)


def check(rows: list[Row]) -> list[str]:
    """The targets of the scale issue that were missed."""
    missed = []
    find = {(r.tool, r.size, r.route, r.scenario): r for r in rows}
    for scenario, factor in TARGETS.items():
        k = find.get(("kubectl", 1000, "20 ms", scenario))
        c = find.get(("cistreams", 1000, "20 ms", scenario))
        if k and c and k.seconds < factor * c.seconds:
            missed.append(f"{scenario}: {k.seconds / c.seconds:.1f}x, target {factor:.0f}x")
    big = [r for r in rows if r.tool == "cistreams" and r.size == 10_000]
    if big and max(r.peak_mb for r in big) > 300:
        missed.append(f"memory at 10,000 streams: {max(r.peak_mb for r in big):.0f} MB > 300")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--tools", default="kubectl,cistreams")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows: list[Row] = []
    # the machine is shared: the load average says how busy it was around the run
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="cistreams-cluster-bench-") as temp:
        work = Path(temp)
        with TestCluster(work / "cluster") as cluster:
            for size in sizes:
                for route in ("loopback", "20 ms") if size <= 1000 else ("loopback",):
                    with route_to(cluster, route) as kubeconfig:
                        for tool in args.tools.split(","):
                            for row in run_tool(tool, cluster, kubeconfig, work, size, route):
                                print(f"{row.tool:9} {row.size:>6} {row.route:8} "
                                      f"{row.scenario:20} {row.seconds:7.2f} s "
                                      f"{row.requests:6} req {row.peak_mb:6.0f} MB", flush=True)
                                rows.append(row)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print()
    print(table(rows))
    missed = check(rows)
    for line in missed:
        print(f"missed: {line}")
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
