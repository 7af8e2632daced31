"""What every part of the API waits on before it imports a use case."""

from __future__ import annotations

from tui_app.services.context import Context


def wait_for_data_layer(ctx: Context) -> None:
    """Wait until the data layer has loaded (or raise the UserError saying why it could not)."""
    ctx.engine  # noqa: B018  (waits for the loading thread; raises if loading failed)
