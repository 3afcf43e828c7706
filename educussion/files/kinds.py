"""What an uploaded file is, decided by its content (never its name or the browser's claim), and whether
it is accepted: PDF, PNG, JPEG, WebP, XLSX, DOCX, PPTX, CSV and plain text."""
from __future__ import annotations

import codecs
import re
import zipfile
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..archives import ArchiveRefused, check_zip


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str  # of the download's name when the upload's name has none that fits
    label: object  # 「PDF」「Word」… (lazy: translated when shown)
    icon: str  # the CSS icon class: pdf, image, word, excel, powerpoint, text
    inline: bool = False  # shown in the browser (images and PDFs); everything else is downloaded


PDF = Kind("application/pdf", "pdf", "PDF", "pdf", inline=True)
PNG = Kind("image/png", "png", "PNG", "image", inline=True)
JPEG = Kind("image/jpeg", "jpg", "JPEG", "image", inline=True)
WEBP = Kind("image/webp", "webp", "WebP", "image", inline=True)
DOCX = Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word", "word")
XLSX = Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel", "excel")
PPTX = Kind("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx", "PowerPoint",
            "powerpoint")
CSV = Kind("text/csv", "csv", "CSV", "text")
TEXT = Kind("text/plain", "txt", _l("Text"), "text")
KINDS = {kind.content_type: kind for kind in (PDF, PNG, JPEG, WEBP, DOCX, XLSX, PPTX, CSV, TEXT)}
IMAGES = {PNG.content_type, JPEG.content_type, WEBP.content_type}
# Names a text file may have; a text under any other name (a script or a page renamed 計画書.pdf) is refused.
TEXT_EXTENSIONS = {"txt": TEXT, "text": TEXT, "md": TEXT, "log": TEXT, "csv": CSV, "tsv": CSV, "": TEXT}
# Office documents: the part that tells which one it is.
OFFICE_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("ppt/presentation.xml", PPTX))
HEAD = 64 * 1024  # what is read of a file to tell its kind
_MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|meta|\?xml|xsl)\b", re.I)


class Refused(ValueError):
    """The file is not of an accepted kind; `message` says why, for the field."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def kind_of(content_type: str) -> Kind | None:
    return KINDS.get(content_type)


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def detect(path: str, name: str, *, max_unpacked: int) -> Kind:
    """The accepted kind of the file at `path` (uploaded as `name`), or raise Refused with the reason."""
    with open(path, "rb") as f:
        head = f.read(HEAD)
    if not head:
        raise Refused(_l("The file is empty."))
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return _office(path, max_unpacked)
    return _text(head, name)


def _office(path: str, max_unpacked: int) -> Kind:
    """A DOCX, XLSX or PPTX, checked for a zip bomb before anything inflates (by its directory alone)."""
    try:
        with open(path, "rb") as f:
            check_zip(f, max_bytes=max_unpacked)
            f.seek(0)
            with zipfile.ZipFile(f) as archive:
                names = set(archive.namelist())
    except ArchiveRefused as error:
        if error.reason == "damaged":
            raise Refused(_l("This file is damaged and cannot be opened.")) from None
        raise Refused(_l("This file would unpack to far more than its size (a “zip bomb”), so it cannot be "
                         "attached. Please save the document again, or as a PDF.")) from None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise Refused(_l("Files with macros cannot be attached. Please save the document without macros "
                         "(.docx, .xlsx, .pptx) or as a PDF."))
    for part, kind in OFFICE_PARTS:
        if part in names and "[Content_Types].xml" in names:
            return kind
    raise Refused(_l("Zip archives cannot be attached. Please attach the documents themselves."))


def _text(head: bytes, name: str) -> Kind:
    """Plain text or CSV, in UTF-8 or Shift_JIS; never markup (HTML, SVG, XML) or a script."""
    if b"\x00" in head:
        raise Refused(_not_accepted())
    decoded = None
    for encoding in ("utf-8-sig", "cp932"):
        try:
            # incremental: the head may end in the middle of a character
            decoded = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            break
        except UnicodeDecodeError:
            continue
    if decoded is None:
        raise Refused(_not_accepted())
    if _MARKUP.search(head) or decoded.lstrip().startswith("<"):
        raise Refused(_l("Web pages, SVG images and other markup files cannot be attached."))
    if decoded.startswith("#!"):
        raise Refused(_l("Scripts and programs cannot be attached."))
    kind = TEXT_EXTENSIONS.get(_extension(name))
    if kind is None:
        raise Refused(_l("This file's name ends in .%(extension)s, but it contains plain text. Only text files "
                         "named .txt or .csv can be attached as text.", extension=_extension(name)[:10]))
    return kind


def _not_accepted():
    return _l("This kind of file cannot be attached. Accepted: PDF, PNG, JPEG, WebP, Word (.docx), "
              "Excel (.xlsx), PowerPoint (.pptx), CSV and plain text.")
