"""Workspaces of a small part of the corpus, quick to index, for tests that change things."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from briefreader.core.corpus import Corpus
from briefreader.core.index import SearchIndex
from briefreader.core.workspace import Workspace
from tests.conftest import AIR_JAN, APRI, BUNDLED_CORPUS, TATIKYAN

# The corpus without its two largest files, quick to rebuild, for tests that change things.
SMALL = (AIR_JAN, APRI, TATIKYAN)


@pytest.fixture(scope="module")
def small_built(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("small") / "workspace"
    (root / "corpus").mkdir(parents=True)
    for name in (*SMALL, "catalog.yaml"):
        shutil.copy2(BUNDLED_CORPUS / name, root / "corpus" / name)
    workspace = Workspace(root)
    index = SearchIndex(Corpus(workspace))
    assert sorted(index.update().added) == sorted(SMALL)
    index.close()
    return workspace


@pytest.fixture
def small(small_built: Workspace, tmp_path: Path) -> Workspace:
    """A writable workspace of the SMALL documents, not indexed yet."""
    shutil.copytree(small_built.corpus_dir, tmp_path / "small" / "corpus")
    return Workspace(tmp_path / "small")


@pytest.fixture
def small_indexed(small_built: Workspace, tmp_path: Path) -> Workspace:
    """A writable workspace of the SMALL documents with their up-to-date index."""
    shutil.copytree(small_built.root, tmp_path / "small")
    return Workspace(tmp_path / "small")


@pytest.fixture
def open_index() -> Iterator[Callable[[Workspace], SearchIndex]]:
    """open_index(ws): a SearchIndex on a fresh Corpus of `ws`, closed after the test."""
    opened: list[SearchIndex] = []

    def make(ws: Workspace) -> SearchIndex:
        opened.append(SearchIndex(Corpus(ws)))
        return opened[-1]

    yield make
    for index in opened:
        index.close()
