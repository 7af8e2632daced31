"""Kill points: crash tests name a step, and the process dies there as if the power went out.

`TUI_APP_KILLPOINT=picsara.staged` makes `killpoint("picsara.staged")` send SIGKILL to the
process itself: no clean-up, no `finally`, no commit. Unset (always, in production) it costs
one dictionary lookup.
"""

from __future__ import annotations

import os
import signal


def killpoint(name: str) -> None:
    """Die here, by SIGKILL, when TUI_APP_KILLPOINT names this point."""
    if os.environ.get("TUI_APP_KILLPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
