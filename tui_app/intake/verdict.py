"""The results of the intake checks, and their plain-dict form for the sandbox pipe."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

#: The formats R09 allows, by MIME type.
ALLOWED_MIMES = ("application/pdf", "image/gif", "image/jpeg", "image/png")


@dataclass(frozen=True)
class Verdict:
    """Whether one file may be received (R09, R10) and what it is; `reason` is Swedish when refused."""

    accepted: bool
    mime: str | None
    reason: str | None
    size: int
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    frames: int | None = None
    sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The verdict as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        """Rebuild a verdict from `to_dict` output, checking every field's type (the sender is untrusted)."""

        def opt_int(k: str) -> int | None:
            v = d.get(k)
            if v is None:
                return None
            if type(v) is not int or v < 0:
                raise ValueError(f"bad {k}")
            return v

        def opt_str(k: str) -> str | None:
            v = d.get(k)
            if v is not None and not isinstance(v, str):
                raise ValueError(f"bad {k}")
            return v

        accepted = d.get("accepted")
        size = d.get("size")
        sha = d.get("sha256", "")
        if type(accepted) is not bool or type(size) is not int or not isinstance(sha, str):
            raise ValueError("bad verdict")
        mime = opt_str("mime")
        if accepted and mime not in ALLOWED_MIMES:
            raise ValueError("accepted verdict with a format outside R09")
        return cls(
            accepted=accepted,
            mime=mime,
            reason=opt_str("reason"),
            size=size,
            width=opt_int("width"),
            height=opt_int("height"),
            pages=opt_int("pages"),
            frames=opt_int("frames"),
            sha256=sha,
        )


def refused(reason: str, size: int, mime: str | None = None, sha256: str = "") -> Verdict:
    """A refusal verdict."""
    return Verdict(accepted=False, mime=mime, reason=reason, size=size, sha256=sha256)


@dataclass(frozen=True)
class Prepared:
    """A checked file and, when accepted, its cleaned copy and thumbnail in the work folder."""

    verdict: Verdict
    stored_path: Path | None = None
    stored_sha256: str | None = None
    stored_mime: str | None = None
    thumbnail_path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict."""
        d: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        d["verdict"] = self.verdict.to_dict()
        for k in ("stored_path", "thumbnail_path"):
            d[k] = str(d[k]) if d[k] is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Prepared:
        """Rebuild from `to_dict` output, checking types (the sender is untrusted)."""
        verdict = Verdict.from_dict(d["verdict"])
        vals: dict[str, Any] = {}
        for k in ("stored_path", "stored_sha256", "stored_mime", "thumbnail_path"):
            v = d.get(k)
            if v is not None and not isinstance(v, str):
                raise ValueError(f"bad {k}")
            vals[k] = v
        return cls(
            verdict=verdict,
            stored_path=Path(vals["stored_path"]) if vals["stored_path"] else None,
            stored_sha256=vals["stored_sha256"],
            stored_mime=vals["stored_mime"],
            thumbnail_path=Path(vals["thumbnail_path"]) if vals["thumbnail_path"] else None,
        )
