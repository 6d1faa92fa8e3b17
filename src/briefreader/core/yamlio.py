"""YAML in and out: strict loading with file:line:column errors, and readable dumps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from briefreader.core.errors import BriefreaderError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


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


def load_yaml(text: str, path: Path, error: type[BriefreaderError] = BriefreaderError) -> Any:
    """Parse one YAML document into dicts, lists and scalars.

    Timestamps stay strings (a date is what the user typed, not a datetime), duplicate keys
    are an error (PyYAML silently keeps the last), and every mapping carries line numbers so
    that schema errors can point at the offending line.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        raise error(
            f"{problem}; fix the YAML syntax at this line",
            path,
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise error(f"malformed YAML ({exc})", path) from None
    return None if node is None else _construct(node, path, error)


def _construct(node: yaml.Node, path: Path, error: type[BriefreaderError]) -> Any:
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    if isinstance(node, yaml.MappingNode):
        result = Mapping()
        result.line, result.column, result.key_lines, result.raw = line, column, {}, {}
        for key_node, value_node in node.value:
            key = _construct(key_node, path, error)
            where = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(key, str | int | float | bool):
                raise error("a mapping key must be a plain value", path, *where)
            key = str(key)
            if key in result:
                first = result.key_lines[key][0]
                raise error(f"duplicate key {key!r} (first at line {first})", path, *where)
            result[key] = _construct(value_node, path, error)
            result.key_lines[key] = where
            if isinstance(value_node, yaml.ScalarNode):
                result.raw[key] = value_node.value
        return result
    if isinstance(node, yaml.SequenceNode):
        items = Sequence(_construct(child, path, error) for child in node.value)
        items.lines = [(c.start_mark.line + 1, c.start_mark.column + 1) for c in node.value]
        return items
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
    if isinstance(node, yaml.ScalarNode):
        return node.value
    raise error("unsupported YAML node", path, line, column)


def location(value: Any, key: str | None = None) -> tuple[int | None, int | None]:
    """The line and column where `value` (or its `key`) was written, when it was loaded."""
    if isinstance(value, Mapping):
        if key is not None and key in value.key_lines:
            return value.key_lines[key]
        return value.line, value.column
    return None, None


class _BlockDumper(_Dumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Multi-line notes read best as literal blocks, as a person would write them; the
    # emitter falls back to quotes for text a block cannot hold exactly.
    style = "|" if "\n" in value and not value[0].isspace() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """YAML that reads like a hand-written file: block style, keys in the given order."""
    return yaml.dump(
        data,
        Dumper=_BlockDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
