"""Stage 4, write: the YAML reaches its file without ever leaving a half-written one.

`write_atomic` replaces a regular file atomically (keeping its permissions), follows a
symlink to its target, writes devices and FIFOs in place, refuses a directory and any
build-data file the run read, and `-` is standard output.
"""

from cistreams.output.files import STDOUT, write_atomic

__all__ = ["STDOUT", "write_atomic"]
