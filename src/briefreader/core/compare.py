"""Comparing narratives: the counter-passages of a passage, and what each side says of a topic.

Both work on the search index: counter-passages are the passages of other documents found by
the key terms of this one; a topic is a query, its hits split by the `side` of each document.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from briefreader.core.annotations import AnnotationStore
from briefreader.core.errors import Problem
from briefreader.core.excerpts import Filters, collect
from briefreader.core.index import SearchIndex
from briefreader.core.models import DocumentInfo, Hit

NO_SIDE = "(no side)"


@dataclass(frozen=True)
class Counterpart:
    """A passage of another document on the same things, with the tags already on it."""

    hit: Hit
    info: DocumentInfo
    tags: tuple[str, ...]
    other_side: bool  # spoken for the other side of the conflict


@dataclass(frozen=True)
class Counterparts:
    terms: tuple[str, ...]  # the words of the passage that found them
    side: str  # of the passage compared
    passages: tuple[Counterpart, ...]  # the other side's first, then by relevance
    problems: tuple[Problem, ...] = ()  # annotation files that could not be read for tags


@dataclass(frozen=True)
class SideView:
    """What the documents of one side say about a topic."""

    side: str
    total: int  # matching passages
    documents: tuple[DocumentInfo, ...]  # those with a match, most matches first
    hits: tuple[Hit, ...]  # the best passages
    tags: dict[str, int]  # annotations on the matching passages, per tag


@dataclass(frozen=True)
class Topic:
    sides: tuple[SideView, ...]  # in the catalog's order of first mention
    problems: tuple[Problem, ...] = ()  # annotation files that could not be read for tags


def counter_passages(
    index: SearchIndex, store: AnnotationStore, doc_id: str, passage: int, limit: int = 20
) -> Counterparts:
    """The passages of other documents that speak of what this passage speaks of."""
    infos = {info.id: info for info in index.corpus.documents}
    side = infos[doc_id].side if doc_id in infos else ""
    terms, hits = index.similar(doc_id, passage, limit=limit)  # the most relevant, then:
    hits = tuple(hit for hit in hits if hit.doc_id in infos)
    tags, problems = _tags_on(index, store, {(hit.doc_id, hit.passage) for hit in hits})
    found = [
        Counterpart(
            hit,
            infos[hit.doc_id],
            tuple(sorted(tags[hit.doc_id, hit.passage])),
            bool(side) and infos[hit.doc_id].side.casefold() not in ("", side.casefold()),
        )
        for hit in hits
    ]
    found.sort(key=lambda item: not item.other_side)  # stable: relevance within each group
    return Counterparts(terms, side, tuple(found), problems)


def topic(index: SearchIndex, store: AnnotationStore, query: str, per_side: int = 20) -> Topic:
    """The query's matches split by side."""
    infos = {info.id: info for info in index.corpus.documents}
    matched = index.passages(query)  # a QueryError for a bad query comes first
    sides = list(dict.fromkeys(info.side or NO_SIDE for info in infos.values()))
    per_doc = Counter(doc for doc, _ in matched)
    tags, problems = _tags_on(index, store, matched)
    views = []
    for side in sides:
        docs = [i for i in infos.values() if (i.side or NO_SIDE) == side and per_doc[i.id]]
        if not docs:
            continue
        ids = {info.id for info in docs}
        counts: Counter[str] = Counter()
        for (doc, _), on_passage in tags.items():
            if doc in ids:
                counts.update(on_passage)
        hits = () if side == NO_SIDE else index.search(query, per_side, side=side).hits
        views.append(
            SideView(
                side,
                sum(per_doc[doc] for doc in ids),
                tuple(sorted(docs, key=lambda info: -per_doc[info.id])),
                hits,
                dict(counts.most_common()),
            )
        )
    return Topic(tuple(views), problems)


def _tags_on(
    index: SearchIndex, store: AnnotationStore, passages: set[tuple[str, int]]
) -> tuple[defaultdict[tuple[str, int], list[str]], tuple[Problem, ...]]:
    """The tags of the annotations that start in each of these passages, and the files
    that could not be read for them."""
    tags: defaultdict[tuple[str, int], list[str]] = defaultdict(list)
    docs = tuple({doc for doc, _ in passages})
    if not docs:
        return tags, ()
    filters = Filters(docs=docs, passages=passages, orphaned=False)
    collection = collect(index.corpus, store, filters)
    for excerpt in collection.excerpts:
        tags[excerpt.info.id, excerpt.passage or 0].append(excerpt.annotation.tag)
    return tags, tuple(collection.problems)
