"""The shape of a `tui-app load` file (data/demo.json is one), checked in full before anything
is stored: every error is reported with its JSON path, in Swedish, and one error stores nothing.

Strict: `"is_admin": "false"` is an error, not true; a personal identity number is text in
ASCII digits; unknown keys are errors (a misspelt `"is_admn"` must not pass silently), except
keys starting with `_`, which are comments. Imported only by the load path (pydantic).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError,
    model_validator,
)

from tui_app.core.errors import InvalidInput
from tui_app.core.pnr import parse_pnr


def _pnr_digits(text: str) -> str:
    try:
        return parse_pnr(text).digits
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Login = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
UnitName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PnrText = Annotated[str, AfterValidator(_pnr_digits)]
Hours = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Entry(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_comments(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("_"))}
        return data


class UnitIn(_Entry):
    code: Code
    name: UnitName
    activated_1177: bool = False
    template_installed: bool = False


class StaffIn(_Entry):
    login: Login
    first_name: Name
    last_name: Name
    shared_account: bool = False
    picsara_permission: bool = False
    is_admin: bool = False
    #: False takes the person's access away (refused at sign-in and on the next action).
    active: bool = True
    #: The person's units, all of them: a unit left out is a membership removed.
    units: list[Code] = []


class PatientIn(_Entry):
    pnr: PnrText
    first_name: Name
    last_name: Name
    activated_1177: bool = False
    care_relations: list[Code] = []


class ReplyIn(_Entry):
    hours_ago: Hours
    text: Annotated[str, StringConstraints(max_length=5000)] = ""
    files: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] = []


class CaseIn(_Entry):
    unit: Code
    patient: PnrText
    sender: Login
    sent_hours_ago: Hours
    read_hours_ago: Hours | None = None
    replies: list[ReplyIn] = []


class LoadFile(_Entry):
    units: list[UnitIn] = []
    staff: list[StaffIn] = []
    patients: list[PatientIn] = []
    cases: list[CaseIn] = []


def json_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as a JSON path: ('staff', 2, 'is_admin') -> $.staff[2].is_admin."""
    out = "$"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def json_kind(value: object) -> str:
    """What a JSON value is, in Swedish."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "ett tal"
    if isinstance(value, str):
        return "en text"
    if isinstance(value, list):
        return "en lista"
    if isinstance(value, dict):
        return "ett objekt"
    return type(value).__name__


def _shown(value: object) -> str:
    if isinstance(value, str):
        return f"”{value[:40]}”"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json_kind(value)


def swedish(error: dict[str, Any]) -> str:
    """One pydantic error as `path: what is wrong`, in Swedish."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    what = {
        "missing": "saknas (måste anges)",
        "extra_forbidden": "okänt fält; kontrollera stavningen (kommentarer börjar med _)",
        "bool_type": f"ska vara true eller false utan citattecken, inte {_shown(value)} "
                     f"({json_kind(value)})",
        "string_type": f"ska vara en text inom citattecken, inte {json_kind(value)}",
        "list_type": f"ska vara en lista [...], inte {json_kind(value)}",
        "model_type": f"ska vara ett objekt {{...}}, inte {json_kind(value)}",
        "dict_type": f"ska vara ett objekt {{...}}, inte {json_kind(value)}",
        "float_type": f"ska vara ett tal, inte {json_kind(value)}",
        "int_type": f"ska vara ett heltal, inte {json_kind(value)}",
        "finite_number": "ska vara ett vanligt tal",
        "string_too_short": "får inte vara tom",
        "string_too_long": f"är för lång (högst {ctx.get('max_length')} tecken)",
        "greater_than_equal": f"får inte vara mindre än {ctx.get('ge')}",
        "value_error": str(ctx.get("error", "ogiltigt värde")),
    }.get(kind, f"ogiltigt värde {_shown(value)}")
    return f"{json_path(tuple(error['loc']))}: {what}"


def validate(data: object) -> tuple[LoadFile | None, list[str]]:
    """The file as typed values, or None and every error found (path: what is wrong)."""
    try:
        return LoadFile.model_validate(data), []
    except ValidationError as exc:
        return None, [swedish(e) for e in exc.errors(include_url=False)]
    except RecursionError:
        return None, ["$: filen är för djupt nästlad för att kunna läsas"]


def cross_check(f: LoadFile, *, known_units: set[str], known_logins: set[str],
                known_pnrs: set[str], with_cases: bool) -> list[str]:
    """Errors a schema cannot see: duplicates in the file, references to units, staff or patients
    that neither the file nor the database has."""
    errors: list[str] = []

    def once(items: list[str], where: str, key: str, what: str) -> set[str]:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if item in seen:
                errors.append(f"$.{where}[{i}].{key}: {what} ”{item}” finns redan i "
                              f"$.{where}[{seen[item]}]")
            seen.setdefault(item, i)
        return set(seen)

    units = once([u.code for u in f.units], "units", "code", "enhetskoden") | known_units
    logins = once([s.login for s in f.staff], "staff", "login", "inloggningen") | known_logins
    pnrs = once([p.pnr for p in f.patients], "patients", "pnr", "personnumret") | known_pnrs
    for i, st in enumerate(f.staff):
        for j, code in enumerate(st.units):
            if code not in units:
                errors.append(f"$.staff[{i}].units[{j}]: enheten ”{code}” finns inte (varken "
                              "i filen eller i databasen)")
    for i, p in enumerate(f.patients):
        for j, code in enumerate(p.care_relations):
            if code not in units:
                errors.append(f"$.patients[{i}].care_relations[{j}]: enheten ”{code}” finns "
                              "inte (varken i filen eller i databasen)")
    if with_cases:  # outside the demo, cases in the file are not read (their shape is checked)
        for i, c in enumerate(f.cases):
            if c.unit not in units:
                errors.append(f"$.cases[{i}].unit: enheten ”{c.unit}” finns inte")
            if c.sender not in logins:
                errors.append(f"$.cases[{i}].sender: inloggningen ”{c.sender}” finns inte")
            if c.patient not in pnrs:
                errors.append(f"$.cases[{i}].patient: patienten finns inte")
    return errors


def refuse(where: str, errors: list[str]) -> InvalidInput:
    """One refusal listing every error; nothing was stored."""
    n = len(errors)
    head = (f"{where} innehåller {'ett fel' if n == 1 else f'{n} fel'}; inget har lästs in. "
            "Rätta filen och försök igen:")
    return InvalidInput("\n".join([head, *(f"  {e}" for e in errors)]))
