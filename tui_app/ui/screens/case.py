"""A case as staff see it: the facts, the files with their handling, and the conversation."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from tui_app.services import cases, handling
from tui_app.services.views import CaseView, FileView
from tui_app.ui.base import AppScreen, StatusLine
from tui_app.ui.conversation import Bubble, case_header, fmt_size
from tui_app.ui.dialogs import AskDialog, ConfirmDialog
from tui_app.ui.widgets import UserBar, app_footer

FILE_ACTIONS = {"preview", "journal", "not_journal", "download", "picsara", "earkiv", "scanned",
                "cleanup"}


SIDES = {"h": "höger", "hoger": "höger", "höger": "höger", "v": "vänster", "vanster": "vänster",
         "vänster": "vänster", "b": "bilateralt", "bilateralt": "bilateralt", "e": "ej parad",
         "ej parad": "ej parad", "": ""}


def laterality_of(text: str) -> str | None:
    """The laterality typed (a letter or the word, with or without å/ä/ö); None when unknown."""
    return SIDES.get(text.strip().lower())


def file_facts(f: FileView) -> str:
    """Type, size, and pixel size or page count."""
    kind = f.mime.split("/")[-1].upper()
    extra = f"{f.width}×{f.height}" if f.width and f.height else (
        f"{f.pages} s." if f.pages else "")
    return f"{kind} {fmt_size(f.size)} {extra}".strip()


class CaseScreen(AppScreen):
    """Ett ärende."""

    HELP_TITLE = "Ärende"
    HELP = (
        "Överst: ärendenummer, enhet, patient, status och svarstid. Sedan filerna, och under dem "
        "konversationen – vårdens meddelanden till vänster, patientens till höger.\n"
        "För varje fil (markera den i listan): p förhandsvisa · j journalförs · i journalförs "
        "inte (med anledning) · l ladda ner (en i taget, till Hämtade filer; inte med GK-konto) · "
        "s spara bild i Picsara · e skriv ut dokument för E-arkiv · m markera skannad · r rensa "
        "nedladdad kopia och papperskorgen. h markerar ärendet som hanterat. Tab byter mellan "
        "fillistan och konversationen."
    )
    BINDINGS = [
        Binding("escape", "back", "Tillbaka", id="back"),
        Binding("p", "preview", "Visa", id="file_preview"),
        Binding("j", "journal", "Journalförs", id="file_journal"),
        Binding("i", "not_journal", "Inte", id="file_not_journal"),
        Binding("l", "download", "Ladda ner", id="file_download"),
        Binding("s", "picsara", "Picsara", id="file_picsara"),
        Binding("e", "earkiv", "E-arkiv", id="file_earkiv"),
        Binding("m", "scanned", "Skannad", id="file_scanned"),
        Binding("r", "cleanup", "Rensa", id="file_cleanup"),
        Binding("h", "handled", "Hanterat", id="case_handled"),
        Binding("u", "reload", "Uppdatera", id="refresh_case", show=False),
    ]

    def __init__(self, view: CaseView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        yield UserBar()
        yield Static(id="case-head")
        yield DataTable(id="files", cursor_type="row")
        yield VerticalScroll(id="conversation")
        yield StatusLine()
        yield app_footer()

    async def on_mount(self) -> None:
        t = self.query_one("#files", DataTable)
        t.add_column("Fil", key="name", width=18)
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
            mark = "▣" if f.kind == "bild" else "▤"
            t.add_row(Text(f"{mark} {f.display_name}", no_wrap=True, overflow="ellipsis"),
                      Text(file_facts(f)), Text(f.status + (f" ⚠{f.copies}" if f.copies else "")),
                      key=str(f.id))
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
        t = self.query_one("#files", DataTable)
        if not files or not (0 <= t.cursor_row < len(files)):
            return None
        return files[t.cursor_row]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "handled":  # offered once every file has a decision; the service checks the rest
            answered = self.view.state.value in ("Besvarat", "Avslutat")
            return answered and all(f.decision for f in self.view.files)
        if action not in FILE_ACTIONS:
            return True
        f = self.current() if self.is_mounted else None
        if f is None:
            return False  # no file in the case: no file keys
        pdf = f.mime == "application/pdf"
        # Keys that cannot apply to this file are hidden (False) so the footer fits 80 columns.
        # Download stays on for a GK account: the refusal explains R16 and is logged (R24).
        # s and e stay on for an undecided file of their kind: the refusal says what to do first.
        rules = {
            "picsara": not pdf and not f.in_picsara,
            "earkiv": pdf and not f.printed,
            "scanned": f.printed and not f.scanned,
            "cleanup": f.copies > 0,
        }
        return True if rules.get(action, True) else False

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_preview()

    def _file_call(self, tag: str, fn: object, *args: object) -> None:
        f = self.current()
        if f is None:
            self.query_one(StatusLine).show("Det finns ingen fil i ärendet.", error=True)
            return
        self.call_service(tag, fn, self.ctx, self.actor, f.id, *args)  # type: ignore[arg-type]

    def action_preview(self) -> None:
        from tui_app.ui.preview import load_preview

        self._file_call("preview", load_preview)

    def done_preview(self, loaded: object) -> None:
        from tui_app.ui.preview import PreviewScreen

        self.app.push_screen(PreviewScreen(*loaded))  # type: ignore[misc]

    def action_journal(self) -> None:
        f = self.current()
        if f is None:
            self._file_call("changed", handling.decide)  # says there is no file
            return
        self.call_service("changed", handling.decide, self.ctx, self.actor, f.id, True, "",
                          expected_version=f.version)  # decided on what the screen showed

    def action_not_journal(self) -> None:
        f = self.current()
        if f is None:
            return

        def chosen(reason: str | None) -> None:
            if reason is not None:
                self.call_service("changed", handling.decide, self.ctx, self.actor, f.id, False,
                                  reason, expected_version=f.version)

        def check(text: str) -> None:
            from tui_app.core.errors import InvalidInput

            if not text.strip():
                raise InvalidInput("Skriv en kort anledning, eller tryck Esc för att avbryta.")

        self.app.push_screen(AskDialog("Journalförs inte", f"Kort anledning för {f.display_name}:",
                                       placeholder="t.ex. dubblett, fel patient, ej relevant",
                                       check=check), chosen)

    def action_download(self) -> None:
        self._file_call("downloaded", handling.download)

    def done_downloaded(self, path: object) -> None:
        self.say(f"Nedladdad till {path}. Radera den när den är använd (r).")
        self.action_refresh()

    def action_picsara(self) -> None:
        f = self.current()
        if f is None:
            return
        if (f.decision != handling.JOURNAL or not f.copies or not self.actor.picsara_permission
                or f.pending):
            # Something is missing: let the service say what (and log it) before any questions.
            self.call_service("archived", handling.to_picsara, self.ctx, self.actor, f.id, None, None)
            return

        def site_chosen(lat: str | None, site: str | None) -> None:
            if site is not None:
                self.call_service("archived", handling.to_picsara, self.ctx, self.actor, f.id,
                                  lat or None, site)

        def lat_chosen(lat: str | None) -> None:
            if lat is None:
                return
            self.app.push_screen(AskDialog("Spara i Picsara", "Kroppsdel (valfritt):",
                                           placeholder="t.ex. handled"),
                                 lambda site: site_chosen(laterality_of(lat), site))

        def check(text: str) -> None:
            from tui_app.core.errors import InvalidInput

            if text.strip() and laterality_of(text) is None:
                raise InvalidInput("Skriv h (höger), v (vänster), b (bilateralt), e (ej parad) "
                                   "– eller lämna tomt.")

        self.app.push_screen(AskDialog(
            "Spara i Picsara", "Sida: h höger · v vänster · b bilateralt · e ej parad · tomt = "
            "ingen", check=check), lat_chosen)

    def action_earkiv(self) -> None:
        self._file_call("archived", handling.print_earkiv)

    def done_archived(self, where: object) -> None:
        self.action_refresh()
        f = self.current()
        name = f.display_name if f else "filen"
        done = "utskriven för E-arkiv" if f is not None and f.kind == "dokument" else \
            "sparad i Picsara"

        def answer(yes: bool | None) -> None:
            if yes:
                self.action_cleanup()
            else:
                self.say("Kom ihåg att rensa den nedladdade kopian (r).")

        self.app.push_screen(ConfirmDialog(
            f"Klart: {name} är {done}. Radera den nedladdade kopian och eventuella kopior i "
            "papperskorgen nu? (R21)"), answer)

    def action_scanned(self) -> None:
        self._file_call("changed", handling.mark_scanned)

    def action_cleanup(self) -> None:
        self._file_call("cleaned", handling.cleanup)

    def done_cleaned(self, report: handling.CleanupReport) -> None:
        if report.clean:
            self.say(f"Rensat: {len(report.deleted)} i Hämtade filer, {len(report.trashed)} i "
                     "papperskorgen. Ingen kopia finns kvar.")
        else:
            self.query_one(StatusLine).show(
                "Kopior finns kvar: " + "; ".join(report.remaining + report.notes)
                + ". Kontrollera dem och försök igen (r).", error=True)
        self.action_refresh()

    def action_handled(self) -> None:
        self.call_service("changed", handling.mark_handled, self.ctx, self.actor, self.view.case_id)

    def done_changed(self, _value: object) -> None:
        self.say("Sparat.")
        self.action_refresh()

    def action_refresh(self) -> None:
        """Reload after an own action (already logged); the u key logs a fresh look."""
        self.call_service("case", cases.open_case, self.ctx, self.actor, self.view.case_id,
                          log_access=False)

    def action_reload(self) -> None:
        self.call_service("case", cases.open_case, self.ctx, self.actor, self.view.case_id)

    async def done_case(self, view: CaseView) -> None:
        await self.show_view(view)

    def action_back(self) -> None:
        self.app.pop_screen()
