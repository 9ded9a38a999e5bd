"""``sundial orchestrator list``: the backends and what each honours natively."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sundial.cli.output import console, print_json

orchestrator_app = typer.Typer(help="Orchestrator backends.", no_args_is_help=True)


@orchestrator_app.command("list")
def list_(
    names: Annotated[list[str] | None, typer.Argument(
        help="only these backends (all by default); one or two fit a narrow terminal")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Each backend with its capability matrix (native / sundial mode / refused)."""
    from sundial.errors import NotFoundError
    from sundial.orchestrators.base import SCHEDULE_FEATURES
    from sundial.orchestrators.matrix import matrix

    rows = matrix()
    if names:
        known = [r["name"] for r in rows]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise NotFoundError(f"no orchestrator named '{unknown[0]}'",
                                f"use one of: {', '.join(known)}")
        rows = [r for r in rows if r["name"] in names]
    if as_json:
        print_json(rows)
        return
    table = Table("feature", *(r["name"] for r in rows))
    style = {"native": "green", "sundial": "yellow", "refused": "red"}
    for feature in SCHEDULE_FEATURES:
        cells = []
        for r in rows:
            cap = r["capabilities"].get(feature, "?")
            mark = "¹" if feature in r.get("conditions", {}) else ""
            cells.append(f"[{style.get(cap, 'white')}]{cap}{mark}[/]")
        table.add_row(feature, *cells)
    console.print(table)
    for r in rows:
        for feature, condition in r.get("conditions", {}).items():
            console.print(f"¹ {r['name']}: {feature} native {condition}", markup=False)
        for feature, text in r.get("defaults", {}).items():
            console.print(f"  {r['name']}: {feature} left at its default: {text}", markup=False)
    for r in rows:
        if not r["installed"]:
            console.print(f"{r['name']}: not installed ({r['fix']})")
