"""Small dialogs: ask for a line of text, tick choices, confirm, and F1 help for the screen."""

from __future__ import annotations

import logging
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui_app.core.errors import UserError

log = logging.getLogger("tui_app.ui")


class AskDialog(ModalScreen[str | None]):
    """Ask for one line; Enter gives it back, Esc cancels. An optional check refuses bad input."""

    BINDINGS = [Binding("escape", "cancel", "Avbryt", id="dialog_cancel")]

    def __init__(
        self,
        title: str,
        prompt: str,
        *,
        placeholder: str = "",
        value: str = "",
        check: Callable[[str], object] | None = None,
    ) -> None:
        super().__init__()
        self.title_text, self.prompt, self.placeholder, self.value = (
            title,
            prompt,
            placeholder,
            value,
        )
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            yield Static(Text(self.prompt))
            yield Input(value=self.value, placeholder=self.placeholder, id="answer")
            yield Static("", id="dialog-error")
            yield Static(Text("Enter = OK · Esc = Avbryt", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.check is not None:
            try:
                self.check(event.value)
            except UserError as exc:
                self.query_one("#dialog-error", Static).update(Text("✗ " + exc.message))
                return
            except Exception:  # a check that fails on odd input must not end the app
                log.exception("dialog check failed on %r", event.value[:40])
                self.query_one("#dialog-error", Static).update(
                    Text("✗ Det du skrev kunde inte tolkas. Kontrollera det och försök igen.")
                )
                return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChooseDialog(ModalScreen["set[int] | None"]):
    """Tick any number of choices: Space ticks/unticks, F2 saves, Esc cancels. Each line says
    [✓] or [ ] in text, so the choice shows without colour (NO_COLOR)."""

    BINDINGS = [
        Binding("space,enter", "toggle_choice", "Välj/ta bort", id="choose_toggle"),
        Binding("f2", "save", "Spara", id="choose_save"),
        Binding("escape", "cancel", "Avbryt", id="dialog_cancel"),
    ]

    def __init__(self, title: str, prompt: str, choices: list[tuple[str, int, bool]]) -> None:
        super().__init__()
        self.title_text, self.prompt = title, prompt
        self.labels = [(label, value) for label, value, _ in choices]
        self.selected = {value for _, value, on in choices if on}

    def _line(self, label: str, value: int) -> Text:
        return Text(("[✓] " if value in self.selected else "[ ] ") + label)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            yield Static(Text(self.prompt))
            yield OptionList(
                *[Option(self._line(label, value), id=str(value)) for label, value in self.labels],
                id="choices",
            )
            yield Static(Text("Mellanslag = välj/ta bort · F2 = Spara · Esc = Avbryt", style="dim"))

    def on_mount(self) -> None:
        choices = self.query_one("#choices", OptionList)
        choices.highlighted = 0 if self.labels else None
        choices.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()  # Enter on a line: the same as Space
        self.action_toggle_choice()

    def action_toggle_choice(self) -> None:
        choices = self.query_one("#choices", OptionList)
        index = choices.highlighted
        if index is None:
            return
        label, value = self.labels[index]
        self.selected ^= {value}
        choices.replace_option_prompt_at_index(index, self._line(label, value))

    def action_save(self) -> None:
        self.dismiss(set(self.selected))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """Yes or no: j/Enter = ja, n/Esc = nej."""

    BINDINGS = [
        Binding("j,enter", "answer(True)", "Ja", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "Nej", id="confirm_no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question))
            yield Static(Text("j = Ja · n = Nej", style="bold"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class HelpScreen(ModalScreen[None]):
    """F1: what this screen is for and every key that works here now."""

    BINDINGS = [Binding("escape,f1,q", "close", "Stäng", id="help_close")]

    def __init__(self, title: str, help_text: str, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.help_title, self.help_text, self.keys = title, help_text, keys

    def compose(self) -> ComposeResult:
        body = Text()
        body.append(self.help_title + "\n\n", style="bold")
        if self.help_text:
            body.append(self.help_text.strip() + "\n\n")
        body.append("Tangenter här:\n", style="bold")
        for key, desc in self.keys:
            body.append(f"  {key:<10} {desc}\n")
        body.append("\n  F1         Hjälp (den här rutan)\n  F10        Kommandon för skärmen\n")
        with VerticalScroll(classes="dialog help"):
            yield Static(body)
            yield Static(Text("Esc stänger", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
