"""The GitHub Actions backend: schedules compiled into workflow files that GitHub fires.

``mapping`` (pure) says how each Schedule field maps and what GitHub cannot honour,
``workflow`` (pure) writes the file, ``guard`` is the workflow's first job, ``api`` is
GitHub's REST API, ``orchestrator`` ties them to sundial's contract and ``deploy`` is
``sundial deploy github_actions``.
"""

from sundial.orchestrators.github_actions.deploy import (
    deploy_github_actions as deploy_github_actions,
)
from sundial.orchestrators.github_actions.orchestrator import (
    GithubActionsOrchestrator as GithubActionsOrchestrator,
)
from sundial.orchestrators.github_actions.settings import (
    GithubActionsSettings as GithubActionsSettings,
)

__all__ = ["GithubActionsOrchestrator", "GithubActionsSettings", "deploy_github_actions"]
