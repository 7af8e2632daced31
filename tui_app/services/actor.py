"""Who acts: the signed-in person as every service sees them, and the OS login (no database here,
so the start-up path can use it before the data layer is loaded)."""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

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


def staff_actor(
    staff_id: int | None,
    login: str,
    first_name: str,
    last_name: str,
    shared_account: object,
    picsara_permission: object,
    is_admin: object,
    units: Iterable[Sequence[Any]],
) -> Actor:
    """A staff member as an Actor, from stored values; units as (id, code, name, activated,
    template installed). The ORM path and the start-up read both build it here."""
    return Actor(
        login=login,
        display_name=f"{first_name} {last_name}",
        first_name=first_name,
        staff_id=staff_id,
        shared_account=bool(shared_account),
        picsara_permission=bool(picsara_permission),
        is_admin=bool(is_admin),
        units=tuple(
            UnitInfo(uid, code, name, bool(active), bool(template))
            for uid, code, name, active, template in units
        ),
    )


#: The service account whose sudo record (SUDO_UID) names the person; None: never trusted.
#: Set once by the CLI from a root-owned settings file (config.service_account).
_service_account: str | None = None


def trust_sudo_for(service_account: str | None) -> None:
    """The one hook for running as a service account through sudo: when the process runs as
    exactly this account, the person is the uid sudo recorded; None (the default) turns it off."""
    global _service_account
    _service_account = service_account
    import sys

    served = sys.modules.get("tui_app.adapters.served")
    if served is not None:  # a person served before is no longer (os_login sets it again)
        served.serve_person(None)


def os_login() -> str:
    """The login of this process's real uid (as over SSH), never from the environment:
    LOGNAME, USER, USERNAME and LNAME are the user's to set, so they prove nothing."""
    uid = os.getuid()
    if _service_account is not None:
        uid = _sudo_uid(_service_account, uid)
    try:
        login = pwd.getpwuid(uid).pw_name
    except KeyError:  # no passwd entry: refuse rather than guess
        raise UserError(
            "Det gick inte att avgöra vem som är inloggad på datorn (användar-id "
            f"{uid} saknas i lösenordsfilen). Kontakta IT-support."
        ) from None
    if uid != os.getuid():  # the service account serves this person: copies are theirs
        from tui_app.adapters import served

        served.serve_person(login)
    return login


def _sudo_uid(service_account: str, uid: int) -> int:
    """SUDO_UID, when this process runs as the service account (real and effective uid both,
    as sudo sets them; nobody else can then have set the variable); else the real uid."""
    if uid != os.geteuid():
        return uid
    try:
        if pwd.getpwuid(uid).pw_name != service_account:
            return uid
    except KeyError:
        return uid
    recorded = os.environ.get("SUDO_UID", "")
    if not recorded.isascii() or not recorded.isdigit():
        raise UserError(
            f"Appen körs som tjänstekontot {service_account} men inte via sudo, så "
            "det går inte att avgöra vem du är. Starta den med sudo."
        )
    return int(recorded)


__all__ = ["Actor", "UnitInfo", "os_login", "staff_actor", "trust_sudo_for"]
