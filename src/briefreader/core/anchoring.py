"""Re-anchoring: where a stored quote lies in the current text of its document, if anywhere.

Held to a stricter bar than Hypothesis, which applies its best fuzzy candidate whatever the
score: a match is applied only when it is unambiguous; a plausible but uncertain one is
offered for review; anything else is orphaned, never moved onto look-alike text.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from rapidfuzz import fuzz

from briefreader.core.models import Target

CONTEXT = 32  # characters of prefix and suffix stored with a quote
MIN_FUZZY_QUOTE = 16  # shorter quotes match too much by chance to be moved fuzzily
FUZZY_ACCEPT = 75.0  # rapidfuzz partial-ratio score (0-100) to relocate
FUZZY_REVIEW = 60.0  # ... to offer a candidate for review
MARGIN = 0.15  # how far the best exact occurrence must beat the runner-up (score 0-1)
FUZZY_MARGIN = 5.0  # ... and the best fuzzy candidate (score 0-100)


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
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _sides(text: str, start: int, end: int, prefix: str, suffix: str) -> tuple[float, float]:
    """How well the text before and after [start, end) agrees with the stored context. An
    empty stored side means the quote began (or ended) the text: it agrees only where the
    candidate does too."""
    if prefix:
        before = _similarity(text[max(0, start - len(prefix)) : start], prefix)
    else:
        before = float(start == 0)
    after = (
        _similarity(text[end : end + len(suffix)], suffix) if suffix else float(end == len(text))
    )
    return before, after


def anchor(text: str, target: Target) -> Anchor:
    """Place a stored quote in `text`; see the module docstring for the rules."""
    quote, prefix, suffix = target.quote, target.prefix, target.suffix
    start, end = target.start, target.end
    if not quote:
        return ORPHAN
    if start >= 0 and text[start:end] == quote:
        before, after = _sides(text, start, end, prefix, suffix)
        if (before + after) / 2 >= 0.5:  # same place, same words: one side may have changed
            return Anchor(AnchorState.ANCHORED, start, end, (before + after) / 2)
    exact = _exact(text, quote, prefix, suffix, start)
    if exact is not None:
        return exact
    return _fuzzy(text, quote, prefix, suffix, start)


def _agrees(sides: tuple[float, float]) -> bool:
    """A quote moves to inexact text only where *both* neighbours still agree: agreeing on
    one side is what a look-alike next to the deleted original does (hypothesis/client#7571)."""
    return min(sides) >= 0.5


def _exact(text: str, quote: str, prefix: str, suffix: str, old: int) -> Anchor | None:
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
            0.8 * sum(_sides(text, at, at + len(quote), prefix, suffix)) / 2
            + 0.2 * (1 - abs(at - old) / span),
            at,
        )
        for at in occurrences
    )
    best, at = scored[-1]
    runner_up = scored[-2][0] if len(scored) > 1 else 0.0
    sides = _sides(text, at, at + len(quote), prefix, suffix)
    # the same words with one neighbour intact (the text before or after was edited) is
    # the same place, unless the original still stands, edited, where the quote was
    confident = (
        best - runner_up >= MARGIN
        and sum(sides) / 2 >= 0.5
        and (max(sides) >= 0.9 or not _still_there(text, quote, old, at))
    )
    state = AnchorState.ANCHORED if confident else AnchorState.REVIEW
    return Anchor(state, at, at + len(quote), best)


def _still_there(text: str, quote: str, old: int, found: int) -> bool:
    """Whether text much like the quote still stands where the quote was, apart from the
    candidate found: the original was edited, and the candidate may be a look-alike that
    would misplace the annotation (hypothesis/client#7571)."""
    length = len(quote)
    if length < MIN_FUZZY_QUOTE:
        return False
    masked = text[:found] + "\0" * length + text[found + length :]
    window = masked[max(0, old - length) : old + 2 * length]
    return fuzz.partial_ratio(quote, window) >= FUZZY_REVIEW


def _fuzzy(text: str, quote: str, prefix: str, suffix: str, old: int) -> Anchor:
    if len(quote) < MIN_FUZZY_QUOTE:
        return ORPHAN
    best = fuzz.partial_ratio_alignment(quote, text, score_cutoff=FUZZY_REVIEW)
    if best is None:
        return ORPHAN
    start, end = best.dest_start, best.dest_end
    # the runner-up: the best match once the winner's text is blanked out
    masked = text[:start] + "\0" * (end - start) + text[end:]
    second = fuzz.partial_ratio_alignment(quote, masked, score_cutoff=FUZZY_REVIEW)
    runner_up = second.score if second is not None else 0.0
    confident = (
        best.score >= FUZZY_ACCEPT
        and best.score - runner_up >= FUZZY_MARGIN
        and _agrees(_sides(text, start, end, prefix, suffix))
        and not _still_there(text, quote, old, start)
    )
    state = AnchorState.RELOCATED if confident else AnchorState.REVIEW
    return Anchor(state, start, end, best.score / 100)
