"""``sundial db upgrade``: bring the metadata store's schema to this version of sundial."""

from __future__ import annotations

import typer

from sundial.cli.output import console

db_app = typer.Typer(help="Manage the metadata store.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Run the database migrations up to the newest revision."""
    from sundial.config import Settings
    from sundial.store.store import Store

    store = Store(Settings.from_env().database_url, upgrade=False)
    store.upgrade()
    console.print(f"Database {store.safe_url} is at revision {store.schema_revision()}.")


@db_app.command("revision")
def revision() -> None:
    """Print the schema revision of the database."""
    from sundial.config import Settings
    from sundial.store.store import Store

    store = Store(Settings.from_env().database_url, upgrade=False)
    console.print(store.schema_revision() or "(empty)")
