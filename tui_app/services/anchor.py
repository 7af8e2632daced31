"""The access log's anchor outside the database (R24): HMAC-signed checkpoints of the chain head.

The hash chain in the database shows an edit only to someone who does not also rewrite the
hashes after it. Whoever can write the database can do that (or remove the newest entries and
fix the head row). So `audit verify` also keeps checkpoints where the database is not: one JSON
line per check, `(seq, hash)` of the head and the hash of entry 1, signed with HMAC-SHA256 under
a key held in a file only the app's account can read (0600; never in the database). Every line
also signs its predecessor's MAC, so a line removed from the middle is seen too. An attacker
with the database but not the key cannot make a checkpoint agree with a rebuilt log.

Where: the key is `audit_key_file` (setting) or `<XDG state dir>/tui_app/audit/audit.key`;
checkpoints lie next to it, one file per database (`checkpoints-<id>.log`). Keep that folder
append-only and backed up (`chattr +a` on the file, or a copy elsewhere); `audit verify` also
prints the head, so its output kept elsewhere is an anchor too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tui_app.services.context import Context

VERSION = 1


class AnchorUnavailable(Exception):
    """The key or the checkpoint file cannot be used (not tampering): `str()` is Swedish."""


class AnchorTampered(Exception):
    """The checkpoint file was changed by someone without the key: `str()` is Swedish."""


@dataclass(frozen=True)
class Checkpoint:
    """A signed record of the chain at one moment."""

    seq: int
    hash: str
    first: str  # the hash of entry 1: the log it belongs to
    at: str  # when it was written (ISO, UTC)


def default_key_file() -> Path:
    """The key's place when no `audit_key_file` is set: the app account's state directory."""
    from platformdirs import user_state_path

    return user_state_path("tui_app", appauthor=False) / "audit" / "audit.key"


def key_file(ctx: Context) -> Path:
    """The key file in force."""
    configured = getattr(ctx.config, "audit_key_file", None)
    if configured:
        return Path(os.path.expanduser(str(configured)))
    return default_key_file()


def database_id(engine: Engine) -> str:
    """Which database the checkpoints are about: the SQLite file's full path, or the URL."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return str(Path(url.database).resolve())
    return url.render_as_string(hide_password=True)


def checkpoint_file(ctx: Context) -> Path:
    """The checkpoint file of this context's database (next to the key)."""
    tag = hashlib.sha256(database_id(ctx.engine).encode()).hexdigest()[:16]
    return key_file(ctx).parent / f"checkpoints-{tag}.log"


def _read_key(path: Path, *, create: bool) -> bytes | None:
    """The key; created (0600) when asked and missing; None when missing and not created."""
    try:
        st = path.stat()
    except FileNotFoundError:
        if not create:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another verify made it just now
            return _read_key(path, create=False)
        except OSError as exc:
            raise AnchorUnavailable(
                f"nyckelfilen {path} kunde inte skapas ({exc.strerror})"
            ) from exc
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
        st = path.stat()
    except OSError as exc:
        raise AnchorUnavailable(f"nyckelfilen {path} kan inte läsas ({exc.strerror})") from exc
    if st.st_mode & 0o077:
        raise AnchorUnavailable(
            f"nyckelfilen {path} kan läsas av fler än appens konto (rättigheter "
            f"{stat.S_IMODE(st.st_mode):04o}); kör chmod 600 {path}"
        )
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except OSError as exc:
        raise AnchorUnavailable(f"nyckelfilen {path} kan inte läsas ({exc.strerror})") from exc
    except ValueError as exc:
        raise AnchorUnavailable(f"nyckelfilen {path} innehåller ingen nyckel") from exc
    if len(key) < 16:
        raise AnchorUnavailable(f"nyckelfilen {path} innehåller ingen nyckel")
    return key


def _mac(key: bytes, fields: dict[str, object]) -> str:
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


@contextmanager
def _locked(path: Path, mode: str) -> Iterator[IO[str]]:
    """The checkpoint file opened and locked (exclusive), so two verifies never interleave."""
    import fcntl

    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT if mode == "a" else os.O_RDONLY
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "a+" if mode == "a" else "r", encoding="utf-8") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX if mode == "a" else fcntl.LOCK_SH)
        yield f


def _scan(f: IO[str], key: bytes, db: str) -> tuple[Checkpoint | None, str]:
    """Check every line of an open checkpoint file; return the newest checkpoint and its MAC."""
    f.seek(0)
    newest: Checkpoint | None = None
    prev_mac = ""
    for number, line in enumerate(f, start=1):
        try:
            rec = json.loads(line)
            fields = {k: rec[k] for k in ("v", "db", "first", "seq", "hash", "at", "prev")}
            mac = str(rec["mac"])
            seq = int(fields["seq"])
        except (ValueError, KeyError, TypeError):
            raise AnchorTampered(f"rad {number} i kontrollpunktsfilen går inte att läsa") from None
        if not hmac.compare_digest(mac, _mac(key, fields)):
            raise AnchorTampered(
                f"rad {number} i kontrollpunktsfilen är ändrad (signaturen stämmer inte)"
            )
        if fields["prev"] != prev_mac:
            raise AnchorTampered(
                f"kontrollpunkter före rad {number} i kontrollpunktsfilen saknas eller har flyttats"
            )
        if fields["db"] != db:
            raise AnchorTampered(f"rad {number} i kontrollpunktsfilen gäller en annan databas")
        if newest is not None and seq < newest.seq:
            raise AnchorTampered(f"rad {number} i kontrollpunktsfilen går bakåt i loggen")
        newest = Checkpoint(seq, str(fields["hash"]), str(fields["first"]), str(fields["at"]))
        prev_mac = mac
    return newest, prev_mac


def latest(ctx: Context) -> Checkpoint | None:
    """The newest checkpoint of this database, every line checked; None when there is none."""
    path = checkpoint_file(ctx)
    key = _read_key(key_file(ctx), create=False)
    if key is None:
        if path.exists():
            raise AnchorUnavailable(
                f"kontrollpunkter finns i {path.parent} men nyckelfilen {key_file(ctx)} saknas"
            )
        return None
    try:
        with _locked(path, "r") as f:
            return _scan(f, key, database_id(ctx.engine))[0]
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AnchorUnavailable(
            f"kontrollpunktsfilen {path} kan inte läsas ({exc.strerror})"
        ) from exc


def write(ctx: Context, seq: int, head_hash: str, first: str, at: str) -> Path:
    """Append a signed checkpoint of the head (creating the key on first use); return the file."""
    key = _read_key(key_file(ctx), create=True)
    assert key is not None
    path = checkpoint_file(ctx)
    db = database_id(ctx.engine)
    try:
        with _locked(path, "a") as f:
            newest, prev_mac = _scan(f, key, db)
            if newest is not None and newest.seq >= seq:
                # Nothing new since the last check, or a verify that started later has already
                # signed a longer log (a line going back would read as tampering).
                return path
            fields: dict[str, object] = {
                "v": VERSION,
                "db": db,
                "first": first,
                "seq": seq,
                "hash": head_hash,
                "at": at,
                "prev": prev_mac,
            }
            line = json.dumps(
                {**fields, "mac": _mac(key, fields)},
                sort_keys=True,
                ensure_ascii=False,
                separators=(",", ":"),
            )
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise AnchorUnavailable(
            f"kontrollpunkten kunde inte skrivas i {path} ({exc.strerror})"
        ) from exc
    return path


def forget(ctx: Context) -> None:
    """Drop this database's checkpoints: only for a demo database that is made anew on purpose."""
    checkpoint_file(ctx).unlink(missing_ok=True)
