"""Shared fixtures: throw-away workspaces copied from the bundled corpus, an index built once."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest

from briefreader.core.corpus import Corpus
from briefreader.core.index import SearchIndex
from briefreader.core.models import NormalizedText
from briefreader.core.normalize import normalize
from briefreader.core.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]
BUNDLED_CORPUS = REPO / "corpus"

BAKU = "baku-dialogues-vol6-no2-winter-2022-2023.txt"
AIR_JAN = "air-center-bulletin-2025-01.txt"
AIR_FEB = "air-center-bulletin-2025-02.txt"
APRI = "apri-armenia-articles-on-azerbaijan.txt"
TATIKYAN = "tatikyan-azerbaijan-obstruction-of-peace-process.txt"
DOC_IDS = (AIR_JAN, AIR_FEB, APRI, BAKU, TATIKYAN)


def copy_workspace(target: Path, *, with_state_from: Path | None = None) -> Workspace:
    """A workspace at `target` holding a copy of the bundled corpus (and, if given, the
    `.briefreader/` of another workspace). copytree keeps file times to the nanosecond."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(BUNDLED_CORPUS, target / "corpus")
    if with_state_from is not None:
        shutil.copytree(with_state_from / ".briefreader", target / ".briefreader")
    return Workspace(target.resolve())


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test reads or writes the user's home, data dir or workspace setting."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv("BRIEFREADER_WORKSPACE", raising=False)
    return home


@pytest.fixture
def data_home() -> Path:
    """Where platformdirs puts the user data dir during a test (set by _isolated_home)."""
    import os

    return Path(os.environ["XDG_DATA_HOME"])


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A fresh, writable copy of the bundled corpus as a workspace (no index yet)."""
    return copy_workspace(tmp_path / "workspace")


@pytest.fixture
def corpus(workspace: Workspace) -> Corpus:
    return Corpus(workspace)


@pytest.fixture(scope="session")
def built_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A copy of the bundled corpus with its index built once per session. Read only:
    tests that change files or the index copy it first (see `indexed_workspace`)."""
    ws = copy_workspace(tmp_path_factory.mktemp("built") / "workspace")
    index = SearchIndex(Corpus(ws))
    report = index.update()
    index.close()
    assert sorted(report.added) == sorted(DOC_IDS)
    return ws


@pytest.fixture(scope="session")
def search_index(built_workspace: Workspace) -> Iterator[SearchIndex]:
    """A searcher on the session's index of the bundled corpus, for read-only tests."""
    index = SearchIndex(Corpus(built_workspace))
    yield index
    index.close()


@pytest.fixture
def indexed_workspace(built_workspace: Workspace, tmp_path: Path) -> Workspace:
    """A writable copy of the bundled corpus together with its up-to-date index."""
    return copy_workspace(tmp_path / "indexed", with_state_from=built_workspace.root)


@cache
def _normalized(doc_id: str) -> NormalizedText:
    return normalize(raw_text(doc_id))


@cache
def raw_text(doc_id: str) -> str:
    """The bundled file's text, as it is on disk."""
    return (BUNDLED_CORPUS / doc_id).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def normalized() -> Callable[[str], NormalizedText]:
    """normalized(doc_id): the normalised text of a bundled document (computed once)."""
    return _normalized


@pytest.fixture(scope="session")
def raw() -> Callable[[str], str]:
    """raw(doc_id): the raw text of a bundled document."""
    return raw_text
