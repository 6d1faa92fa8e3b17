"""YAML loading pauses the garbage collector, for every thread, and puts it back as it was."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pytest

from briefreader.core.errors import BriefreaderError
from briefreader.core.yamlio import collector_paused, load_yaml


@pytest.fixture
def collector():
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_a_parse_runs_with_the_collector_paused_and_resumed_after(collector, monkeypatch):
    import yaml

    seen = []
    compose = yaml.compose

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        return compose(*args, **kwargs)

    monkeypatch.setattr(yaml, "compose", watched)
    assert load_yaml("a: [1, 2]\n", Path("x.yaml")) == {"a": [1, 2]}
    assert seen == [False]
    assert gc.isenabled()


def test_the_collector_resumes_after_a_malformed_file(collector):
    with pytest.raises(BriefreaderError):
        load_yaml("a: [1, 2\n", Path("x.yaml"))
    assert gc.isenabled()


def test_the_collector_resumes_only_when_the_last_thread_leaves(collector):
    inside, leave = threading.Event(), threading.Event()

    def parse_slowly() -> None:
        with collector_paused():
            inside.set()
            leave.wait(timeout=10)

    other = threading.Thread(target=parse_slowly)
    other.start()
    inside.wait(timeout=10)
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread is still inside
    leave.set()
    other.join()
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled(collector):
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
