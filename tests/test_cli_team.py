"""`briefreader agreement`, `init --git` and `merge-driver` (issue 8, items 5 and 6)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from briefreader.core.annotations import AnnotationFile, parse, render
from briefreader.core.corpus import Corpus
from briefreader.core.models import Annotation, Target
from briefreader.core.workspace import Workspace
from tests.cli_runner import assert_user_error, run
from tests.conftest import TATIKYAN


@pytest.fixture
def ws(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("BRIEFREADER_WORKSPACE", str(workspace.root))
    return workspace


def tag(who: str, passage: int, tag_name: str) -> None:
    result = run("annotate", TATIKYAN, str(passage), "--tag", tag_name, "--annotator", who)
    assert result.exit_code == 0, result.output


def coded_by_two() -> None:
    """alice and bob agree on ¶1 (factual) and disagree on ¶2 and ¶3 (disputed)."""
    tag("alice", 1, "factual")
    tag("bob", 1, "factual")
    tag("alice", 2, "disputed")
    tag("bob", 3, "disputed")


def kappa(a_only: int, b_only: int, both: int, neither: int) -> float:
    """Cohen's kappa of a 2x2 table, written out: (po - pe) / (1 - pe)."""
    n = a_only + b_only + both + neither
    observed = (both + neither) / n
    a_yes, b_yes = (both + a_only) / n, (both + b_only) / n
    chance = a_yes * b_yes + (1 - a_yes) * (1 - b_yes)
    return (observed - chance) / (1 - chance)


def test_agreement_as_json_per_tag(ws):
    coded_by_two()
    passages = len(Corpus(ws).load(TATIKYAN).text.passages)
    result = run("agreement", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["coders"] == ["alice", "bob"]
    (group,) = report["groups"]
    tags = {item["tag"]: item for item in group["tags"]}
    assert tags["factual"]["kappa"] == 1.0
    disputed = tags["disputed"]
    assert disputed["units"] == passages
    assert disputed["kappa"] == pytest.approx(kappa(1, 1, 0, passages - 2), abs=1e-4)
    assert disputed["confusion"]["counts"] == [[0, 1], [1, passages - 2]]
    where = {(d["doc"], d["passage"]) for d in group["overall"]["disagreements"]}
    assert where == {(TATIKYAN, 2), (TATIKYAN, 3)}


def test_agreement_prints_figures_tables_and_the_disagreements(ws):
    coded_by_two()
    result = run("agreement", "--doc", "tatikyan")
    assert result.exit_code == 0, result.output
    assert "alice, bob on" in result.stdout
    assert "Kappa" in result.stdout and "Alpha" in result.stdout
    assert "disputed: alice (rows) × bob (columns)" in result.stdout
    assert "Passages where coders disagree (2):" in result.stdout
    assert f"{TATIKYAN} ¶2" in result.stdout and f"{TATIKYAN} ¶3" in result.stdout


def test_agreement_with_one_coder_says_what_it_needs(ws):
    tag("alice", 1, "factual")
    result = run("agreement")
    assert result.exit_code == 0, result.output
    assert "needs two coders or more; annotators found: alice" in result.stderr


def test_agreement_of_an_unknown_document_is_a_user_error(ws):
    assert_user_error(run("agreement", "--doc", "no-such-document"), "no-such-document")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_init_git_installs_the_driver_once(tmp_path):
    root = tmp_path / "team"
    root.mkdir()
    git(root, "init", "-q")
    for _ in range(2):
        result = run("init", root, "--git")
        assert result.exit_code == 0, result.output
    assert (root / "corpus").is_dir() and (root / "annotations").is_dir()
    attributes = (root / ".gitattributes").read_text(encoding="utf-8").splitlines()
    assert sum("merge=briefreader" in line for line in attributes) == 1
    driver = git(root, "config", "merge.briefreader.driver")  # this very briefreader
    assert driver.endswith(("merge-driver %O %A %B %P", "briefreader.core.merge %O %A %B %P"))
    assert git(root, "check-attr", "merge", "annotations/x.txt.yaml").endswith("briefreader")


def test_init_git_outside_a_repository_is_a_user_error(tmp_path):
    assert_user_error(run("init", tmp_path, "--git"), "git")


def version(tmp_path: Path, name: str, *annotations: Annotation) -> Path:
    path = tmp_path / name
    path.write_text(render(AnnotationFile(TATIKYAN, list(annotations))), encoding="utf-8")
    return path


def note(ident: str, text: str = "") -> Annotation:
    return Annotation(ident, "factual", Target("quote", "", "", 0, 5), note=text, annotator="a")


def test_merge_driver_keeps_both_sides_new_annotations(tmp_path):
    base = version(tmp_path, "base", note("a"))
    ours = version(tmp_path, "ours", note("a"), note("b"))
    theirs = version(tmp_path, "theirs", note("a"), note("c"))
    result = run("merge-driver", base, ours, theirs, "annotations/x.yaml")
    assert result.exit_code == 0, result.output
    merged = parse(ours.read_text(encoding="utf-8"), ours, TATIKYAN)
    assert sorted(a.id for a in merged.annotations) == ["a", "b", "c"]


def test_merge_driver_reports_one_annotation_changed_on_both_sides(tmp_path):
    base = version(tmp_path, "base", note("a"))
    ours = version(tmp_path, "ours", note("a", "mine"))
    theirs = version(tmp_path, "theirs", note("a", "theirs"))
    result = run("merge-driver", base, ours, theirs, "annotations/x.yaml")
    assert result.exit_code == 1
    assert "annotations/x.yaml" in result.stderr and "a" in result.stderr
    merged = parse(ours.read_text(encoding="utf-8"), ours, TATIKYAN)
    assert sorted(a.note for a in merged.annotations) == ["mine", "theirs"]
