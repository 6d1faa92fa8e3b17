"""Rich renderables that the CLI and the TUI show the same way: search hits, statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from briefreader.core.models import Hit

if TYPE_CHECKING:
    from briefreader.core.compare import Counterpart, SideView
    from briefreader.core.stats import Summary

SNIPPET_INDENT = 5


def _heading(rank: int, hit: Hit, where: str) -> Text:
    """`rank  title › section  where`."""
    heading = Text(f"{rank:>3}  ", style="dim")
    heading.append(hit.title, style="bold")
    if hit.section:
        heading.append(f" › {hit.section}")
    heading.append(f"  {where}", style="dim")
    return heading


def snippet_text(hit: Hit) -> Text:
    snippet = Text(hit.snippet.text)
    for start, end in hit.snippet.matches:
        snippet.stylize("bold reverse", start, end)
    return snippet


def hit_text(rank: int, hit: Hit) -> Text:
    """A hit for the terminal, which wraps long lines itself: the heading with the
    `doc#passage` reference and score, then the snippet, indented on its first line."""
    where = f"{hit.doc_id}#{hit.passage}  {hit.score:.2f}"
    return _heading(rank, hit, where) + Text("\n" + " " * SNIPPET_INDENT) + snippet_text(hit)


def hit_block(rank: int, hit: Hit) -> Group:
    """A hit for a widget that wraps: the snippet indented on every line."""
    snippet = Padding(snippet_text(hit), (0, 0, 0, SNIPPET_INDENT))
    return Group(_heading(rank, hit, f"¶{hit.passage}"), snippet)


def counterpart_block(rank: int, item: Counterpart) -> Group:
    """A counter-passage: its heading, then who speaks and when, and the tags on it."""
    info = item.info
    about = Text(" " * SNIPPET_INDENT)
    about.append(info.side or "no side", style="bold" if item.other_side else "dim")
    about.append(f" · {info.source or info.id} · {info.date_label or 'undated'}", style="dim")
    for tag in item.tags:
        about.append(f"  {tag}", style=f"bold {_TAG_STYLES.get(tag, 'magenta')}")
    snippet = Padding(snippet_text(item.hit), (0, 0, 0, SNIPPET_INDENT))
    return Group(_heading(rank, item.hit, f"¶{item.hit.passage}"), about, snippet)


def side_column(view: SideView) -> Group:
    """One side's column: how much it says, the tags on it, its best passages."""
    head = Text(view.side, style="bold underline")
    passages = f"{view.total} passage{'s' * (view.total != 1)}"
    docs = f"{len(view.documents)} document{'s' * (len(view.documents) != 1)}"
    head.append(f"\n{passages} in {docs}", style="dim")
    tags = "  ".join(f"{tag} {count}" for tag, count in view.tags.items()) or "no tags yet"
    head.append(f"\n{tags}\n", style="italic")
    return Group(head, *(hit_block(rank, hit) for rank, hit in enumerate(view.hits, 1)))


BAR_WIDTH = 16
_TAG_STYLES = {"factual": "green", "disputed": "red", "rhetorical": "yellow"}
_OTHER_STYLES = ("magenta", "cyan", "blue", "bright_black")


def stats_table(summary: Summary, width: int = 120) -> Table:
    """Counts per tag and group, and (when `width` leaves room) a bar per group made of one
    colour per tag."""
    others = iter(_OTHER_STYLES * 10)
    styles = {tag: _TAG_STYLES.get(tag) or next(others) for tag in summary.tags}
    headers = [*summary.tags, "total", "¶ annotated", "orphans"]
    groups = [*summary.groups, summary.total]
    rows = [
        [
            *(str(group.counts.get(tag, 0)) for tag in summary.tags),
            str(group.total),
            f"{len(group.annotated)}/{group.passages} {group.share:.0%}",
            str(group.orphans),
        ]
        for group in groups
    ]
    # each column of counts as wide as its header or widest cell, padded by 2; the groups'
    # names get what is left (8 to 28), then a bar if 8 are still left for the names
    columns = zip(headers, *rows, strict=True)
    counts = sum(max(len(cell) for cell in column) + 2 for column in columns)
    room = width - counts - 2
    bars = room - (BAR_WIDTH + 2) >= 8 and width >= 70 + 12 * len(summary.tags) + BAR_WIDTH
    if bars:
        room -= BAR_WIDTH + 2
    table = Table(title=f"Annotations by {summary.by}", title_justify="left", box=None)
    table.add_column(
        summary.by,
        style="bold",
        no_wrap=True,
        overflow="ellipsis",
        min_width=8,
        max_width=max(8, min(28, room)),
    )
    for header in headers:
        # tag names fold only where not even 8 columns are left for the names
        table.add_column(
            header, justify="right", style=styles.get(header), overflow="fold", no_wrap=room >= 8
        )
    if bars:
        table.add_column("", no_wrap=True, overflow="crop", max_width=BAR_WIDTH)
    most = max((g.total for g in summary.groups), default=0) or 1
    for group, cells in zip(groups, rows, strict=True):
        bar = Text()
        for tag in summary.tags:
            bar.append("█" * round(BAR_WIDTH * group.counts.get(tag, 0) / most), styles[tag])
        bar.truncate(BAR_WIDTH)  # each tag's share rounded up can add up to more
        extra = [bar if group is not groups[-1] else Text("")] if bars else []
        table.add_row(group.name, *cells, *extra, end_section=group is summary.groups[-1])
    return table
