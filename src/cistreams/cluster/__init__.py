"""Stage 5, apply: everything that talks to a cluster.

`oc` runs `oc apply -f FILE` (doozer-2020 mode, or whenever --oc is given).
"""

from cistreams.cluster.oc import RETRY_DELAY_SECONDS, Applier, run_with_input

__all__ = ["RETRY_DELAY_SECONDS", "Applier", "run_with_input"]
