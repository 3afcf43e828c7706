"""Zip bombs: archives are measured from their directory before anything inflates them."""
import io
import time
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from educussion.archives import ArchiveRefused, check_zip
from educussion.extensions import db
from educussion.models import Invitation, Role

from .factories import make_user


def _member_list() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["メールアドレス", "氏名", "区分", "所属", "役職"])
    sheet.append(["a@example.jp", "一 太郎", "首長", "012131", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_bomb(padding: int = 40 * 1024 * 1024) -> bytes:
    """A real member list whose sheet XML is padded with whitespace: ~40 KB that inflates to 40 MB."""
    source = zipfile.ZipFile(io.BytesIO(_member_list()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b" " * padding + b"</sheetData>")
            bomb.writestr(info.filename, data)
    return out.getvalue()


def test_a_real_member_list_passes_the_check():
    content = _member_list()
    assert 0 < check_zip(content) < 100_000


def test_a_small_xlsx_bomb_is_refused_from_its_directory_alone():
    bomb = _xlsx_bomb()
    assert len(bomb) < 200_000
    started = time.process_time()
    with pytest.raises(ArchiveRefused) as refused:
        check_zip(bomb)
    assert refused.value.reason in {"size", "ratio"}
    assert time.process_time() - started < 1.0  # nothing was inflated (generous bound)


def test_many_entries_and_damaged_archives_are_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for number in range(30):
            archive.writestr(f"e{number}.txt", b"x")
    with pytest.raises(ArchiveRefused) as refused:
        check_zip(out.getvalue(), max_entries=20)
    assert refused.value.reason == "entries"
    with pytest.raises(ArchiveRefused) as refused:
        check_zip(b"PK\x03\x04 not really a zip")
    assert refused.value.reason == "damaged"


def test_the_member_list_import_refuses_a_zip_bomb_beside_the_field(client, login_as):
    login_as(make_user(Role.SECRETARIAT))
    response = client.post("/secretariat/invitations/bulk",
                           data={"file": (io.BytesIO(_xlsx_bomb()), "members.xlsx")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "展開すると大きすぎる" in page or "too large once unpacked" in page
    assert db.session.execute(select(func.count(Invitation.id))).scalar_one() == 0


def _understate(archive: bytes, name: bytes, size: int) -> bytes:
    """The same zip, with the entry's uncompressed size declared as `size` in both of its headers."""
    data = bytearray(archive)
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            if data[start + name_at:start + name_at + len(name)] == name:
                data[start + size_at:start + size_at + 4] = size.to_bytes(4, "little")
            start += 4
    return bytes(data)


def test_a_bomb_that_understates_its_size_stops_at_the_declared_size():
    from educussion.verification.importing import UnreadableFile, read_member_list

    lying = _understate(_xlsx_bomb(), b"xl/worksheets/sheet1.xml", 4096)
    assert check_zip(lying) < 100_000  # the directory looks harmless...
    started = time.process_time()
    with pytest.raises(UnreadableFile):  # ...but reading stops at the declared size (CRC error)
        read_member_list("members.xlsx", lying)
    assert time.process_time() - started < 2.0
