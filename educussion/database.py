"""Engine set-up and the unit of work every change runs in."""
from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .extensions import db

log = logging.getLogger(__name__)

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


class PendingChanges(RuntimeError):
    """A unit of work was started while the session held changes made outside any unit: a programming error
    (they would have been committed silently with the unit's own)."""


_DEPTH = "educussion.unit_of_work.depth"
_EFFECTS = "educussion.unit_of_work.effects"
_FLUSHED = "educussion.unit_of_work.flushed_outside"


def _pending(session: Session) -> list[str]:
    found = [f"{len(objects)} {what}" for what, objects in
             (("new", session.new), ("changed", session.dirty), ("deleted", session.deleted)) if objects]
    if session.info.get(_FLUSHED):
        found.append("changes flushed to the database but not committed")
    return found


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Run the body as one write transaction, then the effects it registered with :func:`after_commit`.

    The one way a service changes the database: it commits once at the end (rolls back on error) and only then
    runs the effects (the search outbox drain, the mails queued, …), each once, so a failing effect never
    undoes or hides a saved change. Refuses to start when the session holds changes made outside a unit
    (raises :class:`PendingChanges`). A unit started inside another joins it: one commit, at the outer end.

    A read transaction left open by the caller (the view loading its objects) is ended first, so the writes
    happen on a fresh snapshot under the write lock; loaded objects reload on next access.
    """
    session = db.session()  # the scoped session's current Session
    if session.info.get(_DEPTH):
        session.info[_DEPTH] += 1
        try:
            yield
        finally:
            session.info[_DEPTH] -= 1
        return
    pending = _pending(session)
    if pending:
        raise PendingChanges("unit_of_work() started with changes made outside a unit of work: "
                             + ", ".join(pending))
    _begin_writing(session)
    session.info[_DEPTH] = 1
    session.info[_EFFECTS] = {}
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info[_DEPTH] = 0
        effects = session.info.pop(_EFFECTS, {})
    _run_effects(session, effects)


def _begin_writing(session: Session) -> None:
    if session.in_transaction():
        session.commit()  # nothing to write (the caller checked): ends the read
    token = _want_immediate.set(True)
    try:
        session.connection()  # begins now
    finally:
        _want_immediate.reset(token)


def _run_effects(session: Session, effects) -> None:
    for effect in effects:
        try:
            effect()
        except Exception:  # the change is saved; an effect's work stays in its outbox for the worker
            log.exception("after-commit effect %s failed", getattr(effect, "__qualname__", effect))
            session.rollback()


def after_commit(effect: Callable[[], object]) -> None:
    """Run `effect()` once after the current unit of work commits (registered twice, run once; never run when
    the unit rolls back). Only inside a unit of work: an effect with no commit to follow is a programming
    error."""
    session = db.session()
    if not session.info.get(_DEPTH):
        raise RuntimeError("after_commit() called outside unit_of_work()")
    session.info[_EFFECTS][effect] = None


# A flush made outside a unit of work is remembered until the next commit or rollback (see _pending).
@event.listens_for(Session, "after_flush")
def _after_flush(session, _context):
    if not session.info.get(_DEPTH):
        session.info[_FLUSHED] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_flushes(session):
    session.info.pop(_FLUSHED, None)
