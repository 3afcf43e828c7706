"""Log-in throttling per address typed: locks after failures, the same for unknown addresses."""
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, select, update

from educussion.accounts import services, throttle
from educussion.errors import TooManyAttempts
from educussion.extensions import db
from educussion.models import LoginThrottle, Role, utcnow

from .factories import PASSWORD, make_user

ADDRESS = "mayor@example.jp"


def html(response) -> str:
    return response.get_data(as_text=True)


def form_errors(page: str) -> str:
    match = re.search(r'<div class="form-errors".*?</div>', page, re.S)
    return match.group(0) if match else ""


def row(address: str = ADDRESS) -> LoginThrottle | None:
    db.session.expire_all()
    return db.session.get(LoginThrottle, throttle.throttle_key(address))


def log_in(client, address: str, password: str):
    return client.post("/login?lang=en", data={"email": address, "password": password})


def unlock(address: str = ADDRESS) -> None:
    db.session.execute(update(LoginThrottle).where(LoginThrottle.key == throttle.throttle_key(address))
                       .values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_three_failures_lock_even_the_right_password_until_the_lock_ends(client):
    make_user(Role.MAYOR, email=ADDRESS)
    assert log_in(client, ADDRESS, "wrong password 1").status_code == 400
    assert log_in(client, ADDRESS, "wrong password 2").status_code == 400
    third = log_in(client, ADDRESS, "wrong password 3")
    assert third.status_code == 429 and third.headers["Retry-After"] == "10"

    refused = log_in(client, ADDRESS, PASSWORD)
    page = html(refused)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 10
    assert "Please wait 1 minute" in form_errors(page)  # 10 seconds, rounded up to a minute
    assert 'value="mayor@example.jp"' in page and "ログアウト" not in page and "Log out" not in page
    assert row().failures == 3 and row().locked_until > utcnow()

    unlock()
    response = log_in(client, ADDRESS, PASSWORD)
    assert response.status_code == 302
    assert row() is None  # a success clears the count


def test_attempts_while_locked_are_not_counted(client):
    make_user(Role.MAYOR, email=ADDRESS)
    for n in range(3):
        log_in(client, ADDRESS, f"wrong password {n}")
    locked_until = row().locked_until
    assert log_in(client, ADDRESS, "still wrong!").status_code == 429
    assert row().failures == 3 and row().locked_until == locked_until


def test_an_unknown_address_is_throttled_the_same_way(client):
    make_user(Role.MAYOR, email=ADDRESS)
    pages = {}
    for address in (ADDRESS, "nobody@example.jp"):
        statuses = [log_in(client, address, f"wrong password {n}").status_code for n in range(3)]
        assert statuses == [400, 400, 429]
        locked = log_in(client, address, PASSWORD)
        assert locked.status_code == 429
        pages[address] = form_errors(html(locked))
        assert row(address).failures == 3
    assert pages[ADDRESS] == pages["nobody@example.jp"] and "Please wait" in pages[ADDRESS]


def test_the_address_is_compared_without_case_or_spaces(client):
    make_user(Role.MAYOR, email=ADDRESS)
    for typed in ("Mayor@Example.JP", " mayor@example.jp ", "MAYOR@EXAMPLE.JP"):
        log_in(client, typed, "wrong password")
    assert log_in(client, ADDRESS, PASSWORD).status_code == 429
    assert throttle.throttle_key(" Mayor@Example.JP ") == throttle.throttle_key(ADDRESS)


def test_the_stored_key_is_a_hash_not_the_address(app):
    with pytest.raises(TooManyAttempts):
        for _ in range(3):
            throttle.record_failure(ADDRESS)
    (stored,) = db.session.execute(select(LoginThrottle.key)).scalars().all()
    assert ADDRESS not in stored and re.fullmatch(r"[0-9a-f]{64}", stored)


@pytest.mark.parametrize("failures, seconds", [(1, 0), (2, 0), (3, 10), (4, 10), (5, 60), (9, 60), (10, 900),
                                               (25, 900)])
def test_lock_steps(failures, seconds):
    assert throttle.lock_seconds(failures) == seconds


def test_locks_grow_with_failures(app):
    start = utcnow()

    def fail(n: int):
        now = start + timedelta(seconds=n)  # one failure a second (the lock is not checked here)
        try:
            throttle.record_failure(ADDRESS, now=now)
        except TooManyAttempts as error:
            return error
        return None

    errors = [fail(n) for n in range(1, 11)]
    assert errors[:2] == [None, None]
    assert [e.retry_after for e in errors[2:4]] == [10, 10]
    assert [e.retry_after for e in errors[4:9]] == [60] * 5
    assert errors[9].retry_after == 900
    assert row().failures == 10
    assert row().locked_until == start + timedelta(seconds=10) + timedelta(minutes=15)
    with pytest.raises(TooManyAttempts) as locked:
        throttle.check(ADDRESS, now=start + timedelta(minutes=5))
    assert locked.value.retry_after == 10 * 60 + 10


def test_failures_older_than_an_hour_start_again(app):
    long_ago = utcnow() - timedelta(hours=2)
    throttle.record_failure(ADDRESS, now=long_ago)
    throttle.record_failure(ADDRESS, now=long_ago + timedelta(seconds=1))
    throttle.record_failure(ADDRESS)  # would be the third; the first two are forgotten
    assert row().failures == 1 and row().locked_until is None


def test_a_successful_log_in_without_failures_writes_only_its_session(client, count_queries):
    make_user(Role.MAYOR, email=ADDRESS)
    with count_queries() as log:
        assert log_in(client, ADDRESS, PASSWORD).status_code == 302
    assert [w.split()[:3] for w in log.writes] == [["INSERT", "INTO", "login_sessions"]]


def test_a_password_reset_clears_the_lock(app):
    user = make_user(Role.MAYOR, email=ADDRESS)
    for n in range(3):
        try:
            services.authenticate(ADDRESS, f"wrong password {n}")
        except TooManyAttempts:
            pass
    from educussion.accounts import tokens

    services.reset_password(tokens.make_reset_token(user), "a brand new password")
    assert row() is None
    assert services.authenticate(ADDRESS, "a brand new password") is not None


def test_two_first_failures_at_the_same_moment_both_count(app):
    """Another worker inserts the first failure while this one counts: nothing is lost, nothing fails.

    On PostgreSQL this worker's INSERT meets the other's row (IntegrityError) and counts by UPDATE; on
    SQLite it waits for the write lock and then finds the row."""
    key = throttle.throttle_key(ADDRESS)
    statements: list[str] = []
    inserting = threading.Event()
    errors: list[BaseException] = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if threading.current_thread() is worker:
            statements.append(statement.split()[0].upper())
            if statement.lstrip().upper().startswith("INSERT"):
                inserting.set()

    def count_one():
        try:
            with app.app_context():
                throttle.record_failure(ADDRESS)
                db.session.remove()
        except BaseException as error:  # reported by the test below
            errors.append(error)

    worker = threading.Thread(target=count_one)
    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        with db.engine.connect() as other:
            other.execute(insert(LoginThrottle).values(key=key, failures=1, last_failure_at=utcnow()))
            worker.start()
            inserting.wait(timeout=0.5)  # PostgreSQL: the worker now waits on our uncommitted row
            other.commit()
        worker.join(timeout=30)
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert not worker.is_alive() and errors == []
    assert row().failures == 2
    if db.engine.dialect.name == "postgresql":
        assert statements.count("INSERT") == 1 and statements.count("UPDATE") == 2
