"""The help screen: every key, and the query language."""

from __future__ import annotations

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Everywhere",
        (
            ("o", "open a document by (fuzzy) title"),
            ("tab / shift+tab", "move between panes"),
            ("ctrl+b", "show / hide the library"),
            ("ctrl+p", "command palette: every action, sections, themes"),
            ("?", "this help"),
            ("q", "quit"),
        ),
    ),
    (
        "Reading",
        (
            ("j / ↓, k / ↑", "next / previous passage"),
            ("J / ], K / [", "next / previous section"),
            ("g / Home, G / End", "start / end of the document"),
            ("space / PgDn, b / PgUp", "page down / up"),
            ("click", "make a passage current"),
        ),
    ),
    (
        "Searching",
        (
            ("/", "search the whole corpus (results update as you type)"),
            ("↑ / ↓ in the search box", "earlier / later queries; ↓ past the last: the hits"),
            ("enter", "open the highlighted hit at its passage"),
            ("escape", "back: from a hit to the results, from the results to reading"),
            ("ctrl+f", "find in this document (plain text, any case)"),
            ("n / N", "next / previous highlighted hit in the document"),
        ),
    ),
    (
        "Annotating (the current passage, or the selection)",
        (
            ("f / d / r", "tag factual / disputed / rhetorical; again: remove that tag"),
            ("1 … 9", "apply the codebook's tags in order (1-3: the built-ins)"),
            ("v", "select the first sentence of the passage (v again: cancel)"),
            (". / ,", "select the next / previous sentence"),
            ("> / <", "grow / shrink the selection by a word"),
            ("mouse drag", "select words with the mouse"),
            ("m", "add or edit the note of the annotation here (ctrl+s saves)"),
            ("x", "delete the annotation here"),
            ("u / ctrl+r", "undo / redo the last annotation change"),
            ("a", "show / hide the annotation pane (enter jumps to one)"),
            ("} / {", "next / previous annotation"),
            ("t", "show only one tag; press again for the next, then all"),
            ("A", "show only one coder's annotations; again: the next, then everyone's"),
        ),
    ),
    (
        "Comparing narratives",
        (
            ("c", "counter-passages: other documents on this passage, the other side first"),
            ("s (in the list)", "this passage and the chosen one side by side, both taggable"),
            ("l (in the list)", "link the annotation here to one on the chosen passage"),
            ("T", "topic view: what each side says about a query, with tag counts"),
        ),
    ),
)

QUERY_LANGUAGE = (
    ("corridor Lachin", "both words, any form (corridors)"),
    ('"peace agreement"', "the exact phrase"),
    ("Lachin OR Zangezur, a NOT b, (a OR b) c", "boolean logic"),
    ("negotiaton~, Khojali~2", "within 1 (or 2) letters: typos, transliterations"),
    ("recon*", "words starting with recon"),
    ("title: doc: section: publisher: author:", "words in that field"),
    ("date:2025 side:armenia kind:bulletin", "documents of that date, side, kind"),
)


def _table(title: str, rows: tuple[tuple[str, str], ...]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=None, expand=True)
    table.add_column(style="bold", no_wrap=True, ratio=2)
    table.add_column(ratio=3)
    table.show_header = False
    for key, what in rows:
        table.add_row(key, what)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help")]

    def __init__(self, tags: list[tuple[str, Style, str]] | None = None) -> None:
        super().__init__()
        self._tags = tags or []  # (name, style, description) for the legend

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text("briefreader: keys", style="bold"), classes="help-title")
            for title, rows in KEYS:
                yield Static(_table(title, rows))
            if self._tags:
                legend = Text("Tags  ", style="bold")
                for name, style, description in self._tags:
                    legend.append(f" {name} ", style=style)
                    legend.append(f" {description}   ", style="dim")
                yield Static(legend)
            yield Static(_table("Query language", QUERY_LANGUAGE))
            yield Static(Text("escape closes this help", style="dim"))

    def action_dismiss(self) -> None:
        self.dismiss(None)
