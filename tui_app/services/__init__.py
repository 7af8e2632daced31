"""The use cases of the routine; each runs headless, with its own short database session."""

import gc

# Every use case needs the tables, and so SQLAlchemy, pydantic and SQLModel. Importing them
# and mapping the tables creates ~100k objects that live as long as the process; the cyclic
# collector would walk them over and over while they are being created (~65 ms of every
# start). So that import runs here, once, with the collector paused, and what exists then is
# frozen: later collections skip it. (It leaves ~600 small unreachable objects, ~0.2 MB,
# uncollected for good; gc.collect() first would cost more than the pause saves.)
_collecting = gc.isenabled()
gc.disable()
try:
    import tui_app.store.models  # noqa: F401
finally:
    gc.freeze()
    if _collecting:
        gc.enable()
