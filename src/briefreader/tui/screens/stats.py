"""The statistics view: annotations per tag and group, as a table with bars."""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static

from briefreader.core.errors import BriefreaderError
from briefreader.core.stats import GROUPINGS, Summary
from briefreader.rendering import stats_table
from briefreader.tui.failures import ReportsFailures


class StatsScreen(ReportsFailures, ModalScreen[None]):
    STATUS = "#stats-table"
    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, summarize: Callable[[str], Summary]) -> None:
        super().__init__()
        self._summarize = summarize  # runs in a worker: it reads every annotation file

    def compose(self) -> ComposeResult:
        with Vertical(id="stats-box"):
            yield Label("Annotations at a glance", id="stats-title")
            yield Select(
                [(f"by {g}", g) for g in GROUPINGS], value="doc", allow_blank=False, id="stats-by"
            )
            with VerticalScroll():
                yield Static("Counting…", id="stats-table")

    def on_mount(self) -> None:
        self._count("doc")

    def on_select_changed(self, event: Select.Changed) -> None:
        self._count(str(event.value))

    @work(thread=True, exclusive=True, exit_on_error=False, name="Counting the annotations")
    def _count(self, by: str) -> None:
        try:
            summary = self._summarize(by)
        except BriefreaderError as exc:
            self.app.call_from_thread(self.query_one("#stats-table", Static).update, str(exc))
            return
        self.app.call_from_thread(self._show, summary)

    def _show(self, summary: Summary) -> None:
        table = self.query_one("#stats-table", Static)
        table.update(stats_table(summary, table.size.width or 120))

    def action_dismiss(self) -> None:
        self.dismiss(None)
