"""The light entry point of ``sundial step run``, taken by :func:`sundial.cli.main` before
the Typer app is imported.

Each step of a remote run is one process; Typer, Click and Rich are about a third of what
that process imports besides SQLAlchemy, and nothing of them is needed to run a step. The
options are those of the Typer command (``sundial step run --help`` shows them, through Typer).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sundial step run", add_help=False)
    parser.add_argument("step")
    parser.add_argument("--run-id")
    parser.add_argument("--version-id", type=int)
    parser.add_argument("--external-id")
    parser.add_argument("--params", default="{}")
    parser.add_argument("--nominal", type=datetime.fromisoformat)
    parser.add_argument("--orchestrator", default="external")
    parser.add_argument("--schedule-id")
    parser.add_argument("--nominal-from-job")
    args = parser.parse_args(argv)  # a usage error exits 2, as Typer's do
    from sundial.cli.step_core import step_command
    from sundial.errors import SundialError
    from sundial.lifelong import import_lifelong

    # This process runs one step and exits: what step_command imports (SQLAlchemy, the store)
    # lives until then, so the collector need not make or walk it (see sundial/lifelong.py).
    import_lifelong("sundial.engine.step_runner", "sundial.engine.artifacts",
                    "sundial.store.store", freeze=True)
    try:
        print(step_command(args.step, run_id=args.run_id, version_id=args.version_id,
                           external_id=args.external_id, params=args.params,
                           nominal=args.nominal, orchestrator=args.orchestrator,
                           schedule_id=args.schedule_id,
                           nominal_from_job=args.nominal_from_job), flush=True)
    except SundialError as err:
        print(f"Error: {err.headline}", file=sys.stderr)
        fix = err.cli_fix or err.fix
        if fix:
            print(f"Fix: {fix}", file=sys.stderr)
        return err.exit_code
    return 0
