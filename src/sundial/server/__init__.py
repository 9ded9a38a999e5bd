"""The REST API and the web dashboard (the ``ui`` extra: FastAPI, uvicorn, Jinja2).

``import sundial`` never loads this package. Two entry points:

- :func:`create_app` builds the ASGI app (for tests, or to mount in another server);
- :func:`serve` runs it with uvicorn in the calling thread until stopped, which is how
  ``sundial ui`` and ``sundial up`` use it.
"""

from __future__ import annotations

from sundial.server.app import create_app
from sundial.server.run import serve

__all__ = ["create_app", "serve"]
