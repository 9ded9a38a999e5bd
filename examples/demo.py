"""What `make demo` runs: the example pipeline on the embedded defaults (SQLite, local files)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from training import training

from sundial.cli.runs import print_run
from sundial.config import Settings


def main() -> None:
    settings = Settings.from_env()
    print(f"sundial home: {settings.home}  (database {settings.database_url})")
    run = training(lr=0.2)
    print_run(run.record)
    print(f"Artifacts of this run are under {settings.artifact_uri}/{run.id}/")
    print(f"Load one back: Client().get_run('{run.id[:8]}').steps['train'].output.load()")


if __name__ == "__main__":
    main()
