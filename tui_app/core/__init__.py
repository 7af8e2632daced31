"""Rules of the routine, ids, limits and the clock: pure Python, no I/O."""
