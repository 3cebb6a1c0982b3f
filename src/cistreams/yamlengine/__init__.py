"""The YAML engine: safe loading that remembers lines, and the two deterministic writers.

Everything outside this package uses only the names below; the modules inside are how it
is made fast (a parser-event loader, a two-process reader and writer, per-shape document
templates) and may change freely, because PyYAML stays the reference for every byte.

Loading: `load`, `load_file`, `load_formatted` (with `{VAR}` substitution as it reads),
`read_text` (the one way build data is read: a regular file of bounded size, never a
hang; each file read is recorded in an optional log), and `MarkedMap`/`MarkedSeq`/
`line_of` for the line of every key.
Writing: `dump_pieces` (either mode, as pieces to write in order), `dump_readable`,
`dump_doozer`, their PyYAML references, and `Piece`/`join` for the pieces.
"""

from cistreams.yamlengine.dumping import (
    dump_doozer,
    dump_pieces,
    dump_readable,
    reference_dump_doozer,
    reference_dump_readable,
)
from cistreams.yamlengine.forkjoin import Piece, join
from cistreams.yamlengine.loading import (
    NOT_BUILT,
    Formatter,
    IncludeResolver,
    MarkedMap,
    MarkedSeq,
    line_of,
    load,
    load_file,
    load_formatted,
)
from cistreams.yamlengine.reading import read_text

__all__ = [
    "NOT_BUILT", "Formatter", "IncludeResolver", "MarkedMap", "MarkedSeq", "Piece",
    "dump_doozer", "dump_pieces", "dump_readable", "join", "line_of", "load", "load_file",
    "load_formatted", "read_text", "reference_dump_doozer", "reference_dump_readable",
]
