"""The 1177 administrator: activate units, install the template, Picsara permission, care relations."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from tui_app.core.pnr import parse_pnr
from tui_app.core.safetext import visible_text
from tui_app.services import api
from tui_app.services.api import UnitInfo
from tui_app.ui.base import AppScreen, Policy, StatusLine
from tui_app.ui.dialogs import AskDialog, ChooseDialog, ConfirmDialog
from tui_app.ui.widgets import MarkedTable, UserBar, app_footer


def yes_no(value: bool) -> Text:
    """A flag in words and symbol."""
    return Text("✓ ja" if value else "✗ nej", style="bold" if value else "")


class AdminScreen(AppScreen):
    """Administration 1177 e-tjänster."""

    HELP_TITLE = "Administration 1177 e-tjänster"
    HELP = (
        "Enheter: a aktiverar/avaktiverar enheten för 1177 (R01), m lägger upp/tar bort "
        "mallen (R02), v lägger till en vårdrelation (R04). Personal: p ger/tar Picsara-"
        "behörighet (R15), e väljer personens enheter (en enhet som tas bort syns inte "
        "längre för personen, genast; R05), d avaktiverar/aktiverar kontot (avaktiverad "
        "personal nekas vid inloggning och vid nästa åtgärd). Allt loggas. l öppnar "
        "åtkomstloggen (logguppföljning). Tab byter tabell."
    )
    BINDINGS = [
        Binding("a", "toggle_unit('activated_1177')", "1177 på/av", id="admin_activate"),
        Binding("m", "toggle_unit('template_installed')", "Mall", id="admin_template"),
        Binding("v", "care_relation", "Relation", id="admin_relation"),
        Binding("p", "toggle_picsara", "Picsara", id="admin_picsara"),
        # Not in the footer (80 columns are full); the heading, F1 and F10 show them.
        Binding("e", "memberships", "Personens enheter", id="admin_memberships", show=False),
        Binding("d", "toggle_active", "Aktivera/avaktivera konto", id="admin_active", show=False),
        Binding("l", "audit", "Logg", id="admin_audit"),
        Binding("x", "sign_out", "Logga ut", id="sign_out"),
        Binding("q", "app.quit", "Avsluta", id="quit"),
    ]

    def compose(self) -> ComposeResult:
        yield UserBar()
        yield Static(Text("Enheter", style="bold"))
        yield MarkedTable(id="units", cursor_type="row")  # ▶ on the highlighted row
        heading = Text("Personal", style="bold")
        heading.append("  (e enheter · d avaktivera/aktivera)", style="dim")
        yield Static(heading)
        yield MarkedTable(id="staff", cursor_type="row")
        yield StatusLine()
        yield app_footer()

    def on_mount(self) -> None:
        self.query_one(UserBar).show(self.actor, self.ctx.now(), self.ctx.demo)
        u = self.query_one("#units", DataTable)
        u.add_column("  Enhet", width=42)  # ▶ and a blank in front
        u.add_column("1177", width=6)
        u.add_column("Mall", width=6)
        s = self.query_one("#staff", DataTable)
        s.add_column("  Namn", width=34)  # ▶ and a blank in front of the name
        s.add_column("Konto", width=10)
        s.add_column("Picsara", width=7)
        s.add_column("Aktiv", width=5)
        s.add_column("Enheter", width=11)  # all of them: e
        self.unit_rows: list[UnitInfo] = []
        self.staff_list: list[api.StaffRow] = []
        self.reload()
        u.focus()

    def reload(self) -> None:
        ctx = self.ctx
        self.run(lambda: api.units(ctx), on_done=self._units)
        self.run(lambda: api.staff_rows(ctx), on_done=self._staff_listed)

    def _changed_by(self, change: Callable[[api.Context, api.Actor], object]) -> None:
        """Run one change of the administrator's (logged by the use case), then reload."""
        ctx, actor = self.ctx, self.actor
        self.run(lambda: change(ctx, actor), on_done=self._changed, policy=Policy.ONCE)

    def _units(self, rows: list[UnitInfo]) -> None:
        self.unit_rows = rows
        t = self.query_one("#units", DataTable)
        keep = t.cursor_row
        t.clear()
        for r in rows:
            t.add_row(
                Text(visible_text(r.name)), yes_no(r.activated_1177), yes_no(r.template_installed)
            )
        if rows:
            t.move_cursor(row=min(keep, len(rows) - 1))
        if self.staff_list:  # the staff table names units by code: redraw with these
            self._staff_listed(self.staff_list)

    def _staff_listed(self, rows: list[api.StaffRow]) -> None:
        self.staff_list = rows
        t = self.query_one("#staff", DataTable)
        keep = t.cursor_row
        t.clear()
        codes = {u.id: u.code for u in self.unit_rows}
        for r in rows:
            kind = "GK-konto" if r.shared_account else ("Admin" if r.is_admin else "Personligt")
            units = ", ".join(codes.get(i, "?") for i in r.unit_ids) or "–"
            t.add_row(
                Text(visible_text(f"{r.name} ({r.login})"), no_wrap=True, overflow="ellipsis"),
                Text(kind),
                yes_no(r.picsara_permission),
                yes_no(r.active),
                Text(visible_text(units), no_wrap=True, overflow="ellipsis"),
            )
        if rows:
            t.move_cursor(row=min(keep, len(rows) - 1))

    def _unit(self) -> UnitInfo | None:
        t = self.query_one("#units", DataTable)
        return self.unit_rows[t.cursor_row] if self.unit_rows else None

    def action_toggle_unit(self, flag: str) -> None:
        unit = self._unit()
        if unit is not None:
            value = not getattr(unit, flag)
            self._changed_by(lambda ctx, a: api.set_unit_flag(ctx, a, unit.id, flag, value))

    def action_toggle_picsara(self) -> None:
        t = self.query_one("#staff", DataTable)
        if self.staff_list:
            r = self.staff_list[t.cursor_row]
            value = not r.picsara_permission
            self._changed_by(lambda ctx, a: api.set_picsara_permission(ctx, a, r.id, value))

    def _staff(self) -> api.StaffRow | None:
        t = self.query_one("#staff", DataTable)
        return self.staff_list[t.cursor_row] if self.staff_list else None

    def action_toggle_active(self) -> None:
        r = self._staff()
        if r is None:
            return
        if not r.active:
            self._changed_by(lambda ctx, a: api.set_active(ctx, a, r.id, True))
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._changed_by(lambda ctx, a: api.set_active(ctx, a, r.id, False))

        self.app.push_screen(
            ConfirmDialog(
                f"Avaktivera {r.name} ({r.login})? Personen kan inte längre logga in, och en "
                "pågående session nekas vid nästa åtgärd."
            ),
            answer,
        )

    def action_memberships(self) -> None:
        r = self._staff()
        if r is None or not self.unit_rows:
            return
        mine = set(r.unit_ids)

        def chosen(ids: set[int] | None) -> None:
            if ids is not None:
                self._changed_by(lambda ctx, a: api.set_memberships(ctx, a, r.id, ids))

        self.app.push_screen(
            ChooseDialog(
                f"Enheter för {r.name} ({r.login})",
                "Personen ser och arbetar med ärenden på de valda enheterna (R05):",
                [(u.name, u.id, u.id in mine) for u in self.unit_rows],
            ),
            chosen,
        )

    def _changed(self, _value: object) -> None:
        self.say("Ändringen är sparad och loggad.")
        self.reload()

    def action_care_relation(self) -> None:
        unit = self._unit()
        if unit is None:
            return

        def chosen(text: str | None) -> None:
            if text:
                ctx, actor = self.ctx, self.actor
                self.run(
                    lambda: api.add_care_relation(ctx, actor, unit.id, text),
                    on_done=self._related,
                    policy=Policy.ONCE,
                )

        self.app.push_screen(
            AskDialog(
                "Lägg till vårdrelation",
                f"Personnummer för patient med vårdrelation till {unit.name}:",
                placeholder="ÅÅÅÅMMDD-NNNN",
                check=parse_pnr,
            ),
            chosen,
        )

    def _related(self, name: str) -> None:
        self.say(f"Vårdrelation tillagd för {name}.")

    def action_audit(self) -> None:
        from tui_app.ui.screens.auditlog import AuditScreen

        self.app.push_screen(AuditScreen(self.ctx, self.actor))

    def action_sign_out(self) -> None:
        self.tui.sign_out()
