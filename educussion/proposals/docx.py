"""Word (DOCX) files of a proposal and of a 総会 agenda, the format ministries expect: A4, a Japanese font,
Word's heading styles (見出し 1, 見出し 2), page numbers, the date in 和暦, the council's name; a proposal ends
with its annex of sources numbered 「※3」 as the paragraphs reference them. Pure writers: they take the
document already built for the reader and return bytes."""
from __future__ import annotations

from datetime import date
from io import BytesIO

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from flask_babel import gettext as _

from .. import dates, text
from ..models import GeneralMeeting
from .document import Document

FONT = "游明朝"  # Yu Mincho: in every Windows and Office since 2016; Word substitutes a Mincho font elsewhere
HEADING_FONT = "游ゴシック"


def _font(style_or_run, name: str, size: float | None = None) -> None:
    font = style_or_run.font
    font.name = name
    if size:
        font.size = Pt(size)
    properties = style_or_run.element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.append(fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attribute), name)


def _page_number_field(paragraph) -> None:
    """「- 3 -」 in the footer: Word's PAGE field."""
    paragraph.add_run("- ")
    run = paragraph.add_run()
    for kind, instruction in (("begin", None), (None, "PAGE"), ("separate", None), ("end", None)):
        if instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = instruction
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run._r.append(element)
    paragraph.add_run(" -")


def _new(title: str):
    document = new_docx()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin = section.bottom_margin = Mm(25)
    _font(document.styles["Normal"], FONT, 10.5)
    for name, size in (("Title", 16), ("Heading 1", 13), ("Heading 2", 11.5)):
        _font(document.styles[name], HEADING_FONT, size)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number_field(footer)
    document.core_properties.title = title
    document.core_properties.author = _("National ICT Education Mayors' Council")
    document.core_properties.language = "ja-JP"
    return document


def _right(document, value: str) -> None:
    paragraph = document.add_paragraph(value)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _bytes(document) -> bytes:
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def proposal_docx(doc: Document, *, day: date) -> bytes:
    """The proposal as a Word file dated `day` (the approval's date, in 和暦)."""
    document = _new(doc.title)
    _right(document, dates.wareki(day))
    if doc.addressee:
        document.add_paragraph(doc.addressee)
    _right(document, _("National ICT Education Mayors' Council"))
    heading = document.add_heading(doc.title, level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    facts = document.add_paragraph(f"{doc.fiscal_year_label}　" + "・".join(doc.themes))
    facts.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section, paragraphs in doc.sections:
        if not paragraphs:
            continue
        document.add_heading(section.label, level=1)
        for paragraph in paragraphs:
            written = document.add_paragraph(text.flat_text(paragraph.body_html))
            written.paragraph_format.first_line_indent = Pt(10.5)
            if paragraph.sources:
                marks = written.add_run(paragraph.marks)
                marks.font.superscript = True
    if doc.sources:
        document.add_heading(_("Sources"), level=1)
        for source in doc.sources:
            entry = document.add_paragraph(f"{source.mark}　{source.annex_text()}")
            entry.paragraph_format.left_indent = Mm(8)
            entry.paragraph_format.first_line_indent = Mm(-8)
            if source.url:
                entry.add_run("\n" + source.url)
    return _bytes(document)


def agenda_docx(meeting: GeneralMeeting, items: list, *, base_url_of) -> bytes:
    """The agenda (議事次第) of a 総会: each item (第1号議案 …) with what it links and, once recorded, its
    result. `items` are (kind label, [(number, item, links)]) groups; `base_url_of(link)` gives a link's
    address."""
    document = _new(meeting.title)
    _right(document, dates.wareki(meeting.held_on))
    _right(document, _("National ICT Education Mayors' Council"))
    document.add_heading(meeting.title, level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    held = f"{dates.wareki(meeting.held_on)}（{dates.western(meeting.held_on)}）"
    document.add_paragraph(_("Date: %(date)s", date=held))
    if meeting.place:
        document.add_paragraph(_("Place: %(place)s", place=meeting.place))
    for label, numbered in items:
        document.add_heading(label, level=1)
        for number, item in numbered:
            document.add_heading(_("Item %(number)d: %(title)s", number=number, title=item.title), level=2)
            if item.description:
                document.add_paragraph(item.description)
            for link in item.links:
                name, address = base_url_of(link)
                document.add_paragraph(f"{name}　{address}".strip(), style="List Bullet")
            if item.result is not None:
                result = document.add_paragraph()
                result.add_run(_("Result: %(result)s", result=item.result.label)).bold = True
                if item.result_note:
                    result.add_run("　" + item.result_note)
    return _bytes(document)
