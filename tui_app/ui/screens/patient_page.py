"""The parts of the patient's case page (1177): its texts, the widgets it is laid out from,
and the list of chosen files. PatientCaseScreen (screens/patient.py) puts them together."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, OptionList, Static, TextArea

from tui_app.core import template
from tui_app.core.clock import fmt_date, fmt_datetime
from tui_app.core.safetext import visible_lines, visible_text
from tui_app.services.api import CaseView


class AttachmentList(OptionList):
    """The chosen files; d or Delete removes the highlighted one."""

    BINDINGS = [Binding("d,delete", "remove", "Ta bort fil", id="remove_file")]

    class Remove(Message):
        """The patient removes a chosen file."""

        def __init__(self, token: str) -> None:
            super().__init__()
            self.token = token

    def action_remove(self) -> None:
        if self.highlighted is not None:
            opt = self.get_option_at_index(self.highlighted)
            if opt.id:
                self.post_message(self.Remove(opt.id))


def page_lines(view: CaseView) -> tuple[list[str], list[str]]:
    """The texts above and below the reply box, exactly in 1177's words and order (SPEC.md)."""
    q = view.question
    head = template.patient_header(view.unit_name) + [""]
    head += template.question_block(q.body, q.author, fmt_date(q.sent_at), fmt_datetime(q.sent_at))
    return head, template.reply_block()


def page_top(view: CaseView, head: list[str]) -> list[Widget]:
    """The closed notice (if closed), the question, and the messages after it."""
    widgets: list[Widget] = []
    if not view.accepts_reply:  # said first, where the page opens, not below the fold
        widgets.append(
            Static(
                Text(
                    f"Ärendet är avslutat sedan {fmt_datetime(view.deadline)} och tar inte emot "
                    "fler svar. Kontakta mottagningen om du behöver skicka något mer.",
                    style="bold",
                ),
                id="closed-note",
            )
        )
    widgets.append(
        Static(Text(visible_lines("\n".join(head))), id="page-head", classes="page-text")
    )
    for m in view.messages[1:]:
        widgets.append(
            Static(
                Text(
                    f"{'Ditt svar' if m.from_patient else visible_text(m.author)} · "
                    f"{fmt_datetime(m.sent_at)}\n{visible_lines(m.body)}"
                    + "".join(f"\n📎 {f.display_name}" for f in m.files)
                ),
                classes="earlier" + (" -own" if m.from_patient else ""),
            )
        )
    return widgets


def reply_form(form: list[str], draft_text: str) -> list[Widget]:
    """The reply form under the page, with the text already typed."""
    widgets: list[Widget] = []
    # The reply form, in 1177's order: Svara, the box, help, BIFOGA FILER, warning, SKICKA.
    # Tighter than the page around it, so the whole form (Svara … SKICKA) fits in the 21
    # rows an 80x24 terminal leaves for the page.
    head_w = Static(Text(form[0], style="bold"), id="reply-head", classes="page-text")
    head_w.styles.margin = 0
    reply = TextArea(draft_text, id="reply", soft_wrap=True)
    reply.styles.height = 5
    warning = Static(Text(form[6]), id="reply-warning", classes="page-text")
    warning.styles.margin = 0
    widgets.append(head_w)
    widgets.append(reply)
    widgets.append(Static(Text(form[2]), classes="page-text"))
    widgets.append(Button(template.BUTTON_ATTACH, id="attach"))
    widgets.append(AttachmentList(id="attachments"))
    widgets.append(warning)
    widgets.append(Button(template.BUTTON_SEND, id="send", variant="primary"))
    return widgets
