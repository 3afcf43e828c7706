"""Engine set-up and the write transaction every service runs in."""
from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

# Set while a service opens its transaction: the SQLite "begin" hook then takes the write lock at once.
_want_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("want_immediate", default=False)


def configure_engine(engine: Engine) -> None:
    """SQLite: foreign keys on, WAL, and our own BEGIN so that writers can ask for IMMEDIATE."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own transaction handling would BEGIN lazily (DEFERRED) before the first write;
        # we turn it off and issue BEGIN ourselves in the "begin" hook below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A deferred transaction that later writes fails with SQLITE_BUSY when another process
        # committed in between (busy_timeout cannot help); writers must take the lock up front.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _want_immediate.get() else "BEGIN")


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run the body as one write transaction, committed at the end or rolled back on error.

    A read transaction left open by the caller (the view loading its objects) is ended first, so the
    writes happen on a fresh snapshot under the write lock; loaded objects reload on next access.
    """
    session = db.session()  # the scoped session's current Session
    if session.in_transaction():
        session.commit()
    token = _want_immediate.set(True)
    try:
        session.connection()  # begins now
    finally:
        _want_immediate.reset(token)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
