"""`sundial ui` as a user starts it: a real process on a free port, its sign-in link, a page
and an API answer over loopback, and a clean exit on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def test_sundial_ui_serves_and_stops(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNDIAL_")}
    env["SUNDIAL_HOME"] = str(tmp_path / "home")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "sundial"), "ui", "--port", "0"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while not any("/login?token=" in ln for ln in lines) and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
        text = "".join(lines)
        link = re.search(r"(http://127\.0\.0\.1:\d+)/login\?token=(\S+)", text)
        assert link, text
        base, token = link.groups()
        assert (tmp_path / "home" / "ui-token").read_text().strip() == token
        assert "Generated a write token" in text
        with urllib.request.urlopen(f"{base}/api/v1/schedules", timeout=30) as answer:
            assert json.loads(answer.read()) == []
        with urllib.request.urlopen(f"{base}/schedules", timeout=30) as answer:
            page = answer.read().decode()
        assert "No schedules yet" in page and token not in page
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
