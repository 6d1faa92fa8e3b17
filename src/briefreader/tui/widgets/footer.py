"""The key bar: Textual's Footer, composed with the first frame and again only when the keys
it shows change."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey  # not exported by textual.widgets


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
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                self._settle_compact(widget)
            yield widget

    def _settle_compact(self, key: FooterKey) -> None:
        """Give a key, before it mounts, the `compact` it would end with. A key starts
        compact, and the Footer's value comes with the key's data binding: each changes a
        CSS class, and each class change restyles the key (and its parts) at once, twice per
        key on top of its mounting (30-40 ms of a 350 ms start-up for 13 keys). A key whose
        value is set before it mounts calls no watcher, as its binding sets the same value."""
        compact = self.compact or key.has_class("-command-palette")  # that one is not bound
        key.set_reactive(FooterKey.compact, compact)
        key.set_class(compact, "-compact", update=False)

    async def recompose(self) -> None:
        if not self.is_attached:  # asked before its screen closed
            return
        if self._shown() != self._composed:
            await super().recompose()
