"""Named points where a test may kill the process (SIGKILL), to prove what a crash leaves.

Tests set TUI_APP_KILLPOINT=<name> in a subprocess; production never sets it. The check is one
environment lookup, so the points can stay in the code paths they guard.
"""

from __future__ import annotations

import os
import signal


def killpoint(name: str) -> None:
    """Die at once, as kill -9 would, when the test asked for this point."""
    if os.environ.get("TUI_APP_KILLPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
