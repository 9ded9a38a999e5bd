"""Registering many schedules at once: one transaction, one name check, one insert.

Registering one schedule at a time costs a few transactions each (the pipeline version, the
name, the insert) plus a wake-up; a thousand schedules then take seconds. Here the names of the
whole batch are checked with one query and the rows go in with one ``executemany``, all or
nothing: a taken name stops the batch before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update

from sundial.errors import AlreadyExistsError, ParameterError
from sundial.store import tables as t
from sundial.store.records import DELETED
from sundial.store.schedule_store import deleted_name
from sundial.store.store import Store

_CHUNK = 5_000  # names per IN (...) query: well under SQLite's bound-parameter limit


def insert_schedules(store: Store, rows: Sequence[dict[str, Any]]) -> None:
    """Insert schedule rows (``schedules`` columns) in one transaction.

    A deleted schedule holding one of the names keeps its history under ``NAME~deleted-<id>``,
    as with a single registration.

    :raises ParameterError: a name appears twice in ``rows``.
    :raises AlreadyExistsError: a schedule that is not deleted has one of the names.
    """
    names = [row["name"] for row in rows]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})[:5]
        raise ParameterError(f"schedule names given more than once: {', '.join(twice)}",
                             "give each schedule of the batch its own name= (or none)")
    s = t.schedules.c
    with store.write() as conn:
        holders: list[Any] = []
        for i in range(0, len(names), _CHUNK):
            holders += conn.execute(select(s.id, s.name, s.state)
                                    .where(s.name.in_(names[i:i + _CHUNK]))).all()
        taken = sorted(h.name for h in holders if h.state != DELETED)
        if taken:
            more = f" and {len(taken) - 5} more" if len(taken) > 5 else ""
            raise AlreadyExistsError(
                f"schedules named {', '.join(repr(n) for n in taken[:5])}{more} exist already",
                "pick other names, or change the existing ones with `sundial schedule update "
                "NAME` / Client().schedules.update(...)")
        for holder in holders:
            conn.execute(update(t.schedules).where(s.id == holder.id)
                         .values(name=deleted_name(holder.name, holder.id)))
        conn.execute(insert(t.schedules), list(rows))
