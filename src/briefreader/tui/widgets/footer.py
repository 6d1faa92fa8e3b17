"""The key bar: Textual's Footer, composed with the first frame and again only when the keys
it shows change."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """Textual's Footer composes no keys until its screen's bindings are first announced,
    after the first frame, then recomposes at every change of focus, mounting and styling
    every key each time. This one shows the keys in the first frame (the reader's panes add
    none to the app's until the document view has focus), and recomposes only when the keys
    shown, or how, differ from those last composed: each recompose is a layout of the screen."""

    _composed: tuple | None = None

    def _shown(self) -> tuple:
        keys = tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip, binding.group)
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        )
        return keys, self.compact, self.show_command_palette, self.combine_groups

    def compose(self) -> ComposeResult:
        self._bindings_ready = True  # Textual's flag: the screen's bindings can be read now
        self._composed = self._shown()
        yield from super().compose()

    async def recompose(self) -> None:
        if not self.is_attached:  # asked before its screen closed
            return
        if self._shown() != self._composed:
            await super().recompose()
