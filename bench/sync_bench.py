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


def one_run(proxy: FaultProxy, data: Path) -> tuple[list[dict[str, object]], float, int]:
    """One `cistreams sync` process: its groups' report, its wall time, its exit status."""
    mark = len(proxy.seen)
    args = [CISTREAMS, "sync", *(a for g in GROUPS for a in ("-g", g)),
            "--data-path", str(data / "{group}"), "--kubeconfig", str(proxy.kubeconfig("admin")),
            "--format", "json"]
    began = time.monotonic()
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)
    wall = time.monotonic() - began
    groups: list[dict[str, object]] = json.loads(done.stdout)["groups"]
    seen = proxy.seen[mark:]
    for group in groups:
        name = lease_name(str(group["group"]))
        group["seen"] = sum(1 for s in seen if name in s.path)
    group_total = sum(int(str(g["seen"])) for g in groups)
    if group_total != len(seen):
        raise SystemExit(f"the proxy saw {len(seen)} requests, {group_total} for the groups")
    return groups, wall, done.returncode


def main() -> int:
    """Measure (see the module doc); with --check, exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if not (CORPUS / GROUPS[0]).is_dir():
        print(f"the corpus is absent ({CORPUS}); nothing to measure")
        return 0
    missed = []
    with tempfile.TemporaryDirectory(prefix="cistreams-sync-bench-") as temp:
        root = Path(temp)
        data = root / "data"
        for group in GROUPS:
            shutil.copytree(CORPUS / group, data / group)
        with TestCluster(root / "cluster") as cluster, FaultProxy(cluster) as proxy:
            record_synced(cluster, data, root / "work")
            print(f"{'run':>3}  {'group':15} {'result':10} {'requests':>8} {'client':>6} "
                  f"{'group s':>8} {'process s':>9}")
            for run in range(1, args.runs + 1):
                groups, wall, code = one_run(proxy, data)
                for group in groups:
                    seconds = float(str(group["duration_seconds"]))
                    print(f"{run:>3}  {group['group']!s:15} {group['status']!s:10} "
                          f"{group['seen']!s:>8} {group['lease_requests']!s:>6} "
                          f"{seconds:>8.3f} {wall:>9.2f}")
                    if (group["status"] != "unchanged" or int(str(group["seen"])) > MAX_REQUESTS
                            or seconds >= MAX_SECONDS or code != 0):
                        missed.append(f"run {run} {group['group']}: {group['status']}, "
                                      f"{group['seen']} requests, {seconds:.3f} s, exit {code}")
    print(f"target: unchanged, <= {MAX_REQUESTS} API requests and < {MAX_SECONDS:.0f} s per "
          f"group: {'met' if not missed else 'MISSED'}")
    for line in missed:
        print(f"  {line}")
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
