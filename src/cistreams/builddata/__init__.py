"""Stage 1, load: find the build data (a directory or a git clone) and read it into typed records.

`locate` finds or clones the data; `load` reads group.yml (with vars and group.ext.yml),
streams.yml and images/*.yml, substitutes `{VAR}` placeholders, and returns a `BuildData`
of `model` records (`Group`, `Entry`, `Repo`). Raw YAML stops at `model`: nothing after this
stage sees a dict from a file. Mistakes are collected in a `Problems` with file and line.
"""

from cistreams.builddata.checkout import Runner, clone_or_update, is_remote, locate, run_command
from cistreams.builddata.loader import BuildData, LoadOptions, find_file, load

__all__ = ["BuildData", "LoadOptions", "Runner", "clone_or_update", "find_file", "is_remote", "load",
           "locate", "run_command"]
