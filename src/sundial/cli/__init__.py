"""The ``sundial`` command line (Typer + Rich)."""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point: user errors print a headline and the fix, exit 2, and no traceback."""
    import click

    from sundial.cli.app import app
    from sundial.errors import SundialError

    try:
        rc = app(standalone_mode=False)
    except SundialError as err:
        from sundial.cli.output import print_error

        print_error(err)
        sys.exit(err.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    sys.exit(rc if isinstance(rc, int) else 0)
