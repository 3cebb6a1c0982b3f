"""pytest configuration shared by all tests."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Tests never touch the machine's own files: every program they run (kubectl's discovery
# cache, skopeo, git) gets a HOME of its own, removed at the end. The cached test binaries
# stay where scripts/test-cluster-binaries put them, found through CISTREAMS_CACHE.
_REAL_HOME = Path(os.environ.get("HOME") or Path.home())
os.environ.setdefault("CISTREAMS_CACHE", str(
    Path(os.environ.get("XDG_CACHE_HOME") or _REAL_HOME / ".cache") / "cistreams"))
_TEST_HOME = tempfile.mkdtemp(prefix="cistreams-test-home-")
atexit.register(shutil.rmtree, _TEST_HOME, True)
os.environ["HOME"] = _TEST_HOME
for _name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "KUBECONFIG", "REGISTRY_AUTH_FILE",
              "DOCKER_CONFIG"):
    os.environ.pop(_name, None)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))  # bench_data

# CI runs the property tests with a fixed seed sequence, so that whether a submission lands
# does not depend on luck; locally every run explores new examples.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
