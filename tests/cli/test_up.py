"""`sundial up` as a service manager runs it: the scheduler and the dashboard in one process,
both stopped cleanly by SIGTERM (exit 0, the replica recorded as stopped)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path


def test_up_serves_the_scheduler_and_dashboard_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "SUNDIAL_HOME": str(tmp_path / "home")}
    env.pop("SUNDIAL_DATABASE_URL", None)
    log = tmp_path / "up.log"
    exe = Path(sys.executable).parent / "sundial"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(exe), "up", "--port", "0"], stdout=out, stderr=out,
                                env=env)
    try:
        url = None
        pause = threading.Event()
        for _ in range(1200):  # bounded: at most a minute
            text = log.read_text()
            found = re.search(r"sundial dashboard on (http://127\.0\.0\.1:\d+)/", text)
            if found and "serving sqlite" in text:
                url = found.group(1)
                break
            assert proc.poll() is None, text
            pause.wait(0.05)
        assert url is not None, log.read_text()
        status: dict[str, object] = {}
        for _ in range(200):  # the replica's first beat is made as serving starts
            with urllib.request.urlopen(f"{url}/api/v1/scheduler", timeout=10) as response:
                status = json.loads(response.read())
            if status["alive"] == 1:
                break
            pause.wait(0.05)
        assert status["alive"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
    text = log.read_text()
    assert code == 0, text
    assert "stopping (no new claims)" in text and re.search(r"scheduler \S+ stopped", text)
    done = subprocess.run([str(exe), "scheduler", "status", "--json"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert json.loads(done.stdout)["replicas"][0]["state"] == "stopped"
