"""Writing the result so that a failed run never leaves a half-written or emptied file."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cistreams.errors import CistreamsError

if TYPE_CHECKING:
    from cistreams.yamlengine import Piece

STDOUT = "-"


def write_atomic(target: str, text: str | Sequence[Piece]) -> None:
    """Write `text` to `target` ('-' is standard output) via a temp file and a rename.

    `text` may be a sequence of pieces, written one after another: strings, and bytes
    already encoded as UTF-8.
    """
    pieces = [text] if isinstance(text, str) else text
    if target == STDOUT:
        for piece in pieces:
            sys.stdout.write(piece if isinstance(piece, str)
                             else str(piece, "utf-8", "surrogatepass"))
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
        with os.fdopen(fd, "wb") as handle:
            for piece in pieces:
                handle.write(piece.encode("utf-8") if isinstance(piece, str) else piece)
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
