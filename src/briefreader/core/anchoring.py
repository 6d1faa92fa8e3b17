"""Re-anchoring: where a stored quote lies in the current text of its document, if anywhere.

Held to a stricter bar than Hypothesis, which applies its best fuzzy candidate whatever the
score: a match is applied only when it is unambiguous; a plausible but uncertain one is
offered for review; anything else is orphaned, never moved onto look-alike text.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from briefreader.core.models import Target

CONTEXT = 32  # characters of prefix and suffix stored with a quote
MIN_FUZZY_QUOTE = 16  # shorter quotes match too much by chance to be moved fuzzily
SHORT_QUOTE = 40  # below this, a fuzzy match must be closer the shorter the quote
FUZZY_ACCEPT = 75.0  # rapidfuzz partial-ratio score (0-100) to relocate
FUZZY_REVIEW = 60.0  # ... to offer a candidate for review
MARGIN = 0.15  # how far the best exact occurrence must beat the runner-up (score 0-1)
FUZZY_MARGIN = 5.0  # ... and the best fuzzy candidate (points of 0-100, similarity and context)
FUZZY_CANDIDATES = 5  # inexact candidates compared before one is trusted


class AnchorState(StrEnum):
    ANCHORED = "anchored"  # the exact quote, at its position or unambiguously elsewhere
    RELOCATED = "relocated"  # a confident fuzzy match
    REVIEW = "needs review"  # a plausible candidate, not applied
    ORPHANED = "orphaned"  # nothing fits


@dataclass(frozen=True, slots=True)
class Anchor:
    state: AnchorState
    start: int  # the placed (or candidate) span; (-1, -1) when orphaned
    end: int
    score: float = 1.0

    @property
    def placed(self) -> bool:
        return self.state in (AnchorState.ANCHORED, AnchorState.RELOCATED)


ORPHAN = Anchor(AnchorState.ORPHANED, -1, -1, 0.0)


def context_of(text: str, start: int, end: int) -> tuple[str, str]:
    """The prefix and suffix stored with a quote at text[start:end]. They cross paragraph
    breaks on purpose: a whole-paragraph quote needs its neighbours to be told apart from a
    look-alike paragraph elsewhere."""
    return text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT]


def _similarity(a: str, b: str) -> float:
    if a == b:  # the common case, an annotation in place: no need to diff
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _sides(
    text: str, start: int, end: int, prefix: str, suffix: str, given: tuple[bool, bool]
) -> tuple[float, float]:
    """How well the text before and after [start, end) agrees with the stored context. An
    empty side that was given (see _given) means the quote began (or ended) the text: it
    agrees only where the candidate does too. A side that was not given says nothing: it
    counts as the other side does, and as no agreement when neither was given."""
    before: float | None = None
    after: float | None = None
    if prefix:
        before = _similarity(text[max(0, start - len(prefix)) : start], prefix)
    elif given[0]:
        before = float(start == 0)
    if suffix:
        after = _similarity(text[end : end + len(suffix)], suffix)
    elif given[1]:
        after = float(end == len(text))
    if before is None:
        before = 0.0 if after is None else after
    if after is None:
        after = before
    return before, after


def _given(target: Target) -> tuple[bool, bool]:
    """Whether the target's prefix and suffix were given, even when empty. briefreader stores
    CONTEXT characters on each side, fewer only at the text's edges (context_of), so its
    empty prefix says the quote began the text and its empty suffix that it ended it. A W3C
    TextQuoteSelector made elsewhere may leave either out, saying nothing by it (imported
    with offsets 0..0 when it has no TextPositionSelector): a target whose offsets and prefix
    are not what briefreader stores has given only its non-empty sides."""
    ours = target.end - target.start == len(target.quote) and len(target.prefix) == min(
        CONTEXT, target.start
    )
    return bool(target.prefix) or ours, bool(target.suffix) or ours


def anchor(text: str, target: Target) -> Anchor:
    """Place a stored quote in `text`; see the module docstring for the rules."""
    quote, prefix, suffix = target.quote, target.prefix, target.suffix
    start, end = target.start, target.end
    if not quote:
        return ORPHAN
    given = _given(target)
    if start >= 0 and text[start:end] == quote:
        before, after = _sides(text, start, end, prefix, suffix, given)
        if (before + after) / 2 >= 0.5:  # same place, same words: one side may have changed
            return Anchor(AnchorState.ANCHORED, start, end, (before + after) / 2)
    exact = _exact(text, quote, prefix, suffix, start, given)
    if exact is not None:
        return exact
    return _fuzzy(text, quote, prefix, suffix, start, given)


def _agrees(sides: tuple[float, float]) -> bool:
    """A quote moves to inexact text only where both neighbours still agree, one of them
    closely: agreeing loosely, or on one side only, is what look-alikes around a damaged
    original do (hypothesis/client#7571)."""
    return min(sides) >= 0.75 and max(sides) >= 0.9


def _exact(
    text: str, quote: str, prefix: str, suffix: str, old: int, given: tuple[bool, bool]
) -> Anchor | None:
    occurrences = []
    at = text.find(quote)
    while at >= 0 and len(occurrences) < 1000:
        occurrences.append(at)
        at = text.find(quote, at + 1)
    if not occurrences:
        return None
    span = max(len(text), 1)
    scored = sorted(
        (
            0.8 * sum(_sides(text, at, at + len(quote), prefix, suffix, given)) / 2
            + 0.2 * (1 - abs(at - old) / span),
            at,
        )
        for at in occurrences
    )
    best, at = scored[-1]
    runner_up = scored[-2][0] if len(scored) > 1 else 0.0
    sides = _sides(text, at, at + len(quote), prefix, suffix, given)
    # the same words with one neighbour intact (the text before or after was edited) is
    # the same place, unless the original still stands, edited, where the quote was
    if len(scored) == 1 and not prefix and not suffix and len(quote) >= MIN_FUZZY_QUOTE:
        # a quote alone (imported with a TextQuoteSelector only) that occurs once
        return Anchor(AnchorState.ANCHORED, at, at + len(quote), best)
    confident = (
        best - runner_up >= MARGIN
        and sum(sides) / 2 >= 0.5
        and (max(sides) >= 0.9 or not _still_there(text, quote, old, at))
    )
    state = AnchorState.ANCHORED if confident else AnchorState.REVIEW
    return Anchor(state, at, at + len(quote), best)


def _still_there(text: str, quote: str, old: int, found: int) -> bool:
    """Whether the original still stands, damaged, where the quote was, apart from the
    candidate found: text much like the quote is there, or the quote's own neighbours are,
    with what is left of it between them. The candidate is then a look-alike, and moving
    the annotation onto it would misplace it (hypothesis/client#7571)."""
    length = len(quote)
    if length < MIN_FUZZY_QUOTE:
        return False
    from rapidfuzz import fuzz  # only for an inexact match: off the reader's start

    masked = text[:found] + "\0" * length + text[found + length :]
    window = masked[max(0, old - length) : old + 2 * length]
    return fuzz.partial_ratio(quote, window) >= FUZZY_REVIEW


def _neighbours_still_there(
    text: str, prefix: str, suffix: str, old: int, length: int, start: int, end: int
) -> bool:
    """Whether the stored prefix or suffix still stands around the old place, away from the
    candidate [start, end): the quote was damaged in place, not moved."""
    if len(suffix) >= 8:
        at = text.find(suffix, max(0, old - length), old + length + len(suffix))
        if at >= 0 and at != end:
            return True
    if len(prefix) >= 8:
        at = text.find(prefix, max(0, old - len(prefix) - length), old + len(prefix) + length)
        if at >= 0 and at + len(prefix) != start:
            return True
    return False


def _snap(text: str, start: int, end: int, prefix: str, suffix: str) -> tuple[int, int]:
    """Fit a fuzzy match's edges to the stored context: the matcher compares windows as long
    as the quote, so a quote that grew or shrank comes back cut short or overlong."""
    slack = 12
    if len(prefix) >= 6:
        at = text.rfind(prefix[-6:], max(0, start - slack - 6), start + slack)
        if at >= 0:
            start = at + 6
    if len(suffix) >= 6:
        at = text.find(suffix[:6], max(start, end - slack), end + slack)
        if at >= 0:
            end = at
    return start, end


def _accept_score(length: int) -> float:
    """FUZZY_ACCEPT for quotes of SHORT_QUOTE characters and more; up to 90 for the shortest:
    a few changed letters in a short quote are enough for chance look-alikes."""
    shortfall = max(0, SHORT_QUOTE - length) / (SHORT_QUOTE - MIN_FUZZY_QUOTE)
    return FUZZY_ACCEPT + shortfall * (90.0 - FUZZY_ACCEPT)


def _fuzzy(
    text: str, quote: str, prefix: str, suffix: str, old: int, given: tuple[bool, bool]
) -> Anchor:
    """The best inexact match, applied only if it clearly beats every other candidate on
    similarity and context together, with both neighbours agreeing."""
    if len(quote) < MIN_FUZZY_QUOTE:
        return ORPHAN
    from rapidfuzz import fuzz  # only for an inexact match: off the reader's start

    candidates = []  # (combined score, similarity, start, end, sides)
    masked = text
    for _ in range(FUZZY_CANDIDATES):
        found = fuzz.partial_ratio_alignment(quote, masked, score_cutoff=FUZZY_REVIEW)
        if found is None:
            break
        start, end = _snap(text, found.dest_start, found.dest_end, prefix, suffix)
        sides = _sides(text, start, end, prefix, suffix, given)
        combined = 0.7 * found.score / 100 + 0.3 * sum(sides) / 2
        candidates.append((combined, found.score, start, end, sides))
        masked = (
            masked[: found.dest_start]
            + "\0" * (found.dest_end - found.dest_start)
            + masked[found.dest_end :]
        )
    if not candidates:
        return ORPHAN
    candidates.sort(reverse=True)
    combined, score, start, end, sides = candidates[0]
    runner_up = candidates[1][0] if len(candidates) > 1 else 0.0
    confident = (
        score >= _accept_score(len(quote))
        and combined - runner_up >= FUZZY_MARGIN / 100
        and _agrees(sides)
        and not _still_there(text, quote, old, start)
        and not _neighbours_still_there(text, prefix, suffix, old, len(quote), start, end)
    )
    state = AnchorState.RELOCATED if confident else AnchorState.REVIEW
    return Anchor(state, start, end, score / 100)
