"""Classroom mode: `tui-app classroom` serves the demo to browsers, one fresh demo per trainee.

Nothing here is imported by the normal start-up path: the server side (server.py) needs
textual-serve and aiohttp (the `classroom` extra); the rest (room, exercise, child) is plain
Python over the services and store layers.
"""
