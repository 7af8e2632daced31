"""Alembic migrations. HEAD_REVISION must name the newest file in versions/ (a test checks)."""

HEAD_REVISION = "0011"

#: Whether an app server brings an older schema to HEAD_REVISION itself when it starts (the
#: setting auto_migrate, applied once per process by the CLI); `tui-app migrate` always does.
_policy = {"auto_migrate": True}


def set_auto_migrate(on: bool) -> None:
    """Let app servers upgrade an older schema on start (True, the default) or refuse to."""
    _policy["auto_migrate"] = on


def auto_migrate() -> bool:
    """The policy set_auto_migrate set."""
    return _policy["auto_migrate"]
