"""The anti-GC DaemonSet at scale: token CPU requests and bounded shards (default mode),
doozer's single DaemonSet with 50m per container (doozer-2020 mode)."""

from __future__ import annotations

from typing import Any

import pytest
from test_objects import entry, run

from cistreams.render import daemonset


def containers_of(obj: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = obj["spec"]["template"]["spec"]["containers"]
    return found


def entries(count: int) -> list[Any]:
    return [entry(f"s{i}", "rhel-8/golang", dest=f"ns/is:tag-{i}") for i in range(count)]


def test_a_sleeping_container_requests_a_token_cpu() -> None:
    (ds,) = run(*entries(1)).objects[1:]
    assert containers_of(ds)[0]["resources"] == {"requests": {"cpu": "1m"}}


def test_doozer_mode_keeps_50m() -> None:
    (ds,) = run(*entries(1), doozer_2020=True).objects[1:]
    assert containers_of(ds)[0]["resources"] == {"requests": {"cpu": "50m"}}


@pytest.mark.parametrize(("count", "sizes"), [
    (1, [1]), (100, [100]), (101, [100, 1]), (250, [100, 100, 50])])
def test_big_groups_are_split_into_bounded_daemonsets(count: int, sizes: list[int]) -> None:
    assert daemonset.MAX_CONTAINERS == 100
    objects = run(*entries(count)).objects
    shards = [o for o in objects if o["kind"] == "DaemonSet"]
    assert [len(containers_of(s)) for s in shards] == sizes
    base = "art-managed-openshift-4.7-dont-gc-me-bro"
    assert [s["metadata"]["name"] for s in shards] == \
        [base] + [f"{base}-{n}" for n in range(2, len(sizes) + 1)]
    for shard in shards:  # each shard selects its own pods, and carries the group label
        name = shard["metadata"]["name"]
        assert shard["spec"]["selector"]["matchLabels"] == {"app": name}
        assert shard["spec"]["template"]["metadata"]["labels"] == {"app": name}
        assert shard["metadata"]["labels"]["art-builder-group"] == "openshift-4.7"
    every = [c["name"] for s in shards for c in containers_of(s)]
    assert every == [c["name"] for c in containers_of(shards[0])] + every[100:]
    assert len(set(every)) == count  # each image in exactly one shard, in order


def test_doozer_mode_never_shards() -> None:
    objects = run(*entries(101), doozer_2020=True).objects
    shards = [o for o in objects if o["kind"] == "DaemonSet"]
    assert len(shards) == 1 and len(containers_of(shards[0])) == 101
