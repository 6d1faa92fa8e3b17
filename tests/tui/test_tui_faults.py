"""Faults the reader must survive (issue 7, items 3 and 4): a worker that raises; SIGTERM or
SIGHUP (the terminal closed, the session killed): what can be saved is saved, then a clean
exit; a damaged index, rebuilt while the reader reads and tags."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading

import pytest
import yaml

from briefreader.core import atomic, index_process
from briefreader.core.annotations import AnnotationStore
from briefreader.core.corpus import Corpus
from briefreader.core.errors import AnnotationError
from briefreader.core.index import SearchIndex
from briefreader.core.workspace import Workspace
from briefreader.tui.app import BriefreaderApp
from tests.tui.conftest import settle, wait_for
from tests.tui.test_tui_annotating import Recorder, path_of, run_app, tags_on_disk

AIR_JAN = "air-center-bulletin-2025-01.txt"  # the document the reader opens first
TATIKYAN = "tatikyan-azerbaijan-obstruction-of-peace-process.txt"
SIZE = (120, 36)


@pytest.fixture
def ws(tui_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("BRIEFREADER_ANNOTATOR", "tester")
    return tui_workspace


def errors(app: BriefreaderApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


def test_an_exception_in_a_worker_is_reported_and_the_app_stays_up(ws, monkeypatch):
    """Textual ends the app when a worker raises, unless told otherwise: a bug in reading one
    document must cost that document, not the session."""
    load = Corpus.load

    def failing(self, doc_id):
        if doc_id == TATIKYAN:
            raise RuntimeError("simulated bug while reading")
        return load(self, doc_id)

    monkeypatch.setattr(Corpus, "load", failing)

    async def scenario(app, pilot):
        app.open_document(TATIKYAN)
        await wait_for(
            pilot, lambda: any("simulated bug" in m for m in errors(app)), "the failure shown"
        )
        await settle(pilot)
        assert app.is_running
        [message] = [m for m in errors(app) if "simulated bug" in m]
        assert "failed" in message
        assert app.view.document.id == AIR_JAN  # what was open stays open
        await pilot.press("j")  # and the reader still reads
        assert app.view.passage.number == 2

    app = run_app(ws, scenario).app
    assert app.return_code in (None, 0)


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_a_signal_saves_pending_changes_and_the_position_then_exits_cleanly(ws, name):
    sig = getattr(signal, name)
    moved: dict[str, int] = {}

    async def scenario(app, pilot):
        handlers = getattr(asyncio.get_running_loop(), "_signal_handlers", {})
        assert sig in handlers, f"no {name} handler: the signal would end the test run"
        with pytest.MonkeyPatch.context() as patch:  # the disk is full while tagging

            def full(*args, **kwargs):
                raise OSError(28, "No space left on device")

            patch.setattr(atomic.os, "fsync", full)
            await pilot.press("f")
            await settle(pilot)
            assert app.unsaved and not path_of(ws).exists()
        await pilot.press("j", "j", "j")  # space again; the reader moved on
        moved["passage"] = app.view.passage.number
        os.kill(os.getpid(), sig)
        await wait_for(pilot, lambda: not app.is_running, f"the app to exit on {name}")

    app = run_app(ws, scenario).app
    assert app.return_code == 0
    assert tags_on_disk(ws) == ["factual"]  # the change kept in memory was saved on the way out
    state = json.loads((ws.state_dir / "reader.json").read_text(encoding="utf-8"))
    assert state["last_document"] == AIR_JAN
    assert state["positions"][AIR_JAN] == moved["passage"] == 4


def test_a_damaged_index_is_rebuilt_while_reading_and_tagging_go_on(ws, monkeypatch):
    for toc in ws.index_dir.glob("*.toc"):
        toc.write_bytes(b"\x00garbage")
    release = threading.Event()
    update = index_process.update_in_child

    def held(*args, **kwargs):  # the rebuild waits until the reader has read and tagged
        release.wait(timeout=30)
        return update(*args, **kwargs)

    monkeypatch.setattr(index_process, "update_in_child", held)

    async def scenario(app, pilot):
        try:
            await wait_for(pilot, lambda: app.view.document is not None, "the first document")
            assert not app.index_ready
            app.view.focus()
            await pilot.press("j", "f")
            await wait_for(pilot, lambda: tags_on_disk(ws) == ["factual"], "the tag saved")
            assert not app.index_ready
        finally:
            release.set()
        await wait_for(pilot, lambda: app.index_ready, "the rebuilt index")
        assert app.is_running
        assert any("rebuil" in message.lower() for message in recorder.messages())

    app = BriefreaderApp(ws)
    recorder = Recorder(app)  # every notification, expired ones too
    app.notify = recorder.wrap(app.notify)

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await scenario(app, pilot)
            await settle(pilot)

    asyncio.run(main())
    monkeypatch.undo()
    index = SearchIndex(Corpus(ws))
    try:
        assert index.is_current()
        hits = index.search("tag:factual").hits
        assert [(hit.doc_id, hit.passage) for hit in hits] == [(AIR_JAN, 2)]
    finally:
        index.close()


def test_changes_still_unsaveable_at_sigterm_are_rescued_not_lost(ws):
    """The disk stays full up to the signal: the change is written beside the workspace,
    where the next start and `check` point to it; the annotation file is left as it was."""
    rescued: dict[str, object] = {}

    async def scenario(app, pilot):
        fsync = os.fsync
        with pytest.MonkeyPatch.context() as patch:

            def full(*args, **kwargs):
                raise OSError(28, "No space left on device")

            patch.setattr(atomic.os, "fsync", full)
            await pilot.press("f")
            await settle(pilot)
            assert app.unsaved
            patch.setattr(atomic.os, "fsync", fsync)  # room for a rescue, not the file:

            def refused(*args, **kwargs):
                raise AnnotationError("cannot save (No space left on device)", path_of(ws))

            patch.setattr(app.store, "apply", refused)
            os.kill(os.getpid(), signal.SIGTERM)
            await wait_for(pilot, lambda: not app.is_running, "the app to exit")
            rescued["files"] = app.store.rescued()

    run_app(ws, scenario)
    assert not path_of(ws).exists()
    [path] = rescued["files"]
    assert path.parent == ws.state_dir / "rescued"
    saved = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert saved["document"] == AIR_JAN
    assert [a["tag"] for a in saved["annotations"]] == ["factual"]
    problems = list(AnnotationStore(ws).problems({AIR_JAN}, {"factual"}))
    assert any("could not be saved when the reader had to quit" in str(p) for p in problems)
