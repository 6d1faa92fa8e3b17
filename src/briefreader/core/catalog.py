"""`corpus/catalog.yaml`: optional metadata (title, publisher, date, side) per document.

A catalog read without problems is kept in `.briefreader/catalog.json` by the hash of its
bytes, and read back from there while the file is unchanged: the reader then lists the
library without PyYAML, whose import alone takes longer than the rest of the listing. The
kept copy is a cache like the index; problems are never kept, so they are reported at every
read until fixed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from briefreader.core.atomic import write_atomic
from briefreader.core.errors import CatalogError, Problem, WorkspaceError
from briefreader.core.workspace import Workspace
from briefreader.core.yamlio import Mapping, load_yaml, location

CATALOG_NAME = "catalog.yaml"
KEPT_NAME = "catalog.json"
_KEPT_VERSION = 1  # of how a catalog is read: bump when that changes what it gives
FIELDS = ("title", "publisher", "author", "date", "side", "kind", "description")
_ISO_DATE = r"\d{4}(?:-\d{2}(?:-\d{2})?)?"
_DATE = re.compile(rf"{_ISO_DATE}(?:/{_ISO_DATE})?")


@dataclass(frozen=True)
class Catalog:
    entries: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def get(self, doc_id: str) -> dict[str, str]:
        return self.entries.get(doc_id, {})


def load_catalog(corpus_dir: Path, *, keep: Workspace | None = None) -> Catalog:
    """Read the catalog if there is one. A malformed catalog is reported, never fatal:
    the documents still load with metadata derived from their text. With `keep`, the parse
    is kept in (and read back from) that workspace's `.briefreader/`."""
    path = corpus_dir / CATALOG_NAME
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except FileNotFoundError:
        return Catalog()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8"
        return Catalog(problems=(Problem(path, f"cannot read the catalog ({reason})"),))
    digest = hashlib.sha256(data).hexdigest()
    if keep is not None and (entries := _kept_entries(keep, digest)) is not None:
        return Catalog(entries)
    catalog = _parse(text.replace("\r\n", "\n").replace("\r", "\n"), path)  # as read_text
    if keep is not None and not catalog.problems:
        try:
            kept = {"version": _KEPT_VERSION, "sha256": digest, "entries": catalog.entries}
            write_atomic(keep.prepare_state() / KEPT_NAME, json.dumps(kept, ensure_ascii=False))
        except (OSError, WorkspaceError):
            pass  # a workspace that cannot be written reads its catalog every time
    return catalog


def _kept_entries(workspace: Workspace, digest: str) -> dict[str, dict[str, str]] | None:
    """The entries kept for the catalog with these bytes; None if none are, or they are
    unreadable or odd in any way."""
    try:
        kept = json.loads((workspace.state_dir / KEPT_NAME).read_text(encoding="utf-8"))
        entries = kept["entries"]
        valid = (
            kept["version"] == _KEPT_VERSION
            and kept["sha256"] == digest
            and all(
                set(meta) <= set(FIELDS) and all(isinstance(v, str) for v in meta.values())
                for meta in entries.values()
            )
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return entries if valid else None


def _parse(text: str, path: Path) -> Catalog:
    try:
        data = load_yaml(text, path, CatalogError)
    except CatalogError as exc:
        return Catalog(problems=(Problem.from_error(exc),))
    if data is None:
        return Catalog()
    problems: list[Problem] = []
    documents = data.get("documents") if isinstance(data, Mapping) else None
    if not isinstance(documents, Mapping):
        line, column = location(data, "documents")
        message = "expected a top-level 'documents:' mapping of file name to metadata"
        return Catalog(problems=(Problem(path, message, line, column),))
    entries: dict[str, dict[str, str]] = {}
    for doc_id, meta in documents.items():
        line, column = location(documents, doc_id)
        if not isinstance(meta, Mapping):
            problems.append(Problem(path, f"{doc_id}: expected a mapping of fields", line, column))
            continue
        entry: dict[str, str] = {}
        for key, value in meta.items():
            line, column = location(meta, key)
            if key not in FIELDS:
                known = ", ".join(FIELDS)
                message = f"{doc_id}: unknown field {key!r} (known: {known}); it is ignored"
                problems.append(Problem(path, message, line, column, "warning"))
            elif meta.text(key) is None:
                problems.append(Problem(path, f"{doc_id}: {key} must be text", line, column))
            elif key == "date" and not _DATE.fullmatch(meta.text(key)):
                message = f"{doc_id}: date {value!r} is not ISO 8601 (2025, 2025-02, 2024/2025)"
                problems.append(Problem(path, message, line, column))
            else:
                entry[key] = meta.text(key).strip()
        entries[str(doc_id)] = entry
    return Catalog(entries, tuple(problems))
