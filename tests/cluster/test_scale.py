"""A big group against the real server: the DaemonSet shards are accepted, re-applied
unchanged, and the ones a shrunken group no longer needs are pruned."""

from __future__ import annotations

from pathlib import Path

import bench_data
from cluster.conftest import DS, gen, live, report_lines
from cluster.testcluster import TestCluster

BASE = "art-managed-openshift-4.17-dont-gc-me-bro"


def test_a_group_of_250_streams_applies_in_three_daemonsets(clean_cluster: TestCluster,
                                                             tmp_path: Path) -> None:
    data = bench_data.write(tmp_path / "big", 250)
    first = gen(clean_cluster, data, group=bench_data.GROUP, out=tmp_path / "o.yaml")
    assert first.code == 0, first.stderr[-2000:]
    lines = report_lines(first)
    assert len(lines) == 219 + 3 and all(line.endswith(" created") for line in lines)
    status, body = clean_cluster.api("GET", DS)
    assert status == 200
    shards = {d["metadata"]["name"]: d for d in body["items"]}
    assert sorted(shards) == [BASE, f"{BASE}-2", f"{BASE}-3"]
    sizes = [len(shards[n]["spec"]["template"]["spec"]["containers"]) for n in sorted(shards)]
    assert sizes == [100, 100, 19]
    for shard in shards.values():  # the pod asks 1m per container: it fits any node
        requests = [c["resources"]["requests"]["cpu"]
                    for c in shard["spec"]["template"]["spec"]["containers"]]
        assert set(requests) == {"1m"}
    again = gen(clean_cluster, data, group=bench_data.GROUP, out=tmp_path / "o.yaml")
    assert all(line.endswith(" unchanged") for line in report_lines(again))

    small = bench_data.write(tmp_path / "small", 120)  # 105 BuildConfigs, two shards
    shrunk = gen(clean_cluster, small, "--prune", "--max-prune", "200",
                 group=bench_data.GROUP, out=tmp_path / "o.yaml")
    assert shrunk.code == 0, shrunk.stderr[-2000:]
    assert f"daemonset.apps/{BASE}-3 pruned" in report_lines(shrunk)
    assert sum(line.endswith(" pruned") for line in report_lines(shrunk)) == 114 + 1
    names = set(live(clean_cluster))
    assert len(names) == 105 + 2 and f"{BASE}-3" not in names
