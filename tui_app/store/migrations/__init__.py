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


#: Tables the migrations make that no model declares: SQLite's FTS5 name index (0010) and its
#: shadow tables. A comparison of the models with the database leaves them out (include_name).
UNMODELLED_TABLES = (
    "patient_fts",
    "patient_fts_data",
    "patient_fts_idx",
    "patient_fts_docsize",
    "patient_fts_config",
)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's include_name hook: False for the tables in UNMODELLED_TABLES."""
    return not (type_ == "table" and name in UNMODELLED_TABLES)
