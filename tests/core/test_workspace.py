"""Which workspace opens, and the derived-data folder it keeps (DESIGN.md: "The workspace")."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from briefreader.core.errors import WorkspaceError
from briefreader.core.workspace import Workspace, resolve, sample_workspace
from tests.conftest import BUNDLED_CORPUS, DOC_IDS


def bundled_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in BUNDLED_CORPUS.iterdir() if p.is_file()}


def corpus_files(workspace: Workspace) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in workspace.corpus_dir.iterdir() if p.is_file()}


def test_explicit_path_wins_over_the_current_folder(workspace, tmp_path, monkeypatch):
    other = tmp_path / "other"
    (other / "corpus").mkdir(parents=True)
    monkeypatch.chdir(other)
    resolved = resolve(workspace.root)
    assert resolved.root == workspace.root
    assert resolved.corpus_dir == workspace.root / "corpus"
    assert resolved.annotations_dir == workspace.root / "annotations"
    assert resolved.state_dir == workspace.root / ".briefreader"


def test_explicit_relative_path_is_made_absolute(workspace, monkeypatch):
    monkeypatch.chdir(workspace.root.parent)
    resolved = resolve(workspace.root.name)
    assert resolved.root.is_absolute()
    assert resolved.root == workspace.root


def test_explicit_path_without_corpus_is_refused(tmp_path):
    with pytest.raises(WorkspaceError) as caught:
        resolve(tmp_path)
    assert caught.value.path == tmp_path
    assert "corpus" in str(caught.value)


def test_explicit_missing_path_is_refused(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(WorkspaceError) as caught:
        resolve(missing)
    assert str(missing) in str(caught.value)
    assert not missing.exists()


def test_current_folder_with_corpus_is_the_workspace(workspace, monkeypatch):
    monkeypatch.chdir(workspace.root)
    assert resolve().root == workspace.root
    assert resolve(cwd=workspace.root).root == workspace.root


def test_without_a_corpus_the_sample_is_copied_into_the_user_data_dir(
    tmp_path, monkeypatch, data_home
):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    resolved = resolve()
    assert resolved.root.is_relative_to(data_home)
    assert resolved.root.parent.name == "briefreader"
    assert corpus_files(resolved) == bundled_files()
    assert {p.name for p in resolved.corpus_dir.iterdir()} >= set(DOC_IDS)
    assert not empty.joinpath("corpus").exists()
    assert not list(resolved.root.parent.glob("*.partial"))


def test_the_sample_is_copied_once_and_then_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = resolve()
    note = first.corpus_dir / "my-own-notes.md"
    note.write_text("# Mine\n\nKept across runs.\n", encoding="utf-8")
    tatikyan = first.corpus_dir / DOC_IDS[-1]
    tatikyan.write_text("Edited by the user.\n", encoding="utf-8")
    second = resolve()
    assert second.root == first.root
    assert note.read_text(encoding="utf-8") == "# Mine\n\nKept across runs.\n"
    assert tatikyan.read_text(encoding="utf-8") == "Edited by the user.\n"


def test_sample_workspace_in_a_given_data_dir(tmp_path):
    workspace = sample_workspace(tmp_path / "data")
    assert workspace.root == tmp_path / "data" / "workspace"
    assert corpus_files(workspace) == bundled_files()


def test_a_half_copied_sample_is_not_mistaken_for_the_real_one(tmp_path):
    data = tmp_path / "data"
    (data / "workspace" / "corpus.partial").mkdir(parents=True)
    (data / "workspace" / "corpus.partial" / "half.txt").write_text("half", encoding="utf-8")
    workspace = sample_workspace(data)
    assert corpus_files(workspace) == bundled_files()
    assert not (data / "workspace" / "corpus.partial").exists()


def test_sample_that_cannot_be_created_is_a_clear_error(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data dir should be", encoding="utf-8")
    with pytest.raises(WorkspaceError) as caught:
        sample_workspace(blocker)
    assert "sample" in str(caught.value)


def test_prepare_state_writes_a_gitignore_that_ignores_everything(workspace):
    state = workspace.prepare_state()
    assert state == workspace.root / ".briefreader"
    ignore = state / ".gitignore"
    lines = [
        line.strip()
        for line in ignore.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines == ["*"]
    # a second call keeps what is there
    ignore.write_text("*\n# edited\n", encoding="utf-8")
    workspace.prepare_state()
    assert ignore.read_text(encoding="utf-8") == "*\n# edited\n"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_ignores_the_state_folder_without_help(workspace):
    root = workspace.root
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    state = workspace.prepare_state()
    (state / "index").mkdir()
    (state / "index" / "manifest.json").write_text("{}", encoding="utf-8")
    status = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert ".briefreader" not in status
    assert "corpus/" in status


def test_prepare_state_on_a_read_only_place_is_a_workspace_error(tmp_path):
    root = tmp_path / "ws"
    (root / "corpus").mkdir(parents=True)
    (root / ".briefreader").write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(WorkspaceError) as caught:
        Workspace(root).prepare_state()
    assert ".briefreader" in str(caught.value)


def test_the_repository_itself_is_a_workspace():
    repo = BUNDLED_CORPUS.parent
    assert resolve(cwd=repo).root == Path(repo).resolve()
