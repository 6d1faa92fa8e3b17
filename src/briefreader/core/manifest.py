"""The index's manifest: what the index on disk was built from, checked without Whoosh.

`manifest.json` beside the index records the table of contents Whoosh wrote, the size of
each index file and, for each document, the size, time and hash it was indexed at. Telling
a current index from a stale one needs only this file and `stat`, so the reader knows its
index is ready before Whoosh (about 50 ms to import) has loaded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from briefreader.core.annotations import AnnotationStore
from briefreader.core.atomic import write_atomic
from briefreader.core.corpus import Corpus
from briefreader.core.errors import Problem
from briefreader.core.models import NORMALIZER_VERSION, DocumentInfo

# Bump when the schema, what goes into a field or how it is stored changes: every index is
# then rebuilt (4: separate segment files, not one compound file).
INDEX_FORMAT = 4


@dataclass
class IndexReport:
    """What an update did, for the one-line summary and for tests."""

    rebuilt: str = ""  # why the index was rebuilt from scratch, if it was
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    passages: int = 0  # passages written by this update
    problems: list[Problem] = field(default_factory=list)
    cancelled: bool = False

    @property
    def summary(self) -> str:
        counts = [
            f"{len(self.added)} added",
            f"{len(self.changed)} changed",
            f"{len(self.removed)} removed",
            f"{len(self.unchanged)} unchanged",
        ]
        passages = f"{self.passages} passage{'s' * (self.passages != 1)}"
        return f"{', '.join(counts)}; {passages} written"


def meta_hash(info: DocumentInfo) -> str:
    """The catalog fields that are indexed: a change re-indexes the document."""
    meta = [info.title, info.publisher, info.author, info.date, info.side, info.kind]
    return hashlib.sha256("\x1f".join(meta).encode()).hexdigest()[:16]


class Manifest:
    """Reads, checks and writes `manifest.json` in an index folder."""

    def __init__(self, directory: Path, store: AnnotationStore) -> None:
        self.directory = directory
        self.store = store

    @property
    def path(self) -> Path:
        return self.directory / "manifest.json"

    def file_sizes(self) -> dict[str, int]:
        return {
            path.name: path.stat().st_size
            for path in sorted(self.directory.iterdir())
            if path.suffix in (".toc", ".seg")
        }

    def toc_hash(self) -> str:
        digest = hashlib.sha256()
        for toc in sorted(self.directory.glob("*.toc")):
            digest.update(toc.name.encode())
            digest.update(toc.read_bytes())
        return digest.hexdigest()

    def verified(self) -> tuple[dict | None, str]:
        """The manifest if the index on disk is ours and current, else why it is not."""
        try:
            manifest = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None, "no index yet: building it"
        except (OSError, ValueError):
            return None, "the index manifest is unreadable: rebuilding the index"
        if not isinstance(manifest, dict) or manifest.get("format") != INDEX_FORMAT:
            return None, "the index was built by another version of briefreader: rebuilding"
        if manifest.get("normalizer") != NORMALIZER_VERSION:
            return None, "the text normaliser has changed: rebuilding the index"
        docs = manifest.get("docs")
        if not isinstance(docs, dict) or not all(isinstance(e, dict) for e in docs.values()):
            return None, "the index manifest is unreadable: rebuilding the index"
        try:
            toc = self.toc_hash()
        except OSError:
            toc = ""
        try:
            sizes = self.file_sizes()
        except OSError:
            sizes = {}
        if toc != manifest.get("toc") or sizes != manifest.get("files"):
            return None, "the index files do not match their manifest: rebuilding the index"
        return manifest, ""

    def is_current(self, corpus: Corpus) -> bool:
        """Whether the index matches the corpus on disk, judged by file sizes and times."""
        manifest, _ = self.verified()
        if manifest is None:
            return False
        docs = manifest["docs"]
        if set(docs) != {info.id for info in corpus.documents}:
            return False
        return all(self.stat_matches(info, docs[info.id]) for info in corpus.documents)

    def stat_matches(self, info: DocumentInfo, entry: dict) -> bool:
        """Whether a document (by size and time), its catalog entry and its annotations are
        as indexed."""
        try:
            stat = info.path.stat()
        except OSError:
            return False
        return (
            entry.get("size") == stat.st_size
            and entry.get("mtime_ns") == stat.st_mtime_ns
            and self.meta_matches(info, entry)
        )

    def meta_matches(self, info: DocumentInfo, entry: dict) -> bool:
        """Whether a document's catalog entry and annotations are as indexed."""
        stamp = entry.get("annotations")
        return entry.get("meta") == meta_hash(info) and stamp == self.annotations_stamp(info.id)

    def annotations_stamp(self, doc_id: str) -> list[int] | None:
        """Size and time of the document's annotation file: when they change, its passages
        are indexed again with the new tags and notes (and only they)."""
        try:
            stat = self.store.path_for(doc_id).stat()
        except OSError:
            return None
        return [stat.st_size, stat.st_mtime_ns]

    def write(self, docs: dict[str, dict]) -> None:
        """Record the index files as they are now, and what each document was indexed at."""
        manifest = {
            "format": INDEX_FORMAT,
            "normalizer": NORMALIZER_VERSION,
            "toc": self.toc_hash(),
            "files": self.file_sizes(),
            "docs": dict(sorted(docs.items())),
        }
        write_atomic(self.path, json.dumps(manifest, indent=1) + "\n")
