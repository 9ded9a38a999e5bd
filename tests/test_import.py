"""`import sundial` stays light: no backend SDK, no store, no data libraries."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["kubernetes", "kfp", "airflow", "google.cloud", "fastapi", "pandas", "numpy",
         "sqlalchemy", "alembic", "fsspec", "typer"]


def test_import_sundial_pulls_in_no_optional_backend() -> None:
    code = ("import sys, json, sundial; "
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == []


def test_public_names() -> None:
    import sundial
    from sundial import Client, Schedule, pipeline, step
    from sundial.schedule import Schedule as Schedule2

    assert Schedule is Schedule2
    assert callable(step) and callable(pipeline) and Client is sundial.Client
