"""Search the whole corpus as you type; choosing a hit opens its passage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from briefreader.core.errors import BriefreaderError, SearchCancelled
from briefreader.core.models import Hit, SearchResults
from briefreader.rendering import hit_block
from briefreader.tui.failures import ReportsFailures
from briefreader.tui.widgets.footer import Footer

# Seconds before a search starts: keys already queued (key repeat, a burst) merge into one
# search. No longer: a search still running for an earlier key is cancelled, so waiting
# only delays the last key. (A Textual timer cannot be 0: it divides by its interval.)
DEBOUNCE = 0.001
PAGE = 20  # hits listed at first, and added each time the list is scrolled to its end

PLACEHOLDER = 'Search: words, "a phrase", OR, NOT, word~, side:armenia, title:, date:2025 …'


@dataclass
class SearchState:
    """What the search screen shows, kept by the app so `escape` from a hit comes back to it."""

    query: str = ""
    highlighted: int = 0


@dataclass(frozen=True)
class Chosen:
    hit: Hit
    query: str


class HistoryInput(Input):
    """An input where up and down recall earlier queries."""

    BINDINGS = [
        Binding("up", "older", "Older query", show=False),
        Binding("down", "newer", "Newer query / results", show=False),
    ]

    def __init__(self, history: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.history = history
        self._position = len(history)  # len(history): the query being typed

    def action_older(self) -> None:
        if self._position > 0:
            self._position -= 1
            self.value = self.history[self._position]
            self.cursor_position = len(self.value)

    def action_newer(self) -> None:
        if self._position < len(self.history) - 1:
            self._position += 1
            self.value = self.history[self._position]
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()  # past the newest query: on to the results


class SearchScreen(ReportsFailures, Screen[Chosen | None]):
    STATUS = "#search-status"
    BINDINGS = [Binding("escape", "close", "Back to reading")]

    def __init__(
        self,
        state: SearchState,
        search: Callable[[str, int, Callable[[], bool]], SearchResults],
        history: list[str],
        ready: bool,
        waiting: str = "The search index is being built; results appear when it is ready…",
    ) -> None:
        super().__init__()
        self.state = state
        self._search = search
        self._history = history
        self.ready = ready
        self._waiting = waiting  # what to say while search is not possible
        self._results: SearchResults | None = None
        self._timer: Timer | None = None
        self._generation = 0  # results of an older query never overwrite a newer one
        self._limit = PAGE  # hits asked for the current query

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box"):
            yield HistoryInput(
                self._history, value=self.state.query, placeholder=PLACEHOLDER, id="query"
            )
            yield Static(id="search-status")
            yield OptionList(id="hits")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#query", Input).focus()
        self._start_search(self.state.query)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.value == self.state.query and self._generation:
            return  # the input was filled with the kept query: results and selection stay
        self.state.query = event.value
        self.state.highlighted = 0
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, lambda: self._start_search(event.value))

    def index_ready(self) -> None:
        """The app says the index is up: run the pending query."""
        self.ready = True
        self._start_search(self.state.query)

    def _status(self, text: str | Text, error: bool = False) -> None:
        status = self.query_one("#search-status", Static)
        status.set_class(error, "-error")
        status.update(text)

    def _start_search(self, query: str) -> None:
        self._generation += 1
        self._limit = PAGE
        if not query.strip():
            self._show(self._generation, None)
            self._status("Type to search the whole corpus; ? for the query language.")
            return
        if not self.ready:
            self._status(self._waiting)
            return
        self._run(query, self._generation, self._limit)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False, name="The search")
    def _run(self, query: str, generation: int, limit: int) -> None:
        worker = get_current_worker()  # cancelled by the next search of this screen
        try:
            results = self._search(query, limit, lambda: worker.is_cancelled)
        except SearchCancelled:
            return
        except BriefreaderError as exc:
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._show_error, generation, exc.message)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, generation, results)

    def _current(self, generation: int) -> bool:
        """Whether results are for the newest query of a screen still open. A search can end
        after escape has closed its screen, or while the screen is being removed, its
        widgets first: it has then left the stack of screens, but is still attached."""
        return generation == self._generation and self in self.app.screen_stack

    def _show_error(self, generation: int, message: str) -> None:
        if self._current(generation):
            self._results = None  # enter must not open a hit of an earlier query
            self.query_one("#hits", OptionList).clear_options()
            self._status(message, error=True)

    def _show(self, generation: int, results: SearchResults | None) -> None:
        if not self._current(generation):
            return
        self._results = results
        hits = self.query_one("#hits", OptionList)
        hits.clear_options()
        if results is None:
            return
        hits.add_options(Option(hit_block(rank, hit)) for rank, hit in enumerate(results.hits, 1))
        if results.hits:
            hits.highlighted = min(self.state.highlighted, len(results.hits) - 1)
        shown = len(results.hits)
        if results.total == 0:
            self._status(f"No passage matches {results.query!r}.")
        elif results.total > shown:
            self._status(f"{results.total} passages match; the best {shown} so far (more below).")
        else:
            self._status(f"{results.total} passage{'s' * (results.total != 1)} match.")

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.state.highlighted = event.option_index
        results = self._results
        at_end = event.option_index == event.option_list.option_count - 1
        if at_end and results and results.total > len(results.hits) == self._limit:
            self._limit += PAGE  # the next page, highlighted where the reader left off
            self._run(results.query, self._generation, self._limit)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option_index)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self._timer is not None and self._results is None:
            return
        self._choose(self.state.highlighted)

    def _choose(self, index: int) -> None:
        if self._results and 0 <= index < len(self._results.hits):
            self.dismiss(Chosen(self._results.hits[index], self._results.query))

    def action_close(self) -> None:
        self.dismiss(None)
