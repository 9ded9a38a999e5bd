"""A hook is called with what it asks for, whatever the kind of its parameters."""

from __future__ import annotations

import logging

import pytest

from sundial.definition.hooks import HookContext, call_hook, check_hook

CONTEXT = HookContext(run_id="r1", pipeline="p", step="s", status="failed")


def test_positional_only_parameters_get_their_values(caplog: pytest.LogCaptureFixture) -> None:
    got: list[object] = []

    def on_failure(exception: BaseException, context: HookContext, /) -> None:
        got.extend([exception, context])

    assert check_hook("step 's'", "on_failure", on_failure) is on_failure
    boom = RuntimeError("boom")
    with caplog.at_level(logging.ERROR, logger="sundial.hooks"):
        call_hook(on_failure, "on_failure", CONTEXT, boom)
    assert got == [boom, CONTEXT] and not caplog.records
