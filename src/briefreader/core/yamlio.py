"""YAML in and out: strict loading with file:line:column errors, and readable dumps."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefreader.core.errors import BriefreaderError

if TYPE_CHECKING:
    import yaml

# PyYAML (about 15 ms to import) loads at the first file read or written, not with the
# modules that use it: the reader paints its first frame before reading any.


class Sequence(list):
    """A YAML sequence that remembers where each of its items was written."""

    lines: list[tuple[int, int]]


class Mapping(dict):
    """A YAML mapping that remembers where it and each of its keys were written, and the text
    of each plain value as written (`tag: no` is the tag "no", not the boolean False)."""

    line: int = 0
    column: int = 0
    key_lines: dict[str, tuple[int, int]]
    raw: dict[str, str]

    def text(self, key: str) -> str | None:
        """The value of `key` as text, exactly as written; None if absent, null or not text."""
        value = self.get(key)
        if value is None or isinstance(value, dict | list):
            return None
        return self.raw.get(key, str(value))


MAX_DEPTH = 100  # nesting levels; briefreader's files need five, Python's stack about 500
_NODES_PER_CHAR = 2  # plus _NODES_SLACK: a file without aliases never comes near it
_NODES_SLACK = 10_000


def load_yaml(text: str, path: Path, error: type[BriefreaderError] = BriefreaderError) -> Any:
    """Parse one YAML document into dicts, lists and scalars.

    Timestamps stay strings (a date is what the user typed, not a datetime), duplicate keys
    are an error (PyYAML silently keeps the last), and every mapping carries line numbers so
    that schema errors can point at the offending line. Whatever the text, the only exception
    is `error`, naming `path`: deep nesting, an alias inside the value it names, and aliases
    that multiply a small file into millions of values are errors too, not a crash or a hang.
    """
    import yaml

    with collector_paused():
        return _load(yaml, text, path, error)


def _load(yaml, text: str, path: Path, error: type[BriefreaderError]) -> Any:
    try:
        node = yaml.compose(text, Loader=_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        raise error(
            f"{problem}; fix the YAML syntax at this line",
            path,
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow in a file
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise error(_unwritable(code), path, *_line_column(text, text.find(chr(code)))) from None
    except yaml.YAMLError as exc:
        raise error(f"malformed YAML ({' '.join(str(exc).split())})", path) from None
    except RecursionError:  # the pure-Python composer, without libyaml's depth limit
        raise error(f"nested more than {MAX_DEPTH} levels deep", path) from None
    except UnicodeEncodeError as exc:  # libyaml encodes the text first: a lone surrogate
        where = _line_column(text, exc.start)
        raise error(_unwritable(ord(text[exc.start])), path, *where) from None
    if node is None:
        return None
    return _Builder(path, error, _NODES_PER_CHAR * len(text) + _NODES_SLACK).build(node, 0)


_pauses = 0  # threads inside `collector_paused`
_resume = False  # whether the collector was enabled when the first of them came in
_pauses_lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a parse builds its (acyclic) values.

    A parse allocates hundreds of thousands of objects that all live on, and the collector
    passed over them again and again as they piled up: for a file of 1,000 annotations,
    120–230 ms of a 250–440 ms parse, in one or two full collections. Whatever is garbage
    is collected after. Paused for every thread (the collector is global) until the last
    one inside leaves; left alone if something else disabled it.
    """
    global _pauses, _resume
    with _pauses_lock:
        _pauses += 1
        if _pauses == 1:
            _resume = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


@cache
def _loader() -> type[yaml.SafeLoader]:
    """PyYAML's safe loader: its C one if there is libyaml."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _unwritable(code: int) -> str:
    return f"the character U+{code:04X} cannot be in a YAML file; delete it"


def _line_column(text: str, offset: int) -> tuple[int | None, int | None]:
    """The 1-based line and column of `offset` in `text`; None, None if it is not there."""
    if not 0 <= offset < len(text):
        return None, None
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


class _Builder:
    """Turns composed nodes into Mapping, Sequence and scalars, within bounds."""

    def __init__(self, path: Path, error: type[BriefreaderError], budget: int) -> None:
        self.path = path
        self.error = error
        self.budget = budget  # values left to build: an alias builds its value again
        self.open: set[int] = set()  # the collections being built, by id

    def fail(self, message: str, node: yaml.Node) -> BriefreaderError:
        return self.error(message, self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            too_many = "aliases (*name) expand this small file into too many values; write them out"
            raise self.fail(too_many, node)
        if depth > MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} levels deep", node)
        if node.id in ("mapping", "sequence"):  # PyYAML's name for each kind of node
            if id(node) in self.open:
                raise self.fail("the value anchored here contains an alias (*name) to itself", node)
            self.open.add(id(node))
            try:
                if node.id == "mapping":
                    return self._mapping(node, depth)
                items = Sequence([self.build(child, depth + 1) for child in node.value])
                items.lines = [(c.start_mark.line + 1, c.start_mark.column + 1) for c in node.value]
                return items
            finally:
                self.open.discard(id(node))
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, depth: int) -> Mapping:
        result = Mapping()
        result.line, result.column = node.start_mark.line + 1, node.start_mark.column + 1
        result.key_lines, result.raw = {}, {}
        for key_node, value_node in node.value:
            key = self.build(key_node, depth + 1)
            where = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(key, str | int | float | bool):
                raise self.error("a mapping key must be a plain value", self.path, *where)
            key = str(key)
            if key in result:
                first = result.key_lines[key][0]
                message = f"duplicate key {key!r} (first at line {first})"
                raise self.error(message, self.path, *where)
            result[key] = self.build(value_node, depth + 1)
            result.key_lines[key] = where
            if value_node.id == "scalar":
                result.raw[key] = value_node.value
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag == "tag:yaml.org,2002:null":
            return None
        if node.tag == "tag:yaml.org,2002:bool":
            # YAML 1.2: only true and false are booleans; yes, no, on, off are words
            lowered = node.value.lower()
            return lowered == "true" if lowered in {"true", "false"} else node.value
        if node.tag == "tag:yaml.org,2002:int":
            try:
                return int(node.value.replace("_", ""), 0)
            except ValueError:
                return node.value
        if node.tag == "tag:yaml.org,2002:float":
            try:
                return float(node.value.replace("_", ""))
            except ValueError:
                return node.value
        if node.id == "scalar":
            return node.value
        raise self.fail("unsupported YAML node", node)


def location(value: Any, key: str | None = None) -> tuple[int | None, int | None]:
    """The line and column where `value` (or its `key`) was written, when it was loaded."""
    if isinstance(value, Mapping):
        if key is not None and key in value.key_lines:
            return value.key_lines[key]
        return value.line, value.column
    return None, None


@cache
def _block_dumper() -> type[yaml.SafeDumper]:
    """PyYAML's safe dumper (its C one if there is libyaml), writing strings as below."""
    import yaml

    class BlockDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
        pass

    BlockDumper.add_representer(str, _represent_str)
    return BlockDumper


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Multi-line notes read best as literal blocks, as a person would write them; the
    # emitter falls back to quotes for text a block cannot hold exactly.
    style = "|" if "\n" in value and not value[0].isspace() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def dump_yaml(data: Any) -> str:
    """YAML that reads like a hand-written file: block style, keys in the given order.

    Never ended by the document end marker `...`, which the emitter adds after a block that
    keeps its final blank lines (`|+`): a file is built of such pieces, one after another,
    and a marker between two of them would end the file there for every reader. At the end
    of the text the marker is not needed: the block keeps its blank lines up to the end."""
    import yaml

    text = yaml.dump(
        data,
        Dumper=_block_dumper(),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return text[: -len("...\n")] if text.endswith("\n...\n") else text
