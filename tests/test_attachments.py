"""Attachments on posts, through the real forms: upload, the list under the post, downloads for each role,
range requests, Japanese names, thumbnails, edits and history, moderation, search inside files."""
from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from educussion.board import services as board_services
from educussion.extensions import db
from educussion.files import services as file_services
from educussion.models import FileContent, FileUse, Post, PostRevision, Role, StoredFile, TextState, Thread
from educussion.moderation import services as moderation
from educussion.search import indexing, searching

from .factories import make_thread, make_user
from .filemakers import docx_bytes, image_pdf_bytes, pdf_bytes, png_bytes, pptx_bytes, xlsx_bytes, zip_bomb_bytes

PLAN = ["計画書 第1章 はじめに", "第2章", "第3章", "第4章", "第5章", "第6章",
        "第7章 保管\n各教室に充電保管庫を設置し、夜間に充電する。"]


def html(response) -> str:
    return response.get_data(as_text=True)


def _send(client, path, data):
    """POST a multipart form; the request body (spooled to a temporary file when large) is closed after."""
    builder = EnvironBuilder(path=path, method="POST", data=data)
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def _new_thread(client, files, *, title="端末の更新計画", body="計画書を添付します。", **extra):
    data = {"title": title, "body": body, "files": [(io.BytesIO(content), name) for name, content in files],
            **extra}
    return _send(client, "/themes/infrastructure/new", data)


def _reply(client, thread_id, files, *, body="資料を添付します。", **extra):
    data = {"body": body, "files": [(io.BytesIO(content), name) for name, content in files], **extra}
    return _send(client, f"/threads/{thread_id}/reply", data)


def _only_thread() -> Thread:
    return db.session.execute(select(Thread)).scalar_one()


def _file(name: str) -> StoredFile:
    return db.session.execute(select(StoredFile).filter_by(name=name)).scalar_one()


def _get(client, url, **kwargs):
    response = client.get(url, **kwargs)
    response.get_data()  # read (and kept), then send_file's stream closed
    response.close()
    return response


@pytest.fixture
def mayor(login_as):
    return login_as(make_user(Role.MAYOR))


# ---------------------------------------------------------------- uploading through the forms

def test_a_thread_with_every_accepted_kind_lists_them_under_its_post(client, mayor):
    files = [("計画書.pdf", pdf_bytes(PLAN)), ("教室.png", png_bytes()), ("写真.jpg", png_bytes(format="JPEG")),
             ("図.webp", png_bytes(format="WEBP")), ("報告.docx", docx_bytes("報告書")),
             ("集計.xlsx", xlsx_bytes([["学校", "台数"]])), ("発表.pptx", pptx_bytes(["スライド"])),
             ("名簿.csv", "学校,台数\n".encode()), ("メモ.txt", "メモ".encode())]
    response = _new_thread(client, files)
    assert response.status_code == 302, html(response)
    post = _only_thread().posts[0]
    assert [file.name for file in post.attachments] == [name for name, _ in files]
    page = html(client.get(response.headers["Location"]))
    size = file_services.size_label(len(files[0][1]))
    assert f"計画書.pdf</a><span class=\"attachment__meta\">（PDF・{size}）</span>" in page
    assert f'href="/files/{post.attachments[0].id}/{quote("計画書.pdf")}"' in page
    assert page.count('class="attachment__thumbnail"') == 3  # PNG, JPEG, WebP
    revision = post.revisions[0]
    assert [f["name"] for f in revision.files] == [name for name, _ in files]


def test_a_refused_file_keeps_the_text_and_the_good_files_for_the_next_try(client, mayor):
    response = _new_thread(client, [("計画書.pdf", pdf_bytes(PLAN)),
                                    ("偽物.pdf", b"<html><script>alert(1)</script></html>")])
    assert response.status_code == 400
    page = html(response)
    assert 'id="files-error"' in page and "偽物.pdf" in page  # the reason, beside the field
    assert "端末の更新計画" in page and "計画書を添付します。" in page  # the text is kept
    kept = _file("計画書.pdf")
    assert kept.use == FileUse.PENDING and f'name="kept_files" value="{kept.id}" checked' in page
    assert db.session.execute(select(func.count(Post.id))).scalar_one() == 0
    # The next try, with the kept file ticked and nothing chosen again, attaches it.
    response = _new_thread(client, [], kept_files=[str(kept.id)])
    assert response.status_code == 302
    assert [file.name for file in _only_thread().posts[0].attachments] == ["計画書.pdf"]


def test_a_text_error_keeps_the_files_chosen(client, mayor):
    response = _new_thread(client, [("計画書.pdf", pdf_bytes(PLAN))], body="")
    assert response.status_code == 400
    kept = _file("計画書.pdf")
    assert f'name="kept_files" value="{kept.id}" checked' in html(response)


@pytest.mark.parametrize("name, content", [
    ("計画書.pdf", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
    ("計画書.pdf", b"#!/usr/bin/env python\nimport os\n"),
    ("bomb.xlsx", None),
])
def test_disguised_files_and_zip_bombs_are_refused_beside_the_field(client, mayor, name, content):
    response = _reply(client, make_thread().id, [(name, content or zip_bomb_bytes())])
    assert response.status_code == 400
    assert re.search(r'<p class="field__error" id="files-error">[^<]*' + re.escape(name), html(response))
    assert db.session.execute(select(func.count(StoredFile.id))).scalar_one() == 0


def test_an_over_size_file_is_refused(make_app):
    app = make_app(MAX_UPLOAD_MB=1)
    with app.app_context():
        client = app.test_client()
        user = make_user(Role.MAYOR)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
        thread = make_thread()
        response = _reply(client, thread.id, [("大きい.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10))])
        assert response.status_code == 400 and "1 MB" in html(response)
        db.session.remove()


def test_eleven_files_are_too_many(client, mayor):
    files = [(f"メモ{n}.txt", f"メモ{n}".encode()) for n in range(11)]
    response = _reply(client, make_thread().id, files)
    assert response.status_code == 400 and 'id="files-error"' in html(response)
    assert db.session.execute(select(func.count(Post.id))).scalar_one() == 1  # the thread's opening post only


# ---------------------------------------------------------------- downloads

def _post_with(files, author=None, **thread):
    author = author or make_user(Role.MAYOR)
    staged = file_services.stage_uploads([file_services.Upload(n, io.BytesIO(c)) for n, c in files], actor=author)
    assert not staged.problems
    created = board_services.create_thread(
        make_thread().theme, actor=author, title=thread.get("title", "資料"), body=thread.get("body", "添付します。"),
        file_ids=[f.id for f in staged.files])
    return created.posts[0]


def test_downloads_carry_the_safe_headers_and_the_japanese_name(client):
    pdf, text_file = pdf_bytes(PLAN), "学校,台数\n".encode()
    post = _post_with([("計画書.pdf", pdf), ("名簿.csv", text_file)])
    shown = _get(client, f"/files/{post.attachments[0].id}/x.pdf")
    assert shown.status_code == 200 and shown.mimetype == "application/pdf"
    assert shown.headers["Content-Disposition"] == (
        f"inline; filename=\"file-{post.attachments[0].id}.pdf\"; filename*=UTF-8''{quote('計画書.pdf')}")
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert shown.headers["Content-Security-Policy"] == "sandbox"
    downloaded = _get(client, f"/files/{post.attachments[1].id}/名簿.csv")
    assert downloaded.headers["Content-Disposition"].startswith("attachment; ")
    assert "filename*=UTF-8''" + quote("名簿.csv") in downloaded.headers["Content-Disposition"]
    assert downloaded.mimetype == "text/csv" and downloaded.headers["X-Content-Type-Options"] == "nosniff"


def test_range_requests_are_answered(client):
    pdf = pdf_bytes(PLAN)
    post = _post_with([("計画書.pdf", pdf)])
    url = f"/files/{post.attachments[0].id}/計画書.pdf"
    part = _get(client, url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == pdf[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(pdf)}"
    tail = _get(client, url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.data == pdf[-50:]
    assert _get(client, url, headers={"Range": f"bytes={len(pdf) + 10}-"}).status_code == 416


@pytest.mark.parametrize("state", ["visible", "hidden", "pending"])
def test_a_file_is_seen_exactly_when_its_post_is(client, login_as, state):
    author = make_user(Role.MUNICIPAL_STAFF)
    secretariat = make_user(Role.SECRETARIAT)
    post = _post_with([("資料.txt", "資料".encode())], author=author)
    if state == "hidden":
        moderation.hide_post(post, actor=secretariat, reason="確認のため")
    elif state == "pending":
        from educussion.database import unit_of_work
        from educussion.models import Visibility
        with unit_of_work():
            db.session.get(Post, post.id).status = Visibility.PENDING
    url = f"/files/{post.attachments[0].id}/資料.txt"
    expected = {"visible": 200, "hidden": 404, "pending": 404}[state]
    assert _get(client, url).status_code == expected  # logged out
    login_as(make_user(Role.MAYOR))
    assert _get(client, url).status_code == expected  # another member
    login_as(author)
    assert _get(client, url).status_code == 200  # the author
    login_as(secretariat)
    assert _get(client, url).status_code == 200  # the secretariat
    if state == "hidden":  # nothing is deleted by hiding
        assert db.session.get(StoredFile, post.attachments[0].id).use == FileUse.POST


def test_pending_uploads_and_evidence_are_not_for_others(client, login_as):
    owner = make_user(Role.MAYOR)
    staged = file_services.stage_uploads([file_services.Upload("下書き.txt", io.BytesIO(b"x"))], actor=owner)
    url = f"/files/{staged.files[0].id}/下書き.txt"
    assert _get(client, url).status_code == 404
    login_as(make_user(Role.MAYOR))
    assert _get(client, url).status_code == 404
    login_as(owner)
    assert _get(client, url).status_code == 200


def test_the_thumbnail_is_turned_upright_and_has_no_exif(client):
    photo = png_bytes((40, 20), format="JPEG", orientation=6, gps=True)  # to be turned 90°: 20 wide, 40 high
    post = _post_with([("教室.jpg", photo)])
    response = _get(client, f"/files/thumbnails/{post.attachments[0].id}.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (20, 40)
    assert dict(image.getexif()) == {} and "exif" not in image.info
    assert response.headers["Content-Security-Policy"] == "sandbox"
    again = _get(client, f"/files/thumbnails/{post.attachments[0].id}.jpg")  # made once, served again
    assert again.data == response.data


def test_a_markdown_reference_shows_an_attached_image_inline(client):
    post = _post_with([("教室.png", png_bytes())],
                      body="教室の様子です。\n\n![教室の写真](教室.png)\n\n![外部](https://evil.example/x.png)")
    page = html(client.get(f"/threads/{post.thread_id}"))
    file_id = post.attachments[0].id
    assert f'<img src="/files/{file_id}/{quote("教室.png")}" alt="教室の写真" loading="lazy">' in page
    assert "evil.example" not in page


# ---------------------------------------------------------------- edits, history, moderation, exports

def test_an_edit_adds_and_removes_files_and_the_history_records_them(client, login_as):
    author = login_as(make_user(Role.MAYOR))
    post = _post_with([("古い資料.txt", b"old")], author=author)
    old = post.attachments[0]
    response = _send(client, f"/posts/{post.id}/edit", {
        "title": "資料", "body": "添付します。", "remove_files": [str(old.id)],
        "files": [(io.BytesIO("新しい".encode()), "新しい資料.txt")]})
    assert response.status_code == 302, html(response)
    post = db.session.get(Post, post.id)
    assert [file.name for file in post.attachments] == ["新しい資料.txt"]
    assert db.session.get(StoredFile, old.id).removed_at is not None  # kept, for the history
    revisions = db.session.execute(select(PostRevision).filter_by(post_id=post.id).order_by(
        PostRevision.number)).scalars().all()
    assert [[f["name"] for f in r.files or []] for r in revisions] == [["古い資料.txt"], ["新しい資料.txt"]]
    history = html(client.get(f"/posts/{post.id}/history"))
    assert "古い資料.txt" in history and "新しい資料.txt" in history
    assert _get(client, f"/files/{old.id}/古い資料.txt").status_code == 200  # the author, with the history
    login_as(make_user(Role.COMPANY))
    assert _get(client, f"/files/{old.id}/古い資料.txt").status_code == 404  # taken off: not public


@pytest.mark.parametrize("file_format", ["md", "json", "csv", "xlsx", "print"])
def test_exports_list_attachments_with_their_links(client, login_as, file_format):
    from openpyxl import load_workbook

    from educussion.export import services as export_services
    from educussion.export.summary import SummaryFilters

    post = _post_with([("計画書.pdf", pdf_bytes(PLAN))], title="更新計画")
    link = f"http://localhost/files/{post.attachments[0].id}/{quote('計画書.pdf')}"
    secretariat = login_as(make_user(Role.SECRETARIAT))
    if file_format == "print":
        text = html(client.post("/secretariat/exports", data={"scope": "board", "file_format": "print"}))
    else:
        export = export_services.export_summary(SummaryFilters(), actor=secretariat, file_format=file_format,
                                                base_url="http://localhost")
        content = b"".join(export.chunks)
        if file_format == "xlsx":
            sheet = load_workbook(io.BytesIO(content)).worksheets[2]  # the posts
            text = "\n".join(str(cell.value) for row in sheet.iter_rows() for cell in row)
        else:
            text = content.decode("utf-8-sig")
    assert "計画書.pdf" in text and link in text


# ---------------------------------------------------------------- search inside files

def test_the_text_of_an_attached_japanese_pdf_is_found_and_the_hit_says_where(client):
    post = _post_with([("計画書.pdf", pdf_bytes(PLAN))], title="端末の更新", body="詳しくは添付の計画書をご覧ください。")
    content = db.session.get(FileContent, post.attachments[0].sha256)
    assert content.text_state == TextState.READ and content.pages == 7
    hits = searching.search("充電保管庫", searching.Filters()).hits
    assert [hit.post.id for hit in hits] == [post.id] and hits[0].attachment == "計画書.pdf"
    page = html(client.get("/search?q=充電保管庫"))
    assert "添付ファイル『計画書.pdf』の中" in page
    assert "<mark>充電保管庫</mark>" in page
    assert not indexing.check()[0]  # the index agrees with the database


@pytest.mark.parametrize("name, content, word", [
    ("報告.docx", docx_bytes("校内ネットワークの増強について"), "ネットワーク"),
    ("集計.xlsx", xlsx_bytes([["学校", "電子黒板"], ["多久小", "12"]]), "電子黒板"),
    ("発表.pptx", pptx_bytes(["表紙", "デジタル教科書の活用"]), "デジタル教科書"),
    ("名簿.csv", "学校,支援員\n多久小,情報モラル\n".encode("cp932"), "情報モラル"),
])
def test_office_files_and_text_are_searchable(app, name, content, word):
    post = _post_with([(name, content)])
    hits = searching.search(word, searching.Filters()).hits
    assert [hit.post.id for hit in hits] == [post.id] and hits[0].attachment == name


@pytest.mark.parametrize("make", [image_pdf_bytes, lambda: pdf_bytes(["秘密の計画"], encrypt="pass")])
def test_an_unreadable_file_is_attached_but_not_searchable_and_its_uploader_is_told(client, login_as, make):
    author = make_user(Role.MAYOR)
    post = _post_with([("スキャン.pdf", make())], author=author)
    assert db.session.get(FileContent, post.attachments[0].sha256).text_state == TextState.UNREADABLE
    assert searching.search("秘密", searching.Filters()).hits == []
    note = "検索では見つかりません"
    assert note not in html(client.get(f"/threads/{post.thread_id}"))
    login_as(author)
    assert note in html(client.get(f"/threads/{post.thread_id}"))


def test_a_hidden_posts_files_are_not_found(app):
    secretariat = make_user(Role.SECRETARIAT)
    post = _post_with([("計画書.pdf", pdf_bytes(PLAN))])
    moderation.hide_post(post, actor=secretariat, reason="確認のため")
    assert searching.search("充電保管庫", searching.Filters()).hits == []


def test_extraction_left_for_later_is_finished_by_the_next_drain(make_app):
    app = make_app(FILES_EXTRACT_SECONDS=-1)  # the drain right after the post reads nothing
    with app.app_context():
        post = _post_with([("計画書.pdf", pdf_bytes(PLAN))])
        assert searching.search("添付", searching.Filters()).hits  # the post itself is searchable at once
        assert searching.search("充電保管庫", searching.Filters()).hits == []
        assert indexing.pending_count() == 1
        indexing.sync()
        assert [hit.post.id for hit in searching.search("充電保管庫", searching.Filters()).hits] == [post.id]
        db.session.remove()


def test_a_refused_request_names_the_files_to_choose_again(make_app):
    """A form refused before it is read (its session ended: the CSRF check fails) keeps the text as a draft; the
    files cannot be kept, and the page says which ones to choose again."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        user = make_user(Role.MAYOR)
        thread = make_thread()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
        response = _reply(client, thread.id, [("計画書.pdf", pdf_bytes(PLAN))], body="書きかけの返信")
        page = html(response)
        assert response.status_code == 400 and "書きかけの返信" in page
        assert "選んだファイル（計画書.pdf）は保存できませんでした" in page
        assert db.session.execute(select(func.count(StoredFile.id))).scalar_one() == 0
        db.session.remove()
