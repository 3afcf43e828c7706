"""The text search reads in attached files: PDF (pypdf), DOCX, PPTX (their XML parts), XLSX (openpyxl), CSV
and plain text. Run by the search outbox's drain, after the commit, never in the upload's own request
before its response. A file that cannot be read (a scan without a text layer, an encrypted or damaged
document) stays attached and is simply not searchable: TextState.UNREADABLE, which its uploader is shown."""
from __future__ import annotations

import logging
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree import ElementTree

from sqlalchemy import select, update

from ..database import unit_of_work
from ..extensions import db
from ..models import FileContent, FileUse, StoredFile, TextState, utcnow
from . import kinds, store

log = logging.getLogger(__name__)

MAX_TEXT = 2_000_000  # characters kept of one file (a 2,000-page report); the rest is not searched
PAGE_BREAK = "\f"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


@dataclass(frozen=True)
class Extracted:
    state: TextState
    text: str | None = None
    pages: int | None = None


def read_text(path: str, content_type: str) -> Extracted:
    """The text of the file at `path`, by its detected type; never raises for a bad file."""
    reader = _READERS.get(content_type)
    if reader is None:
        return Extracted(TextState.NO_TEXT)
    try:
        text, pages = reader(path)
    except Exception:  # damaged files raise all kinds of errors inside the libraries
        log.info("could not read the text of %s (%s)", path, content_type, exc_info=True)
        return Extracted(TextState.UNREADABLE)
    text = _tidy(text)[:MAX_TEXT]
    if not text.replace(PAGE_BREAK, "").strip():
        return Extracted(TextState.UNREADABLE, None, pages)
    return Extracted(TextState.READ, text, pages)


def _tidy(text: str) -> str:
    return "".join(c for c in text if c in "\n\t\f" or c >= " ").replace("\x00", "")


def _pdf(path: str) -> tuple[str, int]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    if reader.is_encrypted and not reader.decrypt(""):  # opened only with a password: not searchable
        raise ValueError("encrypted")
    pages = []
    for page in reader.pages:
        pages.append(page.extract_text() or "")
        if sum(len(p) for p in pages) > MAX_TEXT:
            break
    return PAGE_BREAK.join(pages), len(reader.pages)


def _xml_text(archive: zipfile.ZipFile, name: str, paragraph: str, run: str) -> str:
    """The text runs of one XML part, a line per paragraph (streamed: a large part is never held whole)."""
    lines, current = [], []
    with archive.open(name) as part:
        for event, element in ElementTree.iterparse(part, events=("end",)):
            if element.tag == run and element.text:
                current.append(element.text)
            elif element.tag == paragraph:
                lines.append("".join(current))
                current = []
                element.clear()
    lines.append("".join(current))
    return "\n".join(line for line in lines if line)


def _docx(path: str) -> tuple[str, int | None]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        parts = ["word/document.xml"] + sorted(n for n in names if n.startswith(("word/header", "word/footer",
                                                                                "word/footnotes")))
        return "\n".join(_xml_text(archive, name, _W + "p", _W + "t") for name in parts if name in names), None


def _pptx(path: str) -> tuple[str, int]:
    with zipfile.ZipFile(path) as archive:
        slides = sorted((n for n in archive.namelist() if n.startswith("ppt/slides/slide") and n.endswith(".xml")),
                        key=lambda n: int("".join(c for c in n if c.isdigit()) or 0))
        return PAGE_BREAK.join(_xml_text(archive, name, _A + "p", _A + "t") for name in slides), len(slides)


def _xlsx(path: str) -> tuple[str, int]:
    from openpyxl import load_workbook

    with open(path, "rb") as source:  # (a file object: openpyxl refuses a path without .xlsx)
        return _xlsx_text(load_workbook(source, read_only=True, data_only=True))


def _xlsx_text(workbook) -> tuple[str, int]:
    try:
        sheets, size = [], 0
        for sheet in workbook.worksheets:
            lines = [sheet.title]
            for row in sheet.iter_rows(values_only=True):
                line = "\t".join(str(cell) for cell in row if cell is not None)
                if line:
                    lines.append(line)
                    size += len(line)
                if size > MAX_TEXT:
                    break
            sheets.append("\n".join(lines))
        return PAGE_BREAK.join(sheets), len(sheets)
    finally:
        workbook.close()


def _plain(path: str) -> tuple[str, None]:
    with open(path, "rb") as f:
        content = f.read(MAX_TEXT * 3)
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return content.decode(encoding), None
        except UnicodeDecodeError:
            continue
    return content.decode("utf-8", errors="replace"), None


_READERS = {
    kinds.PDF.content_type: _pdf, kinds.DOCX.content_type: _docx, kinds.PPTX.content_type: _pptx,
    kinds.XLSX.content_type: _xlsx, kinds.CSV.content_type: _plain, kinds.TEXT.content_type: _plain,
}


def read_waiting(post_ids: Iterable[int], *, seconds: float | None = None) -> set[int]:
    """Read the files attached to these posts that search has not read yet, each saved as soon as it is read
    (a file read twice by two drains at once is harmless); stop starting new ones after `seconds`.
    Returns the posts some of whose files still wait (their drain queues them again)."""
    ids = list(post_ids)
    if not ids:
        return set()
    waiting = db.session.execute(
        select(StoredFile.post_id, FileContent.sha256, FileContent.content_type)
        .join(FileContent, FileContent.sha256 == StoredFile.sha256)
        .where(StoredFile.post_id.in_(ids), StoredFile.use == FileUse.POST,
               FileContent.text_state == TextState.WAITING)
    ).all()
    db.session.commit()  # end the read before the slow part
    if not waiting:
        return set()
    started = time.monotonic()
    done: set[str] = set()
    for _post_id, sha256, content_type in waiting:
        if sha256 in done:
            continue
        if seconds is not None and time.monotonic() - started > seconds:
            break
        extracted = read_text(store.path_for(sha256), content_type) if store.exists(sha256) \
            else Extracted(TextState.UNREADABLE)
        with unit_of_work():
            content = db.session.get(FileContent, sha256)
            if content is not None and content.text_state == TextState.WAITING:
                content.text_state, content.text, content.pages = extracted.state, extracted.text, extracted.pages
                content.read_at = utcnow()
        done.add(sha256)
    return {post_id for post_id, sha256, _type in waiting if sha256 not in done}


def queue_unread(*, again: bool = False) -> int:
    """Queue for the search outbox every post with a file not read yet (or, `again`, with any file that has
    text to read: they are read anew); returns how many posts."""
    from ..search import indexing

    with unit_of_work():
        if again:
            db.session.execute(update(FileContent).where(FileContent.text_state != TextState.NO_TEXT)
                               .values(text_state=TextState.WAITING, text=None, pages=None, read_at=None))
        post_ids = sorted(set(db.session.execute(
            select(StoredFile.post_id).join(FileContent, FileContent.sha256 == StoredFile.sha256)
            .where(StoredFile.use == FileUse.POST, StoredFile.post_id.is_not(None),
                   FileContent.text_state == TextState.WAITING)).scalars()))
        for post_id in post_ids:
            indexing.queue_post(post_id)
    return len(post_ids)
