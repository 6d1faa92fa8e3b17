"""The fields each passage of a document is indexed with: its text, where it stands, and the
tags and notes on it. No Whoosh here: a second process makes the fields of the documents
ahead while Whoosh writes those before them (see `prepared`)."""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

from briefreader.core.annotations import AnnotationStore
from briefreader.core.corpus import Corpus, Document
from briefreader.core.errors import AnnotationError, DocumentError, Problem
from briefreader.core.machine import usable_cores
from briefreader.core.manifest import Manifest
from briefreader.core.models import Annotation, DocumentInfo
from briefreader.core.workspace import Workspace

SECTION_SEPARATOR = " › "
# Documents to prepare in a second process: below this many bytes in all, its start (an
# interpreter and the core's imports, 0.3-0.5 s) costs more than the work it takes over
# (normalising runs at 3-8 MB/s, against Whoosh's 0.1-0.3 MB/s)
SECOND_PROCESS_BYTES = 4_000_000
AHEAD = 3  # documents prepared ahead of the writer: enough to keep it fed, few in memory


@dataclass(frozen=True)
class Prepared:
    """A document made ready for the index."""

    sha256: str
    passages: list[dict]
    notes: dict[str, str]  # see `passage_fields`
    annotations: list[int] | None  # the stamp of its annotation file, taken before reading it
    problems: list[Problem]


def number(fields: dict) -> str:
    return str(fields["passage"])  # as a key of JSON


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
            notes[number(fields)] = hashlib.sha256(json.dumps(said).encode()).hexdigest()[:16]
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
    """Read, normalise and annotate one document for the index (a Problem if it cannot be
    read: an exception would lose its file and line crossing from a second process)."""
    # stamped before they are read: a tag saved meanwhile leaves the stamp stale, so the
    # next update indexes it
    annotations = manifest.annotations_stamp(info.id)
    try:
        document = corpus.load(info)
    except DocumentError as exc:
        return Problem.from_error(exc)
    problems: list[Problem] = []
    passages, notes = passage_fields(document, manifest.store, problems)
    return Prepared(document.sha256, passages, notes, annotations, problems)


def prepared(
    corpus: Corpus, manifest: Manifest, todo: list[tuple[DocumentInfo, bytes]]
) -> Iterator[tuple[DocumentInfo, Prepared | Problem]]:
    """Each document of `todo` (with its bytes) prepared, in order: by a second process
    that keeps a few documents ahead, when there is enough to gain and a core for it (on
    2 cores, normalising then takes nothing from Whoosh's writer), else here, one by one."""
    if sum(len(data) for _, data in todo) < SECOND_PROCESS_BYTES or usable_cores() < 2:
        for info, _ in todo:
            yield info, prepare(corpus, manifest, info)
        return
    # spawned, not forked: the process asking may run threads (a reader, a progress bar)
    pool = ProcessPoolExecutor(
        1, get_context("spawn"), initializer=_start_preparing, initargs=(corpus.workspace,)
    )
    try:
        ahead: deque[tuple[DocumentInfo, Future]] = deque()
        waiting = iter(todo)
        for info, _ in waiting:
            ahead.append((info, pool.submit(_prepare_here, info)))
            if len(ahead) == AHEAD:
                break
        while ahead:
            info, future = ahead.popleft()
            result = future.result()
            for next_info, _ in waiting:
                ahead.append((next_info, pool.submit(_prepare_here, next_info)))
                break
            yield info, result
    finally:  # also when the writer stops early (cancelled, failed): drop what is queued
        pool.shutdown(wait=False, cancel_futures=True)


_here: tuple[Corpus, Manifest] | None = None  # in the second process: its own corpus


def _start_preparing(workspace: Workspace) -> None:
    global _here
    corpus = Corpus(workspace)
    _here = corpus, Manifest(workspace.index_dir, AnnotationStore(workspace))


def _prepare_here(info: DocumentInfo) -> Prepared | Problem:
    assert _here is not None, "_start_preparing runs first"
    return prepare(*_here, info)
