"""Agreement between coders: Cohen's kappa and Krippendorff's alpha per tag, at passage level.

The unit of analysis is a passage (document, passage number). Each coder (an annotation's
`annotator`) gives every passage of a document they coded one value per tag, "present" or
"absent", and one overall nominal value: the set of tags they put on it ("disputed+factual"),
or "none". An annotation counts for every passage its span overlaps.

Missing data: a coder *coded* a document when they have at least one annotation in its file
(placed or not, any tag). Only then do the passages they left untagged count as "absent";
for any other document the coder is missing, not "absent". Without that rule a coder who
never opened a document would seem to disagree with everyone who tagged it. Annotations that
cannot be placed (orphaned, needing review) sit on no passage and are counted apart; the two
versions of an unresolved conflict (`conflict_with`) both count until one is deleted.

Both coefficients are computed here by hand with exact fractions (the formulas are short and
PyPI's `krippendorff` would bring numpy for them); the tests hold them to published worked
examples. A coefficient that cannot be computed (one coder, no shared passages, every value
the same) is None with the reason, never a division by zero.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations

from briefreader.core.annotations import AnnotationStore
from briefreader.core.corpus import Corpus
from briefreader.core.errors import BriefreaderError, Problem
from briefreader.core.models import BUILTIN_TAGS, DocumentInfo, NormalizedText

PRESENT = "present"
ABSENT = "absent"
NONE_LABEL = "none"  # the overall value of a passage that a coder left untagged
TAG_SET = "(tag set)"  # the name of the overall nominal variable, beside the tags
UNKNOWN_CODER = "(unknown)"  # annotations without an annotator
GROUPINGS = ("side", "doc")
EXCERPT_CHARS = 100


# -- the coefficients --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Coefficient:
    """A reliability coefficient, or None with the reason it is undefined."""

    value: float | None
    reason: str = ""

    @property
    def defined(self) -> bool:
        return self.value is not None

    def as_json(self) -> float | str:
        """The value rounded to 4 places, or the reason it is undefined."""
        return round(self.value, 4) if self.value is not None else f"undefined: {self.reason}"


@dataclass(frozen=True)
class Confusion:
    """Two coders' values on the units both coded: rows are the first coder's values,
    columns the second's."""

    coders: tuple[str, str]
    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    @property
    def total(self) -> int:
        return sum(map(sum, self.counts))

    def count(self, first: str, second: str) -> int:
        return self.counts[self.labels.index(first)][self.labels.index(second)]

    def as_json(self) -> dict:
        return {
            "rows": self.coders[0],
            "columns": self.coders[1],
            "labels": list(self.labels),
            "counts": [list(row) for row in self.counts],
        }


def confusion_table(
    pairs: Iterable[tuple[str, str]],
    coders: tuple[str, str] = ("first", "second"),
    labels: Sequence[str] = (),
) -> Confusion:
    """Cross-tabulate pairs of values; `labels` fixes the order (others follow, sorted)."""
    counts = Counter(pairs)
    seen = {value for pair in counts for value in pair}
    order = [*labels, *sorted(seen - set(labels))]
    rows = tuple(tuple(counts[(a, b)] for b in order) for a in order)
    return Confusion(coders, tuple(order), rows)


def cohen_kappa_table(counts: Sequence[Sequence[int]]) -> Coefficient:
    """Cohen's kappa of a square table: counts[i][j] units the first coder put in category
    i and the second in category j. kappa = (p_o - p_e) / (1 - p_e)."""
    size = len(counts)
    if any(len(row) != size for row in counts):
        raise ValueError("a confusion table must be square")
    total = sum(map(sum, counts))
    if total == 0:
        return Coefficient(None, "no unit was coded by both coders")
    observed = Fraction(sum(counts[i][i] for i in range(size)), total)
    rows = [sum(row) for row in counts]
    columns = [sum(row[j] for row in counts) for j in range(size)]
    expected = sum(Fraction(rows[i] * columns[i], total * total) for i in range(size))
    if expected == 1:
        return Coefficient(
            None, "both coders gave every shared unit the same single value: nothing to compare"
        )
    return Coefficient(float((observed - expected) / (1 - expected)))


def cohen_kappa(pairs: Iterable[tuple[Hashable, Hashable]]) -> Coefficient:
    """Cohen's kappa of two coders' values on the units both coded, one pair per unit."""
    counts = Counter(pairs)
    labels = sorted({value for pair in counts for value in pair}, key=repr)
    return cohen_kappa_table([[counts[(a, b)] for b in labels] for a in labels])


def krippendorff_alpha(units: Iterable[Iterable[Hashable | None]]) -> Coefficient:
    """Krippendorff's alpha for nominal data, any number of coders, missing values allowed.

    Each unit is the values the coders gave it, None for a coder who did not code it (or
    simply left out). Units with fewer than two values are not pairable and are ignored.
    Computed through the coincidence matrix (Krippendorff 2011): alpha = 1 - (n - 1) *
    sum of off-diagonal coincidences / sum over c != k of n_c * n_k.
    """
    disagreeing = Fraction(0)  # sum over c != k of o_ck
    totals: Counter[Hashable] = Counter()  # n_c: pairable values per category
    for unit in units:
        values = Counter(v for v in unit if v is not None)
        m = sum(values.values())
        if m < 2:
            continue
        totals.update(values)
        # Each ordered pair of values from different coders adds 1 / (m - 1) to o_ck.
        different = m * m - sum(count * count for count in values.values())
        disagreeing += Fraction(different, m - 1)
    n = sum(totals.values())
    if n == 0:
        return Coefficient(None, "no unit was coded by two or more coders")
    expected = n * n - sum(count * count for count in totals.values())  # sum of n_c n_k, c != k
    if expected == 0:
        only = next(iter(totals))
        return Coefficient(
            None, f"every coder gave every unit the same value ({only}): no variation to compare"
        )
    return Coefficient(float(1 - (n - 1) * disagreeing / expected))


# -- passage-level comparison of coders --------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A passage and the tags each coder who coded its document put on it."""

    doc_id: str
    passage: int
    excerpt: str  # the start of the passage text
    tags: Mapping[str, frozenset[str]]  # coder -> tags (empty: none); absent coder: missing


@dataclass(frozen=True)
class Disagreement:
    doc_id: str
    passage: int
    excerpt: str
    labels: dict[str, str]  # coder -> value of the variable ("present", or "disputed+factual")
    tags: dict[str, tuple[str, ...]]  # coder -> every tag they put on the passage

    def as_json(self) -> dict:
        return {
            "doc": self.doc_id,
            "passage": self.passage,
            "excerpt": self.excerpt,
            "labels": self.labels,
            "tags": {coder: list(tags) for coder, tags in self.tags.items()},
        }


@dataclass(frozen=True)
class PairAgreement:
    """Two coders on the units both coded."""

    coders: tuple[str, str]
    units: int
    observed: float | None  # share of those units with the same value
    kappa: Coefficient
    confusion: Confusion

    def as_json(self) -> dict:
        return {
            "coders": list(self.coders),
            "units": self.units,
            "observed_agreement": None if self.observed is None else round(self.observed, 4),
            "kappa": self.kappa.as_json(),
            "confusion": self.confusion.as_json(),
        }


@dataclass(frozen=True)
class TagAgreement:
    """Agreement on one variable: a tag (present/absent) or the overall tag set."""

    tag: str
    coders: tuple[str, ...]
    units: int  # passages coded by two or more coders (pairable)
    observed: float | None  # share of those passages on which all their coders agree
    alpha: Coefficient
    kappa: Coefficient  # Cohen's kappa, when exactly two coders
    confusion: Confusion | None  # when exactly two coders
    pairs: tuple[PairAgreement, ...]  # every pair of coders (one pair when two coders)
    disagreements: tuple[Disagreement, ...]

    def as_json(self) -> dict:
        return {
            "tag": self.tag,
            "coders": list(self.coders),
            "units": self.units,
            "observed_agreement": None if self.observed is None else round(self.observed, 4),
            "alpha": self.alpha.as_json(),
            "kappa": self.kappa.as_json(),
            "confusion": self.confusion.as_json() if self.confusion else None,
            "pairs": [pair.as_json() for pair in self.pairs],
            "disagreements": [d.as_json() for d in self.disagreements],
        }


@dataclass(frozen=True)
class GroupAgreement:
    """Agreement within a group of documents (all of them, one side, or one document)."""

    name: str
    documents: tuple[str, ...]
    coders: tuple[str, ...]
    units: int  # passages of the group's documents coded by at least one coder
    tags: tuple[TagAgreement, ...]
    overall: TagAgreement  # the tag set of each passage as one nominal value

    def as_json(self) -> dict:
        return {
            "group": self.name,
            "documents": list(self.documents),
            "coders": list(self.coders),
            "units": self.units,
            "tags": [tag.as_json() for tag in self.tags],
            "overall": self.overall.as_json(),
        }


@dataclass
class AgreementReport:
    by: str | None  # None: one group of every document
    coders: list[str]
    coded: dict[str, list[str]]  # coder -> the documents they coded (see the module docstring)
    tags: list[str]
    groups: list[GroupAgreement]
    unplaced: int = 0  # annotations left out: orphaned or needing review, so on no passage
    problems: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "by": self.by,
            "coders": self.coders,
            "coded": self.coded,
            "tags": self.tags,
            "unplaced_annotations": self.unplaced,
            "groups": [group.as_json() for group in self.groups],
            "problems": [str(p) for p in self.problems],
        }


def agreement(
    corpus: Corpus,
    store: AnnotationStore,
    *,
    doc: str | None = None,
    by: str | None = None,
    tags: Sequence[str] = (),
    coders: Sequence[str] = (),
) -> AgreementReport:
    """Compare the coders of a workspace, per tag and overall.

    `doc`: only this document (an id or a unique fragment, as `Corpus.find` takes it);
    `by`: "side" (the catalog's side) or "doc" groups the documents, None keeps them together;
    `tags`: the tags to compare (default: every tag the coders used, built-ins first);
    `coders`: only these annotators (default: all). Unreadable documents or annotation files
    are reported in `problems` and left out.
    """
    if by is not None and by not in GROUPINGS:
        raise BriefreaderError(f"cannot group by {by!r}; use one of {', '.join(GROUPINGS)}")
    problems: list[Problem] = []
    if doc is not None:
        documents = [corpus.find(doc)]
    else:
        annotated = set(store.doc_ids())
        documents = [info for info in corpus.documents if info.id in annotated]
        known = {info.id for info in corpus.documents}
        for missing in sorted(annotated - known):
            problems.append(
                Problem(
                    store.path_for(missing),
                    f"no document {missing} in corpus/; its annotations are not compared",
                    severity="warning",
                )
            )
    wanted = set(coders)
    units: list[tuple[DocumentInfo, Unit]] = []
    coded: dict[str, set[str]] = defaultdict(set)
    used: set[str] = set()
    unplaced = 0
    for info in documents:
        try:
            document = corpus.load(info)
            placed = store.place(info.id, document.text)
        except BriefreaderError as exc:
            problems.append(Problem.from_error(exc))
            continue
        marks: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        readers: set[str] = set()
        for item in placed:
            coder = item.annotation.annotator or UNKNOWN_CODER
            if wanted and coder not in wanted:
                continue
            readers.add(coder)
            if not item.anchor.placed:
                unplaced += 1
                continue
            used.add(item.annotation.tag)
            for number in _passages_overlapping(document.text, item.anchor.start, item.anchor.end):
                marks[number][coder].add(item.annotation.tag)
        for coder in readers:
            coded[coder].add(info.id)
        if not readers:
            continue
        for passage in document.text.passages:
            values = {c: frozenset(marks[passage.number].get(c, ())) for c in sorted(readers)}
            excerpt = _excerpt(passage.text)
            units.append((document.info, Unit(info.id, passage.number, excerpt, values)))
    chosen = list(tags) or [
        *(t for t in BUILTIN_TAGS if t in used),
        *sorted(used - set(BUILTIN_TAGS)),
    ]
    groups: dict[str, list[Unit]] = {}
    for info, unit in units:
        name = "all" if by is None else info.id if by == "doc" else (info.side or "(no side)")
        groups.setdefault(name, []).append(unit)
    if not groups and by is None:
        groups["all"] = []
    return AgreementReport(
        by=by,
        coders=sorted(coded),
        coded={coder: sorted(docs) for coder, docs in sorted(coded.items())},
        tags=chosen,
        groups=[compare(name, group, chosen) for name, group in sorted(groups.items())],
        unplaced=unplaced,
        problems=problems,
    )


def compare(name: str, units: Sequence[Unit], tags: Sequence[str]) -> GroupAgreement:
    """Agreement within one group of passages: per tag, and on the tag set as a whole."""
    coders = tuple(sorted({coder for unit in units for coder in unit.tags}))
    wanted = set(tags)

    def tag_set(values: frozenset[str]) -> str:
        chosen = sorted(values & wanted)
        return "+".join(chosen) if chosen else NONE_LABEL

    per_tag = tuple(
        _variable(
            tag,
            coders,
            units,
            lambda values, tag=tag: PRESENT if tag in values else ABSENT,
            (PRESENT, ABSENT),
            wanted,
        )
        for tag in tags
    )
    overall = _variable(TAG_SET, coders, units, tag_set, (), wanted)
    documents = tuple(dict.fromkeys(unit.doc_id for unit in units))
    return GroupAgreement(name, documents, coders, len(units), per_tag, overall)


def _variable(
    name: str,
    coders: tuple[str, ...],
    units: Sequence[Unit],
    label: Callable[[frozenset[str]], str],
    order: Sequence[str],
    wanted: set[str],
) -> TagAgreement:
    labelled = [(unit, {c: label(tags) for c, tags in unit.tags.items()}) for unit in units]
    pairable = [(unit, values) for unit, values in labelled if len(values) >= 2]
    alpha = krippendorff_alpha(values.values() for _, values in pairable)
    if len(coders) < 2:
        alpha = Coefficient(None, f"{len(coders)} coder(s): agreement needs two or more")
    agreeing = sum(1 for _, values in pairable if len(set(values.values())) == 1)
    observed = agreeing / len(pairable) if pairable else None
    disagreements = tuple(
        Disagreement(
            unit.doc_id,
            unit.passage,
            unit.excerpt,
            dict(values),
            {c: tuple(sorted(tags & wanted)) for c, tags in unit.tags.items()},
        )
        for unit, values in pairable
        if len(set(values.values())) > 1
    )
    pairs = tuple(
        _pair(first, second, labelled, order) for first, second in combinations(coders, 2)
    )
    if len(pairs) == 1:
        kappa, confusion = pairs[0].kappa, pairs[0].confusion
    else:
        reason = (
            f"{len(coders)} coders: Cohen's kappa compares exactly two; see the pairs"
            if len(coders) > 2
            else f"{len(coders)} coder(s): agreement needs two"
        )
        kappa, confusion = Coefficient(None, reason), None
    return TagAgreement(
        name, coders, len(pairable), observed, alpha, kappa, confusion, pairs, disagreements
    )


def _pair(
    first: str,
    second: str,
    labelled: Sequence[tuple[Unit, dict[str, str]]],
    order: Sequence[str],
) -> PairAgreement:
    shared = [
        (values[first], values[second])
        for _, values in labelled
        if first in values and second in values
    ]
    confusion = confusion_table(shared, (first, second), order)
    kappa = cohen_kappa_table(confusion.counts)
    if not shared:
        kappa = Coefficient(None, f"{first} and {second} coded no document in common")
    observed = sum(1 for a, b in shared if a == b) / len(shared) if shared else None
    return PairAgreement((first, second), len(shared), observed, kappa, confusion)


def _passages_overlapping(text: NormalizedText, start: int, end: int) -> list[int]:
    """The passages a span touches (a span inside one passage touches just that one)."""
    first = text.passage_at(start)
    numbers = []
    for passage in text.passages[(first.number - 1 if first else 0) :]:
        if passage.start >= max(end, start + 1):
            break
        if passage.end > start:
            numbers.append(passage.number)
    return numbers


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1].rstrip() + "…"
