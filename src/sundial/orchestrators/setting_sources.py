"""Where a backend's settings come from, without pydantic.

The reading rules of ``orchestrators/settings.py`` (deploy option, then ``SUNDIAL_NAME_FIELD``,
then ``[orchestrators.NAME]`` of the config files, then the default) written once, for
:class:`~sundial.orchestrators.settings.BackendSettings` and for a backend that has no settings
(``local``): that one refuses every option and configured setting by the same rules, and a
local run or ``sundial step run`` never imports pydantic (about a sixth of such a process).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from typing import Any

from sundial.config import ConfigFiles
from sundial.errors import ConfigError

__all__ = ["env_name", "gather", "mask_url"]


def env_name(backend: str, field: str) -> str:
    """``SUNDIAL_<BACKEND>_<FIELD>``."""
    return f"SUNDIAL_{backend}_{field}".upper()


def gather(backend: str, fields: Collection[str], options: Mapping[str, Any],
           ) -> tuple[dict[str, Any], dict[str, str]]:
    """The raw value of each of ``fields`` that is set somewhere, and where each came from
    (``"(default)"`` for those left unset).

    :raises ConfigError: an option or a configured setting that is not one of ``fields``.
    """
    unknown = [k for k in options if k not in fields]
    if unknown:
        known = ", ".join(f"--{f.replace('_', '-')}" for f in fields) or "(none)"
        raise ConfigError(
            f"orchestrator '{backend}' has no option '{unknown[0]}'",
            f"its options are: {known}", cli_fix=f"its options are: {known}")
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    section = ConfigFiles.section("orchestrators", backend)
    for name in fields:
        var = env_name(backend, name)
        if name in options:
            values[name], sources[name] = options[name], "the deploy options"
        elif os.environ.get(var):
            values[name], sources[name] = os.environ[var], f"${var}"
        elif name in section:
            values[name] = section[name]
            sources[name] = ConfigFiles.source_of("orchestrators", backend, name)
        else:
            sources[name] = "(default)"
    for name in section:
        if name not in fields:
            raise ConfigError(
                f"[orchestrators.{backend}] in "
                f"{ConfigFiles.source_of('orchestrators', backend, name)} has an unknown "
                f"setting '{name}'",
                f"its settings are: {', '.join(fields) or '(none)'}")
    return values, sources


def mask_url(text: str) -> str:
    """``scheme://user:secret@host`` → ``scheme://user:***@host``; other text unchanged."""
    if "://" not in text or "@" not in text:
        return text
    scheme, rest = text.split("://", 1)
    creds, sep, host = rest.partition("@")
    if ":" not in creds:
        return text
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***{sep}{host}"
