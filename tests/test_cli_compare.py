"""`briefreader similar` and `briefreader topic` (issue 8, items 1 and 4)."""

from __future__ import annotations

import json

import pytest

from briefreader.core.workspace import Workspace
from tests.cli_runner import assert_user_error, run
from tests.conftest import TATIKYAN


@pytest.fixture
def ws(indexed_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("BRIEFREADER_WORKSPACE", str(indexed_workspace.root))
    return indexed_workspace


def test_similar_as_json(ws):
    result = run("similar", "tatikyan", "4", "--limit", "4", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["side"] == "Armenia"
    assert "sovereign" in found["terms"]
    passages = found["passages"]
    assert 0 < len(passages) <= 4
    assert all(p["doc"] != TATIKYAN for p in passages)
    assert set(passages[0]) >= {"doc", "passage", "side", "date", "tags", "snippet", "other_side"}


def test_similar_prints_side_date_and_key_terms(ws):
    result = run("similar", "tatikyan", "4", "-n", "3")
    assert result.exit_code == 0, result.output
    assert "Key terms of" in result.stderr
    assert "Azerbaijan · " in result.stdout


def test_similar_of_a_missing_passage_is_a_user_error(ws):
    assert_user_error(run("similar", "tatikyan", "999"), "999")


def test_topic_as_json_and_as_columns(ws):
    result = run("topic", "Lachin", "--json")
    assert result.exit_code == 0, result.output
    sides = {view["side"]: view for view in json.loads(result.stdout)}
    assert set(sides) == {"Azerbaijan", "Armenia"}
    assert all(view["total"] >= len(view["passages"]) > 0 for view in sides.values())
    text = run("topic", "Lachin", "-n", "1")
    assert text.exit_code == 0, text.output
    assert "Azerbaijan" in text.stdout and "Armenia" in text.stdout
    assert "no tags yet" in text.stdout


def test_a_bad_topic_query_is_a_user_error(ws):
    assert_user_error(run("topic", '"unclosed'), "quote")
