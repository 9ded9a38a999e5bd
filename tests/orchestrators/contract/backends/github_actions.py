"""``github_actions``: GitHub's REST API as ``github_actions/github_double.py`` (a loopback
server that checks token, headers, paths and bodies), with ``github_actions/runner.py`` as
GitHub's runners: each dispatched workflow's jobs run here as their ``run:`` lines say.
Cannot show: github.com, its scheduler firing a workflow, its runners, checkout and
setup-python.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from github_actions.github_double import TOKEN, GitHub, github_double
from github_actions.runner import run_dispatched

from contract.harness import Harness
from sundial import Schedule


class GithubActionsHarness(Harness):
    name = "github_actions"
    timeout = 120.0

    @contextmanager
    def running(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        with github_double() as hub:
            hub.runner = run_dispatched
            self.hub: GitHub = hub
            yield

    def options(self) -> dict[str, Any]:
        return {"repository": self.hub.repository, "token": TOKEN, "api_url": self.hub.url,
                "install": "python -c 'import sundial'"}

    def native_schedule(self) -> Schedule:
        # GitHub never runs a missed tick: catch-up is left at its default (see the matrix).
        return Schedule(cron_expression="0 6 * * *", timezone="UTC")


HARNESS = GithubActionsHarness
