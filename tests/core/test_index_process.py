"""Index updates in a child process: the same index, report and errors as in this process."""

from __future__ import annotations

import sys
import threading

import pytest

from briefreader.core.errors import IndexUnavailable, WorkspaceError
from briefreader.core.index_process import update_in_child
from briefreader.core.workspace import Workspace
from tests.core.conftest import SMALL

QUERIES = ("Armenia", '"peace treaty"', "negotiaton~", "side:armenian Azerbaijan")


def found(index, query: str) -> list[tuple[str, int]]:
    return [(hit.doc_id, hit.passage) for hit in index.search(query, limit=1000).hits]


def test_a_child_builds_the_index_this_process_would(small, small_built, open_index):
    calls: list[tuple[int, int, str]] = []
    report = update_in_child(small, progress=lambda *call: calls.append(call))
    assert sorted(report.added) == sorted(SMALL)
    assert not report.cancelled
    assert calls[-1][0] == calls[-1][1] > 0  # progress reaches the total
    assert {item for _, _, item in calls} >= set(SMALL)
    ours, theirs = open_index(small), open_index(small_built)  # small_built: in this process
    assert ours.is_current()
    for query in QUERIES:
        assert found(ours, query) == found(theirs, query), query
    assert found(ours, "Armenia")
    again = update_in_child(small)
    assert sorted(again.unchanged) == sorted(SMALL)
    assert again.passages == 0


def test_a_cancelled_child_stops_and_the_next_update_finishes(small, open_index):
    cancel = threading.Event()
    cancel.set()
    report = update_in_child(small, cancelled=cancel.is_set)
    assert report.cancelled
    assert not open_index(small).is_current()
    assert sorted(update_in_child(small).added) == sorted(SMALL)
    assert open_index(small).is_current()


def test_the_childs_error_is_raised_here_with_its_message(tmp_path):
    with pytest.raises(WorkspaceError, match="no corpus/ folder") as caught:
        update_in_child(Workspace(tmp_path))
    assert caught.value.path == tmp_path / "corpus"


def test_a_child_that_dies_is_an_error_with_its_exit_code_and_last_words(
    small, monkeypatch, tmp_path
):
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\necho Traceback >&2\necho 'MemoryError: no memory' >&2\nexit 3")
    python.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(python))
    expected = r"stopped unexpectedly \(exit code 3: MemoryError: no memory\)"
    with pytest.raises(IndexUnavailable, match=expected):
        update_in_child(small)


def test_a_python_that_cannot_be_started_is_an_error(small, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    with pytest.raises(IndexUnavailable, match="cannot start the indexing process"):
        update_in_child(small)
