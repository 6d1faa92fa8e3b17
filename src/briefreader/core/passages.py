"""The fields each passage of a document is indexed with: its text, where it stands, and the
tags and notes on it. No Whoosh here: a second process may prepare documents while Whoosh
writes (`core.preparing`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from briefreader.core.annotations import AnnotationStore
from briefreader.core.corpus import Corpus, Document, unreadable
from briefreader.core.errors import AnnotationError, DocumentError, Problem
from briefreader.core.manifest import Manifest
from briefreader.core.models import Annotation, DocumentInfo

SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class Prepared:
    """A document made ready for the index."""

    sha256: str
    size: int  # of the file, and its time, as they were before it was read
    mtime_ns: int
    passages: list[dict]
    notes: dict[str, str]  # see `passage_fields`
    annotations: list[int] | None  # the stamp of its annotation file, taken before reading it
    problems: list[Problem]


def note_key(fields: dict) -> str:
    """The key of a passage in the notes of `passage_fields`: its number, as JSON keys are."""
    return str(fields["passage"])


def passage_fields(
    document: Document, store: AnnotationStore, problems: list[Problem]
) -> tuple[list[dict], dict[str, str]]:
    """The fields of each passage, and what the annotations of each annotated passage put
    into them, in short (by passage number), to tell which a change of tags touches."""
    passages = list(_fields(document, store, problems))
    notes = {}
    for fields in passages:
        said = [fields["tag"], fields["note"], fields["annotator"]]
        if any(said):
            notes[note_key(fields)] = hashlib.sha256(json.dumps(said).encode()).hexdigest()[:16]
    return passages, notes


def _fields(document: Document, store: AnnotationStore, problems: list[Problem]) -> Iterable[dict]:
    info = document.info
    side = info.side.casefold()
    notes: dict[int, list[Annotation]] = {}
    try:
        placed = store.place(info.id, document.text)
    except AnnotationError as exc:
        problems.append(Problem.from_error(exc))
        placed = []
    for item in placed:
        passage = document.text.passage_at(item.anchor.start) if item.anchor.placed else None
        if passage is not None:
            notes.setdefault(passage.number, []).append(item.annotation)
    dates = _date_terms(info.date)
    source = " ".join(filter(None, [info.publisher, info.author]))
    for passage in document.text.passages:
        section = SECTION_SEPARATOR.join(passage.section.path) if passage.section else ""
        yield {
            "key": f"{info.id}#{passage.number}",
            "doc": info.id,
            "passage": passage.number,
            "start": passage.start,
            "end": passage.end,
            "title": info.title,
            "section": section,
            "publisher": source,
            "date": dates,
            "side": side,
            "kind": info.kind,
            "tag": " ".join(a.tag for a in notes.get(passage.number, ())),
            "note": "\n".join(a.note for a in notes.get(passage.number, ())),
            "annotator": " ".join(a.annotator for a in notes.get(passage.number, ())),
            "body": passage.text,
            "exact": passage.text,
        }


def _date_terms(date: str) -> str:
    terms: list[str] = []
    for part in date.split("/"):
        pieces = part.split("-")
        terms += ["-".join(pieces[: i + 1]) for i in range(len(pieces))]
    return " ".join(dict.fromkeys(terms))


def prepare(corpus: Corpus, manifest: Manifest, info: DocumentInfo) -> Prepared | Problem:
    """Read, normalise and annotate one document for the index, or say why it cannot be."""
    # both taken before they are read: an edit or a tag saved meanwhile leaves them stale,
    # so the next update indexes it again
    annotations = manifest.annotations_stamp(info.id)
    try:
        stat = info.path.stat()
        document = corpus.load(info)
    except OSError as exc:
        return Problem.from_error(unreadable(info.path, exc))
    except DocumentError as exc:
        return Problem.from_error(exc)
    problems: list[Problem] = []
    passages, notes = passage_fields(document, manifest.store, problems)
    return Prepared(
        document.sha256, stat.st_size, stat.st_mtime_ns, passages, notes, annotations, problems
    )
