"""The loopback doubles beside these tests use the shared server in remote_doubles.py, one up."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parent.parent)]
