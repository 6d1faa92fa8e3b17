"""What the reader says when one of its workers fails: they never end the app."""

from __future__ import annotations

from textual.widgets import Static
from textual.worker import Worker, WorkerState


class ReportsFailures:
    """For the app and each screen: which work failed (the worker's name) and why, in a
    notice. A worker's state changes go to the node that runs it and do not bubble, so the
    app never sees a screen's."""

    # the Static that says what the screen is doing ("Counting…"): it says what failed too,
    # once the notice has faded
    STATUS: str | None = None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        said = f"{event.worker.name or 'A background task'} failed: {event.worker.error}"
        self.notify(said, severity="error", timeout=15)
        if self.STATUS:  # (a screen being closed may have none left)
            for status in self.query(self.STATUS).results(Static):
                status.update(said)
