"""YAML on PyYAML and libyaml: safe loading that remembers lines, and the two writers.

Loading: `load` (a `!include` resolver optional) builds `MarkedMap`/`MarkedSeq`, which know
the line of every key and item (`line_of`); duplicate keys, unsafe tags and alias bombs are
errors with a line. Writing: `dump_readable` (the default layout) and `dump_doozer`
(doozer's exact bytes). Reading files is builddata's job (`builddata.files`).
"""

from cistreams.yamlio.dumping import dump_doozer, dump_readable
from cistreams.yamlio.loading import IncludeResolver, MarkedMap, MarkedSeq, line_of, load

__all__ = ["IncludeResolver", "MarkedMap", "MarkedSeq", "dump_doozer", "dump_readable", "line_of", "load"]
