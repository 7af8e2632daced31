"""Names the outside world accepts, checked where they are read and where they are used."""

from __future__ import annotations

import re

#: A CUPS queue name as `lp -d` takes it: no blanks, slashes, '#' or quotes, not an option.
PRINTER_NAME = re.compile(r"[^\s/\\#'\"-][^\s/\\#'\"]{0,126}")
