"""The outside world: Downloads and Trash folders, Picsara's import folder, E-arkiv printing.

Each adapter is pure file/process I/O: no Textual, no database (the services layer records what
happened). Heavy libraries (Pillow, pikepdf, pypdfium2, pydicom, reportlab) are imported inside the
functions that use them, so importing this package stays cheap. Every failure a user can see is an
`AdapterError` with a plain-Swedish message.
"""

from tui_app.adapters.errors import AdapterError

__all__ = ["AdapterError"]
