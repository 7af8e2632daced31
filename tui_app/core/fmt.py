"""Numbers as Swedish staff read them."""

from __future__ import annotations


def fmt_size(n: int) -> str:
    """A file size in Swedish style: 512 B, 94 kB, 1,2 MB."""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} kB"
    return f"{n / 1024 / 1024:.1f} MB".replace(".", ",")
