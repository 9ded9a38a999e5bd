"""``sundial deploy github_actions``: write a pipeline's workflow into a checkout.

With a schedule, this registers it in sundial as a native schedule of the github_actions
backend (so ``sundial schedule pause/resume/trigger/backfill/delete`` act on the workflow
through GitHub's API, and the runs GitHub makes count as its ticks) and writes the file; with
none, it writes a workflow that runs only when dispatched. Either way the file is written
atomically, and never over another schedule's workflow unless ``replace`` is set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sundial.errors import AlreadyExistsError
from sundial.orchestrators.github_actions.orchestrator import (
    _owner,
    checkout_path,
    write_atomic,
)
from sundial.orchestrators.github_actions.settings import GithubActionsSettings
from sundial.orchestrators.github_actions.workflow import (
    WorkflowSpec,
    compile_workflow,
    workflow_name_for,
)

if TYPE_CHECKING:
    from sundial.definition.pipeline import Pipeline
    from sundial.definition.schedule import Schedule
    from sundial.orchestrators.wording import Language
    from sundial.store.store import Store

__all__ = ["Deployed", "deploy_github_actions"]


@dataclass(frozen=True)
class Deployed:
    path: Path
    schedule: str | None = None
    default_here: dict[str, str] = field(default_factory=dict)


def deploy_github_actions(pipeline: Pipeline, params: dict[str, Any],
                          schedule: Schedule | None, repo_dir: str | os.PathLike[str], *,
                          name: str | None = None, replace: bool = False, paused: bool = False,
                          options: Mapping[str, Any] | None = None, store: Store | None = None,
                          language: Language = "python") -> Deployed:
    """Write ``.github/workflows/<name>.yml`` of ``pipeline`` on ``schedule`` into the
    checkout ``repo_dir``; ``name`` defaults to the schedule's, else the pipeline's.

    :raises UnsupportedScheduleError: the schedule needs what GitHub cannot do (nothing is
        written or registered).
    :raises AlreadyExistsError: the file holds another schedule's workflow (or not sundial's)
        and ``replace`` is false.
    """
    from sundial.dispatch import register
    from sundial.engine.runner import json_params, record_version
    from sundial.store.store import Store

    store = store or Store.from_settings()
    chosen = name or (schedule.name if schedule is not None and schedule.name else None) \
        or pipeline.name
    every = {**(options or {}), "repo_dir": Path(repo_dir), "replace": replace}
    if schedule is not None:
        # model_copy keeps the set of fields the user wrote: defaults stay defaults.
        named = schedule.model_copy(update={"name": chosen})
        done = register(pipeline, params, named, orchestrator="github_actions", mode="native",
                        options=every, paused=paused, store=store, language=language)
        ident = done.platform_name or chosen
        return Deployed(checkout_path(repo_dir, ident), done.info.name, done.default_here)
    settings = GithubActionsSettings.load("github_actions", every)
    ident = workflow_name_for(chosen)
    path = checkout_path(repo_dir, ident)
    if path.exists() and not replace and _owner(path) != ident:
        raise AlreadyExistsError(
            f"{path} exists and is not the workflow of schedule {ident!r}",
            "pass replace=True to overwrite it, or choose another name",
            cli_fix="pass --replace to overwrite it, or choose another --name")
    bound = pipeline.bind_params((), params)
    graph, _pipeline_id, version_id = record_version(store, pipeline, bound)
    write_atomic(path, compile_workflow(WorkflowSpec(
        name=ident, pipeline=pipeline.name, version_id=version_id,
        params=json_params(bound), steps=graph.spec()["steps"], schedule=None,
        runner=settings.runner)))
    return Deployed(path)


def cli_deploy(request: Any) -> list[str] | None:
    """``sundial deploy github_actions --repo-dir DIR``'s own case (see ``cli/deploy.py``):
    write the workflow into the checkout and register its schedule; without ``--repo-dir``
    the ordinary deploy commits it through GitHub's API."""
    options = dict(request.options)
    repo_dir = options.pop("repo_dir", None)
    if repo_dir is None or request.switches:
        return None
    done = deploy_github_actions(request.pipeline, request.params, request.schedule, repo_dir,
                                 name=request.name, replace=request.replace,
                                 paused=request.paused, options=options, language="cli")
    lines = [f"Wrote {done.path}"]
    lines += [f"  {field} left at its default; on GitHub Actions: {what}"
              for field, what in done.default_here.items()]
    if done.schedule:
        lines.append(f"Registered schedule {done.schedule!r}: commit and push the file to the "
                     "default branch for GitHub to fire it")
    return lines
