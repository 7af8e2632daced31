"""The use cases of the routine; each runs headless, with its own short database session."""
