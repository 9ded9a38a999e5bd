"""Re-running a run through the REST API and ``Client()``, on SQLite and PostgreSQL: the new
run is recorded at once and runs in a worker process of its own (never in the server), on the
orchestrator the run used; writes need the token; a run handed to a worker that never started
is failed by the reaper, never left queued."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from server_world import AUTH, BASE, TOKEN, World

FINISHED = ("completed", "failed", "cancelled")


def ended(client: Any, run_id: str, timeout: float = 120.0) -> dict[str, Any]:
    """The run once it has ended (polled through the API, bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = client.get(f"/api/v1/runs/{run_id}").json()
        if run["status"] in FINISHED:
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
        time.sleep(0.2)


def test_a_failed_run_reruns_with_a_changed_param(client: Any, world: World) -> None:
    answer = client.post(f"/api/v1/runs/{world.failed_run[:8]}/rerun", headers=AUTH,
                         json={"params": {"boom": False, "n": 5}})
    assert answer.status_code == 200, answer.text
    new = answer.json()
    # Answered at once, recorded before its worker runs it: not run inside the request.
    assert new["id"] != world.failed_run and new["status"] in ("starting", "running")
    assert (new["trigger"], new["orchestrator"]) == ("rerun", "local")
    assert new["params"] == {"n": 5, "boom": False}
    assert set(new) == set(client.get(f"/api/v1/runs/{world.ok_run}").json())  # runs show
    done = ended(client, new["id"])
    assert done["status"] == "completed", done
    greet = done["steps"][0]
    assert "greeting 5" in greet["logs"] and '"n": 5' in greet["outputs"]["hello"]["preview"]
    assert client.get(f"/api/v1/runs/{world.failed_run}").json()["status"] == "failed"

    # From Python, without overrides: the run's own parameters, so it fails the same way.
    from sundial import Client

    again = Client().rerun(world.failed_run)
    assert again.status == "starting" and again.params == {"n": 2, "boom": True}
    failed = ended(client, again.id)
    assert failed["status"] == "failed" and failed["trigger"] == "rerun"
    assert failed["steps"][1]["error"] and "boom" in failed["steps"][1]["error"]
    assert client.get("/api/v1/runs").headers["x-total-count"] == "4"


def test_refused_reruns_change_nothing(client: Any, world: World) -> None:
    url = f"/api/v1/runs/{world.failed_run}/rerun"
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        denied = client.post(url, headers=headers)
        assert denied.status_code == 401 and "token" in denied.json()["error"]
    # A signed-in browser needs the page's CSRF header and its own Origin.
    client.cookies.set("sundial_session", client.get(
        f"/login?token={TOKEN}", follow_redirects=False).cookies["sundial_session"])
    page = client.get(f"/runs/{world.failed_run}").text
    assert 'data-action="rerun"' in page
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    assert client.post(url).status_code == 403
    assert client.post(url, headers={"X-CSRF-Token": csrf,
                                     "Origin": "http://evil.example"}).status_code == 403

    missing = client.post("/api/v1/runs/0000dead/rerun", headers=AUTH)
    assert missing.status_code == 404
    assert missing.json() == {"error": "no run with id '0000dead'",
                              "fix": "list runs with `sundial runs list` and copy an id from "
                                     "there"}
    unknown = client.post(url, headers=AUTH, json={"params": {"lr": 0.1}})
    assert unknown.status_code == 422 and "has no parameter 'lr'" in unknown.json()["error"]
    assert "n, boom" in unknown.json()["fix"]
    typed = client.post(url, headers=AUTH, json={"params": {"n": "many"}})
    assert typed.status_code == 422 and "'n'" in typed.json()["error"]
    extra = client.post(url, headers=AUTH, json={"param": {"n": 3}})
    assert extra.status_code == 422 and "param" in extra.json()["error"]
    assert client.get("/api/v1/runs").headers["x-total-count"] == "2"

    ok = client.post(url, headers={"X-CSRF-Token": csrf, "Origin": BASE})
    assert ok.status_code == 200, ok.text
    assert ended(client, ok.json()["id"])["status"] == "failed"  # boom=True, as it ran


def test_a_rerun_whose_worker_never_started_fails_instead_of_waiting(world: World) -> None:
    """The server recorded the re-run and was killed before its worker started: a scheduler's
    reaper fails it after the heartbeat timeout (nothing would dispatch it again), while a
    scheduled tick's run is put back in the queue as before."""
    from sundial.store.records import QUEUED, STARTING
    from sundial.store.run_control import record_rerun
    from sundial.store.run_dispatch import NEVER_STARTED
    from sundial.store.schedule_store import ScheduleStore
    from sundial.store.store import Store, utcnow

    store = Store.from_settings()
    now = utcnow()
    orphan = record_rerun(store, world.failed_run, {"n": 3, "boom": False}, "rerun:gone:1", now)
    rec = store.get_run(orphan)
    assert (rec.status, rec.trigger, rec.params) == (STARTING, "rerun", {"n": 3, "boom": False})
    rows = ScheduleStore(store)
    assert rows.reap(now + timedelta(seconds=10), timedelta(seconds=30)) == ([], [])
    failed, requeued = rows.reap(now + timedelta(seconds=31), timedelta(seconds=30))
    assert (failed, requeued) == ([orphan], [])
    rec = store.get_run(orphan)
    assert rec.status == "failed" and rec.error == NEVER_STARTED and rec.ended_at is not None

    from sundial import Client

    tick = Client(store).schedules.trigger("hourly")
    with store.write() as conn:  # as if dispatched to a worker that never started
        from sqlalchemy import update

        from sundial.store import tables as t

        conn.execute(update(t.runs).where(t.runs.c.id == tick).values(
            status=STARTING, heartbeat_at=now))
    assert rows.reap(now + timedelta(seconds=31), timedelta(seconds=30)) == ([], [tick])
    assert store.get_run(tick).status == QUEUED
