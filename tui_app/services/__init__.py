"""The use cases of the routine; each runs headless, with its own short database session.

This package itself imports nothing heavy: the start-up path (tui_app.services.quickstart)
builds the first inbox without SQLAlchemy. Every module here that touches the database
imports tui_app.store.db, which loads the data layer once (see there).
"""
