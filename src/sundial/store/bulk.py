"""Set-based inserts: one SQLAlchemy statement, compiled once, executed with many rows.

SQLAlchemy's ``executemany`` builds a parameter dictionary and runs every type's bind processor
for every row, through several layers: for the 20,000 rows of a 10,000-tick catch-up that is
most of the time. :class:`BulkInsert` keeps the statement SQLAlchemy's (built from the same
tables, compiled by the same dialect: there is no second, hand-written SQL path) and converts
the values itself, with the same bind processors, once per column where every row has the same
value (a catch-up's rows share their schedule, parameters and record time).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from sqlalchemy import Connection, Table, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect


class BulkInsert:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` of ``columns`` into ``table``."""

    def __init__(self, table: Table, columns: Sequence[str], conflict_keys: Sequence[str],
                 dialect: Dialect) -> None:
        self._table, self._keys, self._dialect = table, list(conflict_keys), dialect
        self._unnest: dict[frozenset[str], str] = {}
        make = pg_insert if dialect.name == "postgresql" else sqlite_insert
        stmt = make(table).on_conflict_do_nothing(index_elements=list(conflict_keys))
        compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
        if set(compiled.binds) != set(columns):  # a column default would go unfilled
            raise ValueError(f"bulk insert into {table.name} must give every bound column: "
                             f"{sorted(compiled.binds)}, not {sorted(columns)}")
        self.sql = str(compiled)
        # The order in which the driver takes the values (positional paramstyles), or None
        # when it takes them by name.
        order = list(compiled.positiontup or ()) if compiled.positional else None
        names = order if order is not None else list(columns)
        self._names = names
        self._positional = order is not None
        self._processors: list[Callable[[Any], Any] | None] = [
            table.c[name].type._cached_bind_processor(dialect) for name in names]

    def execute(self, conn: Connection, count: int, values: dict[str, Any]) -> int:
        """Insert ``count`` rows; ``values`` gives each column either one Python value for
        every row or an :class:`Each` of per-row values. Rows whose conflict key exists
        already are skipped. Returns how many went in."""
        if count == 0:
            return 0
        if self._dialect.name == "postgresql":
            return self._execute_unnest(conn, values)
        columns: list[Any] = []
        for name, process in zip(self._names, self._processors, strict=True):
            value = values[name]
            if isinstance(value, Each):
                items = value.values
                if process is not None and not value.converted:
                    items = [process(v) for v in items]
                columns.append(items)
            else:
                columns.append(repeat(value if process is None else process(value), count))
        rows = zip(*columns, strict=False)
        params: list[Any] = list(rows) if self._positional else [
            dict(zip(self._names, row, strict=True)) for row in rows]
        return int(conn.exec_driver_sql(self.sql, params).rowcount)

    def _execute_unnest(self, conn: Connection, values: dict[str, Any]) -> int:
        """PostgreSQL: one statement whose per-row columns are arrays, unnested side by side
        (the driver's ``executemany`` pays a round of Python work per row, a database-side
        ``unnest`` none)."""
        params: dict[str, Any] = {}
        for name, process in zip(self._names, self._processors, strict=True):
            value = values[name]
            if isinstance(value, Each):
                items = value.values
                params[name] = list(items) if process is None or value.converted \
                    else [process(v) for v in items]
            else:
                params[name] = value if process is None else process(value)
        shape = frozenset(n for n in self._names if isinstance(values[n], Each))
        sql = self._unnest.get(shape)
        if sql is None:
            cols = [self._table.c[n] for n in self._names]
            picked = select(*[
                (func.unnest(cast(bindparam(c.key), ARRAY(c.type))) if c.key in shape
                 else cast(bindparam(c.key), c.type)).label(c.key) for c in cols])
            stmt = pg_insert(self._table).from_select(self._names, picked) \
                .on_conflict_do_nothing(index_elements=self._keys)
            sql = self._unnest[shape] = str(stmt.compile(dialect=self._dialect))
        return int(conn.exec_driver_sql(sql, params).rowcount)

    def converted(self, column: str, values: Sequence[Any]) -> Each:
        """Per-row values of ``column`` in the driver's form, to be given to several columns
        or statements without converting them again."""
        process = self._processors[self._names.index(column)]
        return Each([process(v) for v in values] if process else list(values), converted=True)


@dataclass(frozen=True)
class Each:
    """Per-row values of one column (``converted``: already in the driver's form)."""

    values: Sequence[Any]
    converted: bool = False


def new_ids(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs as strings, from one call for random bytes: a
    catch-up needs thousands, and ``uuid.uuid4()`` costs a system call and an object each."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes((b & 0x0F) | 0x40 for b in raw[6::16])  # version 4
    raw[8::16] = bytes((b & 0x3F) | 0x80 for b in raw[8::16])  # RFC 4122 variant
    h = raw.hex()
    return [f"{h[i:i + 8]}-{h[i + 8:i + 12]}-{h[i + 12:i + 16]}-{h[i + 16:i + 20]}-"
            f"{h[i + 20:i + 32]}" for i in range(0, 32 * count, 32)]
