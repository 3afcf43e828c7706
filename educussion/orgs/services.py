"""Organisation changes: loading the official municipality list."""
from __future__ import annotations

from .. import audit
from ..database import unit_of_work
from ..extensions import db
from ..models import AuditAction
from .loader import LoadResult, upsert_municipalities


def load_municipalities() -> LoadResult:
    """Insert or update every prefecture and municipality from the packaged list (idempotent)."""
    with unit_of_work():
        result = upsert_municipalities(db.session.connection())
        audit.record(None, AuditAction.MUNICIPALITIES_LOADED, "municipalities",
                     params={"added": result.added, "updated": result.updated, "adopted": result.adopted})
    return result
