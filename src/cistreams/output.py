"""Writing the result so that a failed run never leaves a half-written or emptied file."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

from cistreams.errors import CistreamsError

STDOUT = "-"


def write_atomic(target: str, text: str) -> None:
    """Write `text` to `target` ('-' is standard output) via a temp file and a rename."""
    if target == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(target)
    folder = path.parent if str(path.parent) else Path()
    if not folder.is_dir():
        raise CistreamsError(f"-o {target}: the folder {folder} does not exist")
    mode = _mode_for(path)
    try:
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise CistreamsError(f"-o {target}: cannot write in {folder}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp).chmod(mode)
        Path(temp).replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(temp).unlink()
        raise CistreamsError(f"-o {target}: cannot write: {exc.strerror}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temp).unlink()
        raise


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
