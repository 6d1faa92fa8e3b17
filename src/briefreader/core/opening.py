"""What the reader shows first: its library, whether the index is current, and the document
to open, read in one go off the UI thread.

The reader's command starts this read (`FirstRead`) before it loads Textual, which takes
longer: the first frame then shows the library and the document, not an empty reader that
fills a few frames later.
"""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass

from briefreader.core.annotations import AnnotationStore
from briefreader.core.corpus import Corpus, Document
from briefreader.core.errors import BriefreaderError, Problem, WorkspaceError
from briefreader.core.manifest import Manifest
from briefreader.core.models import DocumentInfo
from briefreader.core.state import ReaderState
from briefreader.core.workspace import Workspace


@dataclass(frozen=True)
class Opening:
    documents: tuple[DocumentInfo, ...]
    problems: tuple[Problem, ...]  # of the corpus as a whole
    error: WorkspaceError | None  # no corpus to read at all
    index_current: bool
    document: Document | None  # the last one read, else the first; None if unreadable


def read_opening(corpus: Corpus, store: AnnotationStore, state: ReaderState) -> Opening:
    try:
        documents, problems, error = corpus.documents, corpus.problems, None
    except WorkspaceError as exc:
        documents, problems, error = (), (), exc
    current = bool(documents) and Manifest(corpus.workspace.index_dir, store).is_current(corpus)
    document = None
    if documents:
        with contextlib.suppress(BriefreaderError):  # the reader reads it again to say why
            document = read_document(corpus, store, to_open(documents, state))
    return Opening(documents, problems, error, current, document)


def to_open(documents: tuple[DocumentInfo, ...], state: ReaderState) -> str:
    """The id of the document to open: the last one read, if still there, else the first."""
    last = state.last_document
    return last if any(d.id == last for d in documents) else documents[0].id


def read_document(corpus: Corpus, store: AnnotationStore, doc_id: str) -> Document:
    """A document, with its annotation file parsed (0.15-0.3 s for 1,000 annotations), so
    that showing them costs no parse; a file that cannot be read is reported then."""
    document = corpus.load(doc_id)
    with contextlib.suppress(BriefreaderError):
        store.load(doc_id)
    return document


class FirstRead:
    """`read_opening` of a workspace, started at once in a thread of its own, on the
    corpus, annotation store and reader state that the reader goes on with.

    With `fork`, for a process that has just started (the reader's command), a first start
    on a workspace (no index yet) has a copy of the process parse the catalog and normalise
    the document to open, on another core, and keep both for the read here: PyYAML's import
    and the normaliser's (40-60 ms) would otherwise compete for the GIL with Textual's, and
    the first frame would wait for both.
    """

    def __init__(self, workspace: Workspace, *, fork: bool = False) -> None:
        self.corpus = Corpus(workspace)
        self.store = AnnotationStore(workspace)
        self.state = ReaderState.load(workspace)
        self.opening: Future[Opening] = Future()
        child = self._keep_in_child() if fork and _worth_a_copy(workspace) else None
        threading.Thread(target=self._start, args=(child,), name="first-read", daemon=True).start()

    def _keep_in_child(self) -> int | None:
        """The pid of a copy of this process that lists the documents and loads the one to
        open, which keeps the catalog's parse and the document's normalised text on disk;
        None if there can be none."""
        try:
            pid = os.fork()
        except OSError:
            return None
        if pid:
            return pid
        try:  # the copy: nothing it does may reach the terminal or run at exit
            documents = self.corpus.documents
            if documents:
                self.corpus.load(to_open(documents, self.state))
        finally:
            os._exit(0)

    def _start(self, child: int | None) -> None:
        if child is not None:
            with contextlib.suppress(ChildProcessError):  # reaped elsewhere: it has ended
                os.waitpid(child, 0)
        self._read()

    def _read(self) -> None:
        try:
            self.opening.set_result(read_opening(self.corpus, self.store, self.state))
        except BaseException as exc:  # handed to whoever waits for the opening
            self.opening.set_exception(exc)


def _worth_a_copy(workspace: Workspace) -> bool:
    """Whether a copy of this process could read ahead for a first start: fork is safe only
    while a process has one thread, the copy needs a core of its own to gain anything, and
    somewhere to keep what it reads."""
    if not hasattr(os, "fork") or threading.active_count() > 1 or workspace.index_dir.exists():
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    keep_in = workspace.state_dir if workspace.state_dir.exists() else workspace.root
    return (cores or 1) > 1 and keep_in.is_dir() and os.access(keep_in, os.W_OK)
