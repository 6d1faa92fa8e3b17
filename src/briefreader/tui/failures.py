"""What the reader says when one of its workers fails: they never end the app."""

from __future__ import annotations

from textual.app import App
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, WorkerState


def report_failure(node: App | Widget, event: Worker.StateChanged) -> str | None:
    """Notify which work failed (the worker's name) and why, if it did; what was said."""
    if event.state != WorkerState.ERROR:
        return None
    said = f"{event.worker.name or 'A background task'} failed: {event.worker.error}"
    node.notify(said, severity="error", timeout=15)
    return said


class ReportsFailures:
    """A screen whose workers' unexpected failures are reported: a worker's state changes
    go to the node that runs it and do not bubble, so the app never sees a screen's."""

    # the Static that says what the screen is doing ("Counting…"): it says what failed too,
    # once the notice has faded
    STATUS: str | None = None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        said = report_failure(self, event)
        if said and self.STATUS:  # (a screen being closed may have none left)
            for status in self.query(self.STATUS).results(Static):
                status.update(said)
