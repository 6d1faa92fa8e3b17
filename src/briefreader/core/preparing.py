"""Documents prepared for the index (read, normalised, annotated: `passages.prepare`) in
order, by a second process a few documents ahead of Whoosh's writer when there is enough
to gain: on two cores, normalising then takes nothing from the writer."""

from __future__ import annotations

import signal
import threading
from collections import deque
from collections.abc import Iterator
from itertools import islice
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait

from briefreader.core.annotations import AnnotationStore
from briefreader.core.catalog import Catalog
from briefreader.core.corpus import Corpus
from briefreader.core.errors import IndexUnavailable, Problem
from briefreader.core.machine import usable_cores
from briefreader.core.manifest import Manifest
from briefreader.core.models import DocumentInfo
from briefreader.core.passages import Prepared, prepare
from briefreader.core.workspace import Workspace

# Bytes of documents below which they are prepared here: a second process's start (an
# interpreter and the core's imports, 0.3-0.5 s) would cost more than the work it takes
# over (normalising runs at 3-8 MB/s, Whoosh's writer at 0.1-0.3 MB/s)
SECOND_PROCESS_BYTES = 4_000_000
AHEAD = 3  # documents prepared ahead of the writer: enough to keep it fed, few in memory
POLL = 0.1  # seconds between looks at `cancel` while the writer waits for a document

Made = tuple[DocumentInfo, Prepared | Problem]


def prepared(
    corpus: Corpus,
    manifest: Manifest,
    infos: list[DocumentInfo],
    size: int,
    cancel: threading.Event,
) -> Iterator[Made]:
    """Each of `infos` (`size` bytes in all) prepared, in order, until `cancel` is set."""
    if size >= SECOND_PROCESS_BYTES and usable_cores() >= 2:
        yield from _prepared_elsewhere(corpus, infos, cancel)
        return
    for info in infos:
        if cancel.is_set():
            return
        yield info, prepare(corpus, manifest, info)


def _prepared_elsewhere(
    corpus: Corpus, infos: list[DocumentInfo], cancel: threading.Event
) -> Iterator[Made]:
    # spawned, not forked: the process asking may run threads (a reader, a progress bar)
    context = get_context("spawn")
    here, there = context.Pipe()
    # the catalog as this process read it, so that titles come out as its listing has them
    process = context.Process(
        target=_serve, args=(there, corpus.workspace, corpus.catalog), daemon=True
    )
    process.start()
    there.close()  # only the second process holds that end now: it sees this one end
    try:
        waiting = iter(infos)
        sent = deque(islice(waiting, AHEAD))
        for info in sent:
            _send(here, info, process, corpus.workspace)
        while sent:
            made = _receive(here, process, cancel, corpus.workspace)
            if made is None:
                return
            if (following := next(waiting, None)) is not None:
                _send(here, following, process, corpus.workspace)
                sent.append(following)
            yield sent.popleft(), made
        _send(here, None, process, corpus.workspace)  # nothing more: it ends
        process.join()
    finally:
        # stopped early (cancelled, the writer failed, ctrl+c): what it prepares is unwanted
        if process.is_alive():
            process.terminate()
        process.join()
        here.close()


def _send(connection: Connection, info: DocumentInfo | None, process, workspace: Workspace):
    try:
        connection.send(info)
    except OSError:  # its end closed: it has ended
        raise _stopped(process, workspace) from None


def _receive(
    connection: Connection, process, cancel: threading.Event, workspace: Workspace
) -> Prepared | Problem | None:
    """The next document prepared, or None once `cancel` is set."""
    while not wait([connection, process.sentinel], POLL):
        if cancel.is_set():
            return None
    try:
        failed, made = connection.recv()
    except (EOFError, OSError):  # it ended with nothing more sent
        raise _stopped(process, workspace) from None
    if failed:
        raise made
    return made


def _stopped(process, workspace: Workspace) -> IndexUnavailable:
    process.join(1)  # for its exit code
    return IndexUnavailable(
        f"the process preparing documents stopped (exit code {process.exitcode}; out of "
        "memory?); run `briefreader index` again",
        workspace.index_dir,
    )


def _serve(connection: Connection, workspace: Workspace, catalog: Catalog) -> None:
    """The second process: prepare each document asked for, until told to end, or until
    the process asking has gone (its end of the pipe closed)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl+c is for the process asking
    corpus = Corpus(workspace)
    corpus.catalog = catalog
    manifest = Manifest(workspace.index_dir, AnnotationStore(workspace))
    while True:
        try:
            info = connection.recv()
        except EOFError:
            return
        if info is None:
            return
        try:
            reply = (False, prepare(corpus, manifest, info))
        except Exception as exc:  # raised again in the process asking
            reply = (True, exc)
        try:
            connection.send(reply)
        except OSError:  # the process asking has gone
            return
