"""The GitHub Actions backend's settings (see ``orchestrators/settings.py`` for where each is
read: a deploy option such as ``--repo-dir``, ``SUNDIAL_GITHUB_ACTIONS_<FIELD>``, or
``[orchestrators.github_actions]`` in ``sundial.toml`` / ``$SUNDIAL_HOME/config.toml``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from sundial.errors import OrchestratorError
from sundial.orchestrators.github_actions.api import GithubAPI
from sundial.orchestrators.github_actions.workflow import Runner
from sundial.orchestrators.settings import BackendSettings

__all__ = ["GithubActionsSettings"]

_DEFAULT = Runner()


class GithubActionsSettings(BackendSettings):
    repo_dir: Path | None = Field(None, description=(
        "a checkout of the repository: deploy writes .github/workflows/NAME.yml into it for "
        "you to commit and push"))
    repository: str | None = Field(None, description=(
        "owner/name on GitHub, for the REST calls (create, pause, resume, trigger, delete)"))
    token: SecretStr | None = Field(None, description=(
        "a token with 'actions: write' and 'contents: write' on the repository"))
    branch: str = Field("main", description=(
        "the default branch, where scheduled workflows run"))
    api_url: str = Field("https://api.github.com", description=(
        "GitHub's REST API, or a GitHub Enterprise Server's"))
    runs_on: str = Field(_DEFAULT.runs_on, description="the runner label of every job")
    python: str = Field(_DEFAULT.python, description="the runners' Python (setup-python)")
    install: str = Field(_DEFAULT.install, description=(
        "the shell line that installs sundial and the pipeline's code on a runner"))
    replace: bool = Field(False, description=(
        "let deploy overwrite a workflow file in repo_dir that belongs to another schedule "
        "or is not sundial's"))

    @property
    def runner(self) -> Runner:
        return Runner(runs_on=self.runs_on, python=self.python, install=self.install)

    @property
    def has_api(self) -> bool:
        return self.token is not None and bool(self.repository)

    def api(self) -> GithubAPI:
        """The REST client; says which setting is missing when it cannot be made."""
        if self.token is None:
            raise OrchestratorError(
                "no GitHub token: the GitHub Actions backend needs one to commit, pause, "
                "resume, trigger or delete a workflow",
                "set the github_actions backend's token (SUNDIAL_GITHUB_ACTIONS_TOKEN) to a "
                "token with 'actions: write' and 'contents: write' on the repository")
        if not self.repository or self.repository.count("/") != 1:
            raise OrchestratorError(
                f"the github_actions repository setting is {self.repository!r}, not "
                "'owner/name'",
                "set SUNDIAL_GITHUB_ACTIONS_REPOSITORY=owner/name of the repository that "
                "holds the workflows", cli_fix="pass --repository owner/name")
        return GithubAPI(self.repository, self.token.get_secret_value(), self.api_url)
