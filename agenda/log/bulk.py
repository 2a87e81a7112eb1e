"""Many rows written with one driver call, for the hot batches (a group commit of ballots).

The ORM builds an object per row and Core a parameter dictionary per row; for 500 ballots that
is most of the transaction's time. `insert_rows` takes plain tuples and hands them to the
driver's executemany in one call. Each value still goes through its column type's bind
processing (how SQLite stores a datetime, for one), looked up once per column.
`bench/bulk_insert.py` measures it against Core's executemany on a ballot batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlmodel import Session, SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a model."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def insert_rows(
    session: Session, model: type[SQLModel], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT `rows` (tuples in the order of `columns`) into `model`'s table, in the session's
    transaction."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    table = table_of(model)
    quote = dialect.identifier_preparer.quote
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]
    if any(processors):
        rows = _processed(processors, rows)
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in columns)})"
        f" VALUES ({', '.join([marker] * len(columns))})"
    )
    connection.exec_driver_sql(statement, list(rows))


def _processed(processors: list[Any], rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows with each value bound by its column's processor; each distinct value once (the
    rows of a batch share their times)."""
    done: dict[tuple[int, Any], Any] = {}

    def bound(column: int, value: Any) -> Any:
        processor = processors[column]
        if processor is None or value is None:
            return value
        key = (column, value)
        if key not in done:
            done[key] = processor(value)
        return done[key]

    return [tuple(bound(column, value) for column, value in enumerate(row)) for row in rows]
