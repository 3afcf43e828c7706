"""Fixtures: a migrated database (SQLite, or PostgreSQL from EDUCUSSION_TEST_DATABASE_URL), an app
per test on clean tables, a client, `login_as` and a SQL statement counter."""
from __future__ import annotations

import os
import re
from contextlib import contextmanager

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text

from educussion import create_app
from educussion.config import normalise_database_url
from educussion.extensions import db

TEST_SECRET = "test-secret-key-" + "x" * 32
KEPT_TABLES = {"themes", "alembic_version", "organisations"}  # seeded by migrations


def _base_config(database_url: str, instance_path: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_TIME_COST": 1,
        "PASSWORD_MEMORY_COST": 1024,
        "SERVER_NAME": None,
        "BASE_URL": "http://localhost",  # what the test client sends as Host: links read as before
        "INSTANCE_PATH": instance_path or None,
        # Tests log the secretariat in without a phone; tests of two-step verification turn it back on.
        "TWO_STEP_REQUIRED_ROLES": (),
    }


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """An empty database, upgraded to the head migration once for the whole run."""
    url = os.environ.get("EDUCUSSION_TEST_DATABASE_URL")
    if url:
        url = normalise_database_url(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
    app = create_app(_base_config(url, ""))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _clean(connection) -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    if connection.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            connection.execute(table.delete())
    connection.execute(text("UPDATE themes SET thread_count = 0, post_count = 0, last_posted_at = NULL"))
    # Keep the official municipality list; remove organisations that tests created.
    connection.execute(text("DELETE FROM organisations WHERE municipality_code IS NULL"))


class FreshRequestClient(FlaskClient):
    """Test code keeps the app context pushed (factories need it) and requests reuse it; so each request
    starts with an empty `g`, as in production where every request has its own context (else the logged-in
    user and the chosen language cached by Flask-Login and Flask-Babel would leak between requests)."""

    def open(self, *args, **kwargs):
        _forget_request_state()
        try:
            return super().open(*args, **kwargs)
        finally:
            _forget_request_state()


def _forget_request_state():
    if has_app_context():
        for name in list(vars(g)):
            delattr(g, name)


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on the test database with extra settings; tables start empty but for the themes."""
    made = []

    def _make(**overrides):
        config = _base_config(database_url, str(tmp_path / "instance"))
        config.update(overrides)
        app = create_app(config)
        app.test_client_class = FreshRequestClient
        made.append(app)
        return app

    yield _make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        with db.engine.begin() as connection:
            _clean(connection)
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login_as(client):
    """Log the test client in as `user` (the session carries the user's token, as after a real log-in)."""

    def _login(user):
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    return _login


class StatementLog:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith("SELECT")]

    @property
    def writes(self) -> list[str]:
        pattern = re.compile(r"^\s*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|TRUNCATE)", re.I)
        return [s for s in self.statements if pattern.match(s)]

    def __len__(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as log:` records every SQL statement run inside the block."""

    @contextmanager
    def _count():
        log = StatementLog()

        def _record(conn, cursor, statement, parameters, context, executemany):
            log.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", _record)
        try:
            yield log
        finally:
            event.remove(db.engine, "before_cursor_execute", _record)

    return _count


@pytest.fixture(autouse=True)
def _mail_stays_local(monkeypatch, tmp_path):
    """Apps made by a test write their mails as files into its tmp folder (never into instance/mail,
    never through a real SMTP server, whatever the developer's environment says)."""
    monkeypatch.setenv("EDUCUSSION_MAIL_FOLDER", str(tmp_path / "mail"))
    monkeypatch.delenv("EDUCUSSION_SMTP_HOST", raising=False)
    monkeypatch.delenv("EDUCUSSION_MAIL_SEND", raising=False)  # mails go out right after the change


class MailBox:
    """The .eml files the file backend wrote, parsed as a mail client would."""

    def __init__(self, folder):
        self.folder = folder

    def paths(self) -> list:
        return sorted(self.folder.glob("*.eml")) if self.folder.exists() else []

    def raw(self) -> list[bytes]:
        return [path.read_bytes() for path in self.paths()]

    def messages(self) -> list:
        from email import message_from_bytes, policy

        return [message_from_bytes(data, policy=policy.default) for data in self.raw()]

    def all(self) -> list[dict]:
        """Each mail as {"to", "subject", "body", "message"} (subject decoded, body as text)."""
        return [
            {"to": str(m["To"]), "subject": str(m["Subject"]), "body": m.get_body(("plain",)).get_content(),
             "message": m}
            for m in self.messages()
        ]

    def to(self, address: str) -> list[dict]:
        return [mail for mail in self.all() if mail["to"] == address]

    def last(self) -> dict:
        mails = self.all()
        assert mails, f"no mail in {self.folder}"
        return mails[-1]

    def __len__(self) -> int:
        return len(self.paths())


@pytest.fixture
def mails(app, tmp_path):
    """The mails the app sends in this test, read back from the .eml files in a tmp folder."""
    folder = tmp_path / "mail"
    app.config["MAIL_BACKEND"] = "file"
    app.config["MAIL_FOLDER"] = str(folder)
    return MailBox(folder)
