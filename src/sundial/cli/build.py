"""``sundial build TARGET``: the container image that runs a pipeline's steps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sundial.cli.output import console


def build(
    target: Annotated[str, typer.Argument(help="path/to/file.py:pipeline or module:pipeline")],
    base: Annotated[str | None, typer.Option(
        "--base", help="base image with python3 and venv (default: python:3.11-slim)")] = None,
    tag: Annotated[str | None, typer.Option(
        "--tag", help="image tag (default: localhost/sundial-PIPELINE:CONTENT_HASH)")] = None,
    project: Annotated[Path | None, typer.Option(
        "--project", help="folder to copy (default: the target file's folder)")] = None,
    requirements: Annotated[Path | None, typer.Option(
        "--requirements", "-r", help="a requirements.txt the steps need")] = None,
    wheels: Annotated[Path | None, typer.Option(
        "--wheels", help="install from this folder of wheels, not the package index")] = None,
    engine: Annotated[str, typer.Option(
        "--engine", help="auto (podman, else a docker engine that answers), podman, docker")
    ] = "auto",
) -> None:
    """Build (or find, when nothing changed) the image whose entrypoint is `sundial step run`."""
    from sundial.engine.loader import load_pipeline
    from sundial.images import DEFAULT_BASE, build_image, find_engine, plan_build

    pipeline = load_pipeline(target)
    plan = plan_build(target, base=base or DEFAULT_BASE, tag=tag, project_dir=project,
                      requirements=requirements, pipeline_name=pipeline.name)
    result = build_image(plan, find_engine(engine), wheels=wheels)
    console.print(f"{'Built' if result.built else 'Up to date:'} {result.tag}")
