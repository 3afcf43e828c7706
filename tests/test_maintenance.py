"""Retention: `flask maintenance purge` (and the worker, daily) deletes old log-in throttles, search log entries and
sent mails; recent rows, unsent mails and the audit log stay; one audit entry counts what went."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select

from educussion import maintenance
from educussion.config import from_environment
from educussion.extensions import db
from educussion.models import AuditAction, AuditEntry, LoginThrottle, OutgoingMail, SearchLog, utcnow


def _days_ago(days: float):
    return utcnow() - timedelta(days=days)


def _fill() -> None:
    db.session.execute(insert(LoginThrottle), [
        {"key": "old", "failures": 1, "last_failure_at": _days_ago(8)},
        {"key": "recent", "failures": 4, "last_failure_at": _days_ago(6)},
    ])
    db.session.execute(insert(SearchLog), [
        {"created_at": _days_ago(366), "query": "古い検索", "filters": "", "hits": 0, "duration_ms": 3},
        {"created_at": _days_ago(364), "query": "最近の検索", "filters": "", "hits": 2, "duration_ms": 3},
    ])
    mail = {"subject": "件名", "body_text": "本文", "attempts": 1}
    db.session.execute(insert(OutgoingMail), [
        {**mail, "recipient": "old-sent@example.jp", "created_at": _days_ago(100), "sent_at": _days_ago(91)},
        {**mail, "recipient": "recent-sent@example.jp", "created_at": _days_ago(89), "sent_at": _days_ago(89)},
        {**mail, "recipient": "old-unsent@example.jp", "created_at": _days_ago(400), "last_error": "refused"},
        {**mail, "recipient": "given-up@example.jp", "created_at": _days_ago(400), "attempts": 10},
    ])
    db.session.execute(insert(AuditEntry), [{"created_at": _days_ago(3000), "actor_label": "system",
                                             "action": AuditAction.MUNICIPALITIES_LOADED,
                                             "target_type": "municipalities", "summary": "古い監査記録"}])
    db.session.commit()


def _left() -> dict:
    db.session.expire_all()
    return {"throttles": set(db.session.execute(select(LoginThrottle.key)).scalars()),
            "search_log": set(db.session.execute(select(SearchLog.query)).scalars()),
            "mail": set(db.session.execute(select(OutgoingMail.recipient)).scalars())}


def _purge_entries() -> list[AuditEntry]:
    return list(db.session.execute(select(AuditEntry).filter_by(action=AuditAction.RETENTION_PURGED)).scalars())


def test_purge_deletes_old_rows_and_keeps_recent_ones_unsent_mails_and_the_audit_log(app, runner):
    _fill()
    result = runner.invoke(args=["maintenance", "purge"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("Deleted login_throttles=1 (older than 7 days) search_log=1 (older than 365 days)"
                                     " sent_mail=1 (older than 90 days) login_sessions=0.")
    assert _left() == {"throttles": {"recent"}, "search_log": {"最近の検索"},
                       "mail": {"recent-sent@example.jp", "old-unsent@example.jp", "given-up@example.jp"}}
    assert db.session.execute(select(AuditEntry).filter_by(summary="古い監査記録")).scalar() is not None
    [entry] = _purge_entries()
    assert entry.actor_id is None and entry.actor_label == "system" and entry.target_type == "retention"
    assert entry.summary == ("login_throttles=1 (older than 7 days) search_log=1 (older than 365 days) "
                             "sent_mail=1 (older than 90 days) login_sessions=0")

    again = runner.invoke(args=["maintenance", "purge"])
    assert "login_throttles=0" in again.output and "search_log=0" in again.output and "sent_mail=0" in again.output
    assert len(_purge_entries()) == 2


def test_retention_is_configured_and_zero_keeps_forever(app):
    _fill()
    app.config.update(RETAIN_THROTTLE_DAYS=0, RETAIN_SEARCH_LOG_DAYS=30, RETAIN_SENT_MAIL_DAYS=1)
    purged = maintenance.purge()
    assert (purged.throttles, purged.search_log, purged.sent_mail) == (0, 2, 2)
    assert _left() == {"throttles": {"old", "recent"}, "search_log": set(),
                       "mail": {"old-unsent@example.jp", "given-up@example.jp"}}


def test_retention_settings_come_from_the_environment(tmp_path):
    assert {k: v for k, v in from_environment(str(tmp_path), {}).items() if k.startswith("RETAIN_")} == {
        "RETAIN_THROTTLE_DAYS": 7, "RETAIN_SEARCH_LOG_DAYS": 365, "RETAIN_SENT_MAIL_DAYS": 90}
    config = from_environment(str(tmp_path), {"EDUCUSSION_RETAIN_THROTTLE_DAYS": "2",
                                              "EDUCUSSION_RETAIN_SEARCH_LOG_DAYS": "30",
                                              "EDUCUSSION_RETAIN_SENT_MAIL_DAYS": "0"})
    assert (config["RETAIN_THROTTLE_DAYS"], config["RETAIN_SEARCH_LOG_DAYS"], config["RETAIN_SENT_MAIL_DAYS"]) == \
        (2, 30, 0)


def test_the_worker_purges_once_a_day(app):
    """`purge_if_due` (called in the search worker's loop) purges when no purge is on record for a day."""
    _fill()
    assert maintenance.purge_if_due() is not None
    assert _left()["throttles"] == {"recent"} and len(_purge_entries()) == 1
    assert maintenance.purge_if_due() is None  # checked a moment ago in this process

    app.extensions.pop("educussion.maintenance")  # e.g. the worker restarted: the audit log says it is done
    assert maintenance.purge_if_due(now=utcnow() + timedelta(hours=23)) is None
    app.extensions.pop("educussion.maintenance")
    purged = maintenance.purge_if_due(now=utcnow() + timedelta(days=1, minutes=1))
    assert purged is not None and purged.throttles == 1  # a day later the once recent row is old too
    assert len(_purge_entries()) == 2


def test_purge_deletes_log_in_sessions_that_can_no_longer_work(app):
    from educussion.models import LoginSession

    from .factories import make_user

    user = make_user()
    now = utcnow()
    old = now - timedelta(days=60)
    rows = {
        "revoked long ago": LoginSession(user_id=user.id, token_hash="a" * 64, created_at=old, last_seen_at=old,
                                         revoked_at=old),
        "idle past remember me": LoginSession(user_id=user.id, token_hash="b" * 64, created_at=old, last_seen_at=old),
        "open": LoginSession(user_id=user.id, token_hash="c" * 64, created_at=old, last_seen_at=now),
        "revoked today": LoginSession(user_id=user.id, token_hash="d" * 64, created_at=now, last_seen_at=now,
                                      revoked_at=now),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    assert maintenance.purge().sessions == 2
    left = set(db.session.execute(select(LoginSession.token_hash)).scalars())
    assert left == {"c" * 64, "d" * 64}
