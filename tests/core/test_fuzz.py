"""Fuzzing the inputs a user writes by hand (issue 7, item 5): the YAML loader, the
annotation file parser and the search query parser. Whatever the input, the only exception is
briefreader's own error, naming the file; never a traceback, a hang or a rebuild of the index.

Bounded for CI: each test runs FUZZ.max_examples examples (a few seconds). Set
BRIEFREADER_FUZZ_EXAMPLES for a longer run, e.g. 20000 before a release.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from briefreader.core import yamlio
from briefreader.core.annotations import (
    AnnotationFile,
    AnnotationStore,
    make_annotation,
    parse,
    render,
    span_in_passage,
)
from briefreader.core.catalog import load_catalog
from briefreader.core.codebook import load_codebook
from briefreader.core.corpus import Corpus
from briefreader.core.errors import AnnotationError, BriefreaderError, QueryError
from briefreader.core.index import SearchIndex
from briefreader.core.normalize import normalize
from briefreader.core.workspace import Workspace
from briefreader.core.yamlio import load_yaml
from tests.conftest import AIR_JAN, BUNDLED_CORPUS, copy_workspace, raw_text

FUZZ = settings(
    max_examples=int(os.environ.get("BRIEFREADER_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PATH = Path("annotations") / f"{AIR_JAN}.yaml"


# --- a real annotation file, as briefreader writes it -------------------------------------------


def _sample_file() -> str:
    """Four annotations on a bundled document: plain, with a multi-line note, with unknown keys
    at every level, and with a hand-written YAML 1.1 boolean as its tag."""
    text = normalize(raw_text(AIR_JAN))
    stamp = "2025-03-01T10:00:00Z"
    made = []
    for number, (passage, tag, note) in enumerate(
        [
            (1, "factual", ""),
            (2, "disputed", "Two sources disagree.\n\nSee the OSCE report: “ceasefire” — 3 days."),
            (3, "rhetorical", "short note"),
            (4, "no", ""),
        ]
    ):
        start, end = span_in_passage(text, passage, None)
        annotation = make_annotation(text, start, end, tag, "alice", note)
        made.append(replace(annotation, id=f"a{number}", created=stamp, updated=stamp))
    made[2] = replace(made[2], extra=(("source", "hand"), ("target.page", 3), ("flags", [1, 2])))
    return render(AnnotationFile(AIR_JAN, made, extra={"reviewed_by": ["bob", "carol"]}))


SAMPLE = _sample_file()
SAMPLE_PARSED = parse(SAMPLE, PATH, AIR_JAN)
assert len(SAMPLE_PARSED.annotations) == 4

# what hand edits tend to put in a YAML file
YAML_PIECES = [
    *"-:[]{},&*!|>'\"#?%@`~\\\t\n ",
    ": ",
    "- ",
    "  ",
    "\n  ",
    "\n- ",
    "no",
    "yes",
    "~",
    "null",
    "true",
    "0x1F",
    "0o17",
    "1_000",
    "-3",
    "1.5e3",
    ".inf",
    ".nan",
    "2025-03-01",
    "12:30:00",
    "&anchor ",
    "*anchor",
    "!!binary ",
    "!!python/object:os.system ",
    "!tag ",
    "<<: ",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "\ufeff",
    "\r\n",
    "\u00a0",
    "é",
    "Ləçin",
    "\u0301",
    "😀",
    "\x00",
    "\x85",
    "\u2028",
]
yaml_like = st.lists(st.sampled_from(YAML_PIECES) | st.text(max_size=5), max_size=40).map("".join)


@st.composite
def mutated(draw, base: str = SAMPLE) -> str:
    """`base` after one to four random edits of its characters or lines."""
    text = base
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(
                [
                    "delete",
                    "insert",
                    "replace",
                    "delete-line",
                    "duplicate-line",
                    "swap-lines",
                    "indent",
                    "dedent",
                    "truncate",
                    "value",
                ]
            )
        )
        at = draw(st.integers(0, len(text)))
        lines = text.splitlines(keepends=True) or [""]
        line = draw(st.integers(0, len(lines) - 1))
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 30)) :]
        elif kind == "insert":
            text = text[:at] + draw(yaml_like) + text[at:]
        elif kind == "replace":
            text = text[:at] + draw(st.sampled_from(YAML_PIECES)) + text[at + 1 :]
        elif kind == "delete-line":
            del lines[line]
            text = "".join(lines)
        elif kind == "duplicate-line":
            lines.insert(line, lines[line])
            text = "".join(lines)
        elif kind == "swap-lines":
            other = draw(st.integers(0, len(lines) - 1))
            lines[line], lines[other] = lines[other], lines[line]
            text = "".join(lines)
        elif kind == "indent":
            lines[line] = draw(st.sampled_from(["  ", " ", "\t", "- "])) + lines[line]
            text = "".join(lines)
        elif kind == "dedent":
            lines[line] = lines[line][draw(st.integers(1, 4)) :]
            text = "".join(lines)
        elif kind == "truncate":
            text = text[:at]
        else:  # a value replaced by another scalar, collection or YAML oddity
            key, sep, _ = lines[line].partition(": ")
            if sep:
                value = draw(st.sampled_from(YAML_PIECES) | yaml_like)
                lines[line] = f"{key}: {value}\n"
                text = "".join(lines)
    return text


@st.composite
def mutated_bytes(draw) -> bytes:
    """The sample file, encoded, after random byte edits: bytes that may not be UTF-8."""
    data = bytearray(draw(mutated()).encode("utf-8"))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        how = draw(st.sampled_from(["insert", "flip", "cut"]))
        if how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=6))
        elif how == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        else:
            del data[at : at + draw(st.integers(1, 3))]
    return bytes(data)


def assert_names_the_file(error: BriefreaderError, path: Path) -> None:
    assert error.path == path, error
    assert str(error).startswith(f"{path}:") or str(error).startswith(f"{path} "), error
    assert error.message and "\n" not in error.message, repr(error.message)
    if error.line is not None:
        assert error.line >= 1
        assert error.column is None or error.column >= 1


# hand-picked inputs each once crashed or hung load_yaml (fixed in yamlio: see its docstring)
ALIAS_BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
)
KNOWN_BAD = {
    "alias to itself": "&a [*a]",
    "alias to its own mapping": "a: &m {b: *m}",
    "alias bomb": ALIAS_BOMB,
    "nested lists": "[" * 400 + "]" * 400,
    "nested block lists": "".join("  " * i + "-\n" for i in range(400)),
    "nested mappings": "{a: " * 400 + "1" + "}" * 400,
    "lone surrogate": "tag: \ud800",
}


@pytest.mark.parametrize("text", KNOWN_BAD.values(), ids=KNOWN_BAD.keys())
@pytest.mark.parametrize("loader", ["libyaml", "python"])
def test_known_bad_yaml_is_an_error_naming_the_file(text, loader, monkeypatch):
    if loader == "python":
        monkeypatch.setattr(yamlio, "_loader", lambda: yaml.SafeLoader)
    elif not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml")
    with pytest.raises(AnnotationError) as caught:
        load_yaml(text, PATH, AnnotationError)
    assert_names_the_file(caught.value, PATH)


def test_aliases_within_bounds_still_load():
    text = "sides: &s [Armenia, Azerbaijan]\na: *s\nb: *s\nnested: [[[[[[[[[[ok]]]]]]]]]]\n"
    data = load_yaml(text, PATH)
    assert data["a"] == data["b"] == ["Armenia", "Azerbaijan"]


# --- (a) load_yaml ---------------------------------------------------------------------------


def _load_or_own_error(text: str, error: type[BriefreaderError] = BriefreaderError) -> object:
    try:
        return load_yaml(text, PATH, error)
    except BriefreaderError as exc:
        assert type(exc) is error, exc
        assert_names_the_file(exc, PATH)
        return None


@FUZZ
@example(text="")
@example(text="\ufeff")
@example(text=KNOWN_BAD["alias to itself"])
@given(text=st.text())
def test_load_yaml_on_any_text_returns_a_value_or_its_own_error(text):
    _load_or_own_error(text)


@FUZZ
@given(text=yaml_like)
def test_load_yaml_on_yaml_like_text_returns_a_value_or_its_own_error(text):
    _load_or_own_error(text, AnnotationError)


@FUZZ
@given(text=mutated())
def test_load_yaml_on_an_edited_annotation_file_returns_a_value_or_its_own_error(text):
    _load_or_own_error(text)


@FUZZ
@given(text=mutated() | yaml_like)
def test_the_pure_python_loader_fails_the_same_way(text):
    """Without libyaml (a PyYAML wheel built without it), the same promise holds."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yamlio, "_loader", lambda: yaml.SafeLoader)
        _load_or_own_error(text)


# --- dump_yaml: what briefreader writes, it reads back ----------------------------------------

yaml_values = st.recursive(
    st.text() | st.sampled_from(["no", "~", "1_000", "0x1F", "x\n\n", "x\n...\n", " x\n"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(min_size=1), inner, max_size=3)
    ),
    max_leaves=12,
)


@FUZZ
@example(value={"notes": "kept blank line\n\n"})
@example(value="x\n...\n")
@given(value=yaml_values)
def test_what_dump_yaml_writes_reads_back_alone_and_followed_by_more(value):
    """The annotation file is written in pieces, one after another (a head, then each
    annotation): each piece reads back as it was, and so does whatever follows it."""
    assert load_yaml(yamlio.dump_yaml(value), PATH) == value
    joined = yamlio.dump_yaml({"piece": value}) + yamlio.dump_yaml({"after": "end"})
    assert load_yaml(joined, PATH) == {"piece": value, "after": "end"}


# --- (b) annotations.parse ---------------------------------------------------------------------


def _parse_or_own_error(text: str) -> AnnotationFile | None:
    try:
        parsed = parse(text, PATH, AIR_JAN)
    except AnnotationError as exc:
        assert_names_the_file(exc, PATH)
        return None
    for annotation in parsed.annotations:
        target = annotation.target
        assert annotation.id and annotation.tag and target.quote
        assert 0 <= target.start <= target.end
    return parsed


@FUZZ
@example(text=SAMPLE)
@given(text=mutated())
def test_parse_of_an_edited_annotation_file_gives_annotations_or_an_annotation_error(text):
    _parse_or_own_error(text)


@FUZZ
@given(text=st.text() | yaml_like)
def test_parse_of_any_text_gives_annotations_or_an_annotation_error(text):
    _parse_or_own_error(text)


@FUZZ
@example(text=SAMPLE)
@given(text=mutated())
def test_what_parses_is_written_back_without_loss(text):
    """A hand-edited file that reads is rewritten (on the next save) with the same
    annotations, unknown keys and all: parse(render(parse(x))) == parse(x), but for the order
    of the annotations (render sorts them by position)."""
    parsed = _parse_or_own_error(text)
    if parsed is None:
        return
    again = parse(render(parsed), PATH, AIR_JAN)
    assert again.document == parsed.document
    assert {a.id: a for a in again.annotations} == {a.id: a for a in parsed.annotations}
    assert again.extra == parsed.extra


@pytest.fixture(scope="module")
def annotation_store(tmp_path_factory: pytest.TempPathFactory) -> AnnotationStore:
    root = tmp_path_factory.mktemp("fuzz-annotations")
    (root / "corpus").mkdir()
    (root / "annotations").mkdir()
    return AnnotationStore(Workspace(root))


@FUZZ
@example(data=SAMPLE.encode("utf-8"))
@example(data=b"\xff\xfe" + SAMPLE.encode("utf-16-le"))
@example(data=b"document: x\n\x80\x81\n")
@given(data=mutated_bytes())
def test_loading_an_edited_file_from_disk_gives_annotations_or_an_annotation_error(
    annotation_store, data
):
    """The whole read: bytes that may not be UTF-8, then YAML, then the schema."""
    path = annotation_store.path_for(AIR_JAN)
    path.write_bytes(data)
    try:
        loaded = annotation_store.load(AIR_JAN)
    except AnnotationError as exc:
        assert_names_the_file(exc, path)
    else:
        assert all(a.target.quote for a in loaded.annotations)


# --- the other hand-edited files: catalog.yaml and codebook.yaml --------------------------------

CATALOG = (BUNDLED_CORPUS / "catalog.yaml").read_text(encoding="utf-8")
CODEBOOK = """\
tags:
  - name: propaganda
    description: "Loaded wording meant to persuade, not inform"
    key: p
    color: magenta
  - name: casualty-figure
    description: A number of dead or wounded
    key: k
"""


@pytest.fixture(scope="module")
def hand_edited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hand-edited")


@FUZZ
@example(text=CATALOG)
@given(text=mutated(CATALOG) | yaml_like)
def test_a_hand_edited_catalog_is_read_or_reported_never_raised(hand_edited, text):
    """A broken catalog costs metadata, never the corpus: problems, not exceptions."""
    (hand_edited / "catalog.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    catalog = load_catalog(hand_edited)
    for problem in catalog.problems:
        assert problem.path == hand_edited / "catalog.yaml"
        assert "\n" not in problem.message


@FUZZ
@example(text=CODEBOOK)
@given(text=mutated(CODEBOOK) | yaml_like)
def test_a_hand_edited_codebook_is_read_or_reported_never_raised(hand_edited, text):
    """A broken codebook costs its own tags, never the built-in ones."""
    (hand_edited / "codebook.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    codebook = load_codebook(hand_edited)
    assert {"factual", "disputed", "rhetorical"} <= codebook.names
    for problem in codebook.problems:
        assert problem.path == hand_edited / "codebook.yaml"
        assert "\n" not in problem.message


# --- (c) the search query parser ---------------------------------------------------------------

QUERY_PIECES = [
    "Lachin",
    "corridor",
    "peace",
    "agreement",
    "the",
    "of",
    "negotiaton",
    "Zangezur",
    "Ləçin",
    "Լաչին",
    "Карабах",
    "ß",
    "İ",
    "e\u0301",
    "ﬁ",
    "😀",
    "\u200b",
    "AND",
    "OR",
    "NOT",
    "ANDNOT",
    "ANDMAYBE",
    "REQUIRE",
    "and",
    "TO",
    '"',
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    "~",
    "~2",
    "~0",
    "~-1",
    "~99",
    "*",
    "?",
    "^",
    "^2",
    "^-1.5",
    "^x",
    "/",
    "\\",
    "-",
    "+",
    "'",
    "`",
    "=",
    "<",
    ">",
    ".",
    ",",
    "@",
    "#",
    "%",
    "&",
    "|",
    "!",
    "2025",
    "2025-02",
    "0",
    "-1",
    "1e99",
    "",
    " ",
    "  ",
    "\t",
    "\n",
    "\x00",
]
FIELD_NAMES = [
    "title",
    "doc",
    "document",
    "section",
    "publisher",
    "author",
    "source",
    "date",
    "side",
    "kind",
    "tag",
    "tags",
    "note",
    "annotator",
    "body",
    "exact",
    "passage",
    "key",
    "start",
    "colour",
    "Title",
    "_x",
    "é",
]
field_prefix = st.sampled_from(FIELD_NAMES).map(lambda name: name + ":")
query_piece = st.sampled_from(QUERY_PIECES) | field_prefix | st.text(max_size=4)
queries = st.lists(st.tuples(query_piece, st.sampled_from(["", " ", " ", "  "])), max_size=12).map(
    lambda parts: "".join(piece + gap for piece, gap in parts)
)

QUERY_EXAMPLES = [
    "",
    "*",
    "exact:*",
    "?",
    "~",
    '""',
    '" "',
    "()",
    "( )",
    "NOT",
    "NOT NOT Lachin",
    "Lachin^",
    "Lachin^^2",
    "Lachin~~",
    "Lachin~2~",
    "date:[2020 TO 2025]",
    "date:[ TO ]",
    "date:{2025 TO}",
    "tag:[a TO",
    "passage:3",
    "side:",
    "side: armenia",
    "title:()",
    "title:(Lachin OR)",
    "body:body:Lachin",
    "exact:Lachin~",
    "\\",
    "Lachin\\",
    "[",
    "{",
    "]",
    "}",
    "*~",
    "a*~2",
    "~*",
    "Lachin~0.5",
    "Lachin~1e9",
    "Lachin^1e999",
    "'Lachin corridor'",
    "ﬁ*",
    "e\u0301*",
    "\x00",
]


@pytest.fixture(scope="module")
def fuzz_index(built_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory):
    """A copy of the session's indexed bundled corpus: a search that went wrong could rebuild
    it, which the session's read-only copy must never see. `update` is disarmed: a query
    must never be taken for a damaged index (a rebuild takes seconds and says so)."""
    root = tmp_path_factory.mktemp("fuzz-index") / "workspace"
    workspace = copy_workspace(root, with_state_from=built_workspace.root)
    index = SearchIndex(Corpus(workspace))
    index.search("Lachin")  # opened while update still works

    def no_rebuild(*args, **kwargs):
        raise AssertionError("a query made the index rebuild itself")

    index.update = no_rebuild
    yield index
    index.close()


def _search_or_query_error(index: SearchIndex, text: str) -> None:
    try:
        index.parse(text)
    except QueryError as exc:
        assert exc.message and "\n" not in exc.message, repr(exc.message)
        with pytest.raises(QueryError):  # search parses the same way
            index.search(text, limit=5)
        return
    results = index.search(text, limit=5)
    assert results.total >= len(results.hits)
    if results.hits:
        index.match_spans(text, results.hits[0].snippet.text)


@pytest.mark.parametrize("text", QUERY_EXAMPLES)
def test_query_examples_give_results_or_a_query_error(fuzz_index, text):
    _search_or_query_error(fuzz_index, text)


@FUZZ
@given(text=queries)
def test_any_query_gives_results_or_a_query_error(fuzz_index, text):
    _search_or_query_error(fuzz_index, text)


@FUZZ
@given(text=st.text(max_size=30))
def test_any_text_as_a_query_gives_results_or_a_query_error(fuzz_index, text):
    _search_or_query_error(fuzz_index, text)


# --- bugs the fuzzers found in the query parser, fixed -------------------------------------------


@pytest.mark.parametrize(
    "text", ["NOT NOT Lachin", "Lachin NOT AND corridor", "Lachin ANDNOT ANDNOT corridor"]
)
def test_two_operators_in_a_row_are_a_query_error(search_index, text):
    with pytest.raises(QueryError):
        search_index.search(text)


def test_a_field_name_after_another_is_checked(search_index):
    with pytest.raises(QueryError):
        search_index.search("doc:start:Lachin")


@pytest.mark.parametrize("text", ['side:"armenia azerbaijan"', 'tag:"factual disputed"'])
def test_a_phrase_on_a_keyword_field_is_a_query_error_not_a_rebuild(fuzz_index, text):
    with pytest.raises(QueryError):
        fuzz_index.search(text)
