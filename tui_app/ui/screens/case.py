"""A case as staff see it: the facts, the files with their handling, and the conversation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from tui_app.core import routine
from tui_app.core.routine import Action, FileKind
from tui_app.services import api
from tui_app.services.api import CaseView, FileView
from tui_app.ui.base import Policy, StatusLine
from tui_app.core.clock import fmt_datetime
from tui_app.core.errors import UserError
from tui_app.core.fmt import fmt_size
from tui_app.ui.conversation import Bubble, case_header
from tui_app.ui.dialogs import AskDialog, ConfirmDialog
from tui_app.ui.keys import ROUTINE_KEYS as KEYS
from tui_app.ui.keys import Refusal, render
from tui_app.ui.screens.case_archive import CLEANUP, ArchiveSteps
from tui_app.ui.widgets import MarkedTable, UserBar, app_footer


#: The screen's action names -> the routine's actions (their values are the binding ids).
ROUTINE_ACTIONS = {
    "preview": Action.FILE_PREVIEW,
    "journal": Action.FILE_JOURNAL,
    "not_journal": Action.FILE_NOT_JOURNAL,
    "download": Action.FILE_DOWNLOAD,
    "picsara": Action.FILE_PICSARA,
    "earkiv": Action.FILE_EARKIV,
    "scanned": Action.FILE_SCANNED,
    "cleanup": Action.FILE_CLEANUP,
    "handled": Action.CASE_HANDLED,
    "reopen": Action.CASE_REOPEN,
}


def _short(name: str, width: int = 24) -> str:
    """A file name short enough for a one-line reason."""
    return name if len(name) <= width else name[: width - 1] + "…"


def file_facts(f: FileView) -> str:
    """Type, size, and pixel size or page count."""
    kind = f.mime.split("/")[-1].upper()
    extra = (
        f"{f.width}×{f.height}" if f.width and f.height else (f"{f.pages} s." if f.pages else "")
    )
    return f"{kind} {fmt_size(f.size)} {extra}".strip()


class CaseScreen(ArchiveSteps):
    """Ett ärende."""

    HELP_TITLE = "Ärende"
    HELP = (
        "Överst: ärendenummer, enhet, patient, status och svarstid. Sedan filerna, och under dem "
        "konversationen – vårdens meddelanden till vänster, patientens till höger.\n"
        "För varje fil (markera den i listan): p förhandsvisa · j journalförs · i journalförs "
        "inte (med anledning) · l ladda ner (en i taget, till Hämtade filer; inte med GK-konto) · "
        "s spara bild i Picsara · e skriv ut dokument för E-arkiv · m markera skannad · r rensa "
        "nedladdad kopia och papperskorgen. h markerar ärendet som hanterat (då tar det inte "
        "emot fler svar från patienten); o återöppnar ett hanterat ärende. Tangenter som inte "
        "kan användas just nu visas inte eller är gråa; trycker du ändå står det varför. Tab "
        "byter mellan fillistan och konversationen."
    )
    BINDINGS = [
        Binding("escape", "back", "Inkorg", id="back"),
        Binding(KEYS[Action.FILE_PREVIEW], "preview", "Visa", id=Action.FILE_PREVIEW),
        Binding(KEYS[Action.FILE_JOURNAL], "journal", "Journalförs", id=Action.FILE_JOURNAL),
        Binding(KEYS[Action.FILE_NOT_JOURNAL], "not_journal", "Inte", id=Action.FILE_NOT_JOURNAL),
        Binding(KEYS[Action.FILE_DOWNLOAD], "download", "Ladda ner", id=Action.FILE_DOWNLOAD),
        Binding(KEYS[Action.FILE_PICSARA], "picsara", "Picsara", id=Action.FILE_PICSARA),
        Binding(KEYS[Action.FILE_EARKIV], "earkiv", "E-arkiv", id=Action.FILE_EARKIV),
        Binding(KEYS[Action.FILE_SCANNED], "scanned", "Skannad", id=Action.FILE_SCANNED),
        Binding(KEYS[Action.FILE_CLEANUP], "cleanup", "Rensa", id=Action.FILE_CLEANUP),
        Binding(KEYS[Action.CASE_HANDLED], "handled", "Hanterat", id=Action.CASE_HANDLED),
        Binding(KEYS[Action.CASE_REOPEN], "reopen", "Återöppna", id=Action.CASE_REOPEN),
        Binding(
            KEYS[Action.REFRESH_CASE], "reload", "Uppdatera", id=Action.REFRESH_CASE, show=False
        ),
        Binding("q,x", "quit_here", "Avsluta", id="case_quit", show=False),
    ]

    def __init__(self, ctx: api.Context, actor: api.Actor, view: CaseView) -> None:
        super().__init__(ctx, actor)
        self.view = view

    def compose(self) -> ComposeResult:
        yield UserBar()
        yield Static(id="case-head")
        yield MarkedTable(id="files", cursor_type="row")
        yield VerticalScroll(id="conversation")
        yield StatusLine()
        yield app_footer()

    async def on_mount(self) -> None:
        t = self.query_one("#files", MarkedTable)
        t.add_column("  Fil", key="name", width=20)
        t.add_column("Typ", key="facts", width=19)
        t.add_column("Status", key="status")
        await self.show_view(self.view)

    async def show_view(self, view: CaseView) -> None:
        """Render the case."""
        self.view = view
        self.query_one(UserBar).show(self.actor, self.ctx.now(), self.ctx.demo)
        self.query_one("#case-head", Static).update(case_header(view))
        t = self.query_one("#files", DataTable)
        keep = t.cursor_row
        t.clear()
        for f in view.files:
            mark = "▣" if f.kind is FileKind.IMAGE else "▤"
            t.add_row(
                Text(f"{mark} {f.display_name}", no_wrap=True, overflow="ellipsis"),
                Text(file_facts(f)),
                Text(render(self, f.status) + (f" ⚠{f.copies}" if f.copies else "")),
                key=str(f.id),
            )
        t.display = bool(view.files)
        if view.files:
            t.move_cursor(row=min(keep, len(view.files) - 1))
            t.focus()
        conv = self.query_one("#conversation", VerticalScroll)
        await conv.remove_children()
        await conv.mount_all([Bubble(m) for m in view.messages])
        if not view.files:
            conv.focus()
        self.refresh_bindings()

    def current(self) -> FileView | None:
        """The highlighted file."""
        files = self.view.files
        tables = self.query("#files")
        if not tables:
            return None
        t = tables.first(DataTable)
        if not files or not (0 <= t.cursor_row < len(files)):
            return None
        return files[t.cursor_row]

    def why_not(self, action: str) -> Refusal | None:
        """Why a key cannot act on this case or file for this person now: the routine says
        (core/routine/); hidden when it never will here, greyed when a step comes first."""
        if action == "quit_here":
            return Refusal("Logga ut (x) och avsluta (q) gör du i inkorgen: tryck Esc först.")
        todo = ROUTINE_ACTIONS.get(action)
        if todo is None:
            return None
        f = self.current()
        return Refusal.of(
            routine.blocker(todo, self.view.facts, f.facts if f else None, self.actor)
        )

    def log_refusal(self, refusal: Refusal) -> None:
        """A GK account pressed a key it may not use: logged like the use case's refusal (R24)."""
        v, ctx, actor = self.view, self.ctx, self.actor
        f = self.current()
        detail = ("R16: " if "(R16)" in refusal.reason else "") + routine.plain(refusal.reason)
        if f is not None and refusal.log in ("ladda ner", "beslut", "rensa"):
            detail = f"fil {f.id}: {detail}"
        action = refusal.log
        self.run(
            lambda: api.log_refusal(
                ctx,
                actor,
                action=action,
                detail=detail,
                unit_code=v.unit_code,
                patient_pnr=v.patient.pnr,
                case_id=v.case_id,
            ),
            on_done=self._refusal_logged,
        )

    def _refusal_logged(self, _: None) -> None:
        """Nothing to show: the key's refusal is already in the status line."""

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_preview()

    def _file(self) -> FileView | None:
        """The highlighted file; without one the status line says there is none."""
        f = self.current()
        if f is None:
            self.query_one(StatusLine).show("Det finns ingen fil i ärendet.", error=True)
        return f

    def _change(self, change: Callable[[api.Context, api.Actor], object], said: str) -> None:
        """Run one change to the case or a file (one at a time), then say `said` and reload."""
        ctx, actor = self.ctx, self.actor
        self.run(
            lambda: change(ctx, actor),
            on_done=lambda _: self._changed(said),
            policy=Policy.ONCE,
            key="case.change",
        )

    def action_preview(self) -> None:
        f = self._file()
        if f is not None:
            ctx, actor = self.ctx, self.actor
            self.run(lambda: api.load_preview(ctx, actor, f.id), on_done=self._previewed)

    def _previewed(self, loaded: tuple[api.Preview, api.PreviewSource | str]) -> None:
        from tui_app.ui.preview import PreviewScreen

        pv, source = loaded
        self.app.push_screen(PreviewScreen(pv, Text(source) if isinstance(source, str) else source))

    def action_journal(self) -> None:
        f = self._file()
        if f is None:
            return
        step = (
            f"E-arkiv ({Action.FILE_EARKIV.hint})"
            if f.kind is FileKind.DOCUMENT
            else f"Picsara ({Action.FILE_PICSARA.hint})"
        )
        said = (
            f"Journalförs: {_short(f.display_name, 30)} – ladda ner "
            f"({Action.FILE_DOWNLOAD.hint}), sedan {step}."
        )
        fid, version = f.id, f.version  # decided on what was shown
        self._change(
            lambda ctx, a: api.decide(ctx, a, fid, True, "", expected_version=version), said
        )

    def action_not_journal(self) -> None:
        f = self.current()
        if f is None:
            return

        def chosen(reason: str | None) -> None:
            if reason is not None:
                said = f"Journalförs inte: {_short(f.display_name, 30)} ({reason.strip()[:30]})."
                fid, version = f.id, f.version
                self._change(
                    lambda ctx, a: api.decide(ctx, a, fid, False, reason, expected_version=version),
                    said,
                )

        def check(text: str) -> None:
            from tui_app.core.errors import InvalidInput

            if not text.strip():
                raise InvalidInput("Skriv en kort anledning, eller tryck Esc för att avbryta.")

        self.app.push_screen(
            AskDialog(
                "Journalförs inte",
                f"Kort anledning för {f.display_name}:",
                placeholder="t.ex. dubblett, fel patient, ej relevant",
                check=check,
            ),
            chosen,
        )

    def action_download(self) -> None:
        f = self._file()
        if f is not None:
            ctx, actor = self.ctx, self.actor
            self.run(
                lambda: api.download(ctx, actor, f.id),
                on_done=self._downloaded,
                policy=Policy.ONCE,
            )

    def _downloaded(self, path: Path) -> None:
        self.action_refresh(
            lambda: self.say(f"Nedladdad till {path}. Radera den när den är använd ({CLEANUP}).")
        )

    def action_handled(self) -> None:
        v = self.view
        said = f"Ärende {v.case_id} är hanterat" + (
            " och tar inte emot fler svar från patienten." if v.accepts_reply else "."
        )

        def answer(yes: bool | None) -> None:
            if yes:
                self._change(lambda ctx, a: api.mark_handled(ctx, a, v.case_id), said)

        if not v.accepts_reply:
            answer(True)
            return
        self.app.push_screen(
            ConfirmDialog(
                f"Markera ärende {v.case_id} som hanterat? Patienten kan då inte svara mer i "
                f"ärendet (annars kan patienten svara till {fmt_datetime(v.deadline)})."
            ),
            answer,
        )

    def action_reopen(self) -> None:
        v = self.view

        def answer(yes: bool | None) -> None:
            if yes:
                self._change(
                    lambda ctx, a: api.reopen(ctx, a, v.case_id),
                    f"Ärende {v.case_id} är återöppnat (loggat). Patienten kan "
                    "fortfarande inte svara i det.",
                )

        self.app.push_screen(
            ConfirmDialog(
                f"Återöppna ärende {v.case_id} för att ladda ner eller ändra något igen? Det loggas. "
                "Patienten kan fortfarande inte svara i ärendet."
            ),
            answer,
        )

    def action_quit_here(self) -> None:
        """Never runs: why_not always says how to quit (from the inbox)."""

    def _changed(self, said: str) -> None:
        self.action_refresh(lambda: self.say(said or "Sparat."))

    def action_refresh(self, then: Callable[[], object] | None = None) -> None:
        """Reload after an own action (already logged); the u key logs a fresh look.

        `then` says what the action did once the reloaded case is shown, never before: a key
        pressed after the message acts on the case it describes (the file downloaded, not
        still "ladda ner först")."""
        ctx, actor, case_id = self.ctx, self.actor, self.view.case_id

        async def shown(view: CaseView) -> None:
            await self.show_view(view)
            if then is not None:
                then()

        def failed(error: UserError) -> None:
            if then is not None:
                then()
            self.failed(error)

        self.run(
            lambda: api.open_case(ctx, actor, case_id, log_access=False),
            on_done=shown,
            on_error=failed,
            key="case.refresh",
        )

    def action_reload(self) -> None:
        ctx, actor, case_id = self.ctx, self.actor, self.view.case_id
        self.run(lambda: api.open_case(ctx, actor, case_id), on_done=self.show_view)

    def action_back(self) -> None:
        self.app.pop_screen()
