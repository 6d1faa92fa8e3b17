"""The reader app: composes the library, the reading view and search over the core."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Input, ProgressBar, Static
from textual.worker import get_current_worker

from briefreader.core.corpus import Corpus, Document
from briefreader.core.errors import BriefreaderError, ExportError, WorkspaceError
from briefreader.core.manifest import IndexReport
from briefreader.core.models import Section
from briefreader.core.opening import FirstRead, Opening, read_document, read_opening, to_open
from briefreader.core.workspace import Workspace
from briefreader.tui.annotating import (
    ANNOTATION_BINDINGS,
    POLL_INTERVAL,
    RETRY_INTERVAL,
    AnnotationActions,
)
from briefreader.tui.failures import ReportsFailures
from briefreader.tui.widgets.annotation_list import AnnotationList
from briefreader.tui.widgets.document_view import DocumentView
from briefreader.tui.widgets.footer import Footer
from briefreader.tui.widgets.library import Library

if TYPE_CHECKING:
    from briefreader.core.index import Progress, SearchIndex
    from briefreader.tui.screens.export import ExportRequest
    from briefreader.tui.screens.search import Chosen, SearchState

# the actions of keys that change or filter the reader's annotations, or compare its passage
READER_ACTIONS = {binding.action.split("(")[0] for binding in ANNOTATION_BINDINGS} | {
    "counter_passages",
    "topic",
    "export",
    "stats",
    "toggle_library",
    "find",
    "open_document",
}
SAVE_DELAY = 1.0  # seconds: reading positions are saved once the reader pauses


class BriefreaderApp(ReportsFailures, AnnotationActions, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "briefreader"

    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("ctrl+f", "find", "Find", show=False),
        Binding("o", "open_document", "Open", show=False),
        Binding("ctrl+b", "toggle_library", "Library", show=False),
        Binding("escape", "back", "Back", show=False),
        Binding("e", "export", "Export", show=False),
        Binding("S", "stats", "Stats", show=False),
        Binding("c", "counter_passages", "Counter", show=False),
        Binding("T", "topic", "Topic", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        *ANNOTATION_BINDINGS,
    ]

    def __init__(
        self,
        workspace: Workspace,
        annotator: str | None = None,
        *,
        on_first_frame: Callable[[], object] | None = None,
        first_read: FirstRead | None = None,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self._on_first_frame = on_first_frame
        self.cli_annotator = annotator
        # the library and the document to open, read while Textual starts (the command
        # starts it sooner still, before loading Textual)
        self._first_read = first_read or FirstRead(workspace)
        self._started = False
        self.corpus = self._first_read.corpus
        self.state = self._first_read.state
        self.search_state: SearchState | None = None  # made at the first search
        self._search_index: SearchIndex | None = None  # see `search_index`
        self._search_index_lock = threading.Lock()
        self.index_ready = False
        self._indexing = False
        self._reindex_after_build = False  # tags saved while the index was being built
        self._cancel = threading.Event()
        self._highlight_query = ""  # the search whose hits are highlighted in the reader
        self._save_timer = None
        # set once the first document is painted: an index build waits for it
        self._document_shown = threading.Event()

    # -- layout --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The reader's keys act only on the reader: not under a screen of its own (the
        search, the counter-passages), whose keys they would otherwise shadow."""
        return action not in READER_ACTIONS or len(self.screen_stack) == 1

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield Library(id="library")
            with Vertical(id="reader"):
                yield DocumentView(id="document")
                yield Static(id="empty")
                yield Input(placeholder="Find in this document", id="find")
            yield AnnotationList(id="annotations")
        yield Static(id="unsaved")
        with Horizontal(id="statusbar"):  # and a progress bar while there is work
            yield Static(id="status")
        yield Footer()

    @property
    def view(self) -> DocumentView:
        return self.query_one(DocumentView)

    def on_mount(self) -> None:
        self.sub_title = str(self.workspace.root)
        loop = asyncio.get_running_loop()
        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                loop.add_signal_handler(getattr(signal, name), self._terminate)
        if self._first_read.opening.done():
            self._start()  # the first frame shows the library and the document

    def on_ready(self) -> None:
        if self._on_first_frame is not None:
            self._on_first_frame()
        if not self._started:
            self._start()  # with what is not read yet: it shows once read

    def _start(self) -> None:
        """Set up annotations and show what the first read found: on mount if it is done by
        then, so that the first frame shows it, else from the first frame on, once it is."""
        self._started = True
        self.setup_annotations(self._first_read.store)
        self.set_interval(POLL_INTERVAL, self.poll_annotation_file)
        self.set_interval(RETRY_INTERVAL, self.retry_unsaved)
        opening = self._first_read.opening
        if opening.done() and opening.exception() is None:
            self._scanned(opening.result())
        else:
            self._await_first_read()

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    def _await_first_read(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:  # a reader quitting waits for this thread to end
            try:
                opening = self._first_read.opening.result(timeout=0.05)
            except TimeoutError:
                continue
            # (a failure of the read is raised above, and reported as this worker's)
            self.call_from_thread(self._scanned, opening)
            return

    def _reload(self) -> None:
        """Scan the corpus, fill the library, open the last document read, and check the
        index."""
        self.corpus = Corpus(self.workspace)
        self._scan(self.corpus)

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    def _scan(self, corpus: Corpus) -> None:
        """Reload corpus: `read_opening` again, off the UI thread (at 300x it takes a third
        of a second)."""
        opening = read_opening(corpus, self.store, self.state)
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._scanned, opening)

    def _scanned(self, opening: Opening) -> None:
        """Fill the library and open the document the reader was on (else the first): the
        one read with the library, in the same refresh (a worker of its own would wait for
        the UI thread's frames to get a turn), unless another has been chosen since."""
        library = self.query_one(Library)
        if opening.error is not None:
            self.notify(str(opening.error), severity="error", timeout=15)
        documents = opening.documents
        library.set_documents(documents)
        self.query_one(AnnotationList).titles = {info.id: info.title for info in documents}
        for problem in opening.problems:
            self.notify(str(problem), severity="warning", timeout=8)
        if not documents:
            self.index_ready = False
            self._empty(
                f"No documents in {self.workspace.corpus_dir}.\n\n"
                "Add .txt or .md files there, then choose Reload corpus in the command "
                "palette (ctrl+p)."
            )
            self._set_status()
            return
        self.query_one("#empty").display = False
        self._start_indexing(current=opening.index_current)
        if not any(worker.group == "load" and worker.is_running for worker in self.workers):
            doc_id = to_open(documents, self.state)  # as it is now: the read began before
            self.call_after_refresh(library.select_document, doc_id)  # once nodes have lines
            if opening.document is not None and opening.document.id == doc_id:
                self._show(opening.document, None, None)
                self._follow_up(opening.document)
            else:  # chosen since, or unreadable: read (again), and say why it cannot be
                self.open_document(doc_id)
        library.focus()
        self.count_annotations()

    def _empty(self, message: str) -> None:
        empty = self.query_one("#empty", Static)
        empty.update(message)
        empty.display = True
        self.view.display = False

    # -- documents -----------------------------------------------------------------------

    def open_document(
        self, doc_id: str, passage: int | None = None, section: Section | None = None
    ) -> None:
        """Open a document (read off the UI thread) at a passage, a section, or where the
        reader left it."""
        self._load(doc_id, passage, section)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self, doc_id: str, passage: int | None, section: Section | None) -> None:
        try:
            document = read_document(self.corpus, self.store, doc_id)
        except BriefreaderError as exc:
            self.call_from_thread(self._cannot_open, exc)
            self._document_shown.set()
            return
        if get_current_worker().is_cancelled:
            return
        self.call_from_thread(self._show, document, passage, section)
        self._after_show(document)

    def _cannot_open(self, error: BriefreaderError) -> None:
        self.notify(str(error), severity="error", timeout=10)
        if self.view.document is None:  # the first one: say so where it would be, not in a blank
            self._empty(f"{error}\n\nChoose another document in the library.")

    # described, as Textual would otherwise describe the worker by the repr of its argument:
    # the whole document, 0.5 MB and 6 ms on the UI thread for the Baku Dialogues issue
    @work(thread=True, exclusive=True, group="load", exit_on_error=False, description="follow-up")
    def _follow_up(self, document: Document) -> None:
        """`_after_show` for a document shown as it was read with the library."""
        self._after_show(document)

    def _after_show(self, document: Document) -> None:
        """What follows the showing of a document, in a worker of the "load" group."""
        worker = get_current_worker()
        painted = threading.Event()
        self.call_from_thread(self.call_after_refresh, painted.set)
        # what follows would compete with drawing the document: wait for it, a second at
        # most, and not once cancelled (a reader quitting waits for this thread to end)
        for _ in range(50):
            if painted.wait(0.02) or worker.is_cancelled:
                break
        # another document asked for meanwhile: what follows is for this one (a cancelled
        # thread worker runs on, and its work would compete with that document's)
        if worker.is_cancelled:
            return
        self.store.prepare(document.id)  # so that the first tag saves as fast as the rest
        if worker.is_cancelled:
            return
        self.call_from_thread(self.show_incoming, document.id, self.incoming_links(document.id))

    def _show(self, document: Document, passage: int | None, section: Section | None) -> None:
        view = self.view
        view.display = True
        self.query_one("#empty").display = False
        if view.document is None or view.document.id != document.id:
            self._highlight_query = ""
            view.show(document, passage or self.state.positions.get(document.id, 1))
        elif passage is not None:
            view.go_to_passage(passage, top=True)
        if section is not None:
            view.go_to_section(section)
        self.refresh_annotations()
        self.query_one(Library).set_sections(document.id, document.text.sections)
        self.state.last_document = document.id
        self.title = document.info.title
        self._set_status()
        self.call_after_refresh(self._document_shown.set)

    def on_library_chosen(self, event: Library.Chosen) -> None:
        self.open_document(event.doc_id, section=event.section)
        if event.section is not None or self.view.document is None:
            self.view.focus()

    def on_library_sections_wanted(self, event: Library.SectionsWanted) -> None:
        self._read_sections(event.doc_id)

    @work(thread=True, group="sections", exit_on_error=False)
    def _read_sections(self, doc_id: str) -> None:
        try:
            sections = self.corpus.load(doc_id).text.sections
        except BriefreaderError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", timeout=10)
            return
        self.call_from_thread(self.query_one(Library).set_sections, doc_id, sections)

    def on_document_view_passage_changed(self, event: DocumentView.PassageChanged) -> None:
        if event.view.document is not None and event.passage is not None:
            self.state.positions[event.view.document.id] = event.passage.number
            if self._save_timer is not None:
                self._save_timer.stop()
            self._save_timer = self.set_timer(SAVE_DELAY, self._save_state)
        self._set_status()

    def on_document_view_match_changed(self, event: DocumentView.MatchChanged) -> None:
        self._set_status()

    def _save_state(self) -> None:
        try:
            self.state.save()
        except (OSError, BriefreaderError) as exc:
            self.notify(f"cannot save the reading position: {exc}", severity="warning")

    def _set_status(self) -> None:
        if not self.query(DocumentView):  # a late message while the app shuts down
            return
        view = self.view
        status = Text()
        if view.document is not None and view.passage is not None:
            passage = view.passage
            status.append(f"¶{passage.number}/{len(view.passages)}", style="bold")
            if passage.section is not None:
                status.append(f"  {passage.section.title}")
            if view.matches:
                where = f"{view.match_index + 1}/" if view.match_index >= 0 else ""
                status.append(f"  hit {where}{len(view.matches)}", style="bold")
        if self._indexing:
            status.append("  · indexing…", style="dim")
        # its size is fixed by the CSS: a repaint, not a layout of the whole screen
        self.query_one("#status", Static).update(status, layout=False)

    # -- indexing ------------------------------------------------------------------------

    def _start_indexing(self, rebuild: bool = False, *, current: bool = False) -> None:
        """Bring the index up to date, unless it is `current` (as its manifest tells, without
        Whoosh: search is ready at once, and Whoosh loads before a search needs it)."""
        if current:
            self._index_done(IndexReport())
            self._load_search_index()
            return
        self.index_ready = False
        self._indexing = True
        self._set_status()
        self._index(rebuild)

    @property
    def search_index(self) -> SearchIndex:
        """The search index, made at its first use (by a worker: Whoosh loads then)."""
        with self._search_index_lock:
            if self._search_index is None:
                from briefreader.core.index import SearchIndex

                self._search_index = SearchIndex(self.corpus)
            return self._search_index

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def _load_search_index(self) -> None:
        """Whoosh loads now, before a search needs it, once the first document is on screen
        (its import would compete with that frame)."""
        self._document_shown.wait()
        self.search_index.corpus = self.corpus

    def _update_index(self, rebuild: bool = False, progress: Progress | None = None) -> IndexReport:
        """Update the index in a child process: in this one, Whoosh would hold the GIL for
        most of the work (2–3 s to re-index the Baku issue, minutes for a large corpus; 0.2 s
        for one tag on it, mostly reading its 1,000 annotations) and every key would wait."""
        from briefreader.core import index_process

        worker = get_current_worker()
        report = index_process.update_in_child(
            self.corpus.workspace,
            rebuild=rebuild,
            progress=progress,
            # replaced by a newer update (Rebuild, another tag), or the reader closing
            cancelled=lambda: worker.is_cancelled or self._cancel.is_set(),
        )
        # searches reopen what the child wrote (and Whoosh loads here, not at the first one)
        self.search_index.corpus = self.corpus
        self.search_index.close()
        return report

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def _index(self, rebuild: bool) -> None:
        def progress(done: int, total: int, item: str) -> None:
            # a bar only for real work: a current index opens without one
            self.call_from_thread(self._progress, "index", total, done)

        try:
            self._document_shown.wait()  # the document comes first: the user waits for it
            report = self._update_index(rebuild, progress)
        except BriefreaderError as exc:
            if not get_current_worker().is_cancelled:
                self.call_from_thread(self._index_failed, str(exc))
            return
        if not get_current_worker().is_cancelled:  # else the newer update reports
            self.call_from_thread(self._index_done, report)

    def annotations_changed(self) -> None:
        """Tags and notes are searchable: re-index the changed document's passages (after
        the build under way, which may have read them before the change)."""
        if self.index_ready:
            self._reindex_quietly()
        elif self._indexing:
            self._reindex_after_build = True

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def _reindex_quietly(self) -> None:
        try:
            self._update_index()
        except BriefreaderError as exc:
            self.call_from_thread(
                self.notify, f"Search index not updated: {exc}", severity="warning"
            )
            return
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._search_again)

    def _search_again(self) -> None:
        """The search screen, if open, runs its query again on the index just written: a
        query typed while it was built, or results listed while a tag was on its way."""
        if self.search_state is None:  # no search yet, so no search screen
            return
        from briefreader.tui.screens.search import SearchScreen

        if isinstance(self.screen, SearchScreen):
            self.screen.index_ready()

    def _index_failed(self, message: str) -> None:
        self._indexing = False
        self._progress_done("index")
        self.notify(f"Search is unavailable: {message}", severity="error", timeout=15)
        self._set_status()

    def _index_done(self, report) -> None:
        self._indexing = False
        self._progress_done("index")
        if report.cancelled:
            return
        self.index_ready = True
        if self._reindex_after_build:
            self._reindex_after_build = False
            self._reindex_quietly()
        if report.rebuilt:
            self.notify(report.rebuilt.capitalize(), timeout=4)
        for problem in report.problems:
            self.notify(f"Not indexed: {problem}", severity="warning", timeout=10)
        self._search_again()
        self._set_status()

    def _progress(self, work: str, total: float | None, done: float = 0) -> None:
        """Show how far `work` (index, export) has got in the status bar. Its bar is mounted
        only while the work runs: a bar with no total animates, 15 repaints a second even
        when hidden, which cost the reader its idle CPU and start-up a layout cycle or two."""
        try:
            bar = self.query_one(f"#{work}-progress", ProgressBar)
        except NoMatches:
            bar = ProgressBar(id=f"{work}-progress", show_eta=False)
            self.query_one("#statusbar").mount(bar)
        bar.update(total=total, progress=done)

    def _progress_done(self, work: str) -> None:
        self.query(f"#{work}-progress").remove()

    # -- search --------------------------------------------------------------------------

    def _search(self, query: str, limit: int, cancelled: Callable[[], bool]):
        return self.search_index.search(query, limit=limit, cancelled=cancelled)

    def action_search(self) -> None:
        from briefreader.tui.screens.search import SearchScreen, SearchState  # not at start

        if self.search_state is None:
            self.search_state = SearchState()
        waiting = "The search index is being built; results appear when it is ready…"
        if not self._indexing and not self.index_ready:
            waiting = "Search is unavailable: no documents, or the index failed (see messages)."
        screen = SearchScreen(
            self.search_state, self._search, self.state.queries, self.index_ready, waiting
        )
        self.push_screen(screen, self._search_closed)

    def _search_closed(self, chosen: Chosen | None) -> None:
        self.state.remember_query(self.search_state.query)
        if chosen is None:
            return
        hit = chosen.hit
        self._highlight_query = chosen.query
        self.query_one(Library).select_document(hit.doc_id)
        self._open_hit(hit.doc_id, hit.passage, chosen.query)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _open_hit(self, doc_id: str, passage: int, query: str) -> None:
        try:
            document = read_document(self.corpus, self.store, doc_id)
            spans = self.search_index.match_spans(query, document.text.text)
        except BriefreaderError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", timeout=10)
            return
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._show_hit, document, passage, spans, query)
            self._after_show(document)

    def _show_hit(self, document: Document, passage: int, spans, query: str) -> None:
        self._show(document, passage, None)  # shows that passage at the top
        self._highlight_query = query
        self.view.set_matches(spans)
        self.view.focus()

    def action_find(self) -> None:
        if self.view.document is None:
            return
        find = self.query_one("#find", Input)
        find.display = True
        find.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "find" and self.view.document is not None:
            self._highlight_query = ""
            self.view.set_matches(find_all(self.view.document.text.text, event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "find":
            event.input.display = False
            self.view.focus()
            if event.value.strip() and not self.view.matches:
                self.notify(f"{event.value!r} does not occur in this document.", timeout=4)

    def action_back(self) -> None:
        find = self.query_one("#find", Input)
        if self.view.clear_selection():
            return
        if find.display:
            find.display = False
            find.value = ""
            self.view.focus()
        elif self._highlight_query:
            self.action_search()  # back to the results this hit came from
        elif self.view.matches:
            self.view.set_matches([], jump=False)

    # -- other actions -------------------------------------------------------------------

    def action_toggle_library(self) -> None:
        library = self.query_one(Library)
        library.display = not library.display
        if not library.display:
            self.view.focus()

    def action_help(self) -> None:
        styles = self.annotation_styles()
        legend = [(tag.name, styles[tag.name], tag.description) for tag in self.codebook.tags]
        from briefreader.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(legend))

    def action_open_document(self) -> None:
        commands = [
            (
                f"{info.title} · {info.source or info.id}",
                lambda doc_id=info.id: self._open_from_palette(doc_id),
                f"{info.date_label} · {info.id}",
            )
            for info in self._documents()
        ]
        self.search_commands(commands, placeholder="Open a document…")

    def _documents(self):
        try:
            return self.corpus.documents
        except WorkspaceError:
            return ()

    def _open_from_palette(self, doc_id: str) -> None:
        self.query_one(Library).select_document(doc_id)
        self.open_document(doc_id)
        self.view.focus()

    def action_jump_to_section(self) -> None:
        view = self.view
        commands = [
            (" › ".join(section.path), lambda s=section: view.go_to_section(s))
            for section in view.sections
        ]
        if commands:
            self.search_commands(commands, placeholder="Jump to a section…")

    def action_reindex(self, rebuild: bool = False) -> None:
        self._start_indexing(rebuild)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand(
            "Open document", "Open a document by title (o)", self.action_open_document
        )
        yield SystemCommand("Search the corpus", "Full-text search (/)", self.action_search)
        yield SystemCommand(
            "Find in document", "Find text in this document (ctrl+f)", self.action_find
        )
        yield SystemCommand(
            "Jump to section", "Go to a section of this document", self.action_jump_to_section
        )
        yield SystemCommand(
            "Toggle library", "Show or hide the library (ctrl+b)", self.action_toggle_library
        )
        yield SystemCommand(
            "Reload corpus", "Scan corpus/ again for new or changed files", self._reload
        )
        yield SystemCommand(
            "Update index", "Bring the search index up to date", self.action_reindex
        )
        yield SystemCommand(
            "Rebuild index",
            "Throw the search index away and rebuild it",
            lambda: self.action_reindex(rebuild=True),
        )
        yield SystemCommand(
            "Export annotations", "Markdown, CSV, JSON or HTML (e)", self.action_export
        )
        yield SystemCommand("Statistics", "Annotations per tag and group (S)", self.action_stats)
        yield SystemCommand(
            "Counter-passages", "Other documents on this passage (c)", self.action_counter_passages
        )
        yield SystemCommand("Topic view", "What each side says of a topic (T)", self.action_topic)
        yield SystemCommand(
            "Show one coder's annotations", "Cycle the annotators (A)", self.action_filter_annotator
        )
        yield SystemCommand("Help", "Keys and the query language (?)", self.action_help)
        yield from super().get_system_commands(screen)

    # -- comparing narratives ---------------------------------------------------------------

    def _compare_ready(self) -> bool:
        if not self.index_ready:
            self.notify("Comparing needs the search index; it is not ready yet", timeout=4)
        return self.index_ready

    def action_counter_passages(self) -> None:
        from briefreader.core.compare import counter_passages
        from briefreader.tui.screens.compare import CounterScreen

        document, passage = self.view.document, self.view.passage
        if document is None or passage is None or not self._compare_ready():
            return
        title = f"Counter-passages of {document.info.title} ¶{passage.number}"

        def find():
            return counter_passages(self.search_index, self.store, document.id, passage.number)

        self.push_screen(CounterScreen(title, find), self._counter_closed)

    def _counter_closed(self, opened) -> None:
        if opened is None or opened.item is None:
            return
        hit = opened.item.hit
        self._highlight_query = opened.query
        self.query_one(Library).select_document(hit.doc_id)
        self._open_hit(hit.doc_id, hit.passage, opened.query)

    def side_by_side(self, item, terms: tuple[str, ...]) -> None:
        """The current passage and a counter-passage, next to each other."""
        from briefreader.tui.screens.compare import Pane, SideBySideScreen, key_query

        document, passage = self.view.document, self.view.passage
        try:
            other = self.corpus.load(item.hit.doc_id)
            other_passage = other.text.passage(item.hit.passage)
        except (BriefreaderError, IndexError) as exc:
            self.notify(str(exc), severity="error")
            return
        left = Pane(document, passage)
        right = Pane(other, other_passage, item.other_side)
        self.push_screen(SideBySideScreen(left, right, key_query(terms)))

    def shared_spans(self, query: str, texts: list[str]) -> list[list[tuple[int, int]]]:
        """Where each text has the words of `query` (any of them) that all texts have."""
        spans: list[list[tuple[int, int]]] = [[] for _ in texts]
        for term in query.split(" OR "):
            found = [self.search_index.match_spans(term, text) for text in texts]
            if all(found):
                for mine, more in zip(spans, found, strict=True):
                    mine.extend(more)
        return [sorted(found) for found in spans]

    def tags_on(self, document: Document, passage) -> list[str]:
        placed = self.store.place(document.id, document.text)
        return sorted(
            p.annotation.tag
            for p in placed
            if p.anchor.placed and passage.start <= p.anchor.start < passage.end
        )

    def toggle_passage_tag(self, document: Document, passage, tag: str) -> None:
        is_open = self.view.document is not None and self.view.document.id == document.id
        try:
            placed = self.placed if is_open else self.store.place(document.id, document.text)
        except BriefreaderError as exc:
            self.notify(str(exc), severity="error")
            return
        self.toggle_tag_on(document, (passage.start, passage.end), tag, placed)

    def link_to(self, item) -> None:
        """Link the annotation here to one on a counter-passage, with a relation asked for."""
        from briefreader.core.models import Link
        from briefreader.tui.screens.compare import RelationScreen

        document, source = self.view.document, self.annotation_under_cursor()
        if document is None or source is None:
            self.notify("Tag this passage first (f, d, r): a link joins two annotations")
            return
        hit = item.hit
        try:
            placed = self.store.place(hit.doc_id, self.corpus.load(hit.doc_id).text)
        except BriefreaderError as exc:
            self.notify(str(exc), severity="error")
            return
        targets = [p for p in placed if p.anchor.placed and hit.start <= p.anchor.start < hit.end]
        if not targets:
            self.notify("That passage has no annotation yet: tag it side by side (s) first")
            return
        target = targets[0].annotation
        question = (
            f"{source.annotation.tag} here … {target.tag} in {item.info.title} ¶{hit.passage}"
        )

        def chosen(relation: str | None) -> None:
            if relation is None:
                return
            link = Link(hit.doc_id, target.id, relation)
            try:
                self.store.link(document.id, source.annotation.id, link, document.text)
            except BriefreaderError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(f"Linked: {source.annotation.tag} here {relation} {target.tag} there")
            self.refresh_annotations()
            self.annotations_changed()

        self.push_screen(RelationScreen(question), chosen)

    def action_topic(self) -> None:
        from briefreader.core.compare import topic
        from briefreader.tui.screens.compare import TopicScreen

        if not self._compare_ready():
            return

        def find(query: str):
            return topic(self.search_index, self.store, query)

        self.push_screen(TopicScreen(find, self.search_state.query if self.search_state else ""))

    # -- export and statistics -------------------------------------------------------------
    # Their screens and core modules load on first use, not on the way to the first paint.

    def action_export(self) -> None:
        from briefreader.tui.screens.export import ExportScreen

        document = self.view.document
        title = document.info.title if document is not None else None
        self.push_screen(ExportScreen(self.workspace.root, title), self._export)

    def _export(self, request: ExportRequest | None) -> None:
        if request is None:
            return
        self._progress("export", None)
        self._run_export(request, self.view.document.id if self.view.document else None)

    @work(thread=True, group="export", exit_on_error=False)
    def _run_export(self, request: ExportRequest, doc_id: str | None) -> None:
        def progress(done: int, total: int, item: str) -> None:
            self.call_from_thread(self._progress, "export", total, done)

        from briefreader.core.excerpts import Filters
        from briefreader.core.export import build_export, write_export

        try:
            filters = Filters(tags=request.tags)
            if request.only_document and doc_id:
                filters.docs = (doc_id,)
            if request.query:
                if not self.index_ready:
                    raise ExportError("the search index is not ready yet; try again shortly")
                filters.passages = self.search_index.passages(request.query)
            text, collection = build_export(
                self.corpus, self.store, filters, request.fmt, request.group_by, progress
            )
            write_export(request.path, text)
        except BriefreaderError as exc:
            self.call_from_thread(
                self.notify, f"Export failed: {exc}", severity="error", timeout=15
            )
        else:
            count = len(collection.excerpts)
            self.call_from_thread(
                self.notify, f"Wrote {count} annotations to {request.path}", timeout=8
            )
        finally:
            self.call_from_thread(self._progress_done, "export")

    def action_stats(self) -> None:
        from briefreader.core.excerpts import collect
        from briefreader.core.stats import summarize
        from briefreader.tui.screens.stats import StatsScreen

        def summary(by: str):
            collection = collect(self.corpus, self.store)
            tags = tuple(tag.name for tag in self.codebook.tags)
            return summarize(self.corpus, collection.excerpts, by, tags)

        self.push_screen(StatsScreen(summary))

    def _terminate(self) -> None:
        """SIGTERM or SIGHUP (the terminal closed): save what can be saved, rescue the
        rest (nobody is there to answer the question quitting would ask), then leave."""
        self.retry_unsaved()
        self.rescue_unsaved()
        self._save_state()
        self.exit()

    async def action_quit(self) -> None:
        if not self.unsaved:
            self.exit()
            return
        count = len(self.unsaved)
        question = (
            f"{count} annotation change{'s' * (count != 1)} could not be saved "
            "(see the warning). Quit and lose them?"
        )

        def answer(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        from briefreader.tui.screens.confirm import ConfirmScreen

        self.push_screen(ConfirmScreen(question, "Quit and lose them", "Keep working"), answer)

    def on_unmount(self) -> None:
        self._cancel.set()
        self._document_shown.set()  # an index build waiting for it ends
        self._save_state()


def find_all(text: str, needle: str) -> list[tuple[int, int]]:
    """Every occurrence of `needle` in `text`, ignoring case."""
    if not needle.strip():
        return []
    folded, target = text.lower(), needle.lower()
    if len(folded) != len(text):  # lower() changed lengths: offsets would drift
        folded, target = text, needle
    spans, at = [], folded.find(target)
    while at >= 0:
        spans.append((at, at + len(target)))
        at = folded.find(target, at + len(target))
    return spans


def run(
    workspace: Workspace,
    annotator: str | None = None,
    *,
    on_first_frame: Callable[[], object] | None = None,
    first_read: FirstRead | None = None,
) -> None:
    BriefreaderApp(workspace, annotator, on_first_frame=on_first_frame, first_read=first_read).run()
