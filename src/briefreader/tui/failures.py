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


class ReportsFailures:
    """A screen whose workers' unexpected failures are reported: a worker's state changes
    go to the node that runs it and do not bubble, so the app never sees a screen's."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)
