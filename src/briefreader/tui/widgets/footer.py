"""The key bar: Textual's Footer, recomposed only when the keys it shows change."""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """Textual's Footer recomposes at every change of focus, three times before the reader's
    first document is on screen, each time mounting and styling every key again; here, only
    when the keys shown, or how, differ from those last composed."""

    _composed: tuple | None = None

    def _shown(self) -> tuple:
        keys = tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip, binding.group)
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        )
        return keys, self.compact, self.show_command_palette, self.combine_groups

    async def recompose(self) -> None:
        if not self.is_attached:  # asked before its screen closed
            return
        shown = self._shown()
        if shown != self._composed:
            self._composed = shown
            await super().recompose()
