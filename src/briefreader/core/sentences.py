"""Sentence boundaries in English prose, good enough to split walls of text and move by sentence."""

from __future__ import annotations

import re

# A run of sentence-ending punctuation, closing quotes or brackets, then space and a capital.
_BOUNDARY = re.compile(r"[.!?…]+[”\"’')\]]*\s+(?=[“\"‘'(\[]?[A-Z0-9À-ÖØ-Þ])")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st mt no nos vol vols pp p fig figs vs cf al gen col lt sgt rep sen gov "
    "inc ltd co corp jr sr jan feb mar apr jun jul aug sep sept oct nov dec art para sec ch".split()
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, without the spaces between them."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if _is_abbreviation(text, match.start()):
            continue
        end = match.end()
        spans.append((start, start + len(text[start:end].rstrip())))
        start = end
    stop = len(text.rstrip())
    if start < stop:
        spans.append((start, stop))
    return spans


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` closes an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    word_start = text.rfind(" ", 0, dot) + 1
    word = text[word_start:dot].lstrip("“\"‘'([")
    initial = len(word) == 1 and word.isupper()
    return initial or "." in word or word.lower() in _ABBREVIATIONS
