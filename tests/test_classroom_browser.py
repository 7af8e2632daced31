"""Classroom mode in a real browser (issue 17): Debian's Chromium, driven by Playwright.

Two trainees at once each sign in, send a case, answer it as the patient with files (one of
them refused), and see only their own case; the trainer's "+1 dag" (twice) closes the waiting
case in both demos; the trainer's progress table shows both; the projector view shows a
trainee's screen. The text is read from xterm.js's buffer, never from pixels; screenshots of
the key screens are written under the test's temporary folder for a person to look at.
Skipped when Chromium or Playwright is missing, except under CI=true, where that fails.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests import browser

NOT_HERE = browser.missing()
if os.environ.get(
    "TUI_APP_TEST_PG"
):  # demos always run on SQLite: the PostgreSQL pass adds nothing
    pytest.skip("the classroom's demos use SQLite only", allow_module_level=True)
if NOT_HERE is not None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser test cannot run in CI: {NOT_HERE}", pytrace=False)
    pytest.skip(f"no browser test here: {NOT_HERE}", allow_module_level=True)

ELIN = "200001252386"


def highlighted(tab: browser.Tab) -> str:
    rows = [line for line in tab.screen().splitlines() if "▶" in line]
    return rows[0] if rows else ""


def highlight(tab: browser.Tab, text: str) -> None:
    """Move down the list, one row at a time (each move seen on the screen before the next
    key), until the highlighted row (▶) names text."""
    for _ in range(40):
        now = highlighted(tab)
        if text in now:
            return
        tab.press("ArrowDown")
        end = time.monotonic() + 90
        while highlighted(tab) == now and time.monotonic() < end:
            tab.page.wait_for_timeout(50)
    raise AssertionError(f"{tab.name}: {text} never highlighted:\n{tab.screen()}")


def sign_in(tab: browser.Tab, who: str, then: str) -> None:
    tab.wait_for("välj vem du är")
    highlight(tab, who)
    tab.press("Enter")
    tab.wait_for(then)


def send_case(tab: browser.Tab) -> None:
    """As Daniel: the template message to Elin Lund, confirmed."""
    sign_in(tab, "Daniel Andersson", "Nytt ärende")
    tab.press("n")
    tab.wait_for("Patientens personnummer")
    tab.type(ELIN)
    tab.press("Enter")
    tab.wait_for("Till: Elin Lund")
    tab.press("F2")
    tab.wait_for("j = Ja")
    tab.press("j")
    tab.wait_for("skickat till Elin Lund", "Esc Inkorg", "Vården: Daniel")  # the case itself
    tab.press("Escape")
    tab.wait_for("n Nytt ärende")
    tab.press("x")


def attach(tab: browser.Tab, name: str, outcome: str) -> None:
    tab.press("F3")
    tab.wait_for("Bifoga fil – skriv sökväg", "demons egna mappar")
    tab.type(name)
    tab.press("Enter")
    tab.wait_for(outcome)


def answer_as_patient(tab: browser.Tab, text: str) -> None:
    """As Elin: open the newest case, write, attach a photo, a PDF and a refused file; the
    send is refused until the refused file is removed."""
    sign_in(tab, "Elin Lund", "Logga ut")
    tab.press("Enter")  # the newest case is highlighted first
    tab.wait_for("Svara", "BIFOGA FILER")
    tab.type(text)
    attach(tab, "handled.jpg", "handled.jpg är kontrollerad")
    attach(tab, "remiss-brev.pdf", "remiss-brev.pdf är kontrollerad")
    attach(tab, "kvitto.jpg", "kvitto.jpg:")
    tab.shot("patient-files")
    tab.press("F2")  # refused (and logged): the refused file must go first
    tab.wait_for("Svaret skickades inte", "d Ta bort fil")  # the refused file has focus
    tab.press("d")
    tab.wait_for("kvitto.jpg är borttagen")
    tab.press("F2")
    tab.wait_for("Ditt svar är skickat")
    tab.shot("patient-sent")
    tab.press("Escape")
    tab.wait_for("Logga ut")
    tab.press("x")


def open_case_5(tab: browser.Tab) -> str:
    sign_in(tab, "Daniel Andersson", "Nytt ärende")
    tab.press("g")
    tab.wait_for("Ärendenummer")
    tab.type("5")
    tab.press("Enter")
    return tab.wait_for("Ärende 5", "Elin Lund")


def test_classroom_two_trainees_in_chromium(tmp_path: Path) -> None:
    started = time.monotonic()
    shots = tmp_path / "screenshots"
    room = browser.Classroom(tmp_path, cap=3)
    try:
        with browser.chromium() as chromium:
            a = browser.Tab(chromium, f"{room.url}/?namn=Elev%20A", shots, "elev-a")
            b = browser.Tab(chromium, f"{room.url}/?namn=Elev%20B", shots, "elev-b")
            for tab in (a, b):  # both demos run at once, each opening on the step list
                tab.wait_for("Klart: 0 av 9", "○ 1. Skicka meddelandet")
                tab.ready = time.monotonic() - tab.opened  # type: ignore[attr-defined]
                tab.shot("exercise")
                tab.press("Escape")
                tab.wait_gone("Klart: 0 av 9")
            for tab in (a, b):
                send_case(tab)
            answer_as_patient(a, "Svar från Elev A")
            answer_as_patient(b, "Svar från Elev B")

            # Each sees only their own case 5: the same number in two separate demos.
            shown_a, shown_b = open_case_5(a), open_case_5(b)
            assert "Svar från Elev A" in shown_a and "Elev B" not in shown_a
            assert "Svar från Elev B" in shown_b and "Elev A" not in shown_b
            a.shot("staff-case")
            for tab in (a, b):
                tab.press("Escape")
                tab.wait_for("Nytt ärende", "Väntar på svar")  # Elin's waiting case 1

            # The trainer: progress of both, then "+1 dag" twice for every demo at once.
            trainer = chromium.new_page()
            trainer.goto(room.trainer)
            for _ in range(100):  # the demos write their progress every few seconds
                table = trainer.inner_text("#progress")
                if table.count("3/9") == 2 and table.count("Daniel Andersson") == 2:
                    break
                trainer.wait_for_timeout(200)
                trainer.reload()
            assert "Elev A" in table and "Elev B" in table and table.count("3/9") == 2, table
            assert table.count("Daniel Andersson") == 2
            trainer.screenshot(path=shots / "trainer.png")
            for _ in range(2):
                trainer.click("#plus-one-day")
                trainer.wait_for_selector("text=Klockan flyttad framåt")
            assert "Gemensam klocka: +2 dagar" in trainer.inner_text("body")
            for tab in (a, b):
                tab.wait_for("Läraren flyttade klockan framåt")
                tab.wait_gone("Väntar på svar")
                tab.wait_for("Avslutat automatiskt")
                tab.shot("inbox-after-clock")

            # The projector: a read-only view of trainee A's screen.
            view_link = trainer.locator("#progress a").first
            view = chromium.new_page()
            view.add_init_script(browser.CAPTURE)
            view.goto(str(room.url) + str(view_link.get_attribute("href")))
            projected = ""
            for _ in range(300):
                projected = str(view.evaluate("window.__screen ? window.__screen() : ''"))
                if "Avslutat automatiskt" in projected and "Daniel Andersson" in projected:
                    break
                view.wait_for_timeout(100)
            assert "Avslutat automatiskt" in projected, projected
            view.screenshot(path=shots / "projector.png")

            # Closing a tab ends that demo and removes its data; the other goes on.
            demos = sorted(p.name for p in room.root.iterdir() if p.name.startswith("demo-"))
            assert len(demos) == 2
            a.close()
            for _ in range(600):
                left = [p for p in room.root.iterdir() if p.name.startswith("demo-")]
                if len(left) == 1:
                    break
                b.page.wait_for_timeout(100)
            assert len(left) == 1
            b.press("n")
            b.wait_for("Patientens personnummer")
            print(
                f"\nbrowser stage: {time.monotonic() - started:.1f} s; page open to usable demo: "
                f"A {a.ready:.1f} s, B {b.ready:.1f} s; screenshots in {shots}"  # type: ignore[attr-defined]
            )
    finally:
        room.stop()
    assert not [p for p in room.root.iterdir() if p.name.startswith("demo-")]
