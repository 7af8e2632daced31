"""The steps after a file is journaled, on the case screen: save an image in Picsara, print a
document for E-arkiv, mark it scanned, and clean up the downloaded copy (R14, R15, R19-R21)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from tui_app.core import routine
from tui_app.core.routine import Action, Laterality, Target
from tui_app.services import api
from tui_app.services.api import FileView
from tui_app.ui.base import AppScreen, Policy, StatusLine
from tui_app.ui.dialogs import AskDialog, ConfirmDialog
from tui_app.ui.keys import ExplainsKeys

CLEANUP = Action.FILE_CLEANUP.hint


def laterality_of(text: str) -> Laterality | Literal[""] | None:
    """The side typed (a letter or the word, with or without å/ä/ö); "" for none; None when
    unknown."""
    return routine.parse_laterality(text) if text.strip() else ""


class ArchiveSteps(ExplainsKeys, AppScreen):
    """The case screen's Picsara, E-arkiv, scanned and cleanup keys (CaseScreen builds on it)."""

    if TYPE_CHECKING:  # given by CaseScreen

        def current(self) -> FileView | None: ...
        def _file(self) -> FileView | None: ...
        def _change(
            self, change: Callable[[api.Context, api.Actor], object], said: str
        ) -> None: ...
        def action_refresh(self, then: Callable[[], object] | None = None) -> None: ...

    def action_picsara(self) -> None:
        f = self.current()
        if f is None:
            return
        if self.why_not("picsara") is not None:  # the file changed since the key was offered
            self.action_why("picsara")  # say what is missing before any questions
            return

        def site_chosen(lat: Laterality | None, site: str | None) -> None:
            if site is not None:
                self._to_picsara(f.id, lat, site)

        def lat_chosen(lat: str | None) -> None:
            if lat is None:
                return
            self.app.push_screen(
                AskDialog("Spara i Picsara", "Kroppsdel (valfritt):", placeholder="t.ex. handled"),
                lambda site: site_chosen(laterality_of(lat) or None, site),
            )

        def check(text: str) -> None:
            from tui_app.core.errors import InvalidInput

            if laterality_of(text) is None:
                sides = ", ".join(f"{s.letter} ({s.value})" for s in Laterality)
                raise InvalidInput(f"Skriv {sides} – eller lämna tomt.")

        self.app.push_screen(
            AskDialog("Spara i Picsara", routine.laterality_prompt(), check=check), lat_chosen
        )

    def _to_picsara(self, file_id: int, lat: str | None, site: str | None) -> None:
        ctx, actor = self.ctx, self.actor
        self.run(
            lambda: api.to_picsara(ctx, actor, file_id, lat, site),
            on_done=self._archived,
            policy=Policy.ONCE,
        )

    def action_earkiv(self) -> None:
        f = self._file()
        if f is not None:
            ctx, actor = self.ctx, self.actor
            self.run(
                lambda: api.print_earkiv(ctx, actor, f.id),
                on_done=self._archived,
                policy=Policy.ONCE,
            )

    def _archived(self, sent: api.Archived) -> None:
        """Ask about the clean-up over the reloaded case (it shows the file as archived)."""
        self.action_refresh(lambda: self._ask_cleanup(sent))

    def _ask_cleanup(self, sent: api.Archived) -> None:
        name = sent.name
        done = "utskriven för E-arkiv" if sent.target is Target.EARKIV else "sparad i Picsara"

        def answer(yes: bool | None) -> None:
            if yes:
                self.action_cleanup()
            else:
                self.say(f"Kom ihåg att rensa den nedladdade kopian ({CLEANUP}).")

        self.app.push_screen(
            ConfirmDialog(
                f"Klart: {name} är {done}. Radera den nedladdade kopian och eventuella kopior i "
                "papperskorgen nu? (R21)"
            ),
            answer,
        )

    def action_scanned(self) -> None:
        f = self.current()
        if f is not None:
            fid = f.id
            self._change(
                lambda ctx, a: api.mark_scanned(ctx, a, fid),
                f"Skannad till E-arkiv: {f.display_name}.",
            )

    def action_cleanup(self) -> None:
        f = self._file()
        if f is not None:
            ctx, actor = self.ctx, self.actor
            self.run(
                lambda: api.cleanup(ctx, actor, f.id), on_done=self._cleaned, policy=Policy.ONCE
            )

    def _cleaned(self, report: api.CleanupReport) -> None:
        self.action_refresh(lambda: self._say_cleaned(report))

    def _say_cleaned(self, report: api.CleanupReport) -> None:
        where = "; ".join(report.where) or "ingen kopia hittades"
        if report.clean:
            self.say(f"Rensat: {where}. Ingen kopia finns kvar.")
        else:
            theirs = (
                f"; {report.colleagues} kopi{'a' if report.colleagues == 1 else 'or'} som "
                "en kollega laddat ner finns kvar (kollegan rensar)"
                if report.colleagues
                else ""
            )
            self.query_one(StatusLine).show(
                "Kopior finns kvar: "
                + "; ".join(report.where + report.notes)
                + theirs
                + f". Kontrollera dem och försök igen ({CLEANUP}).",
                error=True,
            )
