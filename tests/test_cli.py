"""The `briefreader` command: help, output shapes, exit codes and one-line errors
(DESIGN.md: "The CLI contract"; issue 2, item 6)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

import click
import pytest

from briefreader import __version__
from briefreader.cli import main
from briefreader.cli.group import cli
from briefreader.core import index as index_module
from briefreader.core.corpus import Corpus
from tests.cli_runner import assert_user_error, run
from tests.conftest import AIR_FEB, AIR_JAN, BAKU, DOC_IDS, TATIKYAN

HIT_KEYS = {"doc", "title", "passage", "section", "score", "start", "end", "snippet", "matches"}


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "BRIEFREADER_WORKSPACE"}
    env.update(extra)
    return env


# --- help and version ---------------------------------------------------------------------


def command_names() -> list[str]:
    return cli.list_commands(click.Context(cli))


def test_the_documented_commands_exist():
    documented = {"index", "search", "read", "check", "agreement", "init", "merge-driver"}
    assert documented <= set(command_names())


@pytest.mark.parametrize("name", command_names())
def test_every_command_explains_itself_with_an_example(name):
    command = cli.get_command(click.Context(cli), name)
    assert command.help and command.help.strip()
    if command.hidden:
        return
    result = run(name, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage: briefreader " + name in result.stdout
    assert "Example" in result.stdout
    assert f"briefreader {name}" in result.stdout.split("Example", 1)[1]


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_top_level_help(flag):
    result = run(flag)
    assert result.exit_code == 0
    assert "Usage: briefreader" in result.stdout
    assert "Example" in result.stdout
    for name in ("index", "search", "read", "check"):
        assert name in result.stdout


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_python_dash_m_works():
    result = subprocess.run(
        [sys.executable, "-m", "briefreader", "--help"],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: briefreader" in result.stdout
    assert "search" in result.stdout


# --- search -------------------------------------------------------------------------------


def test_search_prints_hits_with_document_passage_and_snippet(built_workspace):
    result = run("search", "Khojaly", "-w", built_workspace.root, "--limit", "3")
    assert result.exit_code == 0, result.output
    corpus = Corpus(built_workspace)
    located = [line for line in result.stdout.splitlines() if f"{AIR_FEB}#" in line]
    assert located, result.stdout
    number = int(located[0].split(f"{AIR_FEB}#", 1)[1].split()[0])
    assert "Khojaly" in corpus.load(AIR_FEB).text.passage(number).text
    assert "Khojaly" in result.stdout
    assert "passages match" in result.stderr  # the count goes to stderr, hits to stdout


def test_search_json_has_stable_keys(built_workspace):
    result = run(
        "search", "negotiaton~ OR Khojaly", "-w", built_workspace.root, "--json", "-n", "5"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"query", "total", "hits"}
    assert data["query"] == "negotiaton~ OR Khojaly"
    assert data["total"] >= len(data["hits"]) == 5
    corpus = Corpus(built_workspace)
    for hit in data["hits"]:
        assert set(hit) == HIT_KEYS
        assert isinstance(hit["doc"], str) and hit["doc"] in DOC_IDS
        assert isinstance(hit["passage"], int) and hit["passage"] >= 1
        assert isinstance(hit["score"], float)
        assert isinstance(hit["section"], str) and isinstance(hit["title"], str)
        document = corpus.load(hit["doc"])
        passage = document.text.passage(hit["passage"])
        assert (hit["start"], hit["end"]) == (passage.start, passage.end)
        assert document.text.text[hit["start"] : hit["end"]] == passage.text
        assert hit["title"] == document.info.title
        assert hit["matches"]
        for start, end in hit["matches"]:
            word = hit["snippet"][start:end].lower()
            assert word == "khojaly" or word.startswith("negotiat"), word


def test_search_builds_the_index_when_needed_and_json_stays_pure(workspace):
    assert not workspace.index_dir.exists()
    result = run("search", "Lachin", "-w", workspace.root, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # notices go to stderr, never into the JSON
    assert data["total"] > 0
    assert workspace.index_dir.is_dir()


def test_search_with_no_hits_succeeds(built_workspace):
    result = run("search", "quokkaflorescence", "-w", built_workspace.root, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"query": "quokkaflorescence", "total": 0, "hits": []}


def test_search_of_a_corpus_with_no_documents_says_so_in_one_line(tmp_path):
    (tmp_path / "corpus").mkdir()
    result = run("search", "Lachin", "-w", tmp_path)
    assert_user_error(result, str(tmp_path / "corpus"), "holds no .txt or .md documents")
    assert not (tmp_path / ".briefreader").exists()  # nothing built for nothing


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ('"Zangezur corridor', "quote"),
        ("colour:red", "colour"),
        ("(Lachin OR corridor", "("),
        ("the", "the"),
    ],
)
def test_bad_query_is_a_one_line_error(built_workspace, query, fragment):
    assert_user_error(run("search", query, "-w", built_workspace.root), fragment)


def test_bad_limit_is_a_user_error(built_workspace):
    assert_user_error(run("search", "Lachin", "-w", built_workspace.root, "--limit", "0"), "limit")


# --- read ---------------------------------------------------------------------------------


@pytest.mark.parametrize("doc_id", [TATIKYAN, BAKU])
def test_read_prints_the_normalised_text(built_workspace, doc_id):
    result = run("read", doc_id, "-w", built_workspace.root)
    assert result.exit_code == 0, result.output
    expected = Corpus(built_workspace).load(doc_id).text.text
    assert result.stdout == expected + "\n"


def test_read_finds_a_document_by_a_fragment(built_workspace):
    result = run("read", "AIR Center Bulletin, January", "-w", built_workspace.root)
    assert result.exit_code == 0, result.output
    assert result.stdout == Corpus(built_workspace).load(AIR_JAN).text.text + "\n"


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_read_raw_prints_the_file_as_it_is(built_workspace, doc_id):
    result = run("read", doc_id, "--raw", "-w", built_workspace.root)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == (built_workspace.corpus_dir / doc_id).read_bytes()


def test_read_one_passage(built_workspace):
    passage = Corpus(built_workspace).load(TATIKYAN).text.passage(3)
    result = run("read", "tatikyan", "--passage", "3", "-w", built_workspace.root)
    assert result.exit_code == 0, result.output
    assert result.stdout == passage.text + "\n"


def test_read_a_passage_out_of_range(built_workspace):
    count = len(Corpus(built_workspace).load(TATIKYAN).text.passages)
    result = run("read", "tatikyan", "--passage", str(count + 1), "-w", built_workspace.root)
    assert_user_error(result, TATIKYAN, str(count))


def test_read_unknown_document(built_workspace):
    assert_user_error(run("read", "nosuchdoc", "-w", built_workspace.root), "nosuchdoc")


def test_read_ambiguous_document_names_the_candidates(built_workspace):
    assert_user_error(run("read", "air-center", "-w", built_workspace.root), AIR_JAN, AIR_FEB)


def test_read_a_binary_document_names_the_file(workspace):
    (workspace.corpus_dir / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    assert_user_error(run("read", "picture.txt", "-w", workspace.root), "picture.txt")
    assert_user_error(run("read", "picture.txt", "--raw", "-w", workspace.root), "picture.txt")


def test_workspace_from_the_environment(workspace, monkeypatch):
    path = workspace.corpus_dir / TATIKYAN
    path.write_text("Only this sentence.\n", encoding="utf-8")
    monkeypatch.setenv("BRIEFREADER_WORKSPACE", str(workspace.root))
    result = run("read", "tatikyan")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Only this sentence.\n"


def test_workspace_from_the_current_folder(workspace, monkeypatch):
    (workspace.corpus_dir / TATIKYAN).write_text("From the current folder.\n", encoding="utf-8")
    monkeypatch.chdir(workspace.root)
    result = run("read", "tatikyan")
    assert result.exit_code == 0, result.output
    assert result.stdout == "From the current folder.\n"


def test_without_a_workspace_the_sample_in_the_data_dir_is_used(tmp_path, monkeypatch, data_home):
    monkeypatch.chdir(tmp_path)
    result = run("check")
    assert result.exit_code == 0, result.output
    assert str(data_home) in result.stdout
    assert (data_home / "briefreader" / "workspace" / "corpus" / TATIKYAN).is_file()


# --- check --------------------------------------------------------------------------------


def test_check_passes_on_the_bundled_corpus(workspace):
    result = run("check", workspace.root)
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.stdout
    assert "5 documents" in result.stdout


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("picture.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        ("empty.md", b""),
        ("mystery.txt", b"abc " + bytes(range(0x80, 0x100))),
    ],
)
def test_check_fails_naming_a_bad_file(workspace, name, data):
    (workspace.corpus_dir / name).write_bytes(data)
    result = run("check", "-w", workspace.root)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    naming = [line for line in result.stdout.splitlines() if name in line]
    assert len(naming) == 1, result.stdout
    assert naming[0].startswith("error: ")
    assert str(workspace.corpus_dir / name) in naming[0]
    assert "6 documents" in result.stdout  # the good ones are still counted and read


def test_check_reports_a_malformed_catalog_with_its_line(workspace):
    catalog = workspace.corpus_dir / "catalog.yaml"
    catalog.write_text('documents:\n  x.txt:\n    title: "unclosed\n', encoding="utf-8")
    result = run("check", workspace.root)
    assert result.exit_code == 1
    naming = [line for line in result.stdout.splitlines() if "catalog.yaml:" in line]
    assert len(naming) == 1
    line_number = naming[0].split("catalog.yaml:", 1)[1].split(":", 1)[0]
    assert line_number.isdigit()


def test_check_on_an_empty_corpus_fails(tmp_path):
    (tmp_path / "corpus").mkdir()
    result = run("check", tmp_path)
    assert result.exit_code == 1
    assert "error" in result.stdout


# --- index --------------------------------------------------------------------------------


def test_index_builds_then_is_up_to_date_then_rebuilds(workspace):
    first = run("index", workspace.root)
    assert first.exit_code == 0, first.output
    assert "5 added" in first.stdout
    assert "Traceback" not in first.output

    second = run("index", "-w", workspace.root)
    assert second.exit_code == 0, second.output
    assert "up to date" in second.stdout

    rebuilt = run("index", workspace.root, "--rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "5 added" in rebuilt.stdout
    assert "rebuild" in rebuilt.stderr


def test_index_reports_a_changed_file(indexed_workspace):
    path = indexed_workspace.corpus_dir / TATIKYAN
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    result = run("index", indexed_workspace.root)
    assert result.exit_code == 0, result.output
    assert "1 changed" in result.stdout
    assert "4 unchanged" in result.stdout


def test_index_skips_a_bad_file_and_says_so(indexed_workspace):
    (indexed_workspace.corpus_dir / "empty.txt").write_bytes(b"")
    result = run("index", indexed_workspace.root)
    assert result.exit_code == 0, result.output
    assert "empty.txt" in result.stderr
    assert "Traceback" not in result.output


def test_index_while_locked_is_a_one_line_error(indexed_workspace, monkeypatch):
    monkeypatch.setattr(index_module, "LOCK_TIMEOUT", 0.2)
    (indexed_workspace.corpus_dir / "new.md").write_text("# New\n\nText.\n", encoding="utf-8")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from filelock import FileLock; l = FileLock(sys.argv[1]); l.acquire(); "
            "print('locked', flush=True); sys.stdin.read()",
            str(indexed_workspace.state_dir / "index.lock"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert_user_error(run("index", indexed_workspace.root), "another")
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def test_search_on_a_corrupt_index_shows_no_traceback(indexed_workspace):
    for segment in indexed_workspace.index_dir.glob("*.seg"):
        segment.write_bytes(b"garbage" * 1000)
    result = subprocess.run(
        [sys.executable, "-m", "briefreader", "search", "Khojaly", "-w", indexed_workspace.root],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
    )
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1)


# --- errors and usage ---------------------------------------------------------------------


@pytest.mark.parametrize("command", [["check"], ["index"], ["read", "x"], ["search", "x"]])
def test_missing_workspace_is_a_one_line_error(tmp_path, command):
    missing = tmp_path / "nowhere"
    assert_user_error(run(*command, "-w", missing), str(missing))


@pytest.mark.parametrize("command", [["check"], ["index"], ["read", "x"], ["search", "x"]])
def test_folder_without_corpus_is_a_one_line_error(tmp_path, command):
    assert_user_error(run(*command, "-w", tmp_path), "corpus")


def test_workspace_given_twice_differently(workspace, tmp_path):
    assert_user_error(run("check", workspace.root, "-w", tmp_path))


@pytest.mark.parametrize(
    "args",
    [
        ["search"],
        ["search", "x", "--bogus"],
        ["search", "x", "--limit", "many"],
        ["read"],
        ["read", "tatikyan", "--passage", "third"],
        ["index", "--rebuild=maybe"],
        ["check", "a", "b"],
    ],
)
def test_usage_errors_exit_2(args, built_workspace):
    result = run(*args, "-w", built_workspace.root)
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert "Error:" in result.stderr


def test_errors_in_a_real_process_are_one_line_without_traceback(built_workspace):
    result = subprocess.run(
        [sys.executable, "-m", "briefreader", "read", "nosuchdoc", "-w", built_workspace.root],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("briefreader: error: ")
    assert "nosuchdoc" in lines[0]


# --- opening the reader --------------------------------------------------------------------

# `briefreader ARGS` in a fresh interpreter, the reader replaced by a fake that prints what it
# was given and whether click, the parser of every other command line, was loaded
OPEN_A_FAKE_READER = """
import json, os, sys
from briefreader.core.errors import WorkspaceError
from briefreader.tui import app
def fake_run(workspace, annotator=None, **kwargs):
    print(json.dumps([str(workspace.root), annotator, "click" in sys.modules]))
    if os.environ.get("FAKE_READER_RAISES") == "error":
        raise WorkspaceError("the corpus went away; put it back", workspace.root)
    if os.environ.get("FAKE_READER_RAISES") == "interrupt":  # ctrl+c before Textual has it
        raise KeyboardInterrupt
app.run = fake_run
sys.argv = ["briefreader", *sys.argv[1:]]
from briefreader.cli import main
main()
"""


def open_a_fake_reader(*args, cwd=None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", OPEN_A_FAKE_READER, *map(str, args)],
        capture_output=True,
        text=True,
        env=environment(**env),
        cwd=cwd,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "annotator", "parsed"),
    [
        ([], None, False),  # the workspace of the current folder
        (["{ws}"], None, False),
        (["{ws}", "--annotator", "ana"], "ana", True),
        (["open", "{ws}"], None, True),
        (["-w", "{ws}"], None, True),
    ],
)
def test_only_a_command_line_with_more_than_a_workspace_loads_the_parser(
    workspace, args, annotator, parsed
):
    args = [arg.format(ws=workspace.root) for arg in args]
    result = open_a_fake_reader(*args, cwd=workspace.root)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [str(workspace.root), annotator, parsed]


def test_a_workspace_from_the_environment_is_checked_by_the_parser(workspace, tmp_path):
    result = open_a_fake_reader(cwd=tmp_path, BRIEFREADER_WORKSPACE=str(workspace.root))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [str(workspace.root), None, True]


def test_shell_completion_goes_to_the_parser(workspace):
    result = open_a_fake_reader(cwd=workspace.root, _BRIEFREADER_COMPLETE="bash_source")
    assert result.returncode == 0, result.stderr
    assert "_BRIEFREADER_COMPLETE=bash_complete" in result.stdout  # the script, no reader
    assert str(workspace.root) not in result.stdout


@pytest.mark.parametrize("args", [["{ws}"], ["{ws}", "--annotator", "ana"]])
def test_ctrl_c_before_the_reader_is_up_aborts_without_a_traceback(workspace, args):
    args = [arg.format(ws=workspace.root) for arg in args]
    result = open_a_fake_reader(*args, FAKE_READER_RAISES="interrupt")
    assert result.returncode == 1, result.stderr
    assert result.stderr == "\nAborted!\n"


@pytest.mark.parametrize("fails", ["before", "after"])
def test_the_reader_s_errors_are_one_line_on_the_quick_path_too(workspace, tmp_path, fails):
    """A workspace that is no workspace, or an error of the reader once it has started."""
    if fails == "before":
        at, result = tmp_path / "nowhere", open_a_fake_reader(tmp_path / "nowhere")
    else:
        at, result = workspace.root, open_a_fake_reader(workspace.root, FAKE_READER_RAISES="error")
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("briefreader: error: ")
    assert str(at) in lines[0]
    assert (fails == "after") == ("went away" in lines[0])


@pytest.fixture
def reader_started(monkeypatch):
    """`briefreader` with the reader replaced by a fake that records whether Python's
    garbage collector ran, and how often threads took turns, as the reader started and after
    its first frame."""
    from briefreader.tui import app as app_module

    seen: dict[str, object] = {}

    def fake_run(workspace, annotator=None, *, on_first_frame=None, first_read=None):
        seen["starting"] = gc.isenabled()
        seen["turns while starting"] = sys.getswitchinterval()
        if first_read is not None:  # started by the command, to show in the first frame
            seen["documents read"] = len(first_read.opening.result(timeout=30).documents)
        if seen.get("fail"):  # before the first frame
            raise RuntimeError("the terminal went away")
        if on_first_frame is not None:
            on_first_frame()
        seen["first frame"] = gc.isenabled()
        seen["turns after"] = sys.getswitchinterval()

    monkeypatch.setattr(app_module, "run", fake_run)
    was = gc.isenabled()
    gc.enable()
    yield seen
    (gc.enable if was else gc.disable)()


def open_in_process(workspace, quick: bool, monkeypatch) -> None:
    """`briefreader WORKSPACE` as `main()` takes it, or through the parser."""
    if quick:
        monkeypatch.delenv("BRIEFREADER_WORKSPACE", raising=False)
        monkeypatch.setattr(sys, "argv", ["briefreader", str(workspace.root)])
        main()
    else:
        result = run(workspace.root)
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize("quick", [True, False], ids=["quick path", "parser"])
def test_the_collector_is_paused_and_turns_quicker_while_the_reader_starts(
    workspace, reader_started, quick, monkeypatch
):
    interval = sys.getswitchinterval()
    open_in_process(workspace, quick, monkeypatch)
    assert reader_started == {
        "starting": False,
        "turns while starting": 0.001,
        "documents read": 5,
        "first frame": True,
        "turns after": interval,
    }
    assert gc.isenabled()
    assert sys.getswitchinterval() == interval


def test_the_collector_runs_again_if_the_reader_fails_to_start(workspace, reader_started):
    reader_started["fail"] = True
    interval = sys.getswitchinterval()
    result = run(workspace.root)
    assert isinstance(result.exception, RuntimeError)
    assert reader_started["starting"] is False
    assert "first frame" not in reader_started
    assert gc.isenabled()
    assert sys.getswitchinterval() == interval
