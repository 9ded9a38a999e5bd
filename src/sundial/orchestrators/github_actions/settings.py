"""The GitHub Actions backend's settings, read from the environment each time.

- ``SUNDIAL_GITHUB_ACTIONS_TOKEN`` (else ``GITHUB_TOKEN``): a token with ``actions: write`` and
  ``contents: write`` on the repository, for the lifecycle calls. Never written anywhere.
- ``SUNDIAL_GITHUB_ACTIONS_REPOSITORY``: ``owner/name``.
- ``SUNDIAL_GITHUB_ACTIONS_BRANCH``: the default branch, where scheduled workflows live (``main``).
- ``SUNDIAL_GITHUB_ACTIONS_API_URL``: ``https://api.github.com``, or a GitHub Enterprise Server's.
- ``SUNDIAL_GITHUB_ACTIONS_REPO_DIR``: the local checkout deploy writes workflows into (``.``).
- ``SUNDIAL_GITHUB_ACTIONS_RUNS_ON`` / ``_PYTHON`` / ``_INSTALL``: the runner label, its
  Python version, and the line that installs sundial and the pipeline on it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sundial.errors import OrchestratorError
from sundial.orchestrators.github_actions.api import GithubAPI
from sundial.orchestrators.github_actions.workflow import Runner

__all__ = ["GithubSettings"]


@dataclass(frozen=True)
class GithubSettings:
    repository: str | None
    token: str | None
    branch: str = "main"
    api_url: str = "https://api.github.com"
    repo_dir: Path = Path(".")
    runner: Runner = field(default_factory=Runner)

    @classmethod
    def from_env(cls) -> GithubSettings:
        env = os.environ
        defaults = Runner()
        return cls(
            repository=env.get("SUNDIAL_GITHUB_ACTIONS_REPOSITORY") or None,
            token=env.get("SUNDIAL_GITHUB_ACTIONS_TOKEN") or env.get("GITHUB_TOKEN") or None,
            branch=env.get("SUNDIAL_GITHUB_ACTIONS_BRANCH") or "main",
            api_url=env.get("SUNDIAL_GITHUB_ACTIONS_API_URL") or "https://api.github.com",
            repo_dir=Path(env.get("SUNDIAL_GITHUB_ACTIONS_REPO_DIR") or ".").expanduser(),
            runner=Runner(runs_on=env.get("SUNDIAL_GITHUB_ACTIONS_RUNS_ON") or defaults.runs_on,
                          python=env.get("SUNDIAL_GITHUB_ACTIONS_PYTHON") or defaults.python,
                          install=env.get("SUNDIAL_GITHUB_ACTIONS_INSTALL") or defaults.install))

    def api(self) -> GithubAPI:
        """The REST client; says which setting is missing when it cannot be made."""
        if not self.token:
            raise OrchestratorError(
                "no GitHub token: the GitHub Actions backend needs one to pause, resume, "
                "trigger or delete a workflow",
                "set SUNDIAL_GITHUB_ACTIONS_TOKEN to a token with 'actions: write' and "
                "'contents: write' on the repository")
        if not self.repository or self.repository.count("/") != 1:
            raise OrchestratorError(
                f"SUNDIAL_GITHUB_ACTIONS_REPOSITORY is {self.repository!r}, not 'owner/name'",
                "set SUNDIAL_GITHUB_ACTIONS_REPOSITORY=owner/name of the repository that holds the "
                "workflows")
        return GithubAPI(self.repository, self.token, self.api_url)
