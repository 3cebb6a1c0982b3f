"""What `cistreams sync` costs for a group whose build data did not change: API requests and
time (issue 20's target: at most 3 requests and under 1 s per unchanged group).

Real parts: kube-apiserver 1.20 + etcd (tests/cluster/testcluster.py) behind the counting
proxy of the tests (tests/cluster/faultproxy.py), so requests are counted where the server
sees them, not by the client. Copies of two corpus groups (openshift-4.17, openshift-4.18)
are recorded as synced on their Leases (what a successful sync leaves), then
`cistreams sync` runs as a process for both: each group is read from disk, its revision
(a digest of the files read) compared with the Lease's record, and nothing else is done.
Rows: per group, the requests the proxy saw for it, the client's own count and the group's
time; then the process, start to exit (Python's start-up and imports included).

    python bench/sync_bench.py [--runs 5] [--check]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from cistreams.cluster.connection import connect  # noqa: E402
from cistreams.cluster.lease import GroupLease, Record, lease_name, micro_time  # noqa: E402
from cistreams.job.revision import check_out  # noqa: E402
from cistreams.options import ConnectionOptions, Source  # noqa: E402
from cluster.faultproxy import FaultProxy  # noqa: E402  (test infrastructure, found above)
from cluster.testcluster import TestCluster  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "ocp-build-data"
GROUPS = ("openshift-4.17", "openshift-4.18")
MAX_REQUESTS, MAX_SECONDS = 3, 1.0
CISTREAMS = str(Path(sys.executable).with_name("cistreams"))


def record_synced(cluster: TestCluster, data: Path, work: Path) -> None:
    """Each group's Lease as a successful sync leaves it: released, its revision recorded."""
    api = connect(ConnectionOptions(str(cluster.kubeconfig("admin"))))
    try:
        for group in GROUPS:
            revision = check_out(Source(str(data / group), group), work).revision
            lease = GroupLease(api, "ci", group, holder="bench")
            assert lease.acquire(lease.read()) is None
            assert lease.release(Record(revision, micro_time(time.time())))
    finally:
        api.client.close()


@dataclass(frozen=True)
class Row:
    """One group in one run."""

    run: int
    group: str
    status: str
    seen: int  # requests the proxy saw for the group
    client: int  # requests the client counted
    seconds: float  # the group's own time
    process: float  # the whole process, start to exit
    code: int

    def line(self) -> str:
        """The printed row."""
        return (f"{self.run:>3}  {self.group:15} {self.status:10} {self.seen:>8} "
                f"{self.client:>6} {self.seconds:>8.3f} {self.process:>9.2f}")

    def missed(self) -> bool:
        """True when the row misses a target."""
        return (self.status != "unchanged" or self.seen > MAX_REQUESTS
                or self.seconds >= MAX_SECONDS or self.code != 0)


def one_run(run: int, proxy: FaultProxy, data: Path) -> list[Row]:
    """One `cistreams sync` process for both groups: a row per group."""
    mark = len(proxy.seen)
    args = [CISTREAMS, "sync", *(a for g in GROUPS for a in ("-g", g)),
            "--data-path", str(data / "{group}"), "--kubeconfig", str(proxy.kubeconfig("admin")),
            "--format", "json"]
    began = time.monotonic()
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)
    wall = time.monotonic() - began
    seen = proxy.seen[mark:]
    rows = [Row(run, g["group"], g["status"],
                sum(1 for s in seen if lease_name(g["group"]) in s.path), g["lease_requests"],
                g["duration_seconds"], wall, done.returncode)
            for g in json.loads(done.stdout)["groups"]]
    if sum(row.seen for row in rows) != len(seen):
        raise SystemExit(f"the proxy saw {len(seen)} requests, {sum(r.seen for r in rows)} "
                         "of them for the groups' Leases")
    return rows


def main() -> int:
    """Measure (see the module doc); with --check, exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if not (CORPUS / GROUPS[0]).is_dir():
        print(f"the corpus is absent ({CORPUS}); nothing to measure")
        return 0
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="cistreams-sync-bench-") as temp:
        root = Path(temp)
        data = root / "data"
        for name in GROUPS:
            shutil.copytree(CORPUS / name, data / name)
        with TestCluster(root / "cluster") as cluster, FaultProxy(cluster) as proxy:
            record_synced(cluster, data, root / "work")
            print(f"{'run':>3}  {'group':15} {'result':10} {'requests':>8} {'client':>6} "
                  f"{'group s':>8} {'process s':>9}")
            for run in range(1, args.runs + 1):
                for row in one_run(run, proxy, data):
                    print(row.line())
                    rows.append(row)
    missed = [row for row in rows if row.missed()]
    print(f"target: unchanged, <= {MAX_REQUESTS} API requests and < {MAX_SECONDS:.0f} s per "
          f"group: {'met' if not missed else 'MISSED'}")
    for row in missed:
        print(f"  missed: {row.line()} (exit {row.code})")
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
