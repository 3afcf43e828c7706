"""Loads the official municipality list into `organisations` (used by a migration and by the CLI).

Written with SQLAlchemy Core on a plain connection, so that the migration does not depend on the models.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .codes import load_municipalities

_organisations = sa.table(
    "organisations",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("name", sa.String),
    sa.column("kana", sa.String),
    sa.column("municipality_code", sa.String),
    sa.column("prefecture", sa.String),
    sa.column("municipality_kind", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


@dataclass(frozen=True)
class LoadResult:
    added: int
    updated: int
    adopted: int  # organisations typed by hand before, now tied to their code


def upsert_municipalities(connection: Connection) -> LoadResult:
    """Insert or update every prefecture and municipality; idempotent."""
    rows = load_municipalities()
    by_code = {
        code: org_id
        for org_id, code in connection.execute(
            sa.select(_organisations.c.id, _organisations.c.municipality_code).where(
                _organisations.c.municipality_code.is_not(None)
            )
        )
    }
    name_counts: dict[str, int] = {}
    for row in rows:
        name_counts[row.name] = name_counts.get(row.name, 0) + 1
    uncoded = {
        name: org_id
        for org_id, name in connection.execute(
            sa.select(_organisations.c.id, _organisations.c.name).where(_organisations.c.municipality_code.is_(None))
        )
    }
    now = sa.func.current_timestamp()
    added = updated = adopted = 0
    for row in rows:
        values = {
            "kind": "local_government",
            "name": row.name,
            "kana": row.kana,
            "municipality_code": row.code,
            "prefecture": row.prefecture,
            "municipality_kind": row.kind,
        }
        org_id = by_code.get(row.code)
        if org_id is None and name_counts[row.name] == 1 and row.name in uncoded:
            org_id = uncoded.pop(row.name)
            adopted += 1
        elif org_id is not None:
            updated += 1
        if org_id is None:
            connection.execute(sa.insert(_organisations).values(**values, created_at=now))
            added += 1
        else:
            connection.execute(sa.update(_organisations).where(_organisations.c.id == org_id).values(**values))
    return LoadResult(added, updated, adopted)
