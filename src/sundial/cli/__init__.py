"""The ``sundial`` command line (Typer + Rich)."""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point: user errors print a headline and the fix, exit 2, and no traceback."""
    from sundial.cli.app import app
    from sundial.errors import SundialError

    try:
        app()  # standalone: Typer handles usage errors and exits itself
    except SundialError as err:
        from sundial.cli.output import print_error

        print_error(err)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
