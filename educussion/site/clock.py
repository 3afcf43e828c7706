"""The site's one clock: what is published, scheduled or NEW is decided against `now()` (tests set it)."""
from __future__ import annotations

from datetime import datetime

from ..models import utcnow


def now() -> datetime:
    return utcnow()
