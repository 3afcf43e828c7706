"""Search outbox: ids are never reused on SQLite (AUTOINCREMENT)

Without AUTOINCREMENT, SQLite gives a new row the highest id + 1, so after a drain deleted the last rows the
next change got an id a drain still running had read, and that drain then deleted the unindexed row.
PostgreSQL's sequences never hand out an id twice: nothing to do there.

Revision ID: 5e1d0c7a9b42
Revises: 6f1d2a9c4b70
Create Date: 2026-12-03 13:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5e1d0c7a9b42'
down_revision = '6f1d2a9c4b70'
branch_labels = None
depends_on = None


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # The copy keeps every row and its id; SQLite then starts the sequence after the highest one.
    with op.batch_alter_table("search_outbox", recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass


def upgrade():
    _recreate(True)


def downgrade():
    _recreate(False)
