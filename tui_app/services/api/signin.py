"""Sign-in in demo mode: the people one may act as.

Part of the UI's one surface, re-exported by `tui_app.services.api`; see there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_app.services.actor import Actor
from tui_app.services.api._base import wait_for_data_layer
from tui_app.services.context import Context

if TYPE_CHECKING:
    from tui_app.services.identity import SignInChoice


def sign_in_choices(ctx: Context) -> list[SignInChoice]:
    """The people the demo lets one act as."""
    wait_for_data_layer(ctx)
    from tui_app.services import identity

    return identity.sign_in_choices(ctx)


def patient_actor(ctx: Context, patient_id: int) -> Actor:
    """Sign in as a patient (demo)."""
    wait_for_data_layer(ctx)
    from tui_app.services import identity

    return identity.patient_actor(ctx, patient_id)


def staff_by_login(ctx: Context, login: str) -> Actor:
    """Sign in as a member of staff by login (demo)."""
    wait_for_data_layer(ctx)
    from tui_app.services import identity

    return identity.staff_by_login(ctx, login)
