"""The operator's commands: `doctor` (is the installation ready), `backup` and `restore`.

The checks and copies here return results and never print; `ops.cli` prints them for the CLI.
"""
