"""The ``sundial`` command line (Typer + Rich)."""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point: user errors print a headline and the fix, exit 2, and no traceback."""
    args = sys.argv[1:]
    if args[:2] == ["step", "run"] and not {"--help", "-h"} & set(args):
        from sundial.cli.step_fast import main as step_run  # the per-step entry point: light

        sys.exit(step_run(args[2:]))
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
