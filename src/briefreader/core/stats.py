"""The coding at a glance: annotations per tag and group, share of passages annotated."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from briefreader.core.corpus import Corpus
from briefreader.core.errors import BriefreaderError
from briefreader.core.excerpts import Excerpt
from briefreader.core.models import BUILTIN_TAGS, DocumentInfo

GROUPINGS = ("doc", "side", "publisher", "annotator")


@dataclass
class Group:
    name: str
    counts: Counter[str] = field(default_factory=Counter)  # annotations per tag
    passages: int = 0  # passages in the group's documents
    annotated: set[tuple[str, int]] = field(default_factory=set)  # (doc, passage) annotated
    orphans: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def share(self) -> float:
        """Share of the group's passages that carry at least one annotation."""
        return len(self.annotated) / self.passages if self.passages else 0.0


@dataclass
class Summary:
    by: str
    tags: list[str]  # built-ins first, then any other tag in use
    groups: list[Group]
    passages: int = 0  # in the whole corpus

    @property
    def total(self) -> Group:
        everything = Group("all")
        for group in self.groups:
            everything.counts.update(group.counts)
            everything.annotated |= group.annotated
            everything.orphans += group.orphans
        everything.passages = self.passages
        return everything

    def as_json(self) -> dict:
        def row(group: Group) -> dict:
            return {
                "group": group.name,
                "counts": {tag: group.counts.get(tag, 0) for tag in self.tags},
                "total": group.total,
                "passages": group.passages,
                "annotated_passages": len(group.annotated),
                "share_annotated": round(group.share, 4),
                "orphans": group.orphans,
            }

        groups = [row(g) for g in self.groups]
        return {"by": self.by, "tags": self.tags, "groups": groups, "all": row(self.total)}


def _keys(info: DocumentInfo, by: str) -> str:
    if by == "doc":
        return info.id
    if by == "side":
        return info.side or "(no side)"
    return info.source or "(unknown)"


def summarize(
    corpus: Corpus, excerpts: list[Excerpt], by: str = "doc", tags: tuple[str, ...] = ()
) -> Summary:
    """Counts per group; every document of the corpus counts towards the passage totals."""
    if by not in GROUPINGS:
        raise BriefreaderError(f"cannot group by {by!r}; use one of {', '.join(GROUPINGS)}")
    passages: dict[str, int] = {}
    for info in corpus.documents:
        try:
            passages[info.id] = len(corpus.load(info).text.passages)
        except BriefreaderError:
            passages[info.id] = 0
    groups: dict[str, Group] = {}
    if by != "annotator":
        for info in corpus.documents:
            group = groups.setdefault(_keys(info, by), Group(_keys(info, by)))
            group.passages += passages[info.id]
    for excerpt in excerpts:
        a = excerpt.annotation
        name = (a.annotator or "(unknown)") if by == "annotator" else _keys(excerpt.info, by)
        group = groups.setdefault(name, Group(name, passages=sum(passages.values())))
        group.counts[a.tag] += 1
        if excerpt.orphaned:
            group.orphans += 1
        elif excerpt.passage is not None:
            group.annotated.add((excerpt.info.id, excerpt.passage))
    used = {e.annotation.tag for e in excerpts}
    order = [*BUILTIN_TAGS, *(t for t in tags if t not in BUILTIN_TAGS)]
    order += sorted(used - set(order))
    return Summary(by, order, sorted(groups.values(), key=lambda g: g.name), sum(passages.values()))
