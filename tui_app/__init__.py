"""tui_app: the routine "Skicka in filer via 1177 e-tjänster" as a keyboard-first terminal app."""

__version__ = "0.1.0"
