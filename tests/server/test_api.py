"""The REST API through FastAPI's TestClient, on SQLite and PostgreSQL: the same JSON as the
CLI's --json, errors that name the input and the fix, and writes only with the token."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from server_world import AUTH, BASE, TOKEN, World, make_world


def cli_json(*args: str) -> Any:
    """What the CLI prints for ``sundial ARGS --json`` (in-process, through Typer's runner)."""
    from typer.testing import CliRunner

    from sundial.cli.app import app

    done = CliRunner().invoke(app, [*args, "--json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def test_lists_and_details_match_the_cli(client: Any, world: World) -> None:
    runs = client.get("/api/v1/runs")
    assert runs.status_code == 200 and runs.headers["x-total-count"] == "2"
    assert runs.json() == cli_json("runs", "list")
    detail = client.get(f"/api/v1/runs/{world.failed_run[:8]}").json()
    shown = cli_json("runs", "show", world.failed_run)
    # The API adds logs, tracebacks and previews to exactly what the CLI prints.
    for step in detail["steps"]:
        assert step.pop("logs") is not None or step["status"] != "completed"
        step.pop("traceback")
        for out in step["outputs"].values():
            out.pop("preview")
    assert detail == shown

    assert client.get("/api/v1/schedules").json() == cli_json("schedule", "list")
    described = client.get("/api/v1/schedules/hourly").json()
    assert described == cli_json("schedule", "describe", "hourly")
    assert described["kind"] == "interval" and len(described["next_fire_times"]) == 10


def test_run_detail_has_logs_traceback_and_small_previews(client: Any, world: World) -> None:
    failed = client.get(f"/api/v1/runs/{world.failed_run}").json()
    greet, explode = failed["steps"]
    assert "greeting 2" in greet["logs"]
    assert json.loads(greet["outputs"]["hello"]["preview"]) == {"hello": "world", "n": 2}
    assert explode["status"] == "failed"
    assert "ValueError: the step went boom" in explode["traceback"]


def test_filters_and_pages(client: Any, world: World) -> None:
    failed = client.get("/api/v1/runs", params={"status": "failed"}).json()
    assert [r["id"] for r in failed] == [world.failed_run]
    page = client.get("/api/v1/runs", params={"limit": 1, "offset": 1})
    assert page.headers["x-total-count"] == "2" and len(page.json()) == 1
    assert page.json()[0]["id"] == world.ok_run  # newest first: the failed run came later
    assert client.get("/api/v1/runs", params={"pipeline": "nope"}).json() == []
    assert client.get("/api/v1/runs", params={"since": "2999-01-01T00:00:00Z"}).json() == []
    assert client.get("/api/v1/runs", params={"schedule": "hourly"}).json() == []
    pipelines = client.get("/api/v1/pipelines").json()
    assert [(p["name"], p["runs"]) for p in pipelines] == [("flow", 2)]
    assert pipelines[0]["last_run_at"] is not None


def test_lifecycle_with_the_token(client: Any, world: World) -> None:
    paused = client.post("/api/v1/schedules/hourly/pause", json={"note": "upstream down"},
                         headers=AUTH)
    assert paused.status_code == 200, paused.text
    assert paused.json() == {**paused.json(), "state": "paused", "pause_note": "upstream down"}
    assert client.post("/api/v1/schedules/hourly/resume", headers=AUTH).json()["state"] == \
        "active"

    updated = client.patch("/api/v1/schedules/nightly", json={"cron_expression": "0 3 * * *"},
                           headers=AUTH)
    assert updated.status_code == 200, updated.text
    assert client.get("/api/v1/schedules/nightly").json()["definition"][
        "cron_expression"] == "0 3 * * *"

    run = client.post("/api/v1/schedules/hourly/trigger", headers=AUTH).json()
    assert run["name"] == "hourly"
    queued = client.get(f"/api/v1/runs/{run['run_id']}").json()
    assert (queued["status"], queued["trigger"]) == ("queued", "manual")
    assert [r["id"] for r in client.get("/api/v1/runs", params={"schedule": "hourly"}).json()
            ] == [run["run_id"]]

    dry = client.post("/api/v1/schedules/hourly/backfill", headers=AUTH, json={
        "start": described_start(client), "end": _hours_ago(0.5), "dry_run": True}).json()
    assert dry == {"name": "hourly", "ticks": 5, "created": 5, "existing": 0,
                   "dry_run": True, "nominals": dry["nominals"]} and len(dry["nominals"]) == 5
    done = client.post("/api/v1/schedules/hourly/backfill", headers=AUTH, json={
        "start": described_start(client), "end": _hours_ago(0.5)}).json()
    assert done == {"name": "hourly", "ticks": 5, "created": 5, "existing": 0}

    # The triggered run of hourly is still queued (no scheduler here): cancelling it.
    assert client.post(f"/api/v1/runs/{run['run_id']}/cancel", headers=AUTH).json() == {
        "run": run["run_id"], "status": "cancelled"}
    with_params = client.post("/api/v1/schedules/nightly/trigger", headers=AUTH,
                              json={"params": {"n": 7}}).json()
    assert client.get(f"/api/v1/runs/{with_params['run_id']}").json()["params"]["n"] == 7
    assert client.patch("/api/v1/schedules/nightly", headers=AUTH,
                        json={"params": {"n": 9}}).json()["params"]["n"] == 9
    assert client.delete("/api/v1/schedules/nightly", params={"dry_run": True},
                         headers=AUTH).json() == {
        "name": "nightly", "deleted": False, "hard": False, "cancelled": 1, "dry_run": True}
    assert client.delete("/api/v1/schedules/nightly", headers=AUTH).json() == {
        "name": "nightly", "deleted": True, "hard": False, "cancelled": 1}
    assert client.get(f"/api/v1/runs/{with_params['run_id']}").json()["status"] == "cancelled"
    assert [s["name"] for s in client.get("/api/v1/schedules").json()] == ["hourly"]
    deleted = client.get("/api/v1/schedules", params={"include_deleted": True}).json()
    assert {s["name"]: s["state"] for s in deleted}["nightly"] == "deleted"


def described_start(client: Any) -> str:
    return str(client.get("/api/v1/schedules/hourly").json()["definition"]["start_time"])


def _hours_ago(h: float) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(hours=h, minutes=1)).isoformat()


def test_bad_input(client: Any, world: World) -> None:
    missing = client.get("/api/v1/runs/0000dead")
    assert missing.status_code == 404
    assert missing.json() == {"error": "no run with id '0000dead'",
                              "fix": "list runs with `sundial runs list` and copy an id from "
                                     "there"}
    gone = client.get("/api/v1/schedules/nosuch")
    assert gone.status_code == 404 and "'nosuch'" in gone.json()["error"]
    assert client.post("/api/v1/schedules/nosuch/pause", headers=AUTH).status_code == 404

    cron = client.patch("/api/v1/schedules/nightly", json={"cron_expression": "61 * * * *"},
                        headers=AUTH)
    assert cron.status_code == 422
    assert "cron_expression" in cron.json()["error"] and cron.json()["fix"]
    # The same words as the CLI.
    exe = Path(sys.executable).parent / "sundial"
    cli = subprocess.run([str(exe), "schedule", "update", "nightly", "--cron", "61 * * * *"],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 2 and cron.json()["error"] in " ".join(cli.stderr.split())

    zone = client.patch("/api/v1/schedules/nightly", json={"timezone": "Mars/Olympus"},
                        headers=AUTH)
    assert zone.status_code == 422 and "Mars/Olympus" in zone.json()["error"]
    unknown = client.patch("/api/v1/schedules/nightly", json={"interval_seconds": 5},
                           headers=AUTH)
    assert unknown.status_code == 422 and "interval_seconds" in unknown.json()["error"]
    limit = client.get("/api/v1/runs", params={"limit": "lots"})
    assert limit.status_code == 422 and "limit" in limit.json()["error"]
    # Nothing changed through any of that.
    assert client.get("/api/v1/schedules/nightly").json()["definition"][
        "cron_expression"] == "30 2 * * *"


def test_writes_need_the_token_and_change_nothing_without_it(client: Any,
                                                            world: World) -> None:
    before = client.get("/api/v1/schedules").json()
    for method, url in [("POST", "/api/v1/schedules/hourly/pause"),
                        ("POST", "/api/v1/schedules/hourly/trigger"),
                        ("PATCH", "/api/v1/schedules/hourly"),
                        ("DELETE", "/api/v1/schedules/hourly")]:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            denied = client.request(method, url, headers=headers, json={"max_runs": 3})
            assert denied.status_code == 401, (method, url)
            assert "token" in denied.json()["error"]
    assert client.get("/api/v1/schedules").json() == before
    assert client.get("/api/v1/runs").headers["x-total-count"] == "2"


def test_browser_session_writes_need_csrf_and_same_origin(client: Any, world: World) -> None:
    assert client.get("/login?token=wrong").status_code == 401
    signed = client.get(f"/login?token={TOKEN}&next=/runs", follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/runs"
    cookie = signed.cookies["sundial_session"]
    assert TOKEN not in cookie
    assert "httponly" in signed.headers["set-cookie"].lower()
    assert "samesite=strict" in signed.headers["set-cookie"].lower()
    client.cookies.set("sundial_session", cookie)
    page = client.get("/schedules").text
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    assert csrf and TOKEN not in page

    url = "/api/v1/schedules/hourly/pause"
    assert client.post(url).status_code == 403  # the cookie alone is not enough
    assert client.post(url, headers={"X-CSRF-Token": csrf,
                                     "Origin": "http://evil.example"}).status_code == 403
    ok = client.post(url, headers={"X-CSRF-Token": csrf, "Origin": BASE})
    assert ok.status_code == 200 and ok.json()["state"] == "paused"
    # An open redirect after signing in is refused.
    away = client.get(f"/login?token={TOKEN}&next=//evil.example/", follow_redirects=False)
    assert away.headers["location"] == "/schedules"



def test_reads_need_the_token_off_loopback_and_host_is_checked(world: World) -> None:
    from fastapi.testclient import TestClient

    from sundial.server import create_app

    open_app = TestClient(create_app(token=TOKEN, host="0.0.0.0"),
                          base_url="http://10.1.2.3:8765")
    assert open_app.get("/api/v1/runs").status_code == 401
    assert open_app.get("/schedules").status_code == 401
    assert open_app.get("/api/v1/runs", headers=AUTH).status_code == 200
    # Bound to loopback, another Host name (DNS rebinding) gets nothing.
    local = TestClient(create_app(token=TOKEN), base_url="http://attacker.example:8765")
    assert local.get("/api/v1/runs").status_code == 400


def test_openapi_and_matrix(client: Any, world: World) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/runs", "/api/v1/schedules/{name}/pause", "/api/v1/orchestrators",
            "/api/v1/scheduler"} <= set(spec["paths"])
    from sundial.orchestrators.matrix import matrix

    assert client.get("/api/v1/orchestrators").json() == json.loads(json.dumps(matrix()))
    assert client.get("/api/v1/scheduler").json() == {"alive": 0, "replicas": [],
                                                      "runs_in_flight": 0}


def test_no_secret_in_any_response(client: Any, world: World) -> None:
    """The token appears in no page or API answer, signed in or not."""
    client.get(f"/login?token={TOKEN}")
    urls = ["/schedules", "/schedules/hourly", "/runs", f"/runs/{world.failed_run}",
            "/orchestrators", "/login", "/api/v1/runs", "/api/v1/schedules",
            "/api/v1/schedules/hourly", f"/api/v1/runs/{world.ok_run}", "/api/v1/scheduler",
            "/api/v1/pipelines", "/api/v1/openapi.json", "/api"]
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert TOKEN not in answer.text and TOKEN not in str(answer.headers), url


def test_no_database_password_in_pages_or_errors(postgres_url: str, monkeypatch: Any,
                                                 tmp_path: Path) -> None:
    """PostgreSQL here trusts local connections, so a password in the URL is accepted and
    ignored: enough to show that none of the pages, answers or errors repeats it."""
    from fastapi.testclient import TestClient

    from sundial.server import create_app

    secret = "hunter2-not-shown"
    url = postgres_url.replace("postgres@", f"postgres:{secret}@", 1)
    assert secret in url
    monkeypatch.setenv("SUNDIAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SUNDIAL_DATABASE_URL", url)
    world = make_world(tmp_path)
    client = TestClient(create_app(token=TOKEN), base_url=BASE)
    client.get(f"/login?token={TOKEN}")
    for path in ["/schedules", "/schedules/hourly", "/runs", f"/runs/{world.failed_run}",
                 "/api/v1/runs", "/api/v1/schedules/hourly", "/api/v1/scheduler",
                 "/api/v1/runs/nope", "/schedules/nope"]:
        answer = client.get(path)
        assert secret not in answer.text, path
    assert "***" in client.get("/schedules").text  # the store is named, its password masked


def test_sign_in_form_and_sign_out(client: Any, world: World) -> None:
    form = client.get("/login?next=/runs")
    assert form.status_code == 200 and 'name="token"' in form.text
    wrong = client.post("/login", data={"token": "nope", "next": "/runs"})
    assert wrong.status_code == 401 and "not this server's token" in wrong.text
    elsewhere = client.post("/login", data={"token": TOKEN},
                            headers={"Origin": "http://evil.example"}, follow_redirects=False)
    assert elsewhere.status_code == 403 and "sundial_session" not in elsewhere.cookies
    signed = client.post("/login", data={"token": TOKEN, "next": "/runs"},
                         headers={"Origin": BASE}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/runs"
    assert 'id="sign-out"' in client.get("/runs").text
    client.post("/logout", follow_redirects=False)
    assert 'id="sign-in"' in client.get("/runs").text


def test_an_unknown_status_is_refused_as_in_the_cli(client: Any, world: World) -> None:
    bogus = client.get("/api/v1/runs", params={"status": "bogus"})
    assert bogus.status_code == 422
    assert bogus.json()["error"] == "status 'bogus' is not a run status"
    assert "failed" in bogus.json()["fix"]


def test_a_bare_end_date_backfills_the_whole_day_as_in_the_cli(client: Any,
                                                                 world: World) -> None:
    # The day the schedule started on: its first tick at least is in it, and past.
    day = client.get("/api/v1/schedules/hourly").json()["definition"]["start_time"][:10]
    body = {"start": day, "end": day, "dry_run": True}
    api = client.post("/api/v1/schedules/hourly/backfill", json=body, headers=AUTH).json()
    assert api == cli_json("schedule", "backfill", "hourly", day, day, "--dry-run")
    first = client.get("/api/v1/schedules/hourly").json()["definition"]["start_time"]
    assert datetime.fromisoformat(api["nominals"][0]) == datetime.fromisoformat(first)


def test_update_fields_are_strictly_typed_as_in_python(client: Any, world: World) -> None:
    for field, value in (("catchup", "yes"), ("max_runs", "3"), ("interval_second", "10"),
                         ("start_time", 12345), ("max_active_runs", 1.5)):
        bad = client.patch("/api/v1/schedules/hourly", json={field: value}, headers=AUTH)
        assert bad.status_code == 422, (field, value, bad.text)
        assert field in bad.json()["error"]
    ok = client.patch("/api/v1/schedules/hourly", headers=AUTH,
                      json={"catchup": False, "start_time": "2026-01-01T00:00:00+00:00"})
    assert ok.status_code == 200, ok.text
