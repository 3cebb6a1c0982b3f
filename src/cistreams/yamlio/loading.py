"""Safe YAML loading that remembers lines: libyaml's parser, PyYAML's constructors.

Loading builds plain dicts and lists (subclassed only to carry line numbers), so nothing
outside this module needs to know about YAML nodes. Only the safe YAML tags are accepted:
a `!!python/...` tag is an error, duplicate keys are an error, and a document whose aliases
would expand past a fixed size is rejected before anything is built from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import yaml

from cistreams.errors import CistreamsError, Location

# A real build-data file expands to well under a million nodes; an alias bomb expands to
# billions. Counting the expansion on the node graph (memoized) costs one pass.
MAX_EXPANDED_NODES = 5_000_000

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class MarkedMap(dict[Any, Any]):
    """A mapping from YAML that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]
    source: str = ""  # the file it was read from (an !include may bring in other files)

    def line_of(self, key: Any) -> int:
        """The line of `key`, or the mapping's own line when the key is absent."""
        return self.key_lines.get(key, self.line)


class MarkedSeq(list[Any]):
    """A sequence from YAML that knows its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


def line_of(container: object, key: Any = None) -> int | None:
    """The line of `key` inside a loaded container (or of the container itself)."""
    if isinstance(container, MarkedMap):
        return container.line_of(key) if key is not None else container.line
    if isinstance(container, MarkedSeq):
        if isinstance(key, int) and 0 <= key < len(container.item_lines):
            return container.item_lines[key]
        return container.line
    return None


IncludeResolver = Callable[[str, Location], Any]


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that builds MarkedMap/MarkedSeq and refuses duplicate keys."""

    display_name = "<yaml>"
    include_resolver: IncludeResolver | None = None


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Iterator[MarkedMap]:
    data = MarkedMap()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    data.source = loader.display_name
    yield data
    own = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)
    pairs = node.value
    merged_count = len(pairs) - own
    for index, (key_node, value_node) in enumerate(pairs):
        key = loader.construct_object(key_node, deep=False)
        key_line = key_node.start_mark.line + 1
        where = Location(loader.display_name, key_line)
        try:
            hash(key)
        except TypeError:
            raise CistreamsError("a mapping key must be a plain value", where) from None
        if index >= merged_count and key in data and data.key_lines.get(key, -1) >= 0:
            raise CistreamsError(
                f"duplicate key {key!r} (first defined on line {data.key_lines[key]})", where
            )
        data[key] = loader.construct_object(value_node, deep=False)
        # Keys that came in through a merge (<<) may be overridden; mark them with -line.
        data.key_lines[key] = key_line if index >= merged_count else -key_line
    for key, value in data.key_lines.items():
        data.key_lines[key] = abs(value)


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> Iterator[MarkedSeq]:
    data = MarkedSeq()
    data.line = node.start_mark.line + 1
    data.item_lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_object(child, deep=False) for child in node.value)


def _construct_include(loader: _Loader, node: yaml.Node) -> Any:
    where = Location(loader.display_name, node.start_mark.line + 1)
    if loader.include_resolver is None or not isinstance(node, yaml.ScalarNode):
        raise CistreamsError("the !include tag is only allowed in group.ext.yml", where)
    return loader.include_resolver(str(node.value), where)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_Loader.add_constructor("!include", _construct_include)


def _check_expansion(root: yaml.Node, display_name: str) -> None:
    """Refuse documents whose aliases expand beyond MAX_EXPANDED_NODES (an alias bomb)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not children_done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        size = 1 + sum(sizes.get(id(c), 0) for c in children)
        if size > MAX_EXPANDED_NODES:
            raise CistreamsError(
                f"the document expands to more than {MAX_EXPANDED_NODES:,} values through "
                "aliases (an alias bomb?)",
                Location(display_name, node.start_mark.line + 1),
            )
        sizes[id(node)] = size


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def load(text: str, display_name: str, include_resolver: IncludeResolver | None = None) -> Any:
    """Parse one YAML (or JSON) document safely; errors name `display_name` and the line."""
    loader = _Loader(text)
    loader.display_name = display_name
    loader.include_resolver = include_resolver
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "&" in text:  # without an anchor there can be no alias, hence no bomb
            _check_expansion(node, display_name)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor" in problem:
            tag = problem.split("tag ", 1)[-1].strip()
            problem = f"unsupported YAML tag ({tag}); only plain YAML is allowed"
        raise CistreamsError(f"YAML syntax error: {problem}", Location(display_name, line)) from None
    except yaml.YAMLError as exc:
        raise CistreamsError(f"YAML error: {exc}", Location(display_name)) from None
    except RecursionError:
        raise CistreamsError("the document is nested too deeply", Location(display_name)) from None
    finally:
        loader.dispose()
