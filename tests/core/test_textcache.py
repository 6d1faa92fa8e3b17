"""Normalised texts kept on disk between sessions (a cache, never trusted)."""

from __future__ import annotations

import json

import pytest

from briefreader.core import corpus as corpus_module
from briefreader.core import normalize as normalize_module
from briefreader.core.corpus import Corpus
from briefreader.core.index import SearchIndex
from tests.conftest import BAKU, TATIKYAN


def cached_files(workspace) -> list:
    return sorted((workspace.state_dir / "texts").glob("*.json"))


def forbid_normalising(monkeypatch) -> None:
    """Fail the test at any call of `normalize`, however the corpus imports it."""

    def fail(raw):
        pytest.fail("normalised again")

    monkeypatch.setattr(normalize_module, "normalize", fail)
    monkeypatch.setattr(corpus_module, "normalize", fail, raising=False)


def test_a_document_is_normalised_once_across_sessions(workspace, monkeypatch):
    first = Corpus(workspace).load(BAKU)
    assert len(cached_files(workspace)) == 1
    forbid_normalising(monkeypatch)
    again = Corpus(workspace).load(BAKU)  # a new session
    assert again.text == first.text
    assert again.encoding == first.encoding and again.info == first.info


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: "{ not json",
        lambda data: json.dumps({**json.loads(data), "version": -1}),
        lambda data: json.dumps({**json.loads(data), "blocks": [["nonsense", 0, 5, 0]]}),
        lambda data: json.dumps({**json.loads(data), "sha256": "0" * 64}),
        lambda data: "",
    ],
    ids=["garbage", "other-normaliser", "odd-block", "other-document", "empty"],
)
def test_a_damaged_or_stale_text_is_normalised_again(workspace, damage):
    first = Corpus(workspace).load(TATIKYAN)
    [path] = cached_files(workspace)
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert Corpus(workspace).load(TATIKYAN).text == first.text


def test_an_edited_document_is_normalised_anew(workspace):
    Corpus(workspace).load(TATIKYAN)
    path = workspace.corpus_dir / TATIKYAN
    path.write_text(path.read_text(encoding="utf-8") + "\n\nA new closing paragraph.\n")
    assert Corpus(workspace).load(TATIKYAN).text.passages[-1].text == "A new closing paragraph."
    assert len(cached_files(workspace)) == 2


def test_indexing_forgets_the_texts_of_changed_documents(workspace):
    Corpus(workspace).load(TATIKYAN)
    [old] = cached_files(workspace)
    path = workspace.corpus_dir / TATIKYAN
    path.write_text(path.read_text(encoding="utf-8") + "\n\nA new closing paragraph.\n")
    index = SearchIndex(Corpus(workspace))
    index.update()
    index.close()
    assert not old.exists()  # Tatikyan's text is not that one now
    assert len(cached_files(workspace)) == len(Corpus(workspace).documents)


def test_a_read_only_workspace_goes_without(workspace, monkeypatch):
    def unwritable(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("briefreader.core.textcache.write_atomic", unwritable)
    assert Corpus(workspace).load(TATIKYAN).text.passages
    assert cached_files(workspace) == []


def test_after_an_index_build_no_document_is_normalised_when_opened(workspace, monkeypatch):
    index = SearchIndex(Corpus(workspace))
    index.update()
    index.close()
    forbid_normalising(monkeypatch)
    documents = Corpus(workspace).documents
    assert len(documents) == 5
    for info in documents:
        assert Corpus(workspace).load(info).text.passages
