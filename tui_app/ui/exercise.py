"""Classroom mode in the app: the exercise's step list (F6), ticked from the demo's stored facts.

The app of a classroom demo (`ClassroomApp`, built by ui.app.build_app when the context has a
classroom seat) opens on the step list, reads the facts again every few seconds in a thread
(tui_app.classroom.exercise), writes them where the trainer's page reads them, and follows the
classroom's shared clock: when the trainer moves it, the screen reloads what it shows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_app.ui.app import TuiApp

if TYPE_CHECKING:
    from tui_app.classroom.room import Trainee
    from tui_app.services.api import Actor
    from tui_app.classroom.exercise import Step

POLL_SECONDS = 2.0
TITLE = "Övning: Skicka in filer via 1177 e-tjänster"
INTRO = (
    "Gör stegen i ordning. Varje steg bockas av när demon har sparat att det är gjort. "
    "Logga in som Daniel Andersson (personal), som patienten du skickade till, eller som "
    "Lena (administratör); x loggar ut."
)


def render_steps(steps: list[Step]) -> Text:
    """The step list: ✓ done, ○ not yet (a symbol, never colour alone)."""
    out = Text()
    for n, step in enumerate(steps, 1):
        mark = "✓" if step.done else "○"
        out.append(f"{mark} {n}. {step.text}\n", style="bold" if step.done else "")
    done = sum(s.done for s in steps)
    out.append(f"Klart: {done} av {len(steps)}" + (" – bra jobbat!" if done == len(steps) else ""))
    return out


class ExerciseList(Static):
    """The exercise's steps with their ticks (given, never loaded here)."""

    DEFAULT_CSS = "ExerciseList { height: auto; }"

    def show(self, steps: list[Step]) -> None:
        """Draw these steps."""
        self.update(render_steps(steps))


class ExerciseScreen(ModalScreen[None]):
    """Övningen: stegen och vilka som är gjorda; Esc eller F6 stänger."""

    BINDINGS = [
        Binding("escape,f6", "close", "Stäng", id="exercise_close"),
    ]
    DEFAULT_CSS = """
    ExerciseScreen { align: center middle; }
    ExerciseScreen > Vertical { width: 76; height: auto; max-height: 22; border: thick $primary;
        background: $surface; padding: 0 1; }
    ExerciseScreen #exercise-intro { height: auto; margin-bottom: 1; }
    """

    def __init__(self, steps: list[Step]) -> None:
        super().__init__()
        self.steps = steps

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(TITLE, style="bold"))
            yield Static(Text(INTRO), id="exercise-intro")
            yield ExerciseList(id="exercise-steps")
            yield Static(Text("F6 visar listan igen · Esc stänger", style="dim"))

    def on_mount(self) -> None:
        self.query_one(ExerciseList).show(self.steps)

    def action_close(self) -> None:
        self.dismiss(None)


class ClassroomApp(TuiApp):
    """The demo app of one trainee in a classroom."""

    BINDINGS = [Binding("f6", "exercise", "Övning", id="exercise")]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from tui_app.classroom.exercise import Facts, steps

        self.steps: list[Step] = steps(Facts())
        self._shared: timedelta | None = None

    @property
    def trainee(self) -> Trainee:
        """This demo's classroom seat."""
        from tui_app.classroom.room import Trainee

        seat = self.ctx.classroom
        assert isinstance(seat, Trainee)
        return seat

    def on_mount(self) -> None:
        # TuiApp.on_mount runs too (Textual calls every class's handler); the step list goes
        # over the sign-in picker once that one is pushed.
        self.call_after_refresh(self.action_exercise)
        self.set_interval(POLL_SECONDS, self.poll)
        self.poll()

    def sign_in(self, actor: Actor) -> None:
        # The trainer's table shows who is signed in: written now, not at the next poll.
        super().sign_in(actor)
        self.poll()

    def sign_out(self) -> None:
        super().sign_out()
        self.poll()

    def action_exercise(self) -> None:
        """F6: show the step list (or close it)."""
        if isinstance(self.screen, ExerciseScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(ExerciseScreen(self.steps))

    @work(thread=True, exclusive=True, exit_on_error=False, group="exercise")
    def poll(self) -> None:
        """Read the facts, write the progress for the trainer, and tell the UI (a thread).
        A failure is logged and the next poll tries again: the exercise never stops a demo."""
        try:
            now, shared = self._read_progress()
        except Exception:
            import logging

            logging.getLogger("tui_app.ui.exercise").exception("exercise progress failed")
            return
        self.call_from_thread(self._progress, now, shared)

    def _read_progress(self) -> tuple[list[Step], timedelta]:
        from tui_app.classroom.exercise import record_progress

        return record_progress(self.ctx, self.trainee, self.actor)

    def _progress(self, now: list[Step], shared: timedelta) -> None:
        ticked = [n for n, o in zip(now, self.steps) if n.done and not o.done]
        self.steps = now
        for step in ticked:
            self.notify(f"✓ Klart: {step.text}", title="Övning", timeout=6)
        if isinstance(self.screen, ExerciseScreen):
            self.screen.query_one(ExerciseList).show(now)
        moved = self._shared is not None and shared != self._shared
        self._shared = shared
        if moved:
            self.notify("Läraren flyttade klockan framåt.", title="Övning", timeout=6)
            refresh = getattr(self.screen, "action_refresh", None)
            if callable(refresh):
                refresh()
