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
    assert [t.name_ja for t in themes] == ["教育の情報化に向けた政策提言", "効率的な環境整備",
                                          "地域創生と教育情報化の情報発信", "教員の指導力向上・研修"]
    assert all(t.name_en and t.description_ja and t.description_en for t in themes)


def test_downgrade_and_upgrade_again(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "roundtrip.db"))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        assert db.session.execute(select(Theme)).scalars().all()
