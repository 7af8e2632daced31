"""The command palette offers what the current screen can do now, and nothing else."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


def own_binding(binding: object) -> bool:
    """True for the app's own keys (they all have an id and a Swedish description)."""
    return bool(getattr(binding, "id", None) and getattr(binding, "description", ""))


class ScreenActions(Provider):
    """One palette entry per active, enabled key binding of the current screen."""

    def _actions(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        out = []
        for key, active in screen.active_bindings.items():
            b = active.binding
            if not own_binding(b) or not active.enabled or b.action.startswith("app.command"):
                continue
            from tui_app.ui.widgets import key_label

            out.append((b.description, b.action, key_label(key, b.key_display)))
        return out

    async def discover(self) -> Hits:
        for desc, action, key in self._actions():
            yield DiscoveryHit(
                desc, partial(self.screen.run_action, action), help=f"Tangent: {key}"
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for desc, action, key in self._actions():
            score = matcher.match(desc)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(desc),
                    partial(self.screen.run_action, action),
                    help=f"Tangent: {key}",
                )
