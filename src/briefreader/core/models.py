"""The plain values that flow between the core, the CLI and the TUI."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path

# The version of what `normalize()` makes of a text: bump it whenever a change alters its
# output, so that kept texts and indexes are made again. Kept here, not with `normalize()`,
# so that they are checked without loading it (its regular expressions take 6-10 ms).
NORMALIZER_VERSION = 3


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    QUOTE = "quote"  # an epigraph or quotation set apart from the text
    BIO = "bio"  # an author's biography box
    BYLINE = "byline"  # an author's name under a title


@dataclass(frozen=True, slots=True)
class Block:
    """A heading or a paragraph of the normalised text, with its offsets into that text."""

    kind: BlockKind
    text: str
    start: int
    end: int
    level: int = 0  # headings only: 1 for a document or essay title, 2 for a section


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the passages under it, up to the next heading."""

    number: int  # 1-based, in reading order
    title: str
    level: int
    start: int  # offset of the heading in the normalised text
    first_passage: int  # number of the first passage after the heading (may lie beyond it)
    path: tuple[str, ...]  # titles of the enclosing headings, outermost first, this one last


@dataclass(frozen=True, slots=True)
class Passage:
    """One non-heading block: the unit of search and the default unit of annotation."""

    number: int  # 1-based, in reading order
    kind: BlockKind
    text: str
    start: int
    end: int
    section: Section | None


@dataclass(frozen=True)
class NormalizedText:
    """A document rebuilt into headings and paragraphs, separated by blank lines."""

    text: str
    blocks: tuple[Block, ...]

    @cached_property
    def passages(self) -> tuple[Passage, ...]:
        passages: list[Passage] = []
        current: Section | None = None
        for block in self.blocks:
            if block.kind is BlockKind.HEADING:
                current = next(s for s in self.sections if s.start == block.start)
            else:
                passages.append(
                    Passage(
                        len(passages) + 1, block.kind, block.text, block.start, block.end, current
                    )
                )
        return tuple(passages)

    @cached_property
    def sections(self) -> tuple[Section, ...]:
        sections: list[Section] = []
        stack: list[Block] = []
        passages_before = 0
        for block in self.blocks:
            if block.kind is not BlockKind.HEADING:
                passages_before += 1
                continue
            while stack and stack[-1].level >= block.level:
                stack.pop()
            stack.append(block)
            sections.append(
                Section(
                    len(sections) + 1,
                    block.text,
                    block.level,
                    block.start,
                    passages_before + 1,
                    tuple(b.text for b in stack),
                )
            )
        return tuple(sections)

    @cached_property
    def _passage_starts(self) -> list[int]:
        return [p.start for p in self.passages]

    def passage(self, number: int) -> Passage:
        """The passage with this 1-based number; IndexError names the valid range."""
        if not 1 <= number <= len(self.passages):
            raise IndexError(f"passage {number} is not in 1..{len(self.passages)}")
        return self.passages[number - 1]

    def passage_at(self, offset: int) -> Passage | None:
        """The passage that contains `offset`, or the one just before it."""
        i = bisect.bisect_right(self._passage_starts, offset) - 1
        return self.passages[i] if i >= 0 else None


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """What is known of a corpus file before it is read: its id, file and metadata."""

    id: str  # path relative to corpus/, with forward slashes
    path: Path
    title: str
    publisher: str = ""
    author: str = ""
    date: str = ""  # ISO 8601: a year, year-month, day, or an interval "start/end"
    side: str = ""
    kind: str = ""
    description: str = ""

    @property
    def source(self) -> str:
        """Who speaks: the publisher, else the author."""
        return self.publisher or self.author

    @property
    def date_label(self) -> str:
        """The date as people write it: `2022-12/2023-02` becomes `2022-12–2023-02`."""
        return self.date.replace("/", "–")


@dataclass(frozen=True, slots=True)
class Snippet:
    """A stretch of a passage with the character spans that matched a query."""

    text: str
    matches: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    doc_id: str
    title: str
    passage: int
    section: str
    score: float
    start: int
    end: int
    snippet: Snippet


@dataclass(frozen=True, slots=True)
class SearchResults:
    query: str
    total: int  # all matching passages, not just those returned
    hits: tuple[Hit, ...] = field(default_factory=tuple)


BUILTIN_TAGS = ("factual", "disputed", "rhetorical")


@dataclass(frozen=True, slots=True)
class Target:
    """Where an annotation points: a quote with its context and offsets in the normalised text
    (W3C TextQuoteSelector + TextPositionSelector)."""

    quote: str
    prefix: str
    suffix: str
    start: int
    end: int


# What a link between two annotations says about their claims (issue 8): the annotation
# that holds the link `contradicts` the one it links to, `supports` it, or tells of the
# `same-event`.
RELATIONS = ("contradicts", "supports", "same-event")
# ... and as read from the other end, where the link is shown too
INVERSE_RELATIONS = {
    "contradicts": "contradicted by",
    "supports": "supported by",
    "same-event": "same event as",
}


@dataclass(frozen=True, slots=True)
class Link:
    """A link from the annotation that holds it to annotation `id` of document `doc`.

    A relation outside RELATIONS read from a file is kept as written (and reported by
    `check`); `extra` holds keys of the link this version does not know, kept as is."""

    doc: str
    id: str
    relation: str
    extra: tuple[tuple[str, object], ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes a link the same link: linking twice by this key is a no-op."""
        return self.doc, self.id, self.relation

    def __str__(self) -> str:
        return f"{self.relation}:{self.doc}#{self.id}"


@dataclass(frozen=True, slots=True)
class Annotation:
    id: str
    tag: str
    target: Target
    note: str = ""
    annotator: str = ""
    created: str = ""  # ISO 8601 UTC, as written in the file
    updated: str = ""
    links: tuple[Link, ...] = ()  # to annotations (by id) of this or other documents
    extra: tuple[tuple[str, object], ...] = ()  # keys this version does not know, kept as is

    def linked(self, link: Link) -> bool:
        """Whether this annotation already holds `link` (by document, id and relation)."""
        return any(existing.key == link.key for existing in self.links)
