"""Where bench/gen.py's rows go: a new SQLite file or an empty PostgreSQL database, both
created by the project's own migrations first; and the optional real files."""

from __future__ import annotations

import hashlib
import importlib
import io
import sqlite3
import time
from pathlib import Path
from typing import Protocol

from tui_app.store.db import make_engine, sqlite_url, upgrade

COLUMNS = {
    "unit": "id, code, name, activated_1177, template_installed",
    "staff": "id, login, first_name, last_name, shared_account, picsara_permission, is_admin, "
    "active",
    "membership": "staff_id, unit_id",
    "patient": "id, pnr, first_name, last_name, search_name, activated_1177",
    "care_relation": "unit_id, patient_id",
    "cases": "id, unit_id, patient_id, created_by, sent_at, deadline_at, patient_read_at, "
    "closed_at, closed_reason, handled_at, handled_by, patient_messages, file_count, patient_name",
    "message": "id, case_id, from_patient, staff_id, signature, body, sent_at",
    "attachment": "id, case_id, message_id, original_name, mime, size, original_size, width, "
    "height, pages, sha256_original, sha256_stored, storage_key, thumb_key, received_at, version, "
    "decision, decision_reason, decided_by, decided_at, picsara_at, picsara_by, laterality, "
    "body_site, printed_at, printed_by, scanned_at, scanned_by, pending_action, pending_by, "
    "pending_owner, pending_at, pending_ref",
    "download": "id, attachment_id, case_id, staff_login, path, sha256, size, downloaded_at, "
    "cleaned_at, cleaned_by, clean_note, pending_owner",
    "audit_entry": "id, seq, at, actor, unit_code, patient_pnr, case_id, action, outcome, "
    "detail, prev_hash, hash",
    "setting": "key, value",
}
SERIAL = ("unit", "staff", "patient", "cases", "message", "attachment", "download", "audit_entry")


class Sink(Protocol):
    def rows(self, table: str, rows: list[tuple[object, ...]]) -> None: ...
    def commit(self) -> None: ...
    def head(self, seq: int, hash_: str) -> None: ...
    def finish(self) -> None: ...


#: Migration 0010, whose triggers keep the derived data (cases.patient_name, case_count,
#: patient_fts on SQLite): the bulk load computes them set-wise with its own expressions.
INBOX = importlib.import_module("tui_app.store.migrations.versions.0010_inbox_indexes")
#: case_count as the triggers leave it: the cases per unit and stage (0010's own count).
CASE_COUNT = (
    "INSERT INTO case_count (unit_id, stage, n) SELECT unit_id, s, count(*) FROM "
    f"(SELECT unit_id, {INBOX.STAGE.format(r='cases')} AS s FROM cases) AS t GROUP BY unit_id, s"
)


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, explicit=True)
    finally:
        engine.dispose()


class SqliteSink:
    """executemany in big transactions, no journal during the load, indexes built at the end.

    The schema's triggers (migration 0010: patient_fts, case_count, cases.patient_name) are
    dropped during the load, their results made set-wise at the end (the loader writes
    patient_name itself, case_count by one GROUP BY, the FTS index by 'rebuild'), and they are
    created again from their own stored definitions. `triggers=True` leaves them on (slow: one
    firing per row), the tests' reference for what they would have made."""

    def __init__(self, path: Path, *, triggers: bool = False) -> None:
        _migrate(sqlite_url(path))
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-500000",
                       "temp_store=MEMORY", "foreign_keys=OFF", "threads=2"):  # fmt: skip
            self.db.execute(f"PRAGMA {pragma}")
        self.indexes = self.db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in self.indexes:
            self.db.execute(f"DROP INDEX {name}")
        self.triggers: list[tuple[str, str]] = []
        if not triggers:
            self.triggers = self.db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY rowid"
            ).fetchall()
            for name, _ in self.triggers:
                self.db.execute(f"DROP TRIGGER {name}")
        self.db.execute("BEGIN")

    def rows(self, table: str, rows: list[tuple[object, ...]]) -> None:
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            self.db.executemany(f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})", rows)

    def commit(self) -> None:
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")

    def head(self, seq: int, hash_: str) -> None:
        self.db.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (seq, hash_))

    def finish(self) -> None:
        self.db.execute("COMMIT")
        started = time.monotonic()
        for _, sql in self.indexes:  # exactly as the migrations made them
            self.db.execute(sql)
        print(f"{'indexes':>16}: {len(self.indexes)} built in {time.monotonic() - started:.1f} s")
        if self.triggers:
            started = time.monotonic()
            with self.db:  # what the dropped triggers would have made, then the triggers again
                self.db.execute("DELETE FROM case_count")
                self.db.execute(CASE_COUNT)
                self.db.execute("INSERT INTO patient_fts(patient_fts) VALUES ('rebuild')")
                for _, sql in self.triggers:  # exactly as the migrations made them
                    self.db.execute(sql)
            took = time.monotonic() - started
            print(f"{'triggers':>16}: {len(self.triggers)} made set-wise in {took:.1f} s")
        self.db.execute("PRAGMA journal_mode=WAL")  # as store.db sets on every connection
        self.db.close()


class PgSink:
    """COPY into a migrated, empty PostgreSQL database, in one transaction per batch.

    The schema's own triggers (migration 0010: case_count, cases.patient_name) are disabled
    during the load (ALTER TABLE ... DISABLE TRIGGER, so their definitions stay as the
    migrations made them), their results made set-wise (the loader writes patient_name itself,
    case_count by one GROUP BY), and enabled again at the end. `triggers=True` leaves them on
    (slow: a plpgsql call per row), the tests' reference."""

    def __init__(self, url: str, *, triggers: bool = False) -> None:
        import psycopg

        _migrate(url)
        self.db = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        self.db.execute("SET TIME ZONE 'UTC'")  # the stored texts are UTC times
        self.db.execute("SET synchronous_commit = off")
        self.triggers: list[tuple[str, str]] = []
        if not triggers:  # the user triggers that are on; constraint triggers stay on
            self.triggers = self.db.execute(
                "SELECT t.tgrelid::regclass::text, t.tgname FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'"
                " AND c.relnamespace = current_schema()::regnamespace ORDER BY 1, 2"
            ).fetchall()
            for table, name in self.triggers:
                self.db.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{name}"')
            self.db.commit()
        self.indexes = self.db.execute(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = current_schema()"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ).fetchall()
        for name, _ in self.indexes:
            self.db.execute(f'DROP INDEX "{name}"')
        # Foreign keys are checked by one query per loaded row (an RI trigger); dropped here and
        # added again at the end from their own definitions, so one join validates each.
        self.foreign = self.db.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND connamespace = current_schema()::regnamespace ORDER BY oid"
        ).fetchall()
        for table, name, _ in self.foreign:
            self.db.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        self.db.commit()

    def rows(self, table: str, rows: list[tuple[object, ...]]) -> None:
        if rows:
            with self.db.cursor() as cur:
                with cur.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as cp:
                    for r in rows:
                        cp.write_row(r)

    def commit(self) -> None:
        self.db.commit()

    def head(self, seq: int, hash_: str) -> None:
        self.db.execute("UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1", (seq, hash_))

    def finish(self) -> None:
        started = time.monotonic()
        for _, sql in self.indexes:  # exactly as the migrations made them
            self.db.execute(sql)
        for table, name, definition in self.foreign:  # validated now, by one join each
            self.db.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        took = time.monotonic() - started
        print(f"{'indexes':>16}: {len(self.indexes)} and {len(self.foreign)} keys in {took:.1f} s")
        if self.triggers:  # what the disabled triggers would have made, then them again
            started = time.monotonic()
            self.db.execute("DELETE FROM case_count")
            self.db.execute(CASE_COUNT)
            for table, name in self.triggers:
                self.db.execute(f'ALTER TABLE {table} ENABLE TRIGGER "{name}"')
            took = time.monotonic() - started
            print(f"{'triggers':>16}: {len(self.triggers)} made set-wise in {took:.1f} s")
        for table in SERIAL:  # the next id the app takes follows the loaded ones
            self.db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
        self.db.commit()
        self.db.autocommit = True
        self.db.execute("ANALYZE")  # what autovacuum would have done by now
        self.db.close()


def data_dir(out: Path) -> Path:
    """The data folder next to a generated database: m1m.db -> m1m.data (files/ inside)."""
    return out.parent / f"{out.stem}.data"


def _body(mime: str, n: int) -> bytes:
    """A small real file of the given type, different for every n."""
    if mime == "application/pdf":
        text = f"BT /F1 12 Tf 72 720 Td (Fil {n}) Tj ET".encode()
        head = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages"
        head += b"/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox"
        head += b"[0 0 595 842]/Contents 4 0 R>>endobj\n4 0 obj<</Length "
        tail = b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
        return head + str(len(text)).encode() + b">>stream\n" + text + tail
    from PIL import Image

    out = io.BytesIO()
    colour = (n * 37 % 256, n * 91 % 256, n * 13 % 256)
    Image.new("RGB", (64, 48), colour).save(out, "JPEG" if mime == "image/jpeg" else "PNG")
    return out.getvalue()


def write_files(out: Path, k: int) -> int:
    """The store's marker, and real bodies for the newest k attachments (and their thumbnails)
    under their storage keys; their stored size and checksum are set to match."""
    files = data_dir(out) / "files"
    files.mkdir(parents=True, exist_ok=True, mode=0o700)
    db = sqlite3.connect(out)
    (store_id,) = db.execute("SELECT value FROM setting WHERE key = 'store_id'").fetchone()
    (files / "STORE_ID").write_text(store_id + "\n", encoding="ascii")
    rows = db.execute(
        "SELECT id, mime, storage_key, thumb_key FROM attachment ORDER BY id DESC LIMIT ?", (k,)
    ).fetchall()
    with db:
        for aid, mime, key, thumb in rows:
            body = _body(mime, aid)
            for rel, data in ((key, body), (thumb, _body("image/png", aid))):
                if rel:
                    (files / rel).parent.mkdir(exist_ok=True, mode=0o700)
                    (files / rel).write_bytes(data)
            sha = hashlib.sha256(body).hexdigest()
            db.execute(
                "UPDATE attachment SET size = ?, sha256_stored = ? WHERE id = ?",
                (len(body), sha, aid),
            )
            db.execute("UPDATE download SET sha256 = ?, size = ? WHERE attachment_id = ?",
                       (sha, len(body), aid))  # fmt: skip
    db.close()
    return len(rows)
