"""Sizes that tell where the code has grown: modules over 400 lines, functions over 60 lines.

    python bench/sizes.py [folder ...]      (default: tui_app)

A module's size is its number of lines; a function's runs from its `def` line to its last
line (nested functions are counted on their own as well). Prints each one over the limit,
largest first, and a summary line per kind that a note can quote.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE_LINES = 400
FUNCTION_LINES = 60


def sizes(folders: list[Path]) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(lines, module) over MODULE_LINES and (lines, module:line name) over FUNCTION_LINES."""
    modules: list[tuple[int, str]] = []
    functions: list[tuple[int, str]] = []
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
            lines = len(text.splitlines())
            if lines > MODULE_LINES:
                modules.append((lines, name))
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > FUNCTION_LINES:
                        functions.append((length, f"{name}:{node.lineno} {node.name}"))
    return sorted(modules, reverse=True), sorted(functions, reverse=True)


def main(argv: list[str]) -> int:
    folders = [Path(a).resolve() for a in argv] or [ROOT / "tui_app"]
    modules, functions = sizes(folders)
    for lines, name in modules:
        print(f"module   {lines:5d}  {name}")
    for lines, name in functions:
        print(f"function {lines:5d}  {name}")
    print(f"modules over {MODULE_LINES} lines: {len(modules)}")
    print(f"functions over {FUNCTION_LINES} lines: {len(functions)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
