"""Normalised texts kept on disk, so that a document is normalised once, not at every start.

Each file in `.briefreader/texts/` holds one document's normalised text, named by the hash
of the document's bytes and checked against it and the normaliser's version when read back.
It is a cache like the index: anything unreadable, stale or odd is ignored and the document
normalised again, and the whole folder can be deleted at any time.
"""

from __future__ import annotations

import json
from pathlib import Path

from briefreader.core.atomic import write_atomic
from briefreader.core.errors import WorkspaceError
from briefreader.core.models import NORMALIZER_VERSION, Block, BlockKind, NormalizedText
from briefreader.core.workspace import Workspace


class TextCache:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    @property
    def folder(self) -> Path:
        return self.workspace.state_dir / "texts"

    def _path(self, digest: str) -> Path:
        return self.folder / f"{digest}.json"

    def get(self, digest: str) -> tuple[NormalizedText, str] | None:
        """The normalised text and encoding of the document with these bytes, if kept."""
        try:
            data = json.loads(self._path(digest).read_text(encoding="utf-8"))
            if data["version"] != NORMALIZER_VERSION or data["sha256"] != digest:
                return None
            text = data["text"]
            blocks = tuple(
                Block(BlockKind(kind), text[start:end], start, end, level)
                for kind, start, end, level in data["blocks"]
            )
            return NormalizedText(text, blocks), data["encoding"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, digest: str, text: NormalizedText, encoding: str) -> None:
        """Keep a normalised text; a workspace that cannot be written just goes without."""
        data = {
            "version": NORMALIZER_VERSION,
            "sha256": digest,
            "encoding": encoding,
            "text": text.text,
            "blocks": [[str(b.kind), b.start, b.end, b.level] for b in text.blocks],
        }
        try:
            self.workspace.prepare_state()
            write_atomic(self._path(digest), json.dumps(data, ensure_ascii=False))
        except (OSError, WorkspaceError):
            pass

    def prune(self, keep: set[str]) -> None:
        """Forget the texts of documents that are gone or changed (by their hashes)."""
        for path in self.folder.glob("*.json"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)
