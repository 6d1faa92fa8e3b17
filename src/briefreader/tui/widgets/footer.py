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
        compact, then takes the Footer's value from its data binding, and each change of its
        `-compact` class restyles the key (and its parts) at once: up to two restyles per key
        beyond its mounting, at every compose. A key given its value first skips the initial
        watcher, and the binding's call of the watcher then finds the class already right."""
        compact = self.compact or key.has_class("-command-palette")  # that one is not bound
        key.set_reactive(FooterKey.compact, compact)
        key.set_class(compact, "-compact", update=False)

    async def recompose(self) -> None:
        if not self.is_attached:  # asked before its screen closed
            return
        if self._shown() != self._composed:
            await super().recompose()
