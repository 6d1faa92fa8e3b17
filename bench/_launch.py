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

HEAVY = ("whoosh", "yaml", "rapidfuzz", "charset_normalizer", "briefreader.core.index")
mode = sys.argv[1]
marks: dict[str, object] = {}


async def painted(app: App) -> None:
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.done() or done.set_result(None))
    await done


async def watch(pilot) -> None:
    """Record each milestone at the paint that first shows it (the first paint: `display`)."""
    app = pilot.app
    pending = {} if mode == "bare" else {
        "library": lambda: bool(app.query_one("#library").root.children),
        "document": lambda: app.view.document is not None,
        "index": lambda: app.index_ready,
    }  # fmt: skip
    while pending or "paint" not in marks:
        if reached := [name for name, check in pending.items() if check()]:
            await painted(app)
            marks.update(dict.fromkeys(reached, time.monotonic()))
            for name in reached:
                del pending[name]
        else:
            await asyncio.sleep(0.002)
    if mode != "bare" and os.environ.get("BENCH_SEARCH"):  # memory.py: a search in the peak
        app.search_index.search(os.environ["BENCH_SEARCH"], 100)
    app.exit()


_run, _display = App.run, App._display


def display(self, screen, renderable) -> None:
    """Textual's frame output: the first paint is when the first frame is written (a callback
    after the first refresh can run after others queued for it, such as the reader's first
    reads), with the modules loaded by then."""
    if renderable is not None and "paint" not in marks:
        marks["paint"] = time.monotonic()
        marks["heavy_at_paint"] = [m for m in HEAVY if m in sys.modules]
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
