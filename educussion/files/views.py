"""Downloads: every stored file goes through here, permission first."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from ..permissions import can_download
from . import queries
from .serving import send_stored, send_thumbnail

bp = Blueprint("files", __name__)


def _downloadable(file_id: int):
    file = queries.file_by_id(file_id)
    # Refused like missing: whether a file exists is not told to who may not see it.
    if file is None or not can_download(current_user, file):
        abort(404)
    return file


@bp.get("/files/<int:file_id>/<path:name>")
def download(file_id: int, name: str):
    """The name in the address is for people and their browsers; the id decides."""
    return send_stored(_downloadable(file_id))


@bp.get("/files/thumbnails/<int:file_id>.jpg")
def thumbnail(file_id: int):
    return send_thumbnail(_downloadable(file_id))
