"""The unit of work: one commit per change, then its effects; changes made outside a unit are refused."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from educussion import mail
from educussion.database import PendingChanges, after_commit, unit_of_work
from educussion.errors import InvalidInput
from educussion.extensions import db
from educussion.models import OutgoingMail, Post, Role, SearchOutbox, User
from educussion.search import indexing
from educussion.verification.services import create_secretariat

from .factories import make_thread, make_user

PACKAGE = Path(__file__).resolve().parent.parent / "educussion"


def _users_seen_by_another_connection(app) -> int:
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM users")).scalar_one()
    finally:
        engine.dispose()


def test_a_unit_refuses_to_start_with_changes_made_outside_it(app):
    user = make_user(Role.MAYOR)
    user.display_name = "書き換え 太郎"  # changed outside any unit
    with pytest.raises(PendingChanges, match="1 changed"):
        with unit_of_work():
            pass
    db.session.rollback()
    assert db.session.get(User, user.id).display_name != "書き換え 太郎"

    db.session.add(User(email="outside@example.jp", password_hash="x", display_name="外 花子"))
    db.session.flush()  # flushed, so no longer "new" in the session: still refused
    with pytest.raises(PendingChanges, match="flushed"):
        with unit_of_work():
            pass
    db.session.rollback()
    assert db.session.execute(select(func.count(User.id)).where(User.email == "outside@example.jp")).scalar() == 0


def test_effects_run_once_after_the_commit_and_see_the_committed_rows(app):
    seen: list[int] = []

    def effect():
        seen.append(_users_seen_by_another_connection(app))

    before = _users_seen_by_another_connection(app)
    with unit_of_work():
        db.session.add(User(email="unit@example.jp", password_hash="x", display_name="単位 一郎"))
        after_commit(effect)
        after_commit(effect)  # registered twice, run once
        assert seen == []
    assert seen == [before + 1]


def test_effects_do_not_run_when_the_unit_rolls_back(app):
    seen: list[str] = []
    with pytest.raises(RuntimeError, match="boom"):
        with unit_of_work():
            db.session.add(User(email="rolled@example.jp", password_hash="x", display_name="戻 次郎"))
            after_commit(lambda: seen.append("ran"))
            raise RuntimeError("boom")
    assert seen == []
    assert db.session.execute(select(func.count(User.id)).where(User.email == "rolled@example.jp")).scalar() == 0
    with unit_of_work():  # and the next unit starts clean
        pass
    assert seen == []


def test_a_failing_effect_keeps_the_change_and_the_caller_sees_no_error(app, caplog):
    def broken():
        raise OSError("index disk full")

    with unit_of_work():
        db.session.add(User(email="kept@example.jp", password_hash="x", display_name="保 三郎"))
        after_commit(broken)
    assert db.session.execute(select(func.count(User.id)).where(User.email == "kept@example.jp")).scalar() == 1
    assert "index disk full" in caplog.text


def test_an_inner_unit_joins_the_outer_one(app):
    with pytest.raises(RuntimeError):
        with unit_of_work():
            with unit_of_work():
                db.session.add(User(email="inner@example.jp", password_hash="x", display_name="内 四郎"))
                db.session.flush()
            assert _users_seen_by_another_connection(app) == 0  # the inner end did not commit
            raise RuntimeError("the outer unit fails")
    assert db.session.execute(select(func.count(User.id)).where(User.email == "inner@example.jp")).scalar() == 0


def test_registering_an_effect_outside_a_unit_is_an_error(app):
    with pytest.raises(RuntimeError, match="outside unit_of_work"):
        after_commit(lambda: None)


def test_a_queued_mail_is_sent_and_an_outbox_row_drained_after_the_commit(app, mails):
    app.config["SEARCH_DRAIN"] = "request"
    thread = make_thread(body="単位の話")
    post_id = db.session.execute(select(Post.id).where(Post.thread_id == thread.id)).scalar_one()
    with unit_of_work():
        mail.queue("mayor@city.example.jp", "件名", "本文")
        indexing.queue_post(post_id)
    assert db.session.execute(select(func.count(SearchOutbox.id))).scalar() == 0
    sent = db.session.execute(
        select(OutgoingMail).where(OutgoingMail.recipient == "mayor@city.example.jp")).scalar_one()
    assert sent.sent_at is not None


def test_create_secretariat_leaves_no_half_made_account(app):
    with pytest.raises(InvalidInput):
        create_secretariat("half@example.jp", "a-long-password-1", "半田 五郎", organisation="   ")
    assert db.session.execute(select(func.count(User.id)).where(User.email == "half@example.jp")).scalar() == 0
    user = create_secretariat("whole@example.jp", "a-long-password-1", "全 六郎")
    assert db.session.get(User, user.id).role == Role.SECRETARIAT


EFFECTS = {"drain_after_commit", "send_queued"}


def test_no_service_runs_an_effect_by_hand():
    """The unit of work runs the effects; a service that called one itself would run it twice or too early."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "database.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name in EFFECTS:
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} calls {name}()")
    assert found == []
