"""What the reader reads before showing anything: the library, the index's state, the document
to open, and the thread that reads them while Textual loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from briefreader.core.annotations import AnnotationStore
from briefreader.core.corpus import Corpus
from briefreader.core.errors import WorkspaceError
from briefreader.core.opening import FirstRead, read_opening
from briefreader.core.state import ReaderState
from briefreader.core.workspace import Workspace
from tests.conftest import AIR_JAN, BAKU, DOC_IDS, TATIKYAN


def opening_of(workspace: Workspace):
    return read_opening(Corpus(workspace), AnnotationStore(workspace), ReaderState.load(workspace))


def remember(workspace: Workspace, doc_id: str) -> None:
    workspace.prepare_state()
    (workspace.state_dir / "reader.json").write_text(json.dumps({"last_document": doc_id}))


def test_a_first_visit_opens_the_first_document_and_finds_no_index(workspace):
    opening = opening_of(workspace)
    assert [info.id for info in opening.documents] == sorted(DOC_IDS)
    assert opening.document.id == AIR_JAN
    assert opening.document.text.passages
    assert (opening.problems, opening.error) == ((), None)
    assert not opening.index_current


def test_the_last_document_read_is_opened_again(workspace):
    remember(workspace, BAKU)
    assert opening_of(workspace).document.id == BAKU


def test_a_last_document_since_removed_gives_the_first(workspace):
    remember(workspace, TATIKYAN)
    (workspace.corpus_dir / TATIKYAN).unlink()
    assert opening_of(workspace).document.id == AIR_JAN


def test_a_document_that_cannot_be_read_leaves_the_library_whole(workspace):
    remember(workspace, TATIKYAN)
    (workspace.corpus_dir / TATIKYAN).write_bytes(b"\x00\x01binary")
    opening = opening_of(workspace)
    assert opening.document is None
    assert len(opening.documents) == len(DOC_IDS)


def test_a_bad_annotation_file_does_not_keep_its_document_from_opening(workspace):
    bad = AnnotationStore(workspace).path_for(AIR_JAN)
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text("annotations: [unclosed\n", encoding="utf-8")
    opening = opening_of(workspace)
    assert opening.document.id == AIR_JAN


def test_a_workspace_without_a_corpus_is_an_error_with_nothing_to_open(tmp_path):
    opening = opening_of(Workspace(tmp_path))
    assert isinstance(opening.error, WorkspaceError)
    assert (opening.documents, opening.document, opening.index_current) == ((), None, False)


def test_an_index_brought_up_to_date_is_found_current(built_workspace):
    assert opening_of(built_workspace).index_current


def test_the_first_read_gives_the_same_on_the_objects_it_hands_over(workspace):
    remember(workspace, BAKU)
    first = FirstRead(workspace)
    opening = first.opening.result(timeout=30)
    assert opening == opening_of(workspace)
    assert first.state.last_document == BAKU
    # the reader goes on with these: the document is already in the corpus's memory
    assert first.corpus.load(BAKU) is opening.document


def test_a_failure_of_the_first_read_reaches_whoever_waits_for_it(workspace, monkeypatch):
    def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr("briefreader.core.opening.read_opening", broken)
    first = FirstRead(workspace)
    assert isinstance(first.opening.exception(timeout=30), RuntimeError)


# a reader's first read, in a fresh interpreter as the reader's command makes it (with fork
# unless told "no fork"; on one core if told "one core")
FIRST_READ = """
import json, os, sys
from pathlib import Path
from briefreader.core.opening import FirstRead
from briefreader.core.workspace import Workspace
if "one core" in sys.argv:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
forks, fork = [], os.fork
os.fork = lambda: forks.append(1) or fork()
first = FirstRead(Workspace(Path(sys.argv[1])), fork="no fork" not in sys.argv)
opening = first.opening.result(timeout=60)
print(json.dumps({
    "documents": len(opening.documents),
    "document": opening.document.id if opening.document else None,
    "problems": [str(p) for p in opening.problems],
    "loaded": [m for m in ("yaml", "briefreader.core.normalize") if m in sys.modules],
    "forked": bool(forks),
}))
"""
FORKS = hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) > 1  # Linux


def first_read_at_start(workspace: Workspace, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", FIRST_READ, str(workspace.root), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # nothing reached the terminal, from the copy either
    return json.loads(result.stdout)


READ_IT_ALL = {"documents": 5, "document": AIR_JAN, "problems": []}


@pytest.mark.skipif(not FORKS, reason="needs fork and two cores")
def test_a_first_start_parses_and_normalises_in_a_copy_of_the_process(workspace):
    """What a first start reads beyond a later one (the catalog, parsed by PyYAML, and the
    document to open, normalised) is done by a copy of the process, on another core, and
    kept: the reader's own process loads neither."""
    assert first_read_at_start(workspace) == READ_IT_ALL | {"loaded": [], "forked": True}
    assert (workspace.state_dir / "catalog.json").is_file()
    assert len(list((workspace.state_dir / "texts").glob("*.json"))) == 1


@pytest.mark.skipif(not FORKS, reason="needs fork and two cores")
@pytest.mark.parametrize("case", ["no fork", "one core", "nowhere to keep"])
def test_no_copy_is_made_where_it_cannot_gain_anything(workspace, case):
    """Not asked to (a library's or a test's first read), one core, or nowhere to keep
    what a copy would read: the process reads it all, as a later start would."""
    if case == "nowhere to keep":
        workspace.state_dir.write_text("not a folder")
    report = first_read_at_start(workspace, case)
    everything = ["yaml", "briefreader.core.normalize"]
    assert report == READ_IT_ALL | {"loaded": everything, "forked": False}


def test_a_malformed_catalog_on_a_first_start_is_still_reported(workspace):
    (workspace.corpus_dir / "catalog.yaml").write_text("- [not closed\n", encoding="utf-8")
    report = first_read_at_start(workspace)
    assert report["documents"] == 5 and report["document"] == AIR_JAN
    assert len(report["problems"]) == 1 and "catalog.yaml:" in report["problems"][0]
    assert "yaml" in report["loaded"]  # nothing kept for a bad catalog: parsed here again
