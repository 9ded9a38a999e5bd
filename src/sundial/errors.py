"""Every error sundial raises on purpose: one tree under :class:`SundialError`.

Each error carries a one-line ``headline`` that names the bad input and a ``fix`` that says what
to do about it. The CLI prints exactly those two lines (no traceback) and exits with
``exit_code``.
"""

from __future__ import annotations


class SundialError(Exception):
    """Base of every error sundial raises on purpose.

    :param headline: one line naming the bad input (the run id, the field, the URL...).
    :param fix: one line saying how to put it right; empty when there is nothing to suggest.
        Written in the language of the Python API (keyword arguments).
    :param cli_fix: the same fix in the language of the command line (flags), when it
        differs; the CLI prints it instead of ``fix``.
    """

    exit_code: int = 2

    def __init__(self, headline: str, fix: str = "", *, cli_fix: str | None = None) -> None:
        super().__init__(headline)
        self.headline = headline
        self.fix = fix
        self.cli_fix = cli_fix

    def __str__(self) -> str:
        return f"{self.headline}\nFix: {self.fix}" if self.fix else self.headline


class DefinitionError(SundialError):
    """A step or pipeline is defined or called in a way sundial cannot trace."""


class ParameterError(DefinitionError, TypeError):
    """A step or pipeline got an unknown parameter or a value of the wrong type."""


class InvalidScheduleError(SundialError, ValueError):
    """A Schedule's fields do not describe a schedule (raised inside pydantic validation too)."""


class ScheduleTimingError(SundialError):
    """Computing a schedule's fire times exceeded its bound of work or the scheduler's time
    budget: a defect in sundial, not in the schedule; the scheduler sets the schedule aside."""


class TargetNotFoundError(SundialError):
    """A CLI target (``file.py:pipeline`` or ``module:pipeline``) cannot be found."""


class NotFoundError(SundialError):
    """A run, step, schedule or artifact that was asked for does not exist."""


class AlreadyExistsError(SundialError):
    """Something was created under a name that is already taken."""


class StoreError(SundialError):
    """The metadata store cannot be used (unreachable, or its schema is newer than this code)."""


class SchemaVersionError(StoreError):
    """A stored record (a schedule definition ...) is damaged or written by a newer sundial."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached; the headline names its URL with the password masked."""


class ArtifactError(SundialError):
    """An artifact cannot be written, read or materialized."""


class RunFailedError(SundialError):
    """A pipeline run ended ``failed``; the run and the earlier steps' artifacts are kept."""

    exit_code = 1

    def __init__(self, headline: str, fix: str = "", *, run_id: str = "",
                 cli_fix: str | None = None) -> None:
        super().__init__(headline, fix, cli_fix=cli_fix)
        self.run_id = run_id


class OrchestratorError(SundialError):
    """An orchestrator backend refused or failed an operation."""


class BackendNotInstalledError(OrchestratorError):
    """A backend's optional dependencies are missing; the fix names the pip extra."""


class UnsupportedScheduleError(OrchestratorError):
    """A schedule needs fields the backend cannot express natively."""


class AccessDeniedError(SundialError):
    """A dashboard or REST API request without the token it needs (HTTP 401)."""


class CrossSiteRequestError(AccessDeniedError):
    """A change sent to the dashboard from another site, or without its CSRF token (HTTP 403)."""


class UnsupportedOperationError(OrchestratorError):
    """A backend cannot do this operation (e.g. back-fill a native schedule); the fix says
    how to do it instead."""


class ConfigError(SundialError):
    """A setting (environment variable, config file entry or CLI option) has a bad value."""
