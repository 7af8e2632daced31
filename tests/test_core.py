"""Pure rules: identity numbers, time display, eligibility, deadlines and states."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tui_app.core.clock import fmt_datetime, fmt_remaining, parse_offset
from tui_app.core.errors import InvalidInput, RuleViolation
from tui_app.core.pnr import BAD_CHECK_DIGIT, FUTURE_DATE, NO_SUCH_DATE, parse_pnr, why_not_pnr
from tui_app.core.rules import (
    CaseState,
    case_state,
    check_eligibility,
    check_reply_open,
    check_staff_message,
    deadline_for,
)
from tui_app.core.template import DEFAULT_TEXT, LIMITS_SENTENCE

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "text,digits",
    [
        ("199002222397", "199002222397"),
        ("19900222-2397", "199002222397"),
        ("900222-2397", "199002222397"),
        ("200001252386", "200001252386"),
        ("196109732393", "196109732393"),  # samordningsnummer: day 73 = 13 + 60
        ("000125-2386", "200001252386"),
        ("121212+1212", "191212121212"),  # '+' means a hundred years or older
    ],
)
def test_pnr_accepts_and_normalises_to_12_digits(text: str, digits: str) -> None:
    p = parse_pnr(text, TODAY)
    assert p.digits == digits
    assert p.display == f"{digits[:8]}-{digits[8:]}"


def test_pnr_samordningsnummer_is_recognised() -> None:
    assert parse_pnr("196109732393", TODAY).is_coordination_number
    assert not parse_pnr("199002222397", TODAY).is_coordination_number


@pytest.mark.parametrize(
    "text,word",
    [
        ("199002222398", "kontrollsiffran"),
        ("19900230-2397", "datumet finns inte"),
        ("19901322-2397", "datumet finns inte"),
        ("20991231-2399", "framtiden"),
        ("abc", "inte ett personnummer"),
        ("", "inte ett personnummer"),
        ("1990022223971", "inte ett personnummer"),
    ],
)
def test_pnr_refuses_impossible_numbers_in_swedish(text: str, word: str) -> None:
    with pytest.raises(InvalidInput) as e:
        parse_pnr(text, TODAY)
    assert word in e.value.message


@pytest.mark.parametrize(
    "text,problem",
    [
        ("19900222-2398", BAD_CHECK_DIGIT),
        (" 900222 2398 ", BAD_CHECK_DIGIT),
        ("121212+1213", BAD_CHECK_DIGIT),
        ("19900230-2397", NO_SUCH_DATE),
        ("20991231-2399", FUTURE_DATE),
        ("19900222-2397", None),  # a valid number: nothing wrong with it
        ("196109732393", None),
        ("19900222-239", None),  # not written like a whole number: the search reads digits
        ("1990022223", None),  # 199002222397 half typed (as 10 digits: month 90)
        ("1975031212", None),
        ("199002-2223", NO_SUCH_DATE),  # a separator: written as 10 digits on purpose
        ("9002222398", BAD_CHECK_DIGIT),  # begins like no 12-digit number (year 9002)
        ("1212121213", BAD_CHECK_DIGIT),  # year 1212: not a 12-digit number being typed
        ("2001051234", BAD_CHECK_DIGIT),  # a child's number (2020-01-05): the hint stays
        ("1990", None),
        ("Persson", None),
        ("", None),
    ],
)
def test_why_a_searched_number_cannot_be_one(text: str, problem: str | None) -> None:
    assert why_not_pnr(text, TODAY) == problem
    if problem is not None:  # the same reason parse_pnr gives, in its words
        with pytest.raises(InvalidInput) as e:
            parse_pnr(text, TODAY)
        assert problem in e.value.message


def test_times_are_shown_in_swedish_time() -> None:
    assert fmt_datetime(datetime(2025, 6, 4, 7, 48, tzinfo=UTC)) == "2025-06-04 09:48"
    assert fmt_datetime(datetime(2025, 1, 4, 7, 48, tzinfo=UTC)) == "2025-01-04 08:48"


def test_countdown_words() -> None:
    assert fmt_remaining(timedelta(hours=29)) == "1 d 5 h"
    assert fmt_remaining(timedelta(minutes=200)) == "3 h 20 min"
    assert fmt_remaining(timedelta(seconds=-1)) == "utgånget"


def test_demo_clock_steps_parse() -> None:
    assert parse_offset("+1 dag") == timedelta(days=1)
    assert parse_offset("+3 timmar") == timedelta(hours=3)
    with pytest.raises(InvalidInput):
        parse_offset("i morgon")


ELIGIBLE = dict(
    unit_name="U",
    unit_activated=True,
    template_installed=True,
    patient_activated=True,
    care_relation=True,
)


@pytest.mark.parametrize(
    "field,rule",
    [
        ("unit_activated", "R01"),
        ("template_installed", "R02"),
        ("patient_activated", "R03"),
        ("care_relation", "R04"),
    ],
)
def test_r01_r02_r03_r04_each_refusal_names_its_rule(field: str, rule: str) -> None:
    with pytest.raises(RuleViolation) as e:
        check_eligibility(**{**ELIGIBLE, field: False})
    assert e.value.rule == rule
    assert e.value.message  # plain Swedish, shown as is
    check_eligibility(**ELIGIBLE)


def test_r06_limits_sentence_may_not_be_removed() -> None:
    assert check_staff_message(DEFAULT_TEXT + "\nExtra rad").endswith("Extra rad")
    with pytest.raises(RuleViolation) as e:
        check_staff_message(DEFAULT_TEXT.replace(LIMITS_SENTENCE, ""))
    assert e.value.rule == "R06"


def test_r06_empty_and_too_long_messages_are_refused() -> None:
    with pytest.raises(InvalidInput, match="tomt"):
        check_staff_message("   \n ")
    with pytest.raises(InvalidInput, match="högst"):
        check_staff_message(DEFAULT_TEXT + "x" * 5000)


def test_r07_deadline_is_48_hours_and_exclusive() -> None:
    sent = datetime(2026, 1, 1, 12, tzinfo=UTC)
    dl = deadline_for(sent)
    assert dl - sent == timedelta(hours=48)
    check_reply_open(dl, dl - timedelta(seconds=1))
    with pytest.raises(RuleViolation) as e:
        check_reply_open(dl, dl)
    assert e.value.rule == "R07"


def test_r12_state_is_derived_from_the_clock() -> None:
    dl = datetime(2026, 1, 3, 12, tzinfo=UTC)
    before, after = dl - timedelta(minutes=1), dl + timedelta(minutes=1)
    assert case_state(deadline=dl, now=before, patient_messages=0) is CaseState.WAITING
    assert case_state(deadline=dl, now=after, patient_messages=0) is CaseState.CLOSED_AUTO
    assert case_state(deadline=dl, now=before, patient_messages=1) is CaseState.ANSWERED
    assert case_state(deadline=dl, now=after, patient_messages=1) is CaseState.CLOSED


def test_r06_patient_view_is_spec_verbatim() -> None:
    """The page equals the block in SPEC.md with its placeholders filled in."""
    import re

    from tests.conftest import SHARED
    from tui_app.core.template import PATIENT_VIEW, render_patient_view

    # The block is the project's own constant, so the suite runs from a clone alone; where the
    # specification lies beside the clone (../shared), the constant is checked against it.
    block = PATIENT_VIEW
    if (SHARED / "SPEC.md").is_file():
        spec = (SHARED / "SPEC.md").read_text(encoding="utf-8")
        found = re.search(r"## What the patient sees.*?```\n(.*?)```", spec, re.S)
        assert found is not None and found.group(1) == block
    unit, text, name = "Reumatologi - testenhet för 1177, Skövde", DEFAULT_TEXT, "Daniel"
    expected = (
        block.replace("{unit name}", unit)
        .replace("{message text}", text)
        .replace("{sender's first name}", name)
        .replace("{date YYYY-MM-DD}", "2025-06-04")
        .replace("{YYYY-MM-DD HH:MM}", "2025-06-04 09:48")
    )
    assert (
        render_patient_view(unit, text, name, "2025-06-04", "2025-06-04 09:48") + "\n" == expected
    )


@pytest.mark.parametrize(
    "text",
    [
        "١٩٩٠٠٢٢٢٢٣٩٧",  # Arabic-Indic digits: the same person as 199002222397
        "۱۹۹۰۰۲۲۲۲۳۹۷",  # Extended Arabic-Indic (Persian)
        "１９９００２２２－２３９７",  # full-width, with a full-width hyphen
        "１９９００２２２２３９７",
        "19900222-٢٣٩٧",  # mixed
        "१९९००२२२२३९७",  # Devanagari
    ],
)
def test_pnr_refuses_digits_other_than_0_to_9(text: str) -> None:
    with pytest.raises(InvalidInput) as e:
        parse_pnr(text, TODAY)
    assert "0–9" in e.value.message


@pytest.mark.parametrize("text", ["²", "12²", "١٢", "１２", "٣"])
def test_case_number_refuses_digits_other_than_0_to_9(text: str) -> None:
    from tui_app.core.rules import parse_case_number

    with pytest.raises(InvalidInput) as e:
        parse_case_number(text)
    assert "siffror" in e.value.message


def test_case_number_accepts_ascii_digits() -> None:
    from tui_app.core.rules import parse_case_number

    assert parse_case_number(" #12 ") == 12
