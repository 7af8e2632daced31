"""Who acts: the signed-in person as every service sees them, and the OS login (no database here,
so the start-up path can use it before the data layer is loaded)."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field

from tui_app.core.errors import UserError


@dataclass(frozen=True)
class UnitInfo:
    """A unit as the UI shows it."""

    id: int
    code: str
    name: str
    activated_1177: bool
    template_installed: bool


@dataclass(frozen=True)
class Actor:
    """The signed-in person; every service call says who acts."""

    login: str
    display_name: str
    first_name: str = ""
    staff_id: int | None = None
    patient_id: int | None = None
    patient_pnr: str | None = None
    shared_account: bool = False
    picsara_permission: bool = False
    is_admin: bool = False
    units: tuple[UnitInfo, ...] = field(default_factory=tuple)

    @property
    def unit_ids(self) -> frozenset[int]:
        """The ids of the units this person belongs to (R05)."""
        return frozenset(u.id for u in self.units)

    @property
    def is_patient(self) -> bool:
        """True for a demo patient."""
        return self.patient_id is not None

    @property
    def audit_name(self) -> str:
        """How the access log names this person."""
        return self.login

    @property
    def badge(self) -> str:
        """A short marker shown wherever the account type matters (GK = shared account)."""
        if self.is_patient:
            return "Patient"
        if self.shared_account:
            return "GK-konto"
        return "Administratör" if self.is_admin else "Personligt konto"


def os_login() -> str:
    """The operating-system login of this process (as over SSH)."""
    try:
        return getpass.getuser()
    except Exception as exc:  # no passwd entry and no LOGNAME: refuse rather than guess
        raise UserError("Det gick inte att avgöra vem som är inloggad på datorn.") from exc


__all__ = ["Actor", "UnitInfo", "os_login"]
