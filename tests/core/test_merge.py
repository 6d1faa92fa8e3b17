"""The git merge driver for annotation files (issue 8, item 6): merged by annotation id, a
true conflict kept as two versions marked `conflict_with` and reported, never a broken YAML
file; installed by `install`; and end to end with real git repositories and clones."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from briefreader.core.annotations import (
    AnnotationFile,
    AnnotationStore,
    make_annotation,
    parse,
    render,
    span_in_passage,
)
from briefreader.core.corpus import Corpus
from briefreader.core.merge import (
    ATTRIBUTE_LINES,
    CONFLICT_KEY,
    MergeError,
    doc_id_for,
    driver_for_python,
    install,
    merge_contents,
    merge_files,
    run,
)
from briefreader.core.models import Annotation, Link, Target
from briefreader.core.workspace import Workspace
from tests.conftest import BUNDLED_CORPUS, TATIKYAN

DOC = "memo.txt"
PATH_NAME = f"annotations/{DOC}.yaml"


def ann(ident: str, start: int = 0, tag: str = "factual", **kw) -> Annotation:
    target = kw.pop("target", Target(f"quote {ident}", "", "", start, start + 5))
    kw.setdefault("annotator", "alice")
    kw.setdefault("created", "2026-01-01T00:00:00Z")
    kw.setdefault("updated", "2026-01-01T00:00:00Z")
    return Annotation(ident, tag, target, **kw)


def doc(*annotations: Annotation, **extra) -> AnnotationFile:
    return AnnotationFile(DOC, list(annotations), dict(extra))


def ids(contents: AnnotationFile) -> list[str]:
    return sorted(a.id for a in contents.annotations)


def get(contents: AnnotationFile, ident: str) -> Annotation:
    return next(a for a in contents.annotations if a.id == ident)


A, B, C = ann("a", 0), ann("b", 10), ann("c", 20)


# --- the merge table --------------------------------------------------------------------


def test_annotations_new_on_either_side_are_kept():
    merged, conflicts = merge_contents(doc(A), doc(A, B), doc(A, C))
    assert ids(merged) == ["a", "b", "c"] and conflicts == []


def test_deleted_on_one_side_and_unchanged_on_the_other_is_deleted():
    for ours, theirs in [(doc(A), doc(A, B)), (doc(A, B), doc(A))]:
        merged, conflicts = merge_contents(doc(A, B), ours, theirs)
        assert ids(merged) == ["a"] and conflicts == []


def test_deleted_on_both_sides_is_deleted():
    merged, conflicts = merge_contents(doc(A, B), doc(A), doc(A))
    assert ids(merged) == ["a"] and conflicts == []


def test_changed_on_one_side_only_takes_that_change():
    changed = replace(B, note="a new note", updated="2026-02-01T00:00:00Z")
    for ours, theirs in [(doc(A, changed), doc(A, B)), (doc(A, B), doc(A, changed))]:
        merged, conflicts = merge_contents(doc(A, B), ours, theirs)
        assert get(merged, "b") == changed and conflicts == []


def test_changed_identically_on_both_sides_is_kept_once_with_the_later_stamp():
    ours = replace(B, tag="disputed", updated="2026-02-01T00:00:00Z")
    theirs = replace(B, tag="disputed", updated="2026-03-01T00:00:00Z")
    merged, conflicts = merge_contents(doc(B), doc(ours), doc(theirs))
    assert merged.annotations == [theirs] and conflicts == []


def test_different_fields_changed_on_each_side_merge_field_by_field():
    moved = Target("quote b", "before ", " after", 110, 115)
    ours = replace(B, note="checked against OSCE", updated="2026-02-01T00:00:00Z")
    theirs = replace(B, target=moved, updated="2026-01-15T00:00:00Z")
    merged, conflicts = merge_contents(doc(B), doc(ours), doc(theirs))
    assert conflicts == []
    assert merged.annotations == [replace(ours, target=moved)]


def test_changed_differently_on_both_sides_keeps_both_marked_as_the_store_does():
    ours = replace(B, note="ours", updated="2026-02-01T00:00:00Z")
    theirs = replace(B, note="theirs", updated="2026-02-02T00:00:00Z")
    merged, conflicts = merge_contents(doc(A, B), doc(A, ours), doc(A, theirs))
    (conflict,) = conflicts
    assert conflict.id == "b" and conflict.kind == "changed on both"
    assert get(merged, "b") == ours  # the file being written keeps its version and the id
    copy = get(merged, conflict.copy_id)
    assert copy == replace(theirs, id=conflict.copy_id, extra=((CONFLICT_KEY, "b"),))
    assert conflict.copy_id in conflict.message and "b" in conflict.message
    # the copy's id comes from its content: merging the same versions again gives the same id
    again, _ = merge_contents(doc(A, B), doc(A, ours), doc(A, theirs))
    assert ids(again) == ids(merged)
    # ... so merging two such merges leaves one copy
    twice, conflicts = merge_contents(doc(A, ours), merged, again)
    assert ids(twice) == ids(merged) and conflicts == []


def test_a_conflict_copy_of_a_conflict_copy_is_marked_once():
    base = replace(B, extra=((CONFLICT_KEY, "x"),))
    ours, theirs = replace(base, note="ours"), replace(base, note="theirs")
    merged, (conflict,) = merge_contents(doc(base), doc(ours), doc(theirs))
    assert get(merged, conflict.copy_id).extra == ((CONFLICT_KEY, "b"),)


def test_changed_on_one_side_and_deleted_on_the_other_is_kept_and_reported():
    changed = replace(B, note="important")
    for ours, theirs, kind in [
        (doc(A, changed), doc(A), "changed here, deleted there"),
        (doc(A), doc(A, changed), "changed there, deleted here"),
    ]:
        merged, (conflict,) = merge_contents(doc(A, B), ours, theirs)
        assert get(merged, "b") == changed
        assert (conflict.id, conflict.kind) == ("b", kind)


def test_the_same_id_added_on_both_sides():
    merged, conflicts = merge_contents(doc(), doc(B), doc(B))
    assert merged.annotations == [B] and conflicts == []
    other = replace(B, tag="rhetorical")
    merged, (conflict,) = merge_contents(doc(), doc(B), doc(other))
    assert get(merged, "b") == B and get(merged, conflict.copy_id).tag == "rhetorical"


def test_unknown_keys_are_kept_and_merged_like_fields():
    base = replace(B, extra=(("confidence", "high"), ("target.page", 4)))
    ours = replace(base, extra=(("confidence", "low"), ("target.page", 4)))
    theirs = replace(base, extra=(("confidence", "high"), ("target.page", 4), ("reviewed", True)))
    merged, conflicts = merge_contents(
        doc(base, project="x"), doc(ours, project="x"), doc(theirs, project="x", lang="en")
    )
    assert conflicts == []
    assert dict(get(merged, "b").extra) == {"confidence": "low", "target.page": 4, "reviewed": True}
    assert merged.extra == {"project": "x", "lang": "en"}


def test_a_top_level_key_changed_on_both_sides_keeps_ours_and_is_reported():
    merged, (conflict,) = merge_contents(doc(project="x"), doc(project="y"), doc(project="z"))
    assert merged.extra == {"project": "y"} and conflict.id == "project"


def test_texts_saved_against_on_both_sides_are_no_conflict_the_next_save_re_anchors():
    # each side annotated its own edit of the document: which text the file was saved against
    # is unknown after the merge, so it is dropped, and the next save re-anchors everything
    sides = [doc(A, text_sha256=digest) for digest in ("old", "ours", "theirs")]
    merged, conflicts = merge_contents(*sides)
    assert conflicts == []
    assert "text_sha256" not in merged.extra
    same, _ = merge_contents(sides[0], sides[1], doc(A, text_sha256="ours"))
    assert same.extra == {"text_sha256": "ours"}


# --- merge_files: what git calls --------------------------------------------------------


def write_versions(tmp_path: Path, base: str, ours: str, theirs: str) -> tuple[Path, ...]:
    paths = []
    for name, text in [("base", base), ("ours", ours), ("theirs", theirs)]:
        path = tmp_path / f".merge_file_{name}"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return tuple(paths)


def test_a_merge_is_written_to_ours_and_parses(tmp_path):
    base, ours, theirs = write_versions(
        tmp_path, render(doc(A)), render(doc(A, B)), render(doc(A, C))
    )
    result = merge_files(base, ours, theirs, PATH_NAME)
    assert (result.status, result.exit_code, result.message, result.written) == (
        "clean",
        0,
        "",
        True,
    )
    merged = parse(ours.read_text(encoding="utf-8"), ours, DOC)
    assert ids(merged) == ["a", "b", "c"]
    assert ours.read_text(encoding="utf-8") == render(merged)
    assert theirs.read_text(encoding="utf-8") == render(doc(A, C))  # only ours is written
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".merge_file_base", ".merge_file_ours", ".merge_file_theirs"]
    )  # no temp file left behind


def test_a_conflict_exits_1_names_the_file_and_ids_and_the_file_is_valid(tmp_path):
    ours_b, theirs_b = replace(B, note="ours"), replace(B, note="theirs")
    base, ours, theirs = write_versions(
        tmp_path, render(doc(A, B)), render(doc(A, ours_b)), render(doc(A, theirs_b))
    )
    stderr = io.StringIO()
    assert run([str(base), str(ours), str(theirs), PATH_NAME], stderr) == 1
    merged = parse(ours.read_text(encoding="utf-8"), ours, DOC)
    copy = next(a for a in merged.annotations if a.id not in ("a", "b"))
    assert dict(copy.extra) == {CONFLICT_KEY: "b"} and copy.note == "theirs"
    message = stderr.getvalue()
    assert PATH_NAME in message and "annotation b" in message and copy.id in message
    assert "<<<<<<<" not in ours.read_text(encoding="utf-8")


def test_a_conflict_is_listed_by_check_as_the_store_lists_its_own(tmp_path):
    root = tmp_path / "ws"
    (root / "corpus").mkdir(parents=True)
    store = AnnotationStore(Workspace(root))
    ours_path = store.path_for(DOC)
    ours_path.parent.mkdir()
    ours_path.write_text(render(doc(replace(B, note="ours"))), encoding="utf-8")
    base, _, theirs = write_versions(
        tmp_path, render(doc(B)), "", render(doc(replace(B, note="theirs")))
    )
    assert merge_files(base, ours_path, theirs, PATH_NAME).status == "conflict"
    problems = [str(p) for p in store.problems({DOC}, {"factual"})]
    assert len(problems) == 1 and "conflicts with b" in problems[0]


def test_when_the_merge_is_ours_the_file_is_left_byte_for_byte(tmp_path):
    hand_written = "# kept by hand\n" + render(doc(A, B))
    base, ours, theirs = write_versions(tmp_path, render(doc(A)), hand_written, render(doc(A)))
    result = merge_files(base, ours, theirs, PATH_NAME)
    assert result.status == "clean" and not result.written
    assert ours.read_text(encoding="utf-8") == hand_written


def test_when_the_merge_is_theirs_their_text_is_taken_as_written(tmp_path):
    hand_written = "# kept by hand\n" + render(doc(A, C))
    base, ours, theirs = write_versions(tmp_path, render(doc(A)), render(doc(A)), hand_written)
    assert merge_files(base, ours, theirs, PATH_NAME).written
    assert ours.read_text(encoding="utf-8") == hand_written


def test_an_empty_base_is_a_file_added_on_both_sides(tmp_path):
    base, ours, theirs = write_versions(tmp_path, "", render(doc(A)), render(doc(B)))
    assert merge_files(base, ours, theirs, PATH_NAME).status == "clean"
    assert ids(parse(ours.read_text(encoding="utf-8"), ours, DOC)) == ["a", "b"]


@pytest.mark.parametrize("broken", ["base", "ours", "theirs"])
def test_an_unparsable_version_writes_nothing_and_names_the_file(tmp_path, broken):
    texts = {"base": render(doc(A)), "ours": render(doc(A, B)), "theirs": render(doc(A, C))}
    texts[broken] = "document: memo.txt\nannotations:\n- id: a\n  id: a\n"  # duplicate key
    base, ours, theirs = write_versions(tmp_path, texts["base"], texts["ours"], texts["theirs"])
    stderr = io.StringIO()
    assert run([str(base), str(ours), str(theirs), PATH_NAME], stderr) == 2
    assert ours.read_text(encoding="utf-8") == texts["ours"]
    message = stderr.getvalue()
    assert f"{PATH_NAME}:4:" in message and "duplicate key" in message
    assert {"base": "base (common ancestor)", "ours": "our", "theirs": "their"}[broken] in message


def test_an_unreadable_version_writes_nothing(tmp_path):
    base, ours, theirs = write_versions(tmp_path, render(doc(A)), render(doc(A)), "")
    theirs.write_bytes(b"\xff\xfe\x00garbage")
    result = merge_files(base, ours, theirs, PATH_NAME)
    assert result.exit_code == 2 and "not UTF-8" in result.message and not result.written


def test_run_with_the_wrong_arguments_prints_usage():
    stderr = io.StringIO()
    assert run(["only-one"], stderr) == 2 and "usage:" in stderr.getvalue()


def test_the_document_id_comes_from_the_path_only_when_the_file_lacks_it():
    assert doc_id_for("annotations/memo.txt.yaml") == "memo.txt"
    assert doc_id_for("team/ws/annotations/sub/x.md.yaml") == "sub/x.md"


# --- real git ---------------------------------------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def git_env(monkeypatch):
    """Git that reads no system configuration (the home is a temp folder already)."""
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    configure(path, "seed")
    return path


def configure(repo: Path, name: str) -> None:
    git(repo, "config", "user.name", name)
    git(repo, "config", "user.email", f"{name}@example.org")
    git(repo, "config", "pull.rebase", "false")


@needs_git
def test_install_needs_a_git_repository(tmp_path, git_env):
    with pytest.raises(MergeError, match="not inside a git repository"):
        install(tmp_path)
    with pytest.raises(MergeError, match="no such folder"):
        install(tmp_path / "missing")


def test_install_says_when_git_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(MergeError, match="git is not installed"):
        install(tmp_path)


@needs_git
def test_install_extends_gitattributes_and_sets_the_config(tmp_path, git_env):
    repo = new_repo(tmp_path / "repo")
    workspace = repo / "team" / "ws"  # a workspace in a sub-folder of the repository
    workspace.mkdir(parents=True)
    (workspace / ".gitattributes").write_text("*.txt text eol=lf", encoding="utf-8")
    result = install(workspace)
    assert result.repo_root.resolve() == repo.resolve()
    assert result.added_lines == ATTRIBUTE_LINES
    attributes = (workspace / ".gitattributes").read_text(encoding="utf-8")
    assert attributes.startswith("*.txt text eol=lf\n")  # existing lines kept
    assert git(repo, "config", "merge.briefreader.driver").stdout.strip() == (
        "briefreader merge-driver %O %A %B %P"
    )
    assert git(repo, "config", "merge.briefreader.name").stdout.strip()
    again = install(workspace, driver="other-command %O %A %B %P")
    assert again.added_lines == ()  # nothing added twice
    assert (workspace / ".gitattributes").read_text(encoding="utf-8") == attributes
    assert git(repo, "config", "merge.briefreader.driver").stdout.strip().startswith("other")
    checked = git(
        repo,
        "check-attr",
        "merge",
        "--",
        "team/ws/annotations/memo.txt.yaml",
        "team/ws/annotations/sub/x.md.yaml",
        "team/ws/annotations/codebook.yaml",
        "team/ws/corpus/memo.txt",
    ).stdout.splitlines()
    assert [line.rsplit(": ", 1)[1] for line in checked] == [
        "briefreader",
        "briefreader",
        "text",
        "unspecified",
    ]


@pytest.fixture
def origin(tmp_path, git_env) -> Path:
    """A bare repository holding a workspace (one bundled document and the catalog) with an
    annotation file of two annotations, routed to the driver by .gitattributes."""
    seed = new_repo(tmp_path / "seed")
    (seed / "corpus").mkdir()
    shutil.copyfile(BUNDLED_CORPUS / TATIKYAN, seed / "corpus" / TATIKYAN)
    shutil.copyfile(BUNDLED_CORPUS / "catalog.yaml", seed / "corpus" / "catalog.yaml")
    install(seed, driver=driver_for_python())
    ws = Workspace(seed)
    tag_passage(ws, 2, "disputed", "seed", note="first")
    tag_passage(ws, 4, "factual", "seed", note="second")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "workspace with two annotations")
    git(tmp_path, "clone", "-q", "--bare", "seed", "origin.git")
    return tmp_path / "origin.git"


def clone(origin: Path, name: str) -> Workspace:
    path = origin.parent / name
    git(origin.parent, "clone", "-q", origin.name, name)
    configure(path, name)
    install(path, driver=driver_for_python())  # .gitattributes came with the clone
    return Workspace(path)


def tag_passage(ws: Workspace, passage: int, tag: str, coder: str, note: str = "") -> Annotation:
    text = Corpus(ws).load(TATIKYAN).text
    start, end = span_in_passage(text, passage, None)
    return AnnotationStore(ws).add(TATIKYAN, make_annotation(text, start, end, tag, coder, note))


def commit(ws: Workspace, message: str) -> None:
    git(ws.root, "add", "-A")
    git(ws.root, "commit", "-q", "-m", message)


def on_disk(ws: Workspace) -> AnnotationFile:
    return AnnotationStore(ws).load(TATIKYAN)  # parses, or raises


def by_note(contents: AnnotationFile) -> dict[str, Annotation]:
    return {a.note: a for a in contents.annotations}


@needs_git
def test_two_clones_annotate_the_same_document_and_nothing_is_lost(origin):
    alice, bob = clone(origin, "alice"), clone(origin, "bob")
    store_a, store_b = AnnotationStore(alice), AnnotationStore(bob)
    first = by_note(on_disk(alice))["first"]
    second = by_note(on_disk(alice))["second"]
    tag_passage(alice, 6, "rhetorical", "alice", note="alice's")
    store_a.update(TATIKYAN, first.id, tag="rhetorical")  # alice re-tags the first
    commit(alice, "alice tags")
    git(alice.root, "push", "-q", "origin", "main")

    tag_passage(bob, 8, "factual", "bob", note="bob's")
    store_b.update(TATIKYAN, first.id, note="first, checked")  # bob edits its note
    store_b.delete(TATIKYAN, second.id)
    commit(bob, "bob tags")
    pulled = git(bob.root, "pull", "-q", "origin", "main")  # the driver merges cleanly
    assert "CONFLICT" not in pulled.stdout + pulled.stderr
    merged = by_note(on_disk(bob))
    assert set(merged) == {"first, checked", "alice's", "bob's"}  # second deleted by bob
    assert merged["first, checked"].tag == "rhetorical"  # both edits of the first kept
    assert not any(dict(a.extra).get(CONFLICT_KEY) for a in merged.values())

    git(bob.root, "push", "-q", "origin", "main")
    git(alice.root, "pull", "-q", "origin", "main")
    assert on_disk(alice) == on_disk(bob)


@needs_git
def test_two_clones_linking_the_same_annotation_keep_both_links(origin):
    """Links merge as a set by (document, id, relation): each side's new link survives a
    pull, together with a note edited on one side (tests/core/test_links.py has the table)."""
    alice, bob = clone(origin, "alice"), clone(origin, "bob")
    first = by_note(on_disk(alice))["first"]
    second = by_note(on_disk(alice))["second"]
    to_second = Link(TATIKYAN, second.id, "supports")
    AnnotationStore(alice).link(TATIKYAN, first.id, to_second)
    commit(alice, "alice links")
    git(alice.root, "push", "-q", "origin", "main")

    third = tag_passage(bob, 6, "rhetorical", "bob", note="third")
    to_third = Link(TATIKYAN, third.id, "same-event")
    AnnotationStore(bob).link(TATIKYAN, first.id, to_third)
    AnnotationStore(bob).update(TATIKYAN, first.id, note="first, checked")
    commit(bob, "bob links")
    pulled = git(bob.root, "pull", "-q", "origin", "main")
    assert "CONFLICT" not in pulled.stdout + pulled.stderr
    merged = by_note(on_disk(bob))["first, checked"]
    assert set(merged.links) == {to_second, to_third}
    assert not any(dict(a.extra).get(CONFLICT_KEY) for a in on_disk(bob).annotations)


@needs_git
def test_the_same_annotation_changed_on_both_sides_is_kept_twice_and_reported(origin):
    alice, bob = clone(origin, "alice"), clone(origin, "bob")
    first = by_note(on_disk(alice))["first"]
    AnnotationStore(alice).update(TATIKYAN, first.id, note="alice says disputed")
    tag_passage(alice, 6, "rhetorical", "alice", note="alice's")
    commit(alice, "alice")
    git(alice.root, "push", "-q", "origin", "main")
    AnnotationStore(bob).update(TATIKYAN, first.id, note="bob says factual")
    tag_passage(bob, 8, "factual", "bob", note="bob's")
    commit(bob, "bob")

    pulled = git(bob.root, "pull", "origin", "main", check=False)
    assert pulled.returncode != 0
    output = pulled.stdout + pulled.stderr
    path_name = f"annotations/{TATIKYAN}.yaml"
    assert f"CONFLICT (content): Merge conflict in {path_name}" in output
    assert f"briefreader merge-driver: {path_name}: annotation {first.id}" in output
    status = git(bob.root, "status", "--porcelain").stdout
    assert f"UU {path_name}" in status  # git lists the file as conflicted

    raw = (bob.root / path_name).read_text(encoding="utf-8")
    assert "<<<<<<<" not in raw and ">>>>>>>" not in raw
    merged = by_note(on_disk(bob))  # the conflicted file parses
    assert set(merged) == {
        "alice says disputed",
        "bob says factual",
        "alice's",
        "bob's",
        "second",
    }
    assert merged["bob says factual"].id == first.id  # bob's checkout keeps the id
    copy = merged["alice says disputed"]
    assert dict(copy.extra)[CONFLICT_KEY] == first.id and copy.id in output

    # resolving: keep bob's version, as `check` asks, then finish the merge and share it
    AnnotationStore(bob).delete(TATIKYAN, copy.id)
    commit(bob, "merge, keeping bob's reading")
    git(bob.root, "push", "-q", "origin", "main")
    git(alice.root, "pull", "-q", "origin", "main")
    assert set(by_note(on_disk(alice))) == {"bob says factual", "alice's", "bob's", "second"}


@needs_git
def test_a_rebasing_pull_uses_the_driver_too(origin):
    alice, bob = clone(origin, "alice"), clone(origin, "bob")
    tag_passage(alice, 6, "rhetorical", "alice", note="alice's")
    commit(alice, "alice")
    git(alice.root, "push", "-q", "origin", "main")
    tag_passage(bob, 8, "factual", "bob", note="bob's")
    commit(bob, "bob")
    git(bob.root, "pull", "-q", "--rebase", "origin", "main")
    assert set(by_note(on_disk(bob))) == {"first", "second", "alice's", "bob's"}
    subjects = git(bob.root, "log", "--format=%s").stdout.splitlines()
    assert subjects == ["bob", "alice", "workspace with two annotations"]  # replayed, no merge


def test_the_driver_runs_as_a_module(tmp_path):
    base, ours, theirs = write_versions(
        tmp_path, render(doc(A)), render(doc(A, B)), render(doc(A, C))
    )
    result = subprocess.run(
        [sys.executable, "-m", "briefreader.core.merge", base, ours, theirs, PATH_NAME],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert result.returncode == 0 and result.stderr == ""
    assert ids(parse(ours.read_text(encoding="utf-8"), ours, DOC)) == ["a", "b", "c"]
