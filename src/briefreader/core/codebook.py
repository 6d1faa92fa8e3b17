"""The tags annotators can use: the three built-ins plus those of `annotations/codebook.yaml`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from briefreader.core.errors import AnnotationError, Problem
from briefreader.core.models import BUILTIN_TAGS
from briefreader.core.yamlio import Mapping, load_yaml, location

CODEBOOK_NAME = "codebook.yaml"
_NAME = re.compile(r"[a-z][a-z0-9_-]*")
_BUILTIN_DESCRIPTIONS = {
    "factual": "states a checkable fact",
    "disputed": "a claim the other side or the record contests",
    "rhetorical": "persuasion rather than information: loaded words, framing",
}


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    description: str = ""
    key: str = ""  # a one-key shortcut in the reader
    color: str = ""  # a colour name or #rrggbb; empty: the theme decides


@dataclass(frozen=True)
class Codebook:
    tags: tuple[Tag, ...]
    problems: tuple[Problem, ...] = ()

    @property
    def names(self) -> set[str]:
        return {tag.name for tag in self.tags}

    def get(self, name: str) -> Tag | None:
        return next((tag for tag in self.tags if tag.name == name), None)


BUILTINS = tuple(Tag(name, _BUILTIN_DESCRIPTIONS[name], name[0]) for name in BUILTIN_TAGS)


def load_codebook(annotations_dir: Path) -> Codebook:
    """The built-in tags, then the codebook's own; a malformed codebook is reported and the
    built-ins still work."""
    path = annotations_dir / CODEBOOK_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Codebook(BUILTINS)
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8"
        return Codebook(BUILTINS, (Problem(path, f"cannot read the codebook ({reason})"),))
    try:
        data = load_yaml(text, path, AnnotationError)
    except AnnotationError as exc:
        return Codebook(BUILTINS, (Problem.from_error(exc),))
    entries = data.get("tags") if isinstance(data, Mapping) else None
    if data is None:
        return Codebook(BUILTINS)
    if not isinstance(entries, list):
        line, column = location(data, "tags")
        message = "expected 'tags:' with a list of tags (name, description, key, color)"
        return Codebook(BUILTINS, (Problem(path, message, line, column),))
    tags, problems = list(BUILTINS), []
    keys = {tag.key for tag in BUILTINS}
    for entry in entries:
        line, column = location(entry)
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            problems.append(Problem(path, "each tag needs a 'name'", line, column))
            continue
        name = entry["name"].strip().lower()
        if not _NAME.fullmatch(name):
            message = f"tag name {name!r}: use lowercase letters, digits, - or _"
            problems.append(Problem(path, message, line, column))
            continue
        if name in {tag.name for tag in tags}:
            if name not in BUILTIN_TAGS:
                problems.append(Problem(path, f"tag {name!r} is defined twice", line, column))
            continue
        key = str(entry.get("key") or "")
        if key and (len(key) != 1 or key in keys):
            message = f"tag {name!r}: key {key!r} is taken or not one character; it has none"
            problems.append(Problem(path, message, line, column, "warning"))
            key = ""
        keys.add(key)
        description, color = str(entry.get("description") or ""), str(entry.get("color") or "")
        tags.append(Tag(name, description, key, color))
    return Codebook(tuple(tags), tuple(problems))
