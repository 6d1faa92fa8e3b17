"""`corpus/catalog.yaml`: optional metadata (title, publisher, date, side) per document."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from briefreader.core.errors import CatalogError, Problem
from briefreader.core.yamlio import Mapping, load_yaml, location

CATALOG_NAME = "catalog.yaml"
FIELDS = ("title", "publisher", "author", "date", "side", "kind", "description")
_ISO_DATE = r"\d{4}(?:-\d{2}(?:-\d{2})?)?"
_DATE = re.compile(rf"{_ISO_DATE}(?:/{_ISO_DATE})?")


@dataclass(frozen=True)
class Catalog:
    entries: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def get(self, doc_id: str) -> dict[str, str]:
        return self.entries.get(doc_id, {})


def load_catalog(corpus_dir: Path) -> Catalog:
    """Read the catalog if there is one. A malformed catalog is reported, never fatal:
    the documents still load with metadata derived from their text."""
    path = corpus_dir / CATALOG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Catalog()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8"
        return Catalog(problems=(Problem(path, f"cannot read the catalog ({reason})"),))
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
