"""The CLI's verbs, one module per family; tui_app.cli parses the arguments and dispatches here.

Each verb is a function `(args, settings) -> exit status` listed in cli.VERBS. Printing and
argument handling live here; the services they call return data.
"""
