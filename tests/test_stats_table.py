"""The statistics table fits the width it is given, keeping tag names whole where they fit,
whatever the tags and however large the counts."""

from __future__ import annotations

from collections import Counter

import pytest
from rich.console import Console

from briefreader.core.stats import Group, Summary
from briefreader.rendering import stats_table

LONG_TAGS = ["territorial-integrity-claim", "humanitarian-framing", "historical-grievance"]
TAG_SETS = {
    "built-in": ["factual", "disputed", "rhetorical"],
    "four": ["factual", "disputed", "rhetorical", "framing"],
    "long": LONG_TAGS,
}


def summary(tags: list[str], large: bool) -> Summary:
    groups = [
        Group(
            f"document-with-a-rather-long-file-name-{n}.txt",
            Counter({tag: (n + 1) * (40_000 if large else 3) for tag in tags}),
            passages=123_456 if large else 50,
            annotated={("d", i) for i in range(12_345 if large else 7)},
            orphans=9_999 if large else 0,
        )
        for n in range(3)
    ]
    return Summary("doc", tags, groups)


def lines(table, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(table)
    return console.export_text().splitlines()


@pytest.mark.parametrize("large", [False, True], ids=["small counts", "large counts"])
@pytest.mark.parametrize("tags", TAG_SETS.values(), ids=TAG_SETS.keys())
def test_the_table_fits_its_width_with_tag_names_whole_where_they_fit(tags, large):
    made = summary(tags, large)
    for width in range(60, 201, 7):
        shown = lines(stats_table(made, width), width)
        header = next(line for line in shown if line.split()[:1] == ["doc"])
        needed = len(header.rstrip()) - len(header.split()[0]) + 8  # 8 for the names at least
        assert max(map(len, shown)) <= width, (width, shown)
        if width >= needed:
            assert all(f" {tag} " in f"{header} " for tag in tags), (width, header)
