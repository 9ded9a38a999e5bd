"""The loopback doubles beside these tests use the shared server in remote_doubles.py, one up.

google-auth would ask the GCE metadata server (a link-local address) for credentials when it
finds none; these tests talk to loopback only, so that check is off for them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parent.parent)]
os.environ.setdefault("NO_GCE_CHECK", "True")
