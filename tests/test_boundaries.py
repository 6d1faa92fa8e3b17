"""The core never pulls in the UI: checked by importing it in a fresh interpreter, and by
import-linter's contract in pyproject.toml (DESIGN.md: "Shape of the code")."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

IMPORT_THE_CORE = """
import importlib, json, pkgutil, sys
import briefreader.core as core
names = sorted(m.name for m in pkgutil.walk_packages(core.__path__, "briefreader.core."))
for name in names:
    importlib.import_module(name)
print(json.dumps({
    "modules": names,
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "click")
                     or m.startswith(("briefreader.tui", "briefreader.cli"))),
}))
"""


def run_python(code: str, *args: str):
    """What `code`, run in a fresh interpreter with `args`, prints as JSON."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_importing_the_whole_core_loads_no_ui():
    report = run_python(IMPORT_THE_CORE)
    for module in ("corpus", "normalize", "index", "workspace", "catalog", "models", "errors"):
        assert f"briefreader.core.{module}" in report["modules"]
    assert report["loaded"] == []


def test_import_linter_contract_holds():
    lint_imports = shutil.which("lint-imports", path=os.path.dirname(sys.executable))
    lint_imports = lint_imports or shutil.which("lint-imports")
    assert lint_imports, "import-linter is missing: pip install -e '.[test]'"
    result = subprocess.run(
        [lint_imports, "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout or "kept" in result.stdout


LOADED_BEFORE_THE_READER = """
import json, sys
import briefreader.cli
print(json.dumps(sorted(sys.modules)))
"""


def test_the_command_line_loads_no_command_module_nor_its_parser_before_the_reader_opens():
    """`briefreader` opens the reader: it must not pay for every command's imports, nor for
    click's, first."""
    loaded = set(run_python(LOADED_BEFORE_THE_READER))
    assert {"briefreader.cli", "briefreader.core.workspace"} <= loaded
    heavy = {"whoosh", "yaml", "rapidfuzz", "click", "briefreader.core.annotations"}
    modules = ("common", "group", "reading", "annotating", "reports", "team")
    assert not (heavy | {f"briefreader.cli.{m}" for m in modules}) & loaded


def test_importing_the_reader_loads_no_index_fuzzy_matcher_file_lock_yaml_or_other_screen():
    """Whoosh loads in the indexing worker, rapidfuzz at the first inexact anchor, filelock
    at the first save, PyYAML at the first file read, the normaliser at the first text not
    kept, the other screens when first opened: none of them with the reader's modules, which
    load before its first frame."""
    modules = set(run_python(LOADED_BEFORE_THE_READER.replace("cli", "tui.app")))
    loaded = {name.split(".")[0] for name in modules}
    assert "textual" in loaded
    assert not {"whoosh", "rapidfuzz", "filelock", "yaml"} & loaded
    assert "briefreader.core.normalize" not in modules
    assert "briefreader.tui.widgets.library" in modules
    assert not {name for name in modules if name.startswith("briefreader.tui.screens.")}


IS_THE_INDEX_CURRENT = """
import json, sys
from pathlib import Path
from briefreader.core.annotations import AnnotationStore
from briefreader.core.corpus import Corpus
from briefreader.core.manifest import Manifest
from briefreader.core.workspace import Workspace
ws = Workspace(Path(sys.argv[1]))
current = Manifest(ws.index_dir, AnnotationStore(ws)).is_current(Corpus(ws))
print(json.dumps([current, "whoosh" in sys.modules]))
"""


def test_the_reader_tells_a_current_index_without_loading_whoosh(indexed_workspace):
    """So the reader's search is ready before Whoosh has loaded; a changed document is
    still told apart."""
    root = str(indexed_workspace.root)
    assert run_python(IS_THE_INDEX_CURRENT, root) == [True, False]
    document = next(indexed_workspace.corpus_dir.glob("*.txt"))
    os.utime(document, ns=(0, document.stat().st_mtime_ns + 1))
    assert run_python(IS_THE_INDEX_CURRENT, root) == [False, False]


OPEN_A_DOCUMENT = """
import json, sys
from pathlib import Path
from briefreader.core.corpus import Corpus
from briefreader.core.workspace import Workspace
corpus = Corpus(Workspace(Path(sys.argv[1])))
document = corpus.load(corpus.documents[0])
print(json.dumps([len(document.text.passages), "briefreader.core.normalize" in sys.modules]))
"""


def test_a_document_whose_text_is_kept_opens_without_loading_the_normaliser(
    indexed_workspace, tmp_path
):
    """The index build keeps every normalised text: opening one then costs no import of
    the normaliser (6-10 ms of imports), which a text not kept still loads."""
    kept_passages, loaded = run_python(OPEN_A_DOCUMENT, str(indexed_workspace.root))
    assert kept_passages > 0 and not loaded
    shutil.copytree(indexed_workspace.corpus_dir, tmp_path / "corpus")  # no text kept
    assert run_python(OPEN_A_DOCUMENT, str(tmp_path)) == [kept_passages, True]
