"""`@step(on_failure=, on_success=)` and `@pipeline(on_failure=, on_success=)`: ZenML's hook
shape (nothing, the exception, and/or `context`); a hook that raises is logged in the step's
log and never changes the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sundial import Client, pipeline, step
from sundial.definition.hooks import HookContext
from sundial.errors import DefinitionError, RunFailedError

calls: list[tuple[str, Any]] = []


def on_step_failure(exception: BaseException, context: HookContext) -> None:
    calls.append(("step failed", (type(exception).__name__, str(exception), context.step,
                                  context.pipeline, context.status, context.params)))


def on_step_success() -> None:
    calls.append(("step ok", None))


def on_run_failure(error: RuntimeError | BaseException, context: HookContext) -> None:
    calls.append(("run failed", (context.status, context.params, str(error).splitlines()[0])))


def on_run_success(context: HookContext) -> None:
    calls.append(("run ok", context.params))


def broken_hook() -> None:
    raise ValueError("the hook itself is broken")


@step(on_success=on_step_success)
def load(n: int = 2) -> list[int]:
    return list(range(n))


@step(on_failure=on_step_failure, on_success=broken_hook)
def total(x: list[int], boom: bool = False) -> int:
    if boom:
        raise RuntimeError("boom")
    return sum(x)


@pipeline(enable_cache=False, on_failure=on_run_failure, on_success=on_run_success)
def hooked(boom: bool = False) -> None:
    total(load(), boom=boom)


@pytest.fixture(autouse=True)
def _clean(sqlite_env: Path) -> None:
    calls.clear()


def test_success_hooks_and_a_broken_hook_that_changes_nothing() -> None:
    run = hooked()
    assert run.status == "completed"
    assert calls == [("step ok", None), ("run ok", {"boom": False})]
    logs = Client().get_run(run.id).steps["total"].logs
    assert "on_success hook broken_hook of step 'total'" in logs
    assert "ValueError: the hook itself is broken" in logs


def test_failure_hooks_get_the_exception_and_the_context() -> None:
    with pytest.raises(RunFailedError):
        hooked(boom=True)
    (step_call, run_call) = [c for c in calls if c[0] != "step ok"]
    assert step_call[0] == "step failed"
    kind, message, step_name, pipeline_name, status, params = step_call[1]
    assert (kind, message, step_name, pipeline_name, status) == (
        "RuntimeError", "boom", "total", "hooked", "failed")
    assert params == {"boom": True}
    assert run_call[0] == "run failed"
    assert run_call[1][:2] == ("failed", {"boom": True})
    assert "failed at step 'total': RuntimeError: boom" in run_call[1][2]


def test_a_hook_sundial_cannot_call_is_refused_when_defined() -> None:
    def needs(recipient: str) -> None: ...

    with pytest.raises(DefinitionError, match="needs a value for 'recipient'"):
        step(on_failure=needs)(lambda: 1)
    with pytest.raises(DefinitionError, match="on_success=3 is not callable"):
        pipeline(on_success=3)(lambda: None)  # type: ignore[call-overload]
    # A success hook is never given an exception, so it cannot ask for one.
    with pytest.raises(DefinitionError, match="may take only context"):
        step(on_success=on_step_failure)(lambda: 1)
