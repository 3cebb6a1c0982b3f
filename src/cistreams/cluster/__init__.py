"""Stage 5, apply: everything that talks to a cluster.

`prepare_apply` connects (kubectl's kubeconfig rules, see `connection`) and dry-runs every
object with server-side apply; its `commit` then writes them, all or nothing (`apply`,
`ownership` for taking objects over from kubectl). `run_diff` shows what an apply would
change (`diff`). `kinds` is the registry of what we write, `api` the REST layer with
retries. `oc` runs `oc apply -f FILE` for doozer-2020 mode or when --oc is given.
The HTTP client library is imported only when a cluster is used.
"""

from cistreams.cluster.oc import RETRY_DELAY_SECONDS, Applier, run_with_input
from cistreams.cluster.session import ApplySession, ProgressFactory, prepare_apply, run_diff

__all__ = ["RETRY_DELAY_SECONDS", "Applier", "ApplySession", "ProgressFactory", "prepare_apply",
           "run_diff", "run_with_input"]
