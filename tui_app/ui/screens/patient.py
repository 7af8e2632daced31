"""The patient's side, as 1177 shows it (demo and training): the inbox and one case with its reply form."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Button, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from tui_app.core import template
from tui_app.core.clock import fmt_date, fmt_datetime
from tui_app.core.errors import UserError
from tui_app.core.fmt import fmt_size
from tui_app.core.safetext import visible_text
from tui_app.core import routine
from tui_app.services import api
from tui_app.services.api import CaseView
from tui_app.ui.base import AppScreen, Policy, StatusLine
from tui_app.ui.keys import ExplainsKeys, Refusal
from tui_app.ui.screens.patient_page import AttachmentList, page_lines, page_top, reply_form
from tui_app.ui.widgets import MarkedOptionList, UserBar, app_footer


class PatientHomeScreen(AppScreen):
    """1177: the patient's messages."""

    HELP_TITLE = "1177 – dina ärenden"
    HELP = "Så här ser patienten sina ärenden i 1177. Välj ett ärende och tryck Enter."
    BINDINGS = [
        Binding("enter", "open", "Öppna", id="patient_open", show=True),
        Binding("u", "refresh", "Uppdatera", id="refresh_patient"),
        Binding("x", "sign_out", "Logga ut", id="sign_out"),
        Binding("q", "app.quit", "Avsluta", id="quit"),
    ]

    def compose(self) -> ComposeResult:
        yield UserBar()
        yield Static(Text("1177 – Inkorg", style="bold"), classes="title")
        yield MarkedOptionList(id="patient-cases")  # ▶ on the highlighted case
        yield StatusLine()
        yield app_footer()

    def on_mount(self) -> None:
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.query_one(UserBar).show(self.actor, self.ctx.now(), self.ctx.demo)
        ctx, actor = self.ctx, self.actor
        self.run(lambda: api.patient_cases(ctx, actor), on_done=self._listed, policy=Policy.LATEST)

    def _listed(self, views: list[CaseView]) -> None:
        ol = self.query_one(OptionList)
        ol.clear_options()
        for v in views:
            t = Text(f"{template.TEMPLATE_NAME} – {visible_text(v.unit_name)}\n", style="bold")
            state = (
                f"Öppet – svara senast {fmt_datetime(v.deadline)}"
                if v.accepts_reply
                else "Avslutat"
            )
            t.append(f"  {fmt_date(v.sent_at)} · {state}")
            if v.patient_read_at is None:
                t.append(" · ● Oläst", style="bold")
            ol.add_option(Option(t, id=str(v.case_id)))
        if not views:
            self.query_one(StatusLine).show("Du har inga meddelanden.")
        else:
            ol.highlighted = 0
        ol.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self._open(int(event.option.id))

    def action_open(self) -> None:
        ol = self.query_one(OptionList)
        if ol.highlighted is not None:
            opt = ol.get_option_at_index(ol.highlighted)
            if opt.id:
                self._open(int(opt.id))

    def _open(self, case_id: int) -> None:
        ctx, actor = self.ctx, self.actor
        self.run(lambda: api.patient_open_case(ctx, actor, case_id), on_done=self._opened)

    def _opened(self, view: CaseView) -> None:
        self.app.push_screen(PatientCaseScreen(self.ctx, self.actor, view))

    def action_sign_out(self) -> None:
        self.tui.sign_out()


class PatientCaseScreen(ExplainsKeys, AppScreen):
    """1177: Bifoga bild/fil till vården — the question and the reply form."""

    SHOW_RULES = False  # the patient is told what to do, not which rule of ours applies

    HELP_TITLE = "1177 – svara på meddelandet"
    HELP = (
        "Skriv ditt svar i rutan under Svara. BIFOGA FILER (F3) lägger till bilder eller "
        "dokument, högst 5. SKICKA (F2) skickar. Du kan skriva flera gånger inom 2 dagar."
    )
    BINDINGS = [
        Binding("f2", "send", template.BUTTON_SEND, id="patient_send"),
        Binding("f3", "attach", template.BUTTON_ATTACH, id="patient_attach"),
        Binding("escape", "back", "Tillbaka", id="back"),
    ]

    def __init__(self, ctx: api.Context, actor: api.Actor, view: CaseView) -> None:
        super().__init__(ctx, actor)
        self.view = view
        self.draft_text = ""
        self.staged: list[api.StagedToken] = []  # shown here; the files stay in services
        self.pending: list[str] = []  # names still being checked
        self.queued: set[str] = set()  # of those, the ones waiting for a free intake worker
        self._last_highlight = 0  # the chosen file d removes

    def compose(self) -> ComposeResult:
        yield UserBar()
        yield VerticalScroll(id="page")
        yield StatusLine()
        yield app_footer()

    async def on_mount(self) -> None:
        await self.render_page()

    async def render_page(self, scroll_to: str = "top") -> None:
        """Lay out the page from the current view, keeping any text being typed.

        scroll_to: "top" (the question, or the closed notice), "own" (the patient's own last
        message, after SKICKA) or "form" (the reply form).
        """
        self.query_one(UserBar).show(self.actor, self.ctx.now(), self.ctx.demo)
        page = self.query_one("#page", VerticalScroll)
        if self.query("#reply"):
            self.draft_text = self.query_one("#reply", TextArea).text
        await page.remove_children()
        head, form = page_lines(self.view)
        widgets = page_top(self.view, head)
        if not self.view.accepts_reply:
            await page.mount_all(widgets)
            page.focus()
            self._scroll_after_layout(scroll_to)
            return
        await page.mount_all([*widgets, *reply_form(form, self.draft_text)])
        self.show_attachments()
        self.query_one("#reply", TextArea).focus(scroll_visible=False)
        self._scroll_after_layout(scroll_to)

    def _scroll_after_layout(self, scroll_to: str) -> None:
        """Once the new page is laid out: show its top, the patient's own last message, or the form."""
        page = self.query_one("#page", VerticalScroll)

        def scroll() -> None:
            own = self.query(".earlier.-own")
            if scroll_to == "own" and own:
                page.scroll_to_widget(own.last(), animate=False, top=True)
            elif scroll_to == "form" and self.query("#reply-head"):
                self.show_form()
            else:
                page.scroll_home(animate=False)  # the patient reads the question first

        self.call_after_refresh(scroll)

    def show_form(self) -> None:
        """Scroll so the reply form starts at the top: the box and what is typed in it are seen.

        At 80x24 the question fills the screen and the box lies below the fold; the first key
        typed there brings it up, so nobody types into a box they cannot see.
        """
        page = self.query_one("#page", VerticalScroll)
        head = self.query("#reply-head")
        if not head:
            return
        reply = self.query_one("#reply", TextArea)
        if reply.region and page.region.contains_region(reply.region):
            return  # already in sight: do not make the page jump while typing
        page.scroll_to_widget(head.first(), animate=False, top=True)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id == "reply":
            self.show_form()

    def show_attachments(self) -> None:
        """List the chosen files with their verdicts, and those still being checked."""
        ol = self.query_one("#attachments", AttachmentList)
        ol.clear_options()
        for f in self.staged:
            if f.accepted:
                t = Text(f"✓ {f.name}", style="bold")
                t.append(f" · {f.kind} · {fmt_size(f.size)}")
            else:
                t = Text(f"✗ {f.name}", style="bold")
                t.append(f" – {f.reason}")
            ol.add_option(Option(t, id=f.id))
        for name in self.pending:
            state = "väntar på kontroll" if name in self.queued else "kontrolleras"
            ol.add_option(Option(Text(f"⏳ {name} – {state} …"), disabled=True))
        ol.display = bool(self.staged or self.pending)
        if self.staged:  # d always has a file to act on
            ol.highlighted = min(self._last_highlight, len(self.staged) - 1)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "send":
            self.action_send()
        elif event.button.id == "attach":
            self.action_attach()

    def why_not(self, action: str) -> Refusal | None:
        if action in ("send", "attach") and not self.view.accepts_reply:
            return Refusal(
                "Ärendet är avslutat och tar inte emot fler svar; kontakta mottagningen."
            )
        if action == "attach":
            accepted = [f for f in self.staged if f.accepted]  # refused ones go before sending
            chosen = len(accepted) + len(self.pending)
            return Refusal.of(routine.attach_blocker(chosen), rules=self.SHOW_RULES)
        return None

    def action_attach(self) -> None:
        if self.why_not("attach") is not None:  # the F3 button, pressed with five files chosen
            self.action_why("attach")
            return
        ctx = self.ctx  # where the picker opens is looked up off the UI thread (a folder test)
        self.run(lambda: api.picker_start(ctx), on_done=self._pick_from, policy=Policy.ONCE)

    def _pick_from(self, start: Path) -> None:
        from tui_app.ui.filepicker import FilePickerScreen, picker_roots

        picker = FilePickerScreen(start, confine=picker_roots(self.ctx))
        self.app.push_screen(picker, self._picked)

    def _picked(self, path: object) -> None:
        if not isinstance(path, Path):
            return
        name = api.display_name_for(path)  # the name _staged will report
        self.pending.append(name)
        self.show_attachments()

        def on_wait(waiting: bool) -> None:  # from the worker thread: the server's intake queue
            self.app.call_from_thread(self._queued, name, waiting)

        ctx = self.ctx
        self.run(
            lambda: api.stage_file(ctx, path, on_wait),
            on_done=self._staged,
            on_error=self._stage_failed,
        )

    def _queued(self, name: str, waiting: bool) -> None:
        (self.queued.add if waiting else self.queued.discard)(name)
        self.show_attachments()

    def _staged(self, staged: api.StagedToken) -> None:
        if staged.name in self.pending:
            self.pending.remove(staged.name)
        self.queued.discard(staged.name)
        self.staged.append(staged)
        self._last_highlight = len(self.staged) - 1
        self.show_attachments()
        self.query_one("#attachments", AttachmentList).scroll_visible()
        if staged.accepted:
            self.say(f"{staged.name} är kontrollerad och kan skickas.")
        else:
            self.query_one(StatusLine).show(f"{staged.name}: {staged.reason}", error=True)

    def _stage_failed(self, error: UserError) -> None:
        if self.pending:
            self.pending.pop(0)
            self.show_attachments()
        self.failed(error)

    def _reply_failed(self, error: UserError) -> None:
        self.failed(error)
        refused = [i for i, f in enumerate(self.staged) if not f.accepted]
        if refused:  # show the file to remove, ready for d
            ol = self.query_one("#attachments", AttachmentList)
            ol.focus()
            ol.highlighted = self._last_highlight = refused[0]
            ol.scroll_visible()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "attachments":
            self._last_highlight = event.option_index

    def on_attachment_list_remove(self, event: "AttachmentList.Remove") -> None:
        keep = [f for f in self.staged if f.id != event.token]
        ctx = self.ctx
        for f in self.staged:
            if f.id == event.token:
                gone = f  # deleted from staging off the UI thread; the list forgets it now
                self.run(lambda: api.discard_staged(ctx, gone), on_done=self._discarded)
                self.say(f"{f.name} är borttagen ur svaret.")
        self.staged = keep
        self.show_attachments()

    def _discarded(self, _: None) -> None:
        """Nothing to show: the status line said so when the file left the list."""

    def action_send(self) -> None:
        if self.pending:
            self.query_one(StatusLine).show(
                "Vänta tills alla filer är kontrollerade innan du skickar.", error=True
            )
            return
        text = self.query_one("#reply", TextArea).text
        ctx, actor, case_id, staged = self.ctx, self.actor, self.view.case_id, list(self.staged)
        self.run(
            lambda: api.patient_reply(ctx, actor, case_id, text, staged),
            on_done=self._replied,
            policy=Policy.ONCE,
            on_error=self._reply_failed,
        )

    def _replied(self, _message_id: int) -> None:
        self.draft_text = ""
        self.staged = []
        self.query_one("#reply", TextArea).text = ""
        self.say("Ditt svar är skickat.")
        ctx, actor, case_id = self.ctx, self.actor, self.view.case_id
        self.run(lambda: api.patient_open_case(ctx, actor, case_id), on_done=self._reloaded)

    async def _reloaded(self, view: CaseView) -> None:
        self.view = view
        await self.render_page(scroll_to="own")  # what was just sent is what the patient sees
        self.say("Ditt svar är skickat.")

    def action_back(self) -> None:
        self.app.pop_screen()
