"""Importing what lives as long as the process (SQLAlchemy, the store) without paying the
garbage collector for it.

Importing the execution side of sundial builds some hundred thousand objects (SQLAlchemy's
classes, caches and compiled expressions) that stay alive until the process exits. Left to
itself, the collector runs many times while they are made, walks all of them again at each
later full collection and once more at interpreter exit. So the roads into that side — a
pipeline call, ``sundial step run`` — import it through :func:`import_lifelong`, with the
collector paused during the import.

In a process that sundial owns from start to end (``sundial step run``: one step, then exit),
``freeze=True`` also moves every object alive then to the permanent generation
(:func:`gc.freeze`), which collections never walk. Not in the user's own process (a pipeline
call from a script or a notebook): :func:`gc.freeze` cannot tell SQLAlchemy's objects from the
user's, and a frozen object that later becomes garbage in a reference cycle is never
collected; a notebook that drops a model or a data frame loaded before its first pipeline call
would keep it in memory.
"""

from __future__ import annotations

import gc
import importlib
import sys

__all__ = ["import_lifelong"]


def import_lifelong(*names: str, freeze: bool = False) -> None:
    """Import the modules ``names`` (those not imported yet) with the collector paused; with
    ``freeze`` (only in a process sundial owns), then freeze every object alive."""
    missing = [name for name in names if name not in sys.modules]
    if not missing:
        return
    collecting = gc.isenabled()
    gc.disable()
    try:
        for name in missing:
            importlib.import_module(name)
    finally:
        if collecting:
            gc.enable()
    if freeze:
        gc.freeze()
