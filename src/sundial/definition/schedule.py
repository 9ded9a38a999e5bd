"""The Schedule: when a pipeline runs. ZenML's field names, with exact semantics.

The definition only: validation and normalization at construction, a preview of the next fire
times, and the JSON form the store keeps. When ticks fire is computed by ``sundial.timing``;
what a missed or overlapping tick becomes is decided by the scheduler.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sundial.definition.schedule_checks import (
    as_schedule_error,
    check_bounds,
    check_one_kind,
    in_utc,
)
from sundial.errors import InvalidScheduleError, SchemaVersionError
from sundial.timing.cron import normalize_cron
from sundial.timing.zones import load_zone, local_zone_name

__all__ = [
    "PREVIEW_LIMIT",
    "SCHEMA_VERSION",
    "Overlap",
    "Schedule",
    "ScheduleKind",
    "as_schedule_error",
]

Overlap = Literal["queue", "skip", "replace", "allow"]
ScheduleKind = Literal["cron", "interval", "once"]

#: The most fire times one preview lists (a preview is for reading, and must stay bounded).
PREVIEW_LIMIT = 10_000

#: Version of the JSON written by :meth:`Schedule.to_json`; bump it when the format changes.
SCHEMA_VERSION = 1

# The validation context of from_json: the stored form writes durations as ISO-8601 strings.
_STORED = {"stored": True}
_DATETIME_FIELDS = ("start_time", "end_time", "run_once_start_time")


class Schedule(BaseModel):
    """When a pipeline runs: on a cron calendar, at a fixed interval, or once.

    ZenML's fields keep their names and meaning, so ZenML code ports by changing the import:

    - ``cron_expression``: 5-field cron ``"minute hour day-of-month month day-of-week"`` or one
      of ``@hourly @daily @weekly @monthly @yearly``, read on the wall clock of ``timezone``.
    - ``interval_second``: a ``timedelta`` or a number of seconds; fires at
      ``start_time + k·interval`` (k = 0, 1, …) in absolute time. ``start_time`` defaults to
      the moment the Schedule is built.
    - ``run_once_start_time``: fires once, at that instant.
    - ``start_time``, ``end_time``: nothing fires before ``start_time`` or after ``end_time``;
      both bounds are inclusive and apply to every kind.
    - ``catchup``: when ticks were missed (the scheduler was down, the schedule was paused, or
      ``start_time`` is in the past), ``False`` runs only the latest missed tick and ``True``
      runs every missed tick, oldest first.
    - ``name``: the schedule's name; when ``None``, registering makes a unique one.

    Beyond ZenML:

    - ``timezone``: IANA zone name. Defaults to the building machine's zone, resolved and
      stored by name, so the schedule means the same on a cluster that runs in UTC.
    - ``overlap``: what a tick does when ``max_active_runs`` runs of this schedule are still
      active: ``"queue"`` (default) runs it after them, ``"skip"`` records it as skipped,
      ``"replace"`` cancels the oldest active run, ``"allow"`` ignores the limit. Missed ticks
      that catch-up runs are always queued.
    - ``max_active_runs``: at most this many runs of the schedule at once (default 1).
    - ``catchup_window``: with ``catchup=True``, a tick more than this old when the scheduler
      handles it does not run; it is recorded as ``outside_window``.
    - ``jitter``: each run starts up to this much (a ``timedelta`` or seconds) after its tick,
      to spread load; the tick keeps its nominal time. Default 0.
    - ``max_runs``: the schedule is completed after this many runs.

    Time semantics:

    - **Naive datetimes** are wall-clock times in ``timezone``, which by default is the
      machine's zone, so ``datetime.now()`` means "now". A wall time that occurs twice is its
      first occurrence; one that does not exist is read with the offset before the jump
      (02:30 on a Berlin spring-forward night is 03:30 CEST). Aware datetimes keep their instant.
      **Every stored instant is UTC**: the fields hold aware UTC datetimes after construction.
    - **DST, cron** (Debian cron's rules, docs/schedules.md): a fixed time skipped by spring
      forward fires once, right after the jump (02:30 → 03:00); a fixed time repeated by fall
      back fires once, on its first pass; jobs whose minute or hour field starts with ``*``
      follow real time instead: they fire whenever the wall clock shows a matching time (in
      both passes of a repeated hour, never for a skipped one).
    - **DST, interval**: absolute time; a 1-hour interval is 3600 s apart across every change.

    A Schedule is immutable and checked when built: it must be exactly one kind, an interval
    must be positive, ``end_time`` must be after ``start_time``, the zone and the cron
    expression must be valid, ``jitter`` must not be negative, ``max_runs`` and
    ``max_active_runs`` must be at least 1. A bad Schedule raises pydantic's ``ValidationError``
    whose message is sundial's ``InvalidScheduleError``: the field, and the fix.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    cron_expression: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    interval_second: timedelta | None = None
    catchup: bool = False
    run_once_start_time: datetime | None = None
    timezone: str = Field(default_factory=local_zone_name, validate_default=True)
    overlap: Overlap = "queue"
    max_active_runs: int = 1
    catchup_window: timedelta | None = None
    jitter: timedelta = timedelta(0)
    max_runs: int | None = None

    if TYPE_CHECKING:
        # What callers may pass, for type checkers: durations as seconds too, and a ZoneInfo
        # for the zone. Validation turns them into the field types above.
        def __init__(
            self,
            *,
            name: str | None = None,
            cron_expression: str | None = None,
            start_time: datetime | None = None,
            end_time: datetime | None = None,
            interval_second: timedelta | float | None = None,
            catchup: bool = False,
            run_once_start_time: datetime | None = None,
            timezone: str | ZoneInfo = ...,
            overlap: Overlap = "queue",
            max_active_runs: int = 1,
            catchup_window: timedelta | float | None = None,
            jitter: timedelta | float = 0,
            max_runs: int | None = None,
        ) -> None: ...

    # -- field checks ---------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: Any) -> Any:
        # Before pydantic's bare "Extra inputs are not permitted": name the closest field
        # (interval_seconds -> interval_second) and list them all.
        if isinstance(data, dict):
            unknown = [k for k in data if isinstance(k, str) and k not in cls.model_fields]
            if unknown:
                import difflib

                close = difflib.get_close_matches(unknown[0], list(cls.model_fields), n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise InvalidScheduleError(
                    f"{unknown[0]} is not a Schedule field{hint}",
                    f"use only these fields: {', '.join(cls.model_fields)}")
        return data

    @field_validator("interval_second", "jitter", "catchup_window", mode="before")
    @classmethod
    def _seconds(cls, value: Any, info: ValidationInfo) -> Any:
        # A duration is a timedelta or a finite number of seconds. pydantic alone would also
        # read True as 1 s and "PT10S" or "10" as durations; a flag or a string given here is
        # almost certainly a mistake. The stored form (to_json) writes ISO-8601 durations,
        # so from_json, and only it, passes strings on.
        field = info.field_name
        if isinstance(value, bool) or not (
            value is None
            or isinstance(value, (timedelta, int, float))
            or (isinstance(value, str) and _stored(info))
        ):
            raise InvalidScheduleError(
                f"{field} is {type(value).__name__} {value!r}, not a number of seconds",
                f"give {field} a number of seconds or a timedelta, e.g. {field}=1800",
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidScheduleError(
                f"{field} is {value}, not a finite number of seconds",
                f"give {field} a finite number of seconds or a timedelta",
            )
        return value

    @field_validator("max_runs", "max_active_runs", mode="before")
    @classmethod
    def _count(cls, value: Any, info: ValidationInfo) -> Any:
        # A count is an int: not True (1), not "3", not 2.5.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InvalidScheduleError(
                f"{info.field_name} is {type(value).__name__} {value!r}, not a whole number",
                f"give {info.field_name} a whole number such as 3",
            )
        return value

    @field_validator("catchup", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        # pydantic alone reads "yes", "on", 1 and "1" as True.
        if not isinstance(value, bool):
            raise InvalidScheduleError(
                f"catchup is {type(value).__name__} {value!r}, not True or False",
                "give catchup=True to run every missed tick, or catchup=False (the default)",
            )
        return value

    @field_validator(*_DATETIME_FIELDS, mode="before")
    @classmethod
    def _instant(cls, value: Any, info: ValidationInfo) -> Any:
        # A datetime, or an ISO-8601 string. pydantic alone reads 12345 (and "12345") as
        # seconds since 1970, which nobody means by a start time.
        field = info.field_name
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
        elif value is None or isinstance(value, datetime):
            return value
        raise InvalidScheduleError(
            f"{field} is {type(value).__name__} {value!r}, not a datetime",
            f"give {field} a datetime, or an ISO-8601 string such as '2026-05-01T09:00:00'",
        )

    @field_validator("timezone", mode="before")
    @classmethod
    def _zone_name(cls, value: Any) -> Any:
        # A ZoneInfo object is accepted for convenience and stored by its IANA key.
        if isinstance(value, ZoneInfo):
            return value.key
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        load_zone(value)
        return value

    @field_validator("name")
    @classmethod
    def _named(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise InvalidScheduleError(
                "name is empty",
                "give the schedule a name, or leave name out to get <pipeline>-<timestamp>",
            )
        return value

    @field_validator("cron_expression")
    @classmethod
    def _parsable_cron(cls, value: str | None) -> str | None:
        # Stored as written (so it round-trips); checked here so a bad field is named now.
        if value is not None:
            normalize_cron(value)
        return value

    @field_validator("interval_second")
    @classmethod
    def _positive_interval(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise InvalidScheduleError(
                f"interval_second must be positive, got {value.total_seconds():g} seconds",
                "give the time between runs, e.g. interval_second=1800 or "
                "interval_second=timedelta(minutes=30)",
            )
        return value

    @field_validator("catchup_window")
    @classmethod
    def _positive_window(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise InvalidScheduleError(
                f"catchup_window must be positive, got {value.total_seconds():g} seconds",
                "give how far back catch-up reaches, e.g. catchup_window=timedelta(days=1), "
                "or leave it out to catch up on every missed tick",
            )
        return value

    @field_validator("jitter")
    @classmethod
    def _non_negative_jitter(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise InvalidScheduleError(
                f"jitter must not be negative, got {value.total_seconds():g} seconds",
                "give the largest delay to add to each run, e.g. jitter=30, or 0 for none",
            )
        return value

    @field_validator("max_runs", "max_active_runs")
    @classmethod
    def _at_least_one(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and value < 1:
            unset = " or leave it out for no limit" if info.field_name == "max_runs" else ""
            raise InvalidScheduleError(
                f"{info.field_name} must be at least 1, got {value}",
                f"give {info.field_name} a positive number{unset}",
            )
        return value

    # -- combination checks and normalization ---------------------------------------------

    @model_validator(mode="after")
    def _one_kind_in_bounds(self) -> Schedule:
        check_one_kind(self)
        zone = load_zone(self.timezone)
        updates: dict[str, datetime] = {}
        for field in _DATETIME_FIELDS:
            value = getattr(self, field)
            if value is not None:
                updates[field] = in_utc(field, value, zone)
        if self.interval_second is not None and self.start_time is None:
            # ZenML requires start_time with an interval; sundial defaults it to "now".
            updates["start_time"] = datetime.now(UTC)
        # The model is frozen for its users; normalizing during its own validation is the one
        # place a field is written, so go around pydantic's frozen __setattr__.
        for field, value in updates.items():
            object.__setattr__(self, field, value)
        self.__pydantic_fields_set__.update(updates)
        check_bounds(self)
        return self

    # -- derived views ----------------------------------------------------------------------

    @property
    def kind(self) -> ScheduleKind:
        """``"cron"``, ``"interval"`` or ``"once"``: which field says when the schedule fires."""
        if self.cron_expression is not None:
            return "cron"
        if self.interval_second is not None:
            return "interval"
        return "once"

    @property
    def zone(self) -> ZoneInfo:
        """``timezone`` as a ``ZoneInfo``."""
        return load_zone(self.timezone)

    @property
    def utc_start_time(self) -> str | None:
        """``start_time`` as an ISO-8601 UTC string (ZenML's property), or ``None``."""
        return None if self.start_time is None else self.start_time.isoformat()

    @property
    def utc_end_time(self) -> str | None:
        """``end_time`` as an ISO-8601 UTC string (ZenML's property), or ``None``."""
        return None if self.end_time is None else self.end_time.isoformat()

    def preview(self, n: int = 10, after: datetime | None = None) -> list[datetime]:
        """The next ``n`` fire times strictly after ``after`` (default: now), in ``timezone``.

        Nominal times from the definition alone: ``jitter`` and ``max_runs`` (which counts
        runs, known only to the scheduler) are not applied. A naive ``after`` is wall-clock
        time in ``timezone``. At most :data:`PREVIEW_LIMIT` times, so a preview is bounded.

        :raises InvalidScheduleError: ``n`` is negative or more than ``PREVIEW_LIMIT``.
        """
        from sundial.timing import fire_times

        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= PREVIEW_LIMIT:
            raise InvalidScheduleError(
                f"preview n={n!r} is not a count from 0 to {PREVIEW_LIMIT}",
                f"ask for at most {PREVIEW_LIMIT} fire times; for later ones, pass after= "
                "the last time shown",
            )
        return list(fire_times(self, datetime.now(UTC) if after is None else after, limit=n))

    def replace(self, **changes: Any) -> Schedule:
        """A new Schedule with ``changes`` applied, validated like a new one.

        Unlike ``model_copy(update=...)``, which skips validation, this checks and normalizes
        the result. Unchanged datetimes are already UTC, so they keep their instants.
        """
        try:
            return Schedule.model_validate({**self.model_dump(), **changes})
        except ValidationError as err:
            raise as_schedule_error(err) from None

    # -- the stored form --------------------------------------------------------------------

    def to_json(self) -> str:
        """The JSON the store keeps: every field plus ``schema_version``.

        Datetimes are ISO-8601 UTC and durations ISO-8601 durations, both exact to the
        microsecond, so ``Schedule.from_json(s.to_json()) == s``.
        """
        document = {"schema_version": SCHEMA_VERSION, **self.model_dump(mode="json")}
        return json.dumps(document, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Schedule:
        """Read what :meth:`to_json` wrote.

        :raises SchemaVersionError: not a schedule document, or a ``schema_version`` this
            sundial does not know (written by a newer one).
        :raises InvalidScheduleError: the fields do not make a valid Schedule.
        """
        try:
            document = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise SchemaVersionError(
                f"stored schedule is not valid JSON ({err})",
                "the schedule record is damaged; re-register the schedule",
            ) from None
        if not isinstance(document, dict):
            raise SchemaVersionError(
                f"stored schedule is a JSON {type(document).__name__}, not an object",
                "the schedule record is damaged; re-register the schedule",
            )
        version = document.pop("schema_version", None)
        if type(version) is not int or version < 1:
            raise SchemaVersionError(
                f"stored schedule has no valid schema_version (got {version!r})",
                "the schedule record was not written by sundial's Schedule.to_json; "
                "re-register the schedule",
            )
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"stored schedule has schema_version {version}; this sundial reads "
                f"up to {SCHEMA_VERSION}",
                "upgrade sundial (pip install -U sundial) to read schedules written by a newer one",
            )
        try:
            return cls.model_validate(document, context=_STORED)
        except ValidationError as err:
            raise as_schedule_error(err) from None


def _stored(info: ValidationInfo) -> bool:
    """Whether the fields being validated come from :meth:`Schedule.from_json`."""
    return isinstance(info.context, dict) and info.context.get("stored") is True
