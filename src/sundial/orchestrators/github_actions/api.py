"""GitHub's REST API, the few calls the backend makes, over the standard library.

Each method is one documented endpoint (API version 2022-11-28); the workflow is addressed by
its file name, which GitHub accepts in place of the numeric workflow id. Errors become
:class:`~sundial.errors.OrchestratorError` naming the call, GitHub's message and the fix.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from sundial.errors import NotFoundError, OrchestratorError

__all__ = ["API_VERSION", "GithubAPI"]

API_VERSION = "2022-11-28"
_TIMEOUT = 30.0


class GithubAPI:
    """The REST calls for one repository (``owner/name``) with one token."""

    def __init__(self, repository: str, token: str, url: str = "https://api.github.com"
                 ) -> None:
        self.repository = repository
        self.token = token
        self.url = url.rstrip("/")

    # -- workflows ----------------------------------------------------------------------------
    def workflow(self, file: str) -> dict[str, Any]:
        """``GET /repos/{o}/{r}/actions/workflows/{file}``: id, state, path."""
        return self._call("GET", f"actions/workflows/{_q(file)}")

    def disable(self, file: str) -> None:
        """Stop scheduled runs: ``PUT .../workflows/{file}/disable``."""
        self._call("PUT", f"actions/workflows/{_q(file)}/disable")

    def enable(self, file: str) -> None:
        self._call("PUT", f"actions/workflows/{_q(file)}/enable")

    def dispatch(self, file: str, ref: str, inputs: dict[str, str]) -> int | None:
        """Start a run (``POST .../dispatches``); returns its run id when GitHub says it."""
        body = {"ref": ref, "inputs": inputs, "return_run_details": True}
        answer = self._call("POST", f"actions/workflows/{_q(file)}/dispatches", body)
        run = answer.get("workflow_run_id") if answer else None
        return int(run) if run is not None else None

    def runs(self, file: str, per_page: int = 10) -> list[dict[str, Any]]:
        """The workflow's newest runs, newest first."""
        answer = self._call("GET", f"actions/workflows/{_q(file)}/runs?per_page={per_page}")
        return list(answer.get("workflow_runs", []))

    def run(self, run_id: int) -> dict[str, Any]:
        """``GET .../actions/runs/{id}``: status (queued, in_progress, completed ...) and
        conclusion (success, failure, cancelled, timed_out ...)."""
        return self._call("GET", f"actions/runs/{run_id}")

    def cancel(self, run_id: int) -> None:
        self._call("POST", f"actions/runs/{run_id}/cancel")

    # -- repository contents ------------------------------------------------------------------
    def file_sha(self, path: str, branch: str) -> str | None:
        """The blob sha of ``path`` on ``branch``, or ``None`` when it does not exist."""
        try:
            answer = self._call("GET", f"contents/{_q(path, '/')}?ref={_q(branch)}")
        except NotFoundError:
            return None
        return str(answer["sha"])

    def put_file(self, path: str, branch: str, text: str, message: str) -> None:
        """Create or replace ``path`` on ``branch`` in one commit."""
        body: dict[str, Any] = {"message": message, "branch": branch,
                                "content": base64.b64encode(text.encode()).decode()}
        sha = self.file_sha(path, branch)
        if sha is not None:
            body["sha"] = sha
        self._call("PUT", f"contents/{_q(path, '/')}", body)

    def delete_file(self, path: str, branch: str, message: str) -> bool:
        """Remove ``path`` from ``branch`` in one commit; ``False`` when it was not there."""
        sha = self.file_sha(path, branch)
        if sha is None:
            return False
        self._call("DELETE", f"contents/{_q(path, '/')}",
                   {"message": message, "sha": sha, "branch": branch})
        return True

    # -- transport ------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: dict[str, Any] | None = None
              ) -> dict[str, Any]:
        url = f"{self.url}/repos/{self.repository}/{path}"
        request = urllib.request.Request(
            url, method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Accept": "application/vnd.github+json",
                     "Authorization": f"Bearer {self.token}",
                     "X-GitHub-Api-Version": API_VERSION,
                     "User-Agent": "sundial",
                     **({"Content-Type": "application/json"} if body is not None else {})})
        shown = f"GitHub API {method} {url}"
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
                data = response.read()
        except urllib.error.HTTPError as err:
            message = _message(err)
            if err.code == 404:
                raise NotFoundError(f"{shown}: not found ({message})",
                                    "check the repository (SUNDIAL_GITHUB_ACTIONS_REPOSITORY), "
                                    "that the workflow file is pushed to its default branch, "
                                    "and that the token can see the repository") from None
            if err.code in (401, 403):
                raise OrchestratorError(f"{shown}: {err.code} {message}",
                                        "give SUNDIAL_GITHUB_ACTIONS_TOKEN a token with the "
                                        "'actions: write' and 'contents: write' permissions "
                                        "on this repository") from None
            raise OrchestratorError(f"{shown}: {err.code} {message}",
                                    "fix what GitHub says and retry") from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise OrchestratorError(f"{shown}: cannot reach GitHub ({reason})",
                                    "check the network, or SUNDIAL_GITHUB_ACTIONS_API_URL for "
                                    "GitHub Enterprise Server") from None
        if not data:
            return {}
        answer = json.loads(data)
        return answer if isinstance(answer, dict) else {"items": answer}


def _q(text: str, safe: str = "") -> str:
    return urllib.parse.quote(text, safe=safe)


def _message(err: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(err.read()).get("message", err.reason))
    except (ValueError, AttributeError, OSError):
        return str(err.reason)
