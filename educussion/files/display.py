"""How a file is shown: its address, its kind and size (「PDF・1.2 MB」), its icon; Jinja globals."""
from __future__ import annotations

from flask import Flask, url_for

from ..models import StoredFile, TextState
from . import kinds
from .services import download_path, size_label


def describe(file: StoredFile) -> str:
    """「PDF・1.2 MB」."""
    kind = kinds.kind_of(file.content_type)
    return f"{kind.label if kind else file.content_type}・{size_label(file.size)}"


def icon(file: StoredFile) -> str:
    kind = kinds.kind_of(file.content_type)
    return kind.icon if kind else "file"


def thumbnail_url(file: StoredFile) -> str:
    return url_for("files.thumbnail", file_id=file.id)


def unreadable(file: StoredFile) -> bool:
    """Attached, but search cannot read its text (a scan, an encrypted or damaged document)."""
    return file.content.text_state == TextState.UNREADABLE


def register(app: Flask) -> None:
    app.jinja_env.globals.update(file_url=download_path, thumbnail_url=thumbnail_url, describe_file=describe,
                                 file_icon=icon, file_unreadable=unreadable, file_size=size_label)
