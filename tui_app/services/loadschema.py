"""The shape of a `tui-app load` file (data/demo.json is one), checked in full before anything
is stored: every error is reported with its JSON path, in Swedish, and one error stores nothing.

Strict: `"is_admin": "false"` is an error, not true; a personal identity number is text in
ASCII digits; unknown keys are errors (a misspelt `"is_admn"` must not pass silently), except
keys starting with `_`, which are comments. Imported only by the load path (pydantic).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from tui_app.core.errors import InvalidInput
from tui_app.core.limits import MAX_MESSAGE_CHARS
from tui_app.core.pnr import parse_pnr

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails


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
    text: Annotated[str, StringConstraints(max_length=MAX_MESSAGE_CHARS)] = ""
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


def swedish(error: ErrorDetails | dict[str, Any]) -> str:
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


def _entries(data: object, key: str) -> list[tuple[int, dict[str, Any]]]:
    items = data.get(key) if isinstance(data, dict) else None
    return (
        [(i, e) for i, e in enumerate(items) if isinstance(e, dict)]
        if isinstance(items, list)
        else []
    )


def _text(entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    return value.strip() if isinstance(value, str) else None


def _pnr(entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    try:
        return parse_pnr(value).digits if isinstance(value, str) else None
    except InvalidInput:
        return None


def cross_check(
    data: object,
    *,
    known_units: set[str],
    known_logins: set[str],
    known_pnrs: set[str],
    with_cases: bool,
) -> list[str]:
    """Errors a schema cannot see: duplicates in the file, references to units, staff or patients
    that neither the file nor the database has. Runs on the raw data, over whatever parts have
    the right shape, so these errors are listed together with the schema's."""
    errors: list[str] = []

    def once(where: str, key: str, what: str, read: Any) -> set[str]:
        seen: dict[str, int] = {}
        for i, entry in _entries(data, where):
            item = read(entry, key)
            if item is None:
                continue
            if item in seen:
                errors.append(
                    f"$.{where}[{i}].{key}: {what} ”{entry[key]}” finns redan i "
                    f"$.{where}[{seen[item]}]"
                )
            seen.setdefault(item, i)
        return set(seen)

    def refs(where: str, key: str) -> None:
        for i, entry in _entries(data, where):
            codes = entry.get(key)
            for j, code in enumerate(codes if isinstance(codes, list) else []):
                if isinstance(code, str) and code.strip() not in units:
                    errors.append(
                        f"$.{where}[{i}].{key}[{j}]: enheten ”{code}” finns inte "
                        "(varken i filen eller i databasen)"
                    )

    units = once("units", "code", "enhetskoden", _text) | known_units
    logins = once("staff", "login", "inloggningen", _text) | known_logins
    pnrs = once("patients", "pnr", "personnumret", _pnr) | known_pnrs
    refs("staff", "units")
    refs("patients", "care_relations")
    if with_cases:  # outside the demo, cases in the file are not read (their shape is checked)
        for i, c in _entries(data, "cases"):
            unit, sender, patient = _text(c, "unit"), _text(c, "sender"), _pnr(c, "patient")
            if unit is not None and unit not in units:
                errors.append(f"$.cases[{i}].unit: enheten ”{unit}” finns inte")
            if sender is not None and sender not in logins:
                errors.append(f"$.cases[{i}].sender: inloggningen ”{sender}” finns inte")
            if patient is not None and patient not in pnrs:
                errors.append(f"$.cases[{i}].patient: patienten finns inte")
    return errors


_SECTIONS = {"$": 0, "units": 1, "staff": 2, "patients": 3, "cases": 4}


def by_path(errors: list[str]) -> list[str]:
    """Errors each once, by section (units, staff, patients, cases) and entry number; within an
    entry as found."""
    import re

    def key(e: str) -> tuple[int, int]:
        parts = [x for x in re.split(r"[\[\].]+", e.split(": ", 1)[0]) if x]
        section = _SECTIONS.get(parts[1], 5) if len(parts) > 1 else 0
        index = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else -1
        return section, index

    return sorted(dict.fromkeys(errors), key=key)


def refuse(where: str, errors: list[str]) -> InvalidInput:
    """One refusal listing every error; nothing was stored."""
    n = len(errors)
    head = (
        f"{where} innehåller {'ett fel' if n == 1 else f'{n} fel'}; inget har lästs in. "
        "Rätta filen och försök igen:"
    )
    return InvalidInput("\n".join([head, *(f"  {e}" for e in errors)]))
