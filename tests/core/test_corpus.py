"""Listing, finding and reading corpus documents, and every kind of bad input (issue 2)."""

from __future__ import annotations

import codecs
import hashlib
import json
import os
from pathlib import Path

import pytest

from briefreader.core import catalog as catalog_module
from briefreader.core.catalog import KEPT_NAME
from briefreader.core.corpus import Corpus
from briefreader.core.errors import DocumentError, Problem, WorkspaceError
from briefreader.core.workspace import Workspace
from tests.conftest import AIR_FEB, AIR_JAN, APRI, BAKU, BUNDLED_CORPUS, DOC_IDS, TATIKYAN

FRENCH = (
    "Le président a déclaré à la presse que les négociations de paix entre l'Arménie et "
    "l'Azerbaïdjan étaient « dans une phase décisive ». Selon lui, l'accord devrait être "
    "signé avant l'été, une étape clé pour la région.\n\n"
)


def errors_for(problems: list[Problem], path: Path) -> list[Problem]:
    return [p for p in problems if p.path == path and p.severity == "error"]


# --- listing ------------------------------------------------------------------------------


def test_documents_are_the_text_files_sorted_by_id(corpus):
    assert [info.id for info in corpus.documents] == sorted(DOC_IDS)
    assert all(info.path == corpus.root / info.id for info in corpus.documents)


def test_catalog_is_metadata_not_a_document(corpus):
    assert (corpus.root / "catalog.yaml").is_file()
    assert "catalog.yaml" not in {info.id for info in corpus.documents}


def test_catalog_metadata_is_applied(corpus):
    by_id = {info.id: info for info in corpus.documents}
    tatikyan = by_id[TATIKYAN]
    assert tatikyan.title == (
        "How Azerbaijan Disguises Its Obstruction of the Peace Process with Armenia"
    )
    assert tatikyan.author == "Sossi Tatikyan"
    assert tatikyan.source == "Sossi Tatikyan"
    assert (tatikyan.side, tatikyan.date, tatikyan.kind) == ("Armenia", "2024-11", "op-ed")
    air = by_id[AIR_FEB]
    assert air.title == "AIR Center Bulletin, February 2025"
    assert air.publisher.startswith("AIR Center")
    assert air.source == air.publisher
    assert (air.side, air.date) == ("Azerbaijan", "2025-02")
    assert by_id[BAKU].date == "2022-12/2023-02"
    assert by_id[BAKU].date_label == "2022-12–2023-02"
    assert corpus.problems == ()


def test_hidden_files_folders_and_other_suffixes_are_ignored(workspace):
    root = workspace.corpus_dir
    (root / ".draft.txt").write_text("A hidden draft.\n", encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "notes.md").write_text("# Hidden\n\nNot a document.\n", encoding="utf-8")
    (root / "scan.pdf").write_bytes(b"%PDF-1.4 not a text document")
    (root / "notes.yaml").write_text("a: 1\n", encoding="utf-8")
    (root / "folder.txt").mkdir()  # a folder that looks like a document
    ids = [info.id for info in Corpus(workspace).documents]
    assert ids == sorted(DOC_IDS)


def test_markdown_and_nested_documents_are_listed_with_posix_ids(workspace):
    nested = workspace.corpus_dir / "press" / "2025"
    nested.mkdir(parents=True)
    (nested / "statement.md").write_text("# A Statement\n\nThe text of it.\n", encoding="utf-8")
    (workspace.corpus_dir / "upper.TXT").write_text("Upper case suffix.\n", encoding="utf-8")
    ids = [info.id for info in Corpus(workspace).documents]
    assert "press/2025/statement.md" in ids
    assert "upper.TXT" in ids


def test_title_without_catalog_entry_comes_from_the_first_heading(workspace):
    path = workspace.corpus_dir / "statement.md"
    path.write_text("# A Joint Statement\n\nBoth sides met in Brussels.\n", encoding="utf-8")
    corpus = Corpus(workspace)
    assert corpus.find("statement.md").title  # a readable title before the file is read
    document = corpus.load("statement.md")
    assert document.info.title == "A Joint Statement"
    assert document.text.passages[0].text == "Both sides met in Brussels."


def test_load_gives_text_hash_and_encoding(corpus):
    import hashlib

    document = corpus.load(TATIKYAN)
    data = (BUNDLED_CORPUS / TATIKYAN).read_bytes()
    assert document.id == TATIKYAN
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.encoding == "utf-8"
    assert document.text.passages


def test_load_sees_a_changed_file(workspace):
    corpus = Corpus(workspace)
    before = corpus.load(TATIKYAN)
    path = workspace.corpus_dir / TATIKYAN
    path.write_text(path.read_text(encoding="utf-8") + "\nA brand new closing remark.\n")
    after = corpus.load(TATIKYAN)
    assert after.sha256 != before.sha256
    assert after.text.passages[-1].text == "A brand new closing remark."


def test_crlf_and_bom_files_load_as_the_lf_file(workspace):
    corpus = Corpus(workspace)
    data = (workspace.corpus_dir / AIR_JAN).read_bytes()
    (workspace.corpus_dir / "crlf.txt").write_bytes(data.replace(b"\n", b"\r\n"))
    (workspace.corpus_dir / "bom.txt").write_bytes(codecs.BOM_UTF8 + data)
    expected = corpus.load(AIR_JAN).text.text
    corpus = Corpus(workspace)
    assert corpus.load("crlf.txt").text.text == expected
    assert corpus.load("bom.txt").text.text == expected
    assert corpus.load("bom.txt").encoding == "utf-8"


def test_utf16_with_bom_is_decoded(workspace):
    path = workspace.corpus_dir / "utf16.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "Peace talks resumed in Brussels.\n".encode("utf-16-le"))
    document = Corpus(workspace).load("utf16.txt")
    assert document.text.text == "Peace talks resumed in Brussels."


# --- find ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (TATIKYAN, TATIKYAN),
        ("tatikyan", TATIKYAN),
        ("TATIKYAN", TATIKYAN),
        ("2025-02", AIR_FEB),
        ("Baku Dialogues", BAKU),  # a fragment of the title
        ("APRI Armenia: articles", APRI),
        ("AIR Center Bulletin, January", AIR_JAN),
    ],
)
def test_find_by_id_or_unique_fragment(corpus, name, expected):
    assert corpus.find(name).id == expected


def test_find_ambiguous_names_the_candidates(corpus):
    with pytest.raises(DocumentError) as caught:
        corpus.find("air-center")
    message = str(caught.value)
    assert AIR_JAN in message and AIR_FEB in message


def test_find_unknown_suggests_a_close_id(corpus):
    with pytest.raises(DocumentError) as caught:
        corpus.find("air-center-bulletin-2025-03.txt")
    message = str(caught.value)
    assert "air-center-bulletin-2025-03.txt" in message
    assert "did you mean" in message
    assert AIR_JAN in message or AIR_FEB in message


def test_find_unknown_without_anything_close(corpus):
    with pytest.raises(DocumentError) as caught:
        corpus.find("zzzzqqq")
    assert "zzzzqqq" in str(caught.value)
    assert "\n" not in str(caught.value)


# --- bad input: each is refused with a message naming the file, the rest still load ------


def add(workspace: Workspace, name: str, data: bytes) -> Path:
    path = workspace.corpus_dir / name
    path.write_bytes(data)
    return path


def test_cp1252_document_is_decoded(workspace):
    """The same op-ed saved as Windows-1252: its encoding is certain and it reads right."""
    text = (BUNDLED_CORPUS / TATIKYAN).read_text(encoding="utf-8")
    path = add(workspace, "tatikyan-cp1252.txt", text.encode("cp1252"))
    corpus = Corpus(workspace)
    document = corpus.load("tatikyan-cp1252.txt")
    assert document.encoding != "utf-8"
    assert document.text.text == corpus.load(TATIKYAN).text.text
    warnings = [p for p in corpus.check() if p.path == path]
    assert [p.severity for p in warnings] == ["warning"]
    assert "UTF-8" in warnings[0].message


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_french_cp1252_document_is_read_right_or_refused(workspace, encoding):
    add(workspace, "french.txt", (FRENCH * 10).encode(encoding))
    corpus = Corpus(workspace)
    try:
        document = corpus.load("french.txt")
    except DocumentError as exc:
        assert "french.txt" in str(exc)
        return
    assert "président a déclaré" in document.text.text


def test_short_latin1_note_is_read_right_or_refused(workspace):
    add(workspace, "note.txt", "Notes on the café meeting in Genève.\n".encode("latin-1"))
    try:
        document = Corpus(workspace).load("note.txt")
    except DocumentError as exc:
        assert "note.txt" in str(exc)
        return
    assert document.text.text == "Notes on the café meeting in Genève."


def test_undecidable_bytes_are_refused_naming_the_file(workspace):
    path = add(workspace, "mystery.txt", b"abc " + bytes(range(0x80, 0x100)))
    corpus = Corpus(workspace)
    with pytest.raises(DocumentError) as caught:
        corpus.load("mystery.txt")
    assert caught.value.path == path
    assert "mystery.txt" in str(caught.value)
    assert "UTF-8" in str(caught.value)


def test_truncated_utf16_file_is_refused_not_a_crash(workspace):
    data = codecs.BOM_UTF16_LE + "Peace talks".encode("utf-16-le")[:-1]
    path = add(workspace, "truncated.txt", data)
    corpus = Corpus(workspace)
    with pytest.raises(DocumentError) as caught:
        corpus.load("truncated.txt")
    assert caught.value.path == path


def test_binary_file_is_refused(workspace):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256))
    path = add(workspace, "picture.txt", png)
    with pytest.raises(DocumentError) as caught:
        Corpus(workspace).load("picture.txt")
    assert caught.value.path == path
    assert "binary" in str(caught.value)
    assert "picture.txt" in str(caught.value)


@pytest.mark.parametrize("data", [b"", b"   \n\n\t\n"])
def test_empty_file_is_refused(workspace, data):
    path = add(workspace, "empty.txt", data)
    with pytest.raises(DocumentError) as caught:
        Corpus(workspace).load("empty.txt")
    assert caught.value.path == path
    assert "empty" in str(caught.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file_is_refused(workspace):
    path = add(workspace, "secret.txt", b"Nobody may read this.\n")
    path.chmod(0)
    try:
        corpus = Corpus(workspace)
        with pytest.raises(DocumentError) as caught:
            corpus.load("secret.txt")
        assert caught.value.path == path
        assert "permission" in str(caught.value)
        assert errors_for(corpus.check(), path)
    finally:
        path.chmod(0o644)


def test_unreadable_file_is_refused_simulated(workspace, monkeypatch):
    """As root every file is readable, so the permission error is simulated here."""
    path = add(workspace, "secret.txt", b"Nobody may read this.\n")
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    corpus = Corpus(workspace)
    with pytest.raises(DocumentError) as caught:
        corpus.load("secret.txt")
    assert caught.value.path == path
    assert "permission" in str(caught.value).lower()
    problems = corpus.check()
    assert len(errors_for(problems, path)) == 1
    assert all(corpus.load(doc_id).text.passages for doc_id in DOC_IDS)


def test_file_of_several_megabytes_loads(workspace):
    paragraphs = [
        f"Report {i}: the delegations met for round {i} of the talks on the border commission, "
        f"and agreed on item {i * 7 % 101} of the agenda before adjourning until next week."
        for i in range(25_000)
    ]
    text = "Minutes of the Border Commission\n\n" + "\n\n".join(paragraphs) + "\n"
    path = add(workspace, "minutes.txt", text.encode("utf-8"))
    assert path.stat().st_size > 4_000_000
    document = Corpus(workspace).load("minutes.txt")
    assert len(document.text.passages) >= 1000
    assert "round 24999 of the talks" in document.text.text


def test_a_50_mb_document_loads_whole(workspace):
    """Issue 7: a 50 MB file (a scraped archive, say) is read, decoded and normalised whole:
    no size limit, no crash, nothing cut off."""
    paragraph = (
        "Report {i}: the delegations met for round {i} of the talks on the border commission "
        "and agreed on item {i} of the agenda; the next round is set for the spring, when the "
        "working groups on transport links and on the delimitation maps report back to both "
        "foreign ministers, who will then decide whether the text can be initialled."
    )
    count = 50_000_000 // len(paragraph)
    text = "\n\n".join(paragraph.format(i=i) for i in range(count))
    path = add(workspace, "archive.txt", ("Talks archive\n\n" + text + "\n").encode("utf-8"))
    assert path.stat().st_size >= 50_000_000
    document = Corpus(workspace).load("archive.txt")
    assert len(document.text.passages) == count
    assert document.text.passages[-1].text.startswith(f"Report {count - 1}: ")


def test_empty_corpus_folder_is_a_problem(tmp_path):
    (tmp_path / "corpus").mkdir()
    corpus = Corpus(Workspace(tmp_path))
    assert corpus.documents == ()
    problems = corpus.check()
    assert [p.severity for p in problems] == ["error"]
    assert "corpus" in str(problems[0])


def test_missing_corpus_folder_is_a_workspace_error(tmp_path):
    corpus = Corpus(Workspace(tmp_path))
    with pytest.raises(WorkspaceError) as caught:
        corpus.documents  # noqa: B018
    assert "corpus" in str(caught.value)


# --- the catalog --------------------------------------------------------------------------


def write_catalog(workspace: Workspace, text: str) -> Path:
    path = workspace.corpus_dir / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_malformed_catalog_is_reported_with_file_and_line(workspace):
    path = write_catalog(
        workspace,
        "documents:\n"
        f"  {TATIKYAN}:\n"
        "    title: Fine\n"
        f"  {AIR_JAN}:\n"
        '    title: "unclosed quote\n'
        "    side: Azerbaijan\n",
    )
    corpus = Corpus(workspace)
    problems = [p for p in corpus.problems if p.path == path]
    assert len(problems) == 1
    problem = problems[0]
    assert problem.severity == "error"
    assert problem.line is not None and 5 <= problem.line <= 7
    assert str(problem).startswith(f"{path}:{problem.line}")
    # the documents still load, with titles of their own
    assert [info.id for info in corpus.documents] == sorted(DOC_IDS)
    assert corpus.load(TATIKYAN).info.title.startswith("How Azerbaijan Disguises")


def test_duplicate_key_in_catalog_is_an_error_at_its_line(workspace):
    path = write_catalog(
        workspace,
        f"documents:\n  {TATIKYAN}:\n    title: First\n  {TATIKYAN}:\n    title: Second\n",
    )
    problems = [p for p in Corpus(workspace).problems if p.path == path]
    assert len(problems) == 1
    assert problems[0].severity == "error"
    assert problems[0].line == 4
    assert "duplicate" in problems[0].message


def test_duplicate_field_in_catalog_entry_is_an_error(workspace):
    path = write_catalog(
        workspace,
        f"documents:\n  {TATIKYAN}:\n    side: Armenia\n    side: Azerbaijan\n",
    )
    problems = [p for p in Corpus(workspace).problems if p.path == path]
    assert [(p.severity, p.line) for p in problems] == [("error", 4)]


def test_catalog_schema_problems_point_at_their_line(workspace):
    path = write_catalog(
        workspace,
        "documents:\n"
        f"  {TATIKYAN}:\n"
        "    date: November 2024\n"
        "    colour: red\n"
        "  gone.txt:\n"
        "    title: Not here\n",
    )
    corpus = Corpus(workspace)
    problems = {p.line: p for p in corpus.problems if p.path == path}
    assert problems[3].severity == "error" and "date" in problems[3].message
    assert problems[4].severity == "warning" and "colour" in problems[4].message
    assert any("gone.txt" in p.message for p in corpus.problems)
    info = corpus.find(TATIKYAN)
    assert info.date == ""


def test_catalog_without_documents_mapping_is_reported(workspace):
    path = write_catalog(workspace, "- just\n- a list\n")
    problems = [p for p in Corpus(workspace).problems if p.path == path]
    assert len(problems) == 1
    assert "documents" in problems[0].message


def titles(workspace: Workspace) -> dict[str, str]:
    return {info.id: info.title for info in Corpus(workspace).documents}


def yaml_unused(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args, **kwargs):
        raise AssertionError("the catalog was parsed again")

    monkeypatch.setattr(catalog_module, "load_yaml", fail)


def test_an_unchanged_catalog_is_read_back_without_parsing_it(workspace, monkeypatch):
    first = titles(workspace)
    assert first[AIR_JAN] == "AIR Center Bulletin, January 2025"
    assert (workspace.state_dir / KEPT_NAME).is_file()
    yaml_unused(monkeypatch)
    assert titles(workspace) == first
    assert Corpus(workspace).problems == ()


def test_an_edited_catalog_is_parsed_again(workspace):
    titles(workspace)
    path = workspace.corpus_dir / "catalog.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("January 2025", "Janvier 2025"),
        encoding="utf-8",
    )
    assert titles(workspace)[AIR_JAN] == "AIR Center Bulletin, Janvier 2025"


def test_a_catalog_with_problems_is_reported_at_every_read(workspace):
    titles(workspace)  # a good catalog kept
    path = write_catalog(workspace, f"documents:\n  {TATIKYAN}:\n    colour: red\n")
    for _ in range(2):
        problems = [p for p in Corpus(workspace).problems if p.path == path]
        assert [(p.line, p.severity) for p in problems] == [(3, "warning")]


@pytest.mark.parametrize(
    "kept",
    [
        "not JSON",
        "[]",
        '{"version": 1}',
        '{"version": 1, "sha256": "DIGEST", "entries": {"DOC": {"title": 7}}}',
        '{"version": 1, "sha256": "DIGEST", "entries": {"DOC": {"colour": "red"}}}',
        '{"version": 1, "sha256": "DIGEST", "entries": {"DOC": ["title"]}}',
        '{"version": 1, "sha256": "0", "entries": {"DOC": {"title": "Stale"}}}',
        '{"version": 0, "sha256": "DIGEST", "entries": {"DOC": {"title": "Old"}}}',
    ],
)
def test_an_odd_kept_catalog_is_ignored_and_replaced(workspace, kept):
    expected = titles(workspace)
    kept_path = workspace.state_dir / KEPT_NAME
    digest = hashlib.sha256((workspace.corpus_dir / "catalog.yaml").read_bytes()).hexdigest()
    kept_path.write_text(kept.replace("DIGEST", digest).replace("DOC", AIR_JAN), encoding="utf-8")
    assert titles(workspace) == expected
    assert json.loads(kept_path.read_text(encoding="utf-8"))["sha256"] == digest


def test_a_workspace_that_cannot_keep_the_catalog_still_reads_it(workspace):
    workspace.state_dir.write_text("not a folder", encoding="utf-8")
    assert titles(workspace)[AIR_JAN] == "AIR Center Bulletin, January 2025"
    assert titles(workspace)[AIR_JAN] == "AIR Center Bulletin, January 2025"


def test_check_on_the_bundled_corpus_finds_nothing(corpus):
    assert corpus.check() == []


def test_check_collects_every_problem_and_the_rest_still_load(workspace):
    binary = add(workspace, "picture.txt", b"\x00\x01\x02binary\x00")
    empty = add(workspace, "empty.md", b"")
    mystery = add(workspace, "mystery.txt", b"abc " + bytes(range(0x80, 0x100)))
    catalog = write_catalog(workspace, 'documents:\n  x.txt: {title: "unclosed\n')
    corpus = Corpus(workspace)
    problems = corpus.check()
    for path in (binary, empty, mystery, catalog):
        found = errors_for(problems, path)
        assert len(found) == 1, path
        assert str(found[0]).startswith(str(path))
        assert "\n" not in str(found[0])
    assert len([p for p in problems if p.severity == "error"]) == 4
    for doc_id in DOC_IDS:
        assert corpus.load(doc_id).text.passages
