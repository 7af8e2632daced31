"""`python -m tui_app` is the same as `tui-app`."""

import sys

from tui_app.cli import main

sys.exit(main())
