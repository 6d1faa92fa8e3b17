"""Finds and reads the documents of a workspace: metadata, decoding, content hashes."""

from __future__ import annotations

import codecs
import difflib
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from briefreader.core.catalog import CATALOG_NAME, Catalog, load_catalog
from briefreader.core.errors import DocumentError, Problem, WorkspaceError
from briefreader.core.models import BlockKind, DocumentInfo, NormalizedText
from briefreader.core.textcache import TextCache
from briefreader.core.workspace import Workspace

DOCUMENT_SUFFIXES = frozenset({".txt", ".md"})
NO_DOCUMENTS = "corpus/ holds no .txt or .md documents; add some"
# Below this a non-UTF-8 file's detected encoding is trusted; above it the file is refused.
_MAX_CHAOS = 0.1
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Document:
    """A corpus file, read and normalised."""

    info: DocumentInfo
    text: NormalizedText
    sha256: str  # of the file's bytes
    encoding: str

    @property
    def id(self) -> str:
        return self.info.id


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """The text of a document file and the encoding it was read with.

    UTF-8 is expected; a byte-order mark is honoured; any other encoding is used only when
    detection is confident, so a document is never shown as mojibake."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                raise DocumentError(
                    f"starts as {encoding.upper()} but is damaged (truncated?); "
                    "convert it to UTF-8",
                    path,
                ) from None
    if b"\x00" in data:
        raise DocumentError("binary file, not text; remove it or convert it to .txt", path)
    if not data.strip():
        raise DocumentError("empty file; add its text or remove it", path)
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        from charset_normalizer import from_bytes  # slow to import; rarely needed

        # Certain means: the readings with the least chaos all give the same text, or one
        # of them is Windows-1252, by far the commonest legacy encoding of Western text.
        # (Coherence scores cannot tell real text from mojibake; cp1252 and cp1250 differ
        # only in a few letters, so detection alone rarely settles it.)
        readings = sorted(
            (m for m in from_bytes(data) if m.chaos <= _MAX_CHAOS), key=lambda m: m.chaos
        )
        best = (
            {str(m) for m in readings if m.chaos <= readings[0].chaos + 0.01} if readings else set()
        )
        if len(best) == 1:
            return best.pop(), readings[0].encoding
        western = data.decode("cp1252", errors="replace")
        if western in best:
            return western, "cp1252"
        guesses = ", ".join(dict.fromkeys(m.encoding for m in readings[:3])) or "none"
        raise DocumentError(
            f"not UTF-8 (bad byte at offset {exc.start}) and its encoding is uncertain "
            f"(could be: {guesses}); convert it to UTF-8",
            path,
        ) from None


CACHED_DOCUMENTS = 16


class Corpus:
    """The documents under `corpus/`: listed cheaply, read and normalised on demand."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        # the documents read last (an index build or an export reads every one, once)
        self._loaded: OrderedDict[str, Document] = OrderedDict()
        self._lock = threading.Lock()
        self._texts = TextCache(workspace)  # normalised texts of earlier sessions

    @property
    def root(self) -> Path:
        return self.workspace.corpus_dir

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.root, keep=self.workspace)

    @cached_property
    def documents(self) -> tuple[DocumentInfo, ...]:
        """Every document file, sorted by id, with the catalog's metadata."""
        if not self.root.is_dir():
            raise WorkspaceError(
                "no corpus/ folder; create it and add .txt or .md files", self.root
            )
        infos = []
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root)
            if (
                path.suffix.lower() in DOCUMENT_SUFFIXES
                and not any(part.startswith(".") for part in relative.parts)
                and path.is_file()
            ):
                infos.append(self._info(relative.as_posix(), path))
        return tuple(infos)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """What is wrong with the corpus as a whole (its catalog), found without reading files."""
        problems = list(self.catalog.problems)
        ids = {info.id for info in self.documents}
        for doc_id in self.catalog.entries:
            if doc_id not in ids:
                problems.append(
                    Problem(
                        self.root / CATALOG_NAME,
                        f"{doc_id}: listed in the catalog but no such file in corpus/",
                        severity="warning",
                    )
                )
        if not self.documents:
            problems.append(Problem(self.root, NO_DOCUMENTS))
        return tuple(problems)

    def _info(self, doc_id: str, path: Path) -> DocumentInfo:
        meta = self.catalog.get(doc_id)
        title = meta.get("title") or path.stem.replace("-", " ").replace("_", " ").strip()
        return DocumentInfo(
            id=doc_id,
            path=path,
            title=title,
            **{k: v for k, v in meta.items() if k != "title"},
        )

    def find(self, name: str) -> DocumentInfo:
        """The document named by its id, file name, or a unique fragment of either or its title."""
        by_id = {info.id: info for info in self.documents}
        if name in by_id:
            return by_id[name]
        needle = name.casefold()
        matches = [
            info
            for info in self.documents
            if needle in info.id.casefold() or needle in info.title.casefold()
        ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            listed = ", ".join(info.id for info in matches)
            raise DocumentError(f"{name!r} matches several documents: {listed}; be more precise")
        close = difflib.get_close_matches(name, list(by_id), n=3, cutoff=0.4)
        hint = f"did you mean {', '.join(close)}?" if close else "see `briefreader check`"
        raise DocumentError(f"no document {name!r} in {self.root}; {hint}")

    def load(self, doc: DocumentInfo | str) -> Document:
        """Read, decode and normalise a document (cached until its file changes), keeping its
        normalised text on disk for later sessions: an index build, which reads every
        document, leaves every one ready to open (0.5% of a 30x build's time)."""
        info = doc if isinstance(doc, DocumentInfo) else self.find(doc)
        data = read_bytes(info.path)
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            cached = self._loaded.get(info.id)
            if cached is not None and cached.sha256 == digest:
                self._loaded.move_to_end(info.id)
                return cached
        kept = self._texts.get(digest)
        if kept is None:
            # only for a text not kept: off the start of a reader on an indexed corpus
            from briefreader.core.normalize import normalize

            raw, encoding = decode(data, info.path)
            text = normalize(raw)
            self._texts.put(digest, text, encoding)
        else:
            text, encoding = kept
        if "title" not in self.catalog.get(info.id):
            first = next((b for b in text.blocks if b.kind is BlockKind.HEADING), None)
            if first is not None:
                info = replace(info, title=first.text)
        document = Document(info, text, digest, encoding)
        with self._lock:
            self._loaded[info.id] = document
            self._loaded.move_to_end(info.id)
            if len(self._loaded) > CACHED_DOCUMENTS:
                self._loaded.popitem(last=False)
        return document

    def check(self) -> list[Problem]:
        """Every problem with the corpus, reading each document once."""
        problems = list(self.problems)
        for info in self.documents:
            try:
                document = self.load(info)
            except DocumentError as exc:
                problems.append(Problem.from_error(exc))
                continue
            if document.encoding != "utf-8":
                message = f"not UTF-8: read as {document.encoding}; convert it to UTF-8 to be sure"
                problems.append(Problem(info.path, message, severity="warning"))
            if not document.text.passages:
                message = "no paragraphs found in this file; is it a document?"
                problems.append(Problem(info.path, message, severity="warning"))
        return problems


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DocumentError("the file is gone; was it moved or deleted?", path) from None
    except PermissionError:
        raise DocumentError("permission denied; make the file readable", path) from None
    except IsADirectoryError:
        raise DocumentError("a folder, not a document", path) from None
    except OSError as exc:
        raise DocumentError(f"cannot read ({exc.strerror})", path) from None
