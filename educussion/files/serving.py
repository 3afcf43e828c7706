"""Sending a stored file: the right type, disposition (RFC 6266 names, Japanese kept), range requests, and
the headers that keep a browser from running anything in it; thumbnails of images made once."""
from __future__ import annotations

import os
import re
import tempfile
from urllib.parse import quote

from flask import Response, abort, send_file

from ..models import StoredFile
from . import kinds, store

THUMBNAIL_SIZE = 320
_TOKEN = re.compile(r"[A-Za-z0-9._-]+")


def name_for_download(file: StoredFile) -> str:
    """The uploader's name, with the extension of the detected kind when it has none that fits."""
    name = file.label or "file"
    kind = kinds.kind_of(file.content_type)
    if kind is None:
        return name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    fitting = {kind.extension} | {e for e, k in kinds.TEXT_EXTENSIONS.items() if k is kind and e}
    if kind is kinds.JPEG:
        fitting |= {"jpeg", "jpe"}
    return name if extension in fitting else f"{name}.{kind.extension}"


def content_disposition(disposition: str, name: str, fallback: str) -> str:
    """`attachment; filename="file-12.pdf"; filename*=UTF-8''%E8%A8%88…` (RFC 6266, RFC 8187)."""
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    if _TOKEN.fullmatch(name):
        return f"{disposition}; filename={name}"
    plain = name.replace("\\", "_").replace('"', "_")
    return f'{disposition}; filename="{plain}"'


def send_stored(file: StoredFile, *, as_attachment: bool | None = None, download_name: str | None = None
                ) -> Response:
    """The file's bytes with its detected type. Images and PDFs are shown inline (under a sandbox policy),
    everything else downloaded; `nosniff` always; range requests and conditional GETs are answered."""
    path = store.path_for(file.sha256)
    if not os.path.exists(path):
        abort(404)
    kind = kinds.kind_of(file.content_type)
    inline = (kind is not None and kind.inline) if as_attachment is None else not as_attachment
    name = download_name or name_for_download(file)
    extension = name.rsplit(".", 1)[-1] if "." in name else (kind.extension if kind else "bin")
    response = send_file(path, mimetype=file.content_type, conditional=True, etag=file.sha256, max_age=0)
    response.headers["Content-Disposition"] = content_disposition(
        "inline" if inline else "attachment", name, f"file-{file.id}.{extension}")
    _protect(response, inline)
    return response


def _protect(response: Response, inline: bool) -> None:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if inline:  # shown by the browser: no script, no form, no plug-in can run in it as this site
        response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"


def send_thumbnail(file: StoredFile) -> Response:
    if not file.is_image:
        abort(404)
    path = thumbnail(file.sha256)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", conditional=True, etag=f"{file.sha256}-t", max_age=0)
    _protect(response, True)
    return response


def thumbnail(sha256: str, size: int = THUMBNAIL_SIZE) -> str | None:
    """The path of the image's thumbnail, made the first time it is asked for: at most `size` pixels wide
    and high, turned as the camera's EXIF orientation says, saved as JPEG without any EXIF (no place, no
    camera). None when the image cannot be read."""
    target = store.thumbnail_path(sha256, size)
    if os.path.exists(target):
        return target
    from PIL import Image, ImageOps

    try:
        with Image.open(store.path_for(sha256)) as image:
            if image.width * image.height > 50_000_000:  # a decompression bomb (or a poster): no thumbnail
                return None
            image = ImageOps.exif_transpose(image)
            image.thumbnail((size, size))
            if image.mode not in ("RGB", "L"):
                background = Image.new("RGB", image.size, "white")
                rgba = image.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                image = background
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".jpg")
            os.close(fd)
            image.save(temporary, "JPEG", quality=85, optimize=True)  # no exif= given: none is written
            os.replace(temporary, target)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return target
