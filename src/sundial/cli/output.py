"""Shared output helpers for CLI commands: consoles, JSON printing, error headlines."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape

from sundial.errors import SundialError

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)


def print_error(err: SundialError) -> None:
    """Print the error's headline and its fix on stderr (no traceback)."""
    err_console.print(f"[bold red]Error:[/] {escape(err.headline)}", markup=True, soft_wrap=True)
    fix = err.cli_fix or err.fix  # the command line's own words when the error has them
    if fix:
        err_console.print(f"[bold]Fix:[/] {escape(fix)}", markup=True, soft_wrap=True)


def print_json(data: Any, *, compact: bool = False) -> None:
    """Print ``data`` as JSON on stdout, unstyled, so scripts can parse it; ``compact`` puts
    it on one line."""
    sys.stdout.write(json.dumps(data, indent=None if compact else 2, default=str) + "\n")
