"""A run's state read from its Job and pods, with Kubernetes' own reason when it failed.

Pure: the Job and pod objects as the API returns them (dicts, camelCase) in, a
:class:`JobState` out. A Job's conditions say whether it ended (``Complete`` or ``Failed``
with a reason such as ``BackoffLimitExceeded``); the pods say why (``Evicted``, a step's
container ``OOMKilled`` with exit code 137), so the run fails with words a user can act on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["JobState", "job_state"]


@dataclass(frozen=True)
class JobState:
    """``status``: queued, running, completed or failed. ``step_container``: the container
    (``step-NAME``) that failed, when one did."""

    status: str
    reason: str | None = None
    step_container: str | None = None


def _true(job: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind and cond.get("status") == "True":
            return dict(cond)
    return None


def _pod_failure(pod: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """Why a pod failed, and the container that did, if the pod says."""
    status = pod.get("status") or {}
    name = (pod.get("metadata") or {}).get("name", "?")
    statuses = [*(status.get("initContainerStatuses") or []),
                *(status.get("containerStatuses") or [])]
    for container in statuses:
        ended = (container.get("state") or {}).get("terminated") or {}
        if ended and ended.get("exitCode", 0) != 0:
            why = ended.get("reason") or "Error"
            message = f": {ended['message']}" if ended.get("message") else ""
            return (f"pod {name}: container {container.get('name')} terminated: {why} "
                    f"(exit code {ended.get('exitCode')}){message}", container.get("name"))
    if status.get("phase") == "Failed" or status.get("reason"):
        why = status.get("reason") or "Failed"
        message = f": {status['message']}" if status.get("message") else ""
        return f"pod {name}: {why}{message}", None
    return None


def job_state(job: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> JobState:
    """The run's state from its Job and the Job's pods."""
    if _true(job, "Complete") or _true(job, "SuccessCriteriaMet"):
        return JobState("completed")
    failed = _true(job, "Failed") or _true(job, "FailureTarget")
    if failed is not None:
        words = f"Job failed: {failed.get('reason') or 'Failed'}"
        if failed.get("message"):
            words += f" ({failed['message']})"
        for pod in pods:
            found = _pod_failure(pod)
            if found is not None:
                return JobState("failed", f"{words}; {found[0]}", found[1])
        return JobState("failed", words)
    status = job.get("status") or {}
    if status.get("active") or any((p.get("status") or {}).get("phase") == "Running"
                                   for p in pods):
        return JobState("running")
    return JobState("queued")
