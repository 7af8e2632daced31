"""Every numeric limit of the routine, defined once (SPEC.md R07, R08, R10, R23)."""

from __future__ import annotations

from datetime import timedelta

#: R08: at most this many files in one message from the patient.
MAX_FILES_PER_MESSAGE = 5

#: R10: at most this many bytes per file (20 MB, as 1177 counts it: MiB).
MAX_FILE_BYTES = 20 * 1024 * 1024

#: R07: the case accepts the patient's messages this long after sending.
REPLY_WINDOW = timedelta(hours=48)

#: R23: cases are kept this long, then removed with their files.
RETENTION = timedelta(days=730)

#: The access log outlives the cases (PDL): kept five years.
AUDIT_RETENTION = timedelta(days=5 * 365 + 1)

#: A message from staff or patient may be at most this many characters.
MAX_MESSAGE_CHARS = 4000

#: Intake: pixel limit per frame; larger is a decompression bomb, refused.
MAX_PIXELS_PER_FRAME = 50_000_000

#: Intake: limit on frames x pixels summed over an animated image.
MAX_TOTAL_PIXELS = 200_000_000

#: Intake: a PDF with more pages than this is refused as absurd.
MAX_PDF_PAGES = 500

#: The inbox shows at most this many cases, newest first (search finds the older ones).
INBOX_LIMIT = 300
