"""The reading view's word wrap: every character kept, no line too wide, each line as full
as the words allow; for normalised passages and for text with wide or odd characters."""

from __future__ import annotations

from itertools import pairwise

import pytest
from rich.cells import cell_len

from briefreader.core.corpus import Corpus
from briefreader.tui.widgets.document_view import wrap

OFFSET = 7  # spans are shifted by the block's offset in the text
WIDTHS = (12, 40, 57, 88)


def check_wrap(text: str, width: int) -> list[str]:
    spans = wrap(text, OFFSET, width)
    assert spans[0][0] == OFFSET and spans[-1][1] == OFFSET + len(text)
    assert all(end == start for (_, end), (start, _) in pairwise(spans)), "a gap or overlap"
    lines = [text[start - OFFSET : end - OFFSET] for start, end in spans]
    for line, following in pairwise(lines):
        assert line.strip(), f"an empty line before {following!r}"
        assert cell_len(line.rstrip()) <= width, f"too wide: {line!r}"
        if line[-1].isspace():  # broken between words: the next word did not fit
            assert cell_len(line + following.split()[0]) > width, f"not full: {line!r}"
        else:  # a word wider than the line, cut as late as it can be
            assert cell_len(line) + cell_len(following[0]) > width, f"cut early: {line!r}"
    assert cell_len(lines[-1].rstrip()) <= width
    return lines


@pytest.mark.parametrize("width", WIDTHS)
def test_every_passage_of_the_corpus_wraps_whole_and_full(workspace, width):
    corpus = Corpus(workspace)
    for info in corpus.documents:
        for block in corpus.load(info.id).text.blocks:
            check_wrap(block.text, width)


def test_a_word_wider_than_several_lines_is_cut_into_full_lines():
    url = "https://example.org/" + "a" * 90  # 110 characters
    lines = check_wrap(f"See {url} now", 40)
    assert lines == ["See ", url[:40], url[40:80], f"{url[80:]} now"]


@pytest.mark.parametrize(
    "text",
    [
        "東京 と 大阪 の 和平 交渉 は 続い て いる " * 6,  # two cells a character
        "cafe\u0301 de\u0301tente re\u0301sume\u0301 " * 12,  # combining accents: no cell
        "double  spaces and\u2009thin\u2009spaces " * 8,
        " a leading and a trailing space ",
    ],
)
@pytest.mark.parametrize("width", WIDTHS)
def test_text_with_wide_or_odd_characters_wraps_by_cells(text, width):
    check_wrap(text, width)
