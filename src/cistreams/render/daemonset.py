"""The DaemonSet that keeps the final images from being garbage-collected on every node.

Each image gets a container that only sleeps, so the kubelet never removes the image.
doozer wrote one DaemonSet with a 50m CPU request per container. At scale that does not
survive: 1,000 streams ask 50 cores of every node (the pod never schedules), and the object
passes the API server's size limits. So the default mode requests a token 1m per sleeping
container (all they use) and splits big groups into DaemonSets of at most
MAX_CONTAINERS containers, the first keeping doozer's name. doozer-2020 mode keeps doozer's
bytes.
"""

from __future__ import annotations

from typing import Any

from cistreams.builddata.model import Entry
from cistreams.errors import CistreamsError
from cistreams.render import imageref, names
from cistreams.render.names import GROUP_LABEL, NAMESPACE

DOOZER_DS_REGISTRY = "registry.svc.ci.openshift.org"
KEEPALIVE_SCRIPT = (
    "#!/bin/bash\nset -euo pipefail\ntrap 'jobs -p | xargs -r kill || true; exit 0' TERM\n"
    "while true; do\n  sleep 600 &\n  wait $!\ndone\n"
)
DOOZER_CPU_REQUEST = "50m"
CPU_REQUEST = "1m"  # a sleeping container uses none; 1m is the smallest request there is
# About 700 bytes a container: 100 keep a DaemonSet near 70 KB, far below the 1.5 MB an API
# request and an etcd object may hold, and a pod of 100 containers schedules anywhere.
MAX_CONTAINERS = 100


def container(dest: imageref.ImageRef, entry: Entry, doozer_2020: bool) -> dict[str, Any]:
    """A container that keeps `dest` in use on every node."""
    raw_name = f"{dest.namespace}-{dest.name}-{dest.tag}"
    if doozer_2020:
        image, name = f"{DOOZER_DS_REGISTRY}/{dest.namespace}/{dest.istag}", raw_name.replace(".", "-")
    else:
        image, name = f"{dest.registry}/{dest.namespace}/{dest.istag}", names.container_name(raw_name)
        if why := names.label_problem(name):
            raise CistreamsError(f"the DaemonSet container derived from upstream_image is "
                                 f"invalid: {why}", entry.where("upstream_image"))
    return {
        "name": name,
        "image": image,
        "command": ["/bin/bash", "-c", KEEPALIVE_SCRIPT],
        "imagePullPolicy": "Always",
        "resources": {"requests": {"cpu": DOOZER_CPU_REQUEST if doozer_2020 else CPU_REQUEST}},
    }


def daemonsets(group_name: str, group_label: str, containers: list[dict[str, Any]],
               doozer_2020: bool) -> list[dict[str, Any]]:
    """The DaemonSets holding `containers`: one, or in the default mode one per
    MAX_CONTAINERS containers in order (`...-dont-gc-me-bro`, then `-2`, `-3`...)."""
    base = f"art-managed-{group_label}-dont-gc-me-bro"
    if doozer_2020:
        return [_daemonset(base, group_name, containers, doozer_2020)]
    chunks = [containers[i:i + MAX_CONTAINERS] for i in range(0, len(containers), MAX_CONTAINERS)]
    return [_daemonset(base if index == 0 else f"{base}-{index + 1}", group_label, chunk, False)
            for index, chunk in enumerate(chunks)]


def _daemonset(name: str, group_label: str, containers: list[dict[str, Any]],
               doozer_2020: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}},
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "50%"}},
        "revisionHistoryLimit": 1,
    }
    if doozer_2020:
        spec["templateGeneration"] = 1
    return {
        "apiVersion": "extensions/v1beta1" if doozer_2020 else "apps/v1",
        "kind": "DaemonSet",
        # doozer 2020 labelled the live-test DaemonSet with the plain group name (the caller
        # passes it in that mode).
        "metadata": {"name": name, "namespace": NAMESPACE,
                     "labels": {"app": name, GROUP_LABEL: group_label}},
        "spec": spec,
    }
