"""Annotated excerpts gathered from the workspace, with their citations, and the filters on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from briefreader.core.anchoring import AnchorState
from briefreader.core.annotations import AnnotationStore
from briefreader.core.corpus import Corpus
from briefreader.core.errors import AnnotationError, BriefreaderError, Problem
from briefreader.core.models import INVERSE_RELATIONS, Annotation, DocumentInfo, Link

CONTEXT_CHARS = 160  # of the passage text shown before and after an excerpt


@dataclass(frozen=True)
class LinkEnd:
    """The other end of a link, as an export shows it: the relation, the annotation at the
    other end and the words it quotes."""

    relation: str
    doc: str
    id: str
    title: str  # the other document's title; its id when it is not in the corpus
    quote: str  # the other annotation's quote; "" when it cannot be found
    incoming: bool = False  # the other annotation links to this one

    @property
    def found(self) -> bool:
        return bool(self.quote)

    @property
    def label(self) -> str:
        """The relation as read from this end: "contradicts", or "contradicted by"."""
        if not self.incoming:
            return self.relation
        return INVERSE_RELATIONS.get(self.relation, f"{self.relation} (from)")


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
    links: tuple[LinkEnd, ...] = ()  # what this annotation links to, in its order
    linked_from: tuple[LinkEnd, ...] = ()  # annotations that link to this one

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
    if result.excerpts:
        ends = _LinkEnds(corpus, store)
        result.excerpts = [ends.add_to(e) for e in result.excerpts]
    return result


class _LinkEnds:
    """Both ends of every link in the workspace, read once for a whole collection."""

    def __init__(self, corpus: Corpus, store: AnnotationStore) -> None:
        self.titles = {info.id: info.title for info in corpus.documents}
        self.annotations: dict[str, dict[str, Annotation]] = {}
        self.incoming: dict[tuple[str, str], list[tuple[str, Annotation, Link]]] = {}
        for doc_id in store.doc_ids():
            try:
                annotations = store.load(doc_id).annotations
            except AnnotationError:
                continue  # reported by check; its annotations are simply not found
            self.annotations[doc_id] = {a.id: a for a in annotations}
            for a in annotations:
                for link in a.links:
                    self.incoming.setdefault((link.doc, link.id), []).append((doc_id, a, link))

    def end(self, relation: str, doc: str, ident: str, incoming: bool) -> LinkEnd:
        other = self.annotations.get(doc, {}).get(ident)
        quote = other.target.quote if other is not None else ""
        return LinkEnd(relation, doc, ident, self.titles.get(doc, doc), quote, incoming)

    def add_to(self, excerpt: Excerpt) -> Excerpt:
        doc_id, a = excerpt.info.id, excerpt.annotation
        links = tuple(self.end(x.relation, x.doc, x.id, False) for x in a.links)
        linked_from = tuple(
            self.end(link.relation, source, other.id, True)
            for source, other, link in self.incoming.get((doc_id, a.id), [])
            if (source, other.id) != (doc_id, a.id)
        )
        return replace(excerpt, links=links, linked_from=linked_from)
