"""What the reader says when one of its workers fails: they never end the app."""

from __future__ import annotations

from textual.app import App
from textual.widget import Widget
from textual.worker import Worker, WorkerState


def report_failure(node: App | Widget, event: Worker.StateChanged) -> None:
    """Notify which work failed (the worker's name) and why, if it did."""
    if event.state == WorkerState.ERROR:
        what = event.worker.name or "a background task"
        node.notify(f"{what} failed: {event.worker.error}", severity="error", timeout=15)
