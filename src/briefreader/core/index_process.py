"""Index updates in a child process, for callers that must stay responsive (the reader).

Whoosh's writer is pure Python: in the reader's own process it holds the GIL for most of a
build, and every key waits its turn (at 30x on 2 cores, `j` took a median 34–38 ms instead
of 22, up to 147 ms). A child process builds on the other core instead (25 ms, up to 94 ms);
only progress and the report cross a socket. The child is `python -m` this module, not a
multiprocessing spawn, which would re-run the parent's main script in the child.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING

from briefreader.core.errors import IndexUnavailable
from briefreader.core.manifest import IndexReport
from briefreader.core.workspace import Workspace

if TYPE_CHECKING:
    from briefreader.core.index import Cancelled, Progress

POLL = 0.1  # seconds between asking `cancelled()` while the child works


def update_in_child(
    workspace: Workspace,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> IndexReport:
    """`SearchIndex.update` run in a child process, with its report and errors. Once
    `cancelled()` is true (asked ten times a second), the child stops before its next
    document (`report.cancelled`)."""
    ours, theirs = socket.socketpair()
    # the child finds this package where the parent did, even if only sys.path says where
    package_root = str(Path(__file__).resolve().parents[2])
    python_path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    with tempfile.TemporaryFile() as errors:
        try:
            child = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno()), str(workspace.root)]
                + (["--rebuild"] if rebuild else []),
                pass_fds=[theirs.fileno()],
                env=os.environ | {"PYTHONPATH": python_path},
                # the parent may be a full-screen app: nothing the child prints may reach it
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        except OSError as exc:
            ours.close()
            raise IndexUnavailable(
                f"cannot start the indexing process ({exc.strerror}); run `briefreader index`",
                workspace.index_dir,
            ) from None
        finally:
            theirs.close()
        connection = Connection(ours.detach())
        try:
            return _follow(connection, progress, cancelled)
        except EOFError:
            errors.seek(0)
            last = errors.read().decode(errors="replace").strip().splitlines()[-1:]
            raise IndexUnavailable(
                f"the indexing process stopped unexpectedly (exit code {child.wait()}"
                + "".join(f": {line}" for line in last)
                + "); run `briefreader index` to see why",
                workspace.index_dir,
            ) from None
        finally:
            connection.close()  # the child stops at its next document if it still runs
            child.wait()


def _follow(
    connection: Connection, progress: Progress | None, cancelled: Cancelled | None
) -> IndexReport:
    """Pass on the child's progress until its report, which is returned, or its error,
    which is raised; EOFError if it ends without either."""
    asked_to_stop = False
    while True:
        if cancelled is not None and not asked_to_stop and cancelled():
            asked_to_stop = _send(connection, "stop")
        if not wait([connection], POLL):
            continue
        try:
            kind, payload = connection.recv()
        except OSError:
            raise EOFError from None
        if kind == "progress":
            if progress is not None:
                progress(*payload)
        elif kind == "report":
            return payload
        elif kind == "error":
            raise payload
        else:  # a bug in the child: its traceback, as text
            raise RuntimeError(f"indexing failed in its process:\n{payload}")


def _send(connection: Connection, message: object) -> bool:
    try:
        connection.send(message)
    except OSError:  # the other side has gone
        return False
    return True


def _build(connection: Connection, root: Path, rebuild: bool) -> None:
    """The child: update the index, sending progress, then the report or the error."""
    from briefreader.core.corpus import Corpus
    from briefreader.core.errors import BriefreaderError
    from briefreader.core.index import SearchIndex

    cancel = threading.Event()

    def watch() -> None:  # any message from the parent, or its end, means stop
        with contextlib.suppress(EOFError, OSError):
            connection.recv()
        cancel.set()

    def progress(done: int, total: int, item: str) -> None:
        if not _send(connection, ("progress", (done, total, item))):
            cancel.set()  # the parent has gone: nobody waits for this index

    threading.Thread(target=watch, daemon=True).start()
    try:
        index = SearchIndex(Corpus(Workspace(root)))
        try:
            report = index.update(rebuild=rebuild, progress=progress, cancel=cancel)
        finally:
            index.close()
        _send(connection, ("report", report))
    except BriefreaderError as exc:
        _send(connection, ("error", exc))
    except BaseException:
        _send(connection, ("failed", traceback.format_exc()))


if __name__ == "__main__":
    _build(Connection(int(sys.argv[1])), Path(sys.argv[2]), "--rebuild" in sys.argv[3:])
