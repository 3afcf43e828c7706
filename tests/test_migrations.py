"""The migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from educussion.extensions import db
from educussion.models import Theme


def test_migrated_database_matches_the_models(app):
    """The session database was built from empty by `upgrade()`; it must equal the models."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_migration_seeds_the_four_themes(app):
    themes = db.session.execute(select(Theme).order_by(Theme.position)).scalars().all()
    assert [t.slug for t in themes] == ["policy-proposals", "infrastructure", "regional-outreach", "teacher-training"]
    assert [t.name_ja for t in themes] == [
        "教育の情報化に向けた政策提言", "効率的な環境整備", "地域創生と教育情報化の情報発信", "教員の指導力向上・研修"]
    assert all(t.name_en and t.description_ja and t.description_en for t in themes)


def test_downgrade_and_upgrade_again(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "roundtrip.db"))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        assert db.session.execute(select(Theme)).scalars().all()


def test_upgrade_keeps_existing_members_and_ties_their_organisations_to_the_code_list(make_app, tmp_path):
    """A board running the first release (organisations typed by hand) upgrades without losing anyone."""
    from sqlalchemy import text

    app = make_app(SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "old.db"))
    with app.app_context():
        upgrade(revision="d235efa58aa1")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO organisations (id, name, created_at) VALUES (7, '多久市', '2025-04-01')"))
            connection.execute(text(
                "INSERT INTO users (id, email, password_hash, display_name, role, organisation_id, title, "
                "verified_at, is_demo, session_token, created_at) VALUES (1, 'm@example.jp', 'x', '山田 太郎', "
                "'mayor', 7, '市長', '2025-04-01', 0, 'tok', '2025-04-01')"))
        upgrade()
        with db.engine.connect() as connection:
            adopted = connection.execute(text("SELECT municipality_code, kind FROM organisations WHERE id = 7")).one()
            assert adopted == ("412040", "local_government")
            assert connection.execute(text("SELECT count(*) FROM organisations WHERE name = '多久市'")).scalar() == 1
            assert connection.execute(text(
                "SELECT user_id, organisation_id, role FROM verifications")).one() == (1, 7, "mayor")
            assert connection.execute(text("SELECT email_confirmed_at IS NOT NULL FROM users")).scalar() == 1
            assert connection.execute(text("PRAGMA foreign_key_check")).fetchall() == []
