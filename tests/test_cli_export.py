"""`briefreader export`, `stats` and `import` (issue 5; DESIGN.md: "The CLI contract"): every
format to stdout and to a file, the filters, grouping, empty results, bad destinations and
queries, the statistics as a table and as JSON, and importing a W3C export back."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import Result
from rich.console import Console

import briefreader.cli.reports
from briefreader.core.export import CSV_COLUMNS
from briefreader.core.workspace import Workspace
from tests.cli_runner import assert_user_error, run
from tests.conftest import AIR_FEB, AIR_JAN, APRI, BAKU, DOC_IDS, TATIKYAN, copy_workspace
from tests.core.test_export import (
    MULTILINE_NOTE,
    ORPHAN_QUOTE,
    SPECS,
    TITLE,
    annotation_files,
    build_coded_workspace,
    clone,
    on_disk,
    parse_html,
    snapshot,
)


@pytest.fixture(scope="module")
def coded_root(built_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_coded_workspace(tmp_path_factory.mktemp("cli-coded") / "ws", built_workspace).root


@pytest.fixture
def coded(coded_root: Path) -> Workspace:
    """The coded workspace (tests/core/test_export.py), read only."""
    return Workspace(coded_root)


@pytest.fixture
def writable(coded: Workspace, tmp_path: Path) -> Workspace:
    return clone(coded, tmp_path / "writable")


def exported(ws: Workspace, *args: str | Path) -> Result:
    result = run("export", "-w", ws.root, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def raw(result: Result) -> str:
    """stdout as written (Result.stdout turns CRLF into LF)."""
    return result.stdout_bytes.decode("utf-8")


def csv_rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


def spec_count(predicate) -> int:
    return sum(1 for spec in SPECS if predicate(spec))


# --- every format, to stdout and to a file --------------------------------------------------------


def test_export_markdown_to_stdout_is_the_default(coded):
    result = exported(coded)
    md = result.stdout
    assert md.startswith("# ")
    assert f"{len(SPECS)} annotations." in md
    assert md.index("## Summary") < md.index(f"## {TITLE[AIR_JAN]}")
    assert f"> {ORPHAN_QUOTE}" in md
    assert MULTILINE_NOTE in md.replace("  \n", "\n")  # Markdown hard breaks kept
    assert "Wrote" not in result.stderr  # nothing about a file when printing


def test_export_csv_to_stdout(coded):
    result = exported(coded, "-f", "csv")
    rows = csv_rows(raw(result))
    assert len(rows) == len(SPECS)
    assert {r["id"] for r in rows} == set(on_disk(coded))
    assert MULTILINE_NOTE in {r["note"] for r in rows}
    assert raw(result).split("\n", 1)[0].endswith("\r")  # CRLF, as spreadsheets expect


def test_export_json_to_stdout(coded):
    data = json.loads(exported(coded, "-f", "json").stdout)
    assert data["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert data["type"] == "AnnotationCollection"
    assert data["total"] == len(data["first"]["items"]) == len(SPECS)


def test_export_html_to_stdout(coded):
    page = parse_html(exported(coded, "-f", "html").stdout)
    assert len(page.tags("figure")) == len(SPECS)
    assert page.tags("script") == []


@pytest.mark.parametrize("fmt", ["md", "csv", "json", "html"])
def test_export_to_a_file_writes_what_stdout_shows(coded, tmp_path, fmt):
    path = tmp_path / f"excerpts.{fmt}"
    result = exported(coded, "-f", fmt, "-o", path)
    assert result.stdout == ""
    assert f"Wrote {len(SPECS)} annotations to {path}" in result.stderr
    assert path.read_bytes() == exported(coded, "-f", fmt).stdout_bytes


def test_export_replaces_an_existing_file(coded, tmp_path):
    path = tmp_path / "report.csv"
    path.write_text("stale content that is much longer than a header\n" * 50)
    exported(coded, "-f", "csv", "--tag", "framing", "-o", path)
    assert len(csv_rows(path.read_text(encoding="utf-8"))) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]


# --- filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--tag", "disputed"], lambda s: s.tag == "disputed"),
        (["-t", "disputed", "-t", "framing"], lambda s: s.tag in ("disputed", "framing")),
        (["--doc", "tatikyan"], lambda s: s.doc == TATIKYAN),  # any unique part of the id
        (["-d", BAKU, "-d", "apri"], lambda s: s.doc in (BAKU, APRI)),
        (["--side", "armenia"], lambda s: s.doc in (APRI, TATIKYAN)),
        (["--since", "2025"], lambda s: s.doc in (AIR_JAN, AIR_FEB, APRI)),
        (["--until", "2023-01"], lambda s: s.doc == BAKU),
        (["--since", "2024-11", "--until", "2024-11"], lambda s: s.doc in (APRI, TATIKYAN)),
        (
            ["--publisher", "air center", "--annotator", "bob"],
            lambda s: s.doc in (AIR_JAN, AIR_FEB) and s.annotator == "bob",
        ),
        (["--orphaned"], lambda s: s.quote == ORPHAN_QUOTE),
        (
            ["--placed", "--side", "armenia"],
            lambda s: s.doc in (APRI, TATIKYAN) and s.quote != ORPHAN_QUOTE,
        ),
        (
            ["--query", "corridor AND tag:disputed"],
            lambda s: s.key in {"feb_mci", "apri_zangezur", "tat_zangezour"},
        ),
        (["-q", "corridor", "--annotator", "alice"], lambda s: s.key in {"feb_mci", "baku_france"}),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_export_filters(coded, args, expected):
    rows = csv_rows(raw(exported(coded, "-f", "csv", *args)))
    found = sorted((r["document"], r["tag"], r["annotator"]) for r in rows)
    # (doc, tag, annotator) tells the coded workspace's annotations apart
    assert found == sorted((s.doc, s.tag, s.annotator) for s in SPECS if expected(s))
    assert found


def test_export_grouped_by_tag(coded):
    md = exported(coded, "--group-by", "tag").stdout
    h2 = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert h2 == ["Summary", "disputed", "factual", "framing", "rhetorical"]
    disputed = md.split("## disputed", 1)[1].split("## factual", 1)[0]
    assert disputed.count("**disputed**") == spec_count(lambda s: s.tag == "disputed")
    assert "**factual**" not in disputed
    assert f"### {TITLE[TATIKYAN]}" in disputed


def test_export_html_grouped_by_tag_with_a_filter(coded):
    page = parse_html(
        exported(coded, "-f", "html", "--group-by", "tag", "--side", "armenia").stdout
    )
    assert len(page.tags("figure")) == spec_count(lambda s: s.doc in (APRI, TATIKYAN))


# --- nothing matches, bad destinations, bad queries -----------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "csv", "json", "html"])
def test_export_with_no_matches_is_empty_valid_and_succeeds(coded, fmt, tmp_path):
    result = exported(coded, "-f", fmt, "--side", "armenia", "--tag", "framing")
    assert "No annotations match" in result.stderr
    if fmt == "csv":
        assert raw(result) == ",".join(CSV_COLUMNS) + "\r\n"
    elif fmt == "json":
        data = json.loads(result.stdout)
        assert data["total"] == 0 and data["first"]["items"] == []
    elif fmt == "html":
        assert parse_html(result.stdout).tags("figure") == []
    else:
        assert "0 annotations." in result.stdout
    path = tmp_path / f"empty.{fmt}"
    to_file = exported(coded, "-f", fmt, "--tag", "framing", "--side", "armenia", "-o", path)
    assert "No annotations match" in to_file.stderr
    assert path.read_bytes() == result.stdout_bytes


def test_export_into_a_missing_folder_fails_in_one_line(coded, tmp_path):
    target = tmp_path / "missing" / "report.md"
    result = run("export", "-w", coded.root, "-o", target)
    assert_user_error(result, str(target.parent), "no such folder")
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    "query, fragment",
    [
        ("corridor AND (tag:disputed", "'(' without its ')'"),
        ('"Zangezur corridor', "unclosed quote"),
        ("colour:red", "unknown field 'colour:'"),
        ("corridor AND", "AND, OR and NOT need a term"),
    ],
)
def test_export_with_an_invalid_query_fails_in_one_line(coded, tmp_path, query, fragment):
    path = tmp_path / "out.md"
    result = run("export", "-w", coded.root, "--query", query, "-o", path)
    assert_user_error(result, fragment)
    assert not path.exists()


def test_export_of_an_unknown_document_fails_in_one_line(coded):
    assert_user_error(run("export", "-w", coded.root, "--doc", "no-such-brief"), "no-such-brief")


def test_export_rejects_an_unknown_format(coded):
    result = run("export", "-w", coded.root, "-f", "pdf")
    assert result.exit_code == 2
    assert "'pdf' is not one of" in result.stderr


# --- stats --------------------------------------------------------------------------------------


def shown_as(name: str, cell: str) -> bool:
    """Whether a table cell shows `name`, perhaps cut short with an ellipsis."""
    return cell == name or (cell.endswith("…") and name.startswith(cell[:-1]))


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch):
    """stdout as a terminal this many columns wide (the CLI's console is made at import)."""

    def set_width(width: int) -> None:
        console = Console(highlight=False, soft_wrap=True, width=width)
        monkeypatch.setattr(briefreader.cli.reports, "out", console)

    return set_width


def test_stats_prints_a_table_of_tags_per_document(coded, wide):
    wide(170)
    result = run("stats", "-w", coded.root)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "Annotations by doc" in lines[0]
    header = lines[1].split()
    assert header[:5] == ["doc", "factual", "disputed", "rhetorical", "framing"]
    files = annotation_files(coded)
    for doc in DOC_IDS:
        row = next(line for line in lines if line.split() and shown_as(doc, line.split()[0]))
        counts = [int(c) for c in row.split()[1:6]]
        tags = [item["tag"] for item in files[doc]]
        assert counts == [*(tags.count(t) for t in header[1:5]), len(tags)]
        assert "█" in row  # a bar per group when the terminal has room
    total = next(line for line in lines if line.split()[:1] == ["all"])
    assert total.split()[5] == str(len(SPECS))


@pytest.mark.parametrize("columns", [80, 100])
def test_stats_table_keeps_tag_names_whole_in_a_terminal_of(coded, wide, columns):
    wide(columns)
    result = run("stats", "-w", coded.root)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.split()[:1] == ["doc"])
    assert header.split()[1:5] == ["factual", "disputed", "rhetorical", "framing"]
    assert max(map(len, lines)) <= columns


def test_stats_by_side_as_json(coded):
    result = run("stats", "-w", coded.root, "--by", "side", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"by", "tags", "groups", "all"}
    assert data["by"] == "side"
    assert data["tags"] == ["factual", "disputed", "rhetorical", "framing"]
    keys = {
        "group",
        "counts",
        "total",
        "passages",
        "annotated_passages",
        "share_annotated",
        "orphans",
    }
    groups = {g["group"]: g for g in data["groups"]}
    assert set(groups) == {"Armenia", "Azerbaijan"}
    files = annotation_files(coded)
    for side, docs in {"Armenia": (APRI, TATIKYAN), "Azerbaijan": (AIR_JAN, AIR_FEB, BAKU)}.items():
        group = groups[side]
        assert set(group) == keys
        tags = [item["tag"] for doc in docs for item in files[doc]]
        assert group["counts"] == {t: tags.count(t) for t in data["tags"]}
        assert group["total"] == len(tags)
        assert group["share_annotated"] == round(group["annotated_passages"] / group["passages"], 4)
    assert groups["Armenia"]["orphans"] == 1 and groups["Azerbaijan"]["orphans"] == 0
    assert groups["Armenia"]["passages"] == 40 + 20
    assert set(data["all"]) == keys
    assert data["all"]["total"] == len(SPECS)
    assert data["all"]["annotated_passages"] == len(SPECS) - 1


def test_stats_by_annotator_with_a_filter(coded):
    result = run("stats", "-w", coded.root, "--by", "annotator", "--tag", "disputed", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    totals = {g["group"]: g["total"] for g in data["groups"]}
    disputed = [s.annotator for s in SPECS if s.tag == "disputed"]
    assert totals == {name: disputed.count(name) for name in set(disputed)}


def test_stats_with_an_invalid_query_fails_in_one_line(coded):
    assert_user_error(run("stats", "-w", coded.root, "-q", "(corridor"), "'(' without its ')'")


def test_stats_rejects_an_unknown_grouping(coded):
    result = run("stats", "-w", coded.root, "--by", "tag")
    assert result.exit_code == 2
    assert "'tag' is not one of" in result.stderr


# --- import -------------------------------------------------------------------------------------


@pytest.fixture
def export_file(coded: Workspace, tmp_path: Path) -> Path:
    path = tmp_path / "alice-coding.jsonld"
    exported(coded, "-f", "json", "-o", path)
    return path


def test_import_adds_the_annotations_then_skips_duplicates(coded, export_file, tmp_path):
    fresh = copy_workspace(tmp_path / "fresh")
    result = run("import", "-w", fresh.root, export_file)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Imported {len(SPECS)} annotations (0 duplicates skipped)."
    mine, theirs = on_disk(fresh), on_disk(coded)
    assert set(mine) == set(theirs)
    for key, item in theirs.items():
        for field in ("document", "tag", "annotator", "created", "updated"):
            assert mine[key][field] == item[field]
        assert mine[key].get("note", "") == item.get("note", "")
        assert mine[key]["target"]["quote"] == item["target"]["quote"]
        assert mine[key]["target"]["start"] == item["target"]["start"]
    before = snapshot(fresh.annotations_dir)
    again = run("import", "-w", fresh.root, export_file)
    assert again.exit_code == 0, again.output
    assert again.stdout.strip() == f"Imported 0 annotations ({len(SPECS)} duplicates skipped)."
    assert snapshot(fresh.annotations_dir) == before


def test_import_reports_annotations_whose_text_is_not_here(coded, export_file, tmp_path):
    target = copy_workspace(tmp_path / "edited")
    path = target.corpus_dir / AIR_JAN
    raw = path.read_text(encoding="utf-8")
    quote = SPECS[0].quote
    path.write_text(raw.replace(quote, "nothing like it at all"), encoding="utf-8")
    result = run("import", "-w", target.root, export_file)
    assert result.exit_code == 0, result.output
    assert "1 orphaned" in result.stdout


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "content, fragments",
    [
        ('{"type": "AnnotationCollection",\n "first": }', ["bad.json:2:", "not JSON"]),
        ('{"hello": "world"}', ["bad.json", "not a Web Annotation export"]),
        ('[{"type": "Annotation", "body": []}]', ["annotation 1", "tagging body"]),
        (b"\xff\xfe{not utf-8", ["bad.json", "cannot read", "not UTF-8"]),
    ],
)
def test_import_of_a_bad_file_fails_in_one_line_and_writes_nothing(
    writable, tmp_path, content, fragments
):
    before = snapshot(writable.annotations_dir)
    result = run("import", "-w", writable.root, write(tmp_path / "bad.json", content))
    assert_user_error(result, *fragments)
    assert snapshot(writable.annotations_dir) == before


def test_import_targeting_a_missing_document_writes_nothing(export_file, tmp_path):
    partial = copy_workspace(tmp_path / "partial")
    (partial.corpus_dir / BAKU).unlink()
    result = run("import", "-w", partial.root, export_file)
    assert_user_error(result, BAKU, "nothing imported")
    assert not partial.annotations_dir.exists()


def test_import_of_a_missing_file_fails(writable, tmp_path):
    result = run("import", "-w", writable.root, tmp_path / "nowhere.json")
    assert_user_error(result, "nowhere.json", "cannot read")


# --- help ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command, shown",
    [
        ("export", ["--format", "--tag", "--since", "--query", "--group-by", "-o, --output"]),
        ("stats", ["--by", "--json", "--side", "--orphaned / --placed"]),
        ("import", ["FILE"]),
    ],
)
def test_help_shows_the_options_and_an_example(command, shown):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    example = result.stdout.split("Example", 1)[1]
    assert f"briefreader {command} " in example
    for option in shown:
        assert option in result.stdout, option
