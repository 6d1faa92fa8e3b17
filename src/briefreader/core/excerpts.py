"""Annotated excerpts gathered from the workspace, with their citations, and the filters on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from briefreader.core.anchoring import AnchorState
from briefreader.core.annotations import AnnotationStore
from briefreader.core.corpus import Corpus
from briefreader.core.errors import BriefreaderError, Problem
from briefreader.core.models import Annotation, DocumentInfo

CONTEXT_CHARS = 160  # of the passage text shown before and after an excerpt


@dataclass(frozen=True)
class Excerpt:
    """One annotation with everything needed to cite it."""

    info: DocumentInfo
    annotation: Annotation
    state: AnchorState
    start: int  # where the quote lies now (the stored offsets if it is not placed)
    end: int
    passage: int | None  # number of the passage holding it, if placed
    section: str  # heading path, " › " joined
    before: str  # context inside the passage, for reading the quote in place
    after: str

    @property
    def orphaned(self) -> bool:
        return self.state not in (AnchorState.ANCHORED, AnchorState.RELOCATED)


@dataclass
class Filters:
    """Conditions that combine with AND; an empty one lets everything through."""

    tags: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()  # document ids
    sides: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()  # any part of publisher or author, any case
    annotators: tuple[str, ...] = ()
    since: str = ""  # ISO date prefix: documents whose date range reaches it
    until: str = ""
    orphaned: bool | None = None  # True: only orphans; False: only placed annotations
    passages: set[tuple[str, int]] | None = None  # from a search query: (doc id, passage)

    def admits_document(self, info: DocumentInfo) -> bool:
        if self.docs and info.id not in self.docs:
            return False
        if self.sides and info.side.casefold() not in {s.casefold() for s in self.sides}:
            return False
        source = f"{info.publisher} {info.author}".casefold()
        if self.publishers and not any(p.casefold() in source for p in self.publishers):
            return False
        first, _, last = info.date.partition("/")
        last = last or first
        if self.since and (not last or last < self.since[: len(last)]):
            return False
        return not (self.until and (not first or first[: len(self.until)] > self.until))

    def admits(self, excerpt: Excerpt) -> bool:
        a = excerpt.annotation
        if self.tags and a.tag not in self.tags:
            return False
        if self.annotators and a.annotator not in self.annotators:
            return False
        if self.orphaned is not None and excerpt.orphaned != self.orphaned:
            return False
        if self.passages is not None:
            return (excerpt.info.id, excerpt.passage or 0) in self.passages
        return True


@dataclass
class Collection:
    excerpts: list[Excerpt] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def collect(
    corpus: Corpus,
    store: AnnotationStore,
    filters: Filters | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Collection:
    """Every annotation that passes the filters, in document then reading order."""
    filters = filters or Filters()
    result = Collection()
    annotated = set(store.doc_ids())
    documents = [
        info for info in corpus.documents if info.id in annotated and filters.admits_document(info)
    ]
    for done, info in enumerate(documents):
        if progress:
            progress(done, len(documents), info.id)
        try:
            document = corpus.load(info)
            placed = store.place(info.id, document.text)
        except BriefreaderError as exc:
            result.problems.append(Problem.from_error(exc))
            continue
        info = document.info
        text = document.text
        for item in placed:
            a, anchor = item.annotation, item.anchor
            start, end = (
                (anchor.start, anchor.end)
                if anchor.placed
                else (
                    a.target.start,
                    a.target.end,
                )
            )
            passage = text.passage_at(start) if anchor.placed else None
            section = " › ".join(passage.section.path) if passage and passage.section else ""
            before = after = ""
            if passage is not None:
                before = text.text[max(passage.start, start - CONTEXT_CHARS) : start]
                after = text.text[end : min(passage.end, end + CONTEXT_CHARS)]
            excerpt = Excerpt(
                info,
                a,
                anchor.state,
                start,
                end,
                passage.number if passage else None,
                section,
                before,
                after,
            )
            if filters.admits(excerpt):
                result.excerpts.append(excerpt)
    if progress:
        progress(len(documents), len(documents), "")
    return result
