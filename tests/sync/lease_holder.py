"""A separate process that takes a group's Lease, holds it (renewing) and releases it: two
of these at once, or one killed with SIGKILL, test the lock across real processes.

    python lease_holder.py KUBECONFIG GROUP DURATION HOLD_SECONDS

prints `acquired HOLDER` or `held by ...`, then `released` after HOLD_SECONDS.
"""

from __future__ import annotations

import sys
import time

from cistreams.cluster.connection import connect
from cistreams.cluster.lease import GroupLease, Renewer
from cistreams.options import ConnectionOptions


def main(argv: list[str]) -> int:
    """Take, hold and release the Lease (see the module doc)."""
    kubeconfig, group, duration, hold = argv[0], argv[1], int(argv[2]), float(argv[3])
    lease = GroupLease(connect(ConnectionOptions(kubeconfig)), "ci", group, duration=duration)
    held = lease.acquire(lease.read())
    if held is not None:
        print(held, flush=True)
        return 3
    print(f"acquired {lease.holder}", flush=True)
    with Renewer(lease):
        time.sleep(hold)
    print("released" if lease.release() else f"lost: {lease.lost}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
