"""Importing what lives as long as the process (SQLAlchemy, the store) without paying the
garbage collector for it.

Importing the execution side of sundial builds some hundred thousand objects (SQLAlchemy's
classes, caches and compiled expressions) that stay alive until the process exits. Left to
itself, the collector runs many times while they are made, walks all of them again at each
later full collection and once more at interpreter exit: about a tenth of the instructions of
a 3-step local run, by callgrind's count on Python 3.11 (see bench/README.md). So the
roads into that side — a pipeline call, ``sundial step run`` — import it through
:func:`import_lifelong`: with the collector paused during the import, and every object alive
then moved to the permanent generation (:func:`gc.freeze`), which collections never walk.

What it costs: garbage with reference cycles made before that first import is never collected
(objects are only ever frozen once, at the first heavy import of the process). Objects made
afterwards, by the run or by the caller, are collected as usual.
"""

from __future__ import annotations

import gc
import importlib
import sys

__all__ = ["import_lifelong"]


def import_lifelong(*names: str) -> None:
    """Import the modules ``names`` (those not imported yet) with the collector paused, then
    freeze every object alive."""
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
    gc.freeze()
