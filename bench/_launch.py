"""Runs `briefreader WORKSPACE` (or a bare Textual app) and exits once its screen is ready.

Usage: python bench/_launch.py bare|warm|cold [WORKSPACE]. Writes JSON to $BENCH_RESULT:
time.monotonic() at each milestone (each one painted), and the heavy modules loaded at the
first paint. $BENCH_HEADLESS: no terminal; $BENCH_SEARCH: one search once the index is ready.
The app is started exactly as the `briefreader` script does (`cli.main()`); the only addition
is an auto-pilot that watches for the milestones.
"""

import asyncio
import json
import os
import sys
import time

from textual.app import App

HEAVY = (
    "whoosh",
    "yaml",
    "rapidfuzz",
    "charset_normalizer",
    "briefreader.core.index",
    "briefreader.core.normalize",
)
mode = sys.argv[1]
marks: dict[str, object] = {}


# what each milestone waits for, asked as each frame is written: the frame that first shows
# it is the one written after it became true (the reader changes its widgets on this thread)
MILESTONES = {} if mode == "bare" else {
    "library": lambda app: bool(app.query_one("#library").root.children),
    "document": lambda app: app.view.document is not None,
    "index": lambda app: app.index_ready,
}  # fmt: skip


async def watch(pilot) -> None:
    """Exit once every milestone has been painted."""
    app = pilot.app
    while len(marks) < len(MILESTONES) + 2:  # and the first paint, with its heavy modules
        await asyncio.sleep(0.002)
    if mode != "bare" and os.environ.get("BENCH_SEARCH"):  # memory.py: a search in the peak
        app.search_index.search(os.environ["BENCH_SEARCH"], 100)
    app.exit()


_run, _display = App.run, App._display


def display(self, screen, renderable) -> None:
    """Textual's frame output: each milestone is marked as the first frame that shows it is
    written (a callback after the next refresh would be a frame late, or more if a garbage
    collection falls in that frame), and the first paint with the modules loaded by then."""
    if renderable is not None and not self._batch_count:  # else Textual drops the frame
        now = time.monotonic()
        if "paint" not in marks:
            marks["paint"] = now
            marks["heavy_at_paint"] = [m for m in HEAVY if m in sys.modules]
        for name, shown in MILESTONES.items():
            if name not in marks and shown(self):
                marks[name] = now
    _display(self, screen, renderable)


def run(self, *args, **kwargs):
    kwargs["auto_pilot"] = watch
    kwargs["headless"] = bool(os.environ.get("BENCH_HEADLESS"))
    try:
        return _run(self, *args, **kwargs)
    finally:
        with open(os.environ["BENCH_RESULT"], "w") as f:
            json.dump(marks, f)


App.run, App._display = run, display

if mode == "bare":
    from textual.widgets import Footer, Header, Static

    class Bare(App):
        def compose(self):
            yield Header()
            yield Static("Hello")
            yield Footer()

    Bare().run()
else:
    from briefreader.cli import main

    sys.argv = ["briefreader", sys.argv[2]]
    main()
