"""Small real files made in the tests: a Japanese PDF (reportlab's built-in CID font, no font file), images
with EXIF, Office documents written as their XML parts, a zip bomb."""
from __future__ import annotations

import io
import zipfile

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?>'
                 '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')


def pdf_bytes(pages: list[str], *, encrypt: str | None = None) -> bytes:
    """A PDF whose page i holds the text pages[i] (Japanese drawn with HeiseiKakuGo-W5); `encrypt` sets a
    password needed to open it."""
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, encrypt=StandardEncryption(encrypt, canPrint=0) if encrypt else None)
    for page in pages:
        document.setFont("HeiseiKakuGo-W5", 11)
        for number, line in enumerate(page.split("\n")):
            document.drawString(60, 780 - 16 * number, line)
        document.showPage()
    document.save()
    return buffer.getvalue()


def image_pdf_bytes() -> bytes:
    """A 'scanned' PDF: one page with an image and no text."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    document = canvas.Canvas(buffer)
    document.drawImage(ImageReader(io.BytesIO(png_bytes())), 60, 600, width=200, height=100)
    document.showPage()
    document.save()
    return buffer.getvalue()


def png_bytes(size=(40, 20), *, format="PNG", orientation: int | None = None, gps: bool = False) -> bytes:
    """An image, wider than high, red on the left half; EXIF orientation (6: turn 90° clockwise to show) and a
    GPS position when asked."""
    from PIL import Image

    image = Image.new("RGB", size, "blue")
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x010F] = "TestCamera"  # Make
        exif[0x8825] = {1: "N", 2: (33.0, 16.0, 0.0)}
    buffer = io.BytesIO()
    image.save(buffer, format, **({"exif": exif} if (orientation or gps) else {}))
    return buffer.getvalue()


def _office(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        for name, xml in parts.items():
            archive.writestr(name, xml)
    return buffer.getvalue()


def docx_bytes(*paragraphs: str) -> bytes:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    return _office({"word/document.xml": f'<w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>'})


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def pptx_bytes(slides: list[str]) -> bytes:
    p = "http://schemas.openxmlformats.org/presentationml/2006/main"
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    parts = {"ppt/presentation.xml": f'<p:presentation xmlns:p="{p}"/>'}
    for number, words in enumerate(slides, start=1):
        parts[f"ppt/slides/slide{number}.xml"] = (
            f'<p:sld xmlns:p="{p}" xmlns:a="{a}"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>{words}'
            "</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>")
    return _office(parts)


def zip_bomb_bytes() -> bytes:
    """An "XLSX" whose one part inflates from about 100 KB to 200 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            chunk = b"0" * (1024 * 1024)
            for _ in range(200):
                part.write(chunk)
    return buffer.getvalue()
