"""The one file store: contents stored once by hash, checked by content, evidence moved in by the migration."""
from __future__ import annotations

import hashlib
import io
import os
import zipfile

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from educussion.errors import InvalidInput
from educussion.extensions import db
from educussion.files import kinds, services, store
from educussion.models import AuditEntry, FileContent, FileUse, Role, StoredFile, VerificationRequest

from .factories import make_user
from .filemakers import docx_bytes, pdf_bytes, png_bytes, pptx_bytes, xlsx_bytes, zip_bomb_bytes


def _stage(user, *named):
    return services.stage_uploads([services.Upload(name, io.BytesIO(content)) for name, content in named],
                                  actor=user)


def test_the_same_file_uploaded_twice_is_stored_once(app):
    user = make_user(Role.MAYOR)
    pdf = pdf_bytes(["計画書"])
    first = _stage(user, ("計画書.pdf", pdf))
    second = _stage(make_user(Role.COMPANY), ("写し.pdf", pdf))
    assert not first.problems and not second.problems
    sha256 = hashlib.sha256(pdf).hexdigest()
    assert first.files[0].sha256 == second.files[0].sha256 == sha256
    assert db.session.execute(select(func.count()).select_from(FileContent)).scalar_one() == 1
    assert [f.name for f in db.session.execute(select(StoredFile).order_by(StoredFile.id)).scalars()] == [
        "計画書.pdf", "写し.pdf"]
    with store.open_content(sha256) as f:
        assert f.read() == pdf
    assert os.listdir(os.path.join(store.root(), store.TEMPORARY)) == []  # nothing left half-way


@pytest.mark.parametrize("name, make, content_type", [
    ("計画書.pdf", lambda: pdf_bytes(["本文"]), "application/pdf"),
    ("写真.png", png_bytes, "image/png"),
    ("写真.jpg", lambda: png_bytes(format="JPEG"), "image/jpeg"),
    ("写真.webp", lambda: png_bytes(format="WEBP"), "image/webp"),
    ("報告.docx", lambda: docx_bytes("報告書"), kinds.DOCX.content_type),
    ("集計.xlsx", lambda: xlsx_bytes([["学校", "台数"]]), kinds.XLSX.content_type),
    ("発表.pptx", lambda: pptx_bytes(["スライド"]), kinds.PPTX.content_type),
    ("名簿.csv", lambda: "学校,台数\n多久小,120\n".encode(), "text/csv"),
    ("メモ.txt", lambda: "メモです".encode("cp932"), "text/plain"),
])
def test_every_accepted_kind_is_told_by_its_content(app, name, make, content_type):
    staged = _stage(make_user(Role.MAYOR), (name, make()))
    assert staged.problems == []
    assert staged.files[0].content_type == content_type and staged.files[0].use == FileUse.PENDING


@pytest.mark.parametrize("name, content, says", [
    ("計画書.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "マークアップ"),
    ("計画書.pdf", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "マークアップ"),
    ("計画書.pdf", b"  <html><body>hi</body></html>", "マークアップ"),
    ("計画書.pdf", b"#!/bin/sh\nrm -rf /\n", "スクリプト"),
    ("計画書.pdf", b"function steal() { fetch('/x') }\n", "名前が .pdf"),
    ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00", "この種類のファイル"),
    ("archive.zip", None, "zip形式"),
    ("bomb.xlsx", "bomb", "zip爆弾"),
    ("空.pdf", b"", "空"),
])
def test_disguised_and_unwanted_files_are_refused_with_a_reason(app, name, content, says):
    if content is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("a.txt", "hello")
        content = buffer.getvalue()
    elif content == "bomb":
        content = zip_bomb_bytes()
    staged = _stage(make_user(Role.MAYOR), (name, content))
    assert staged.files == [] and len(staged.problems) == 1
    assert staged.problems[0].startswith(name + "：") and says in staged.problems[0]
    assert db.session.execute(select(func.count()).select_from(StoredFile)).scalar_one() == 0


def test_a_file_over_the_limit_is_refused_and_not_stored(make_app):
    app = make_app(MAX_UPLOAD_MB=1)
    with app.app_context():
        staged = _stage(make_user(Role.MAYOR), ("大きい.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024)))
        assert staged.problems == ["大きい.pdf：ファイルが1 MBを超えています。"]
        assert list(store.stored_hashes()) == []


def test_only_the_uploaders_pending_files_can_be_claimed(app):
    owner, other = make_user(Role.MAYOR), make_user(Role.MAYOR)
    staged = _stage(owner, ("a.txt", b"hello"))
    assert services.pending_files(other, [staged.files[0].id]) == []
    assert services.pending_files(owner, [staged.files[0].id]) == staged.files


def test_sweep_removes_expired_uploads_and_unused_contents(app):
    from datetime import timedelta

    from educussion.database import unit_of_work
    from educussion.models import utcnow

    staged = _stage(make_user(Role.MAYOR), ("a.txt", b"hello"))
    sha256 = staged.files[0].sha256
    with unit_of_work():
        staged.files[0].expires_at = utcnow() - timedelta(minutes=1)
    assert services.sweep(older_than_seconds=0) == (1, 1)
    assert not store.exists(sha256)
    assert db.session.get(FileContent, sha256) is None


def test_legal_erasure_removes_the_content_and_is_audited(app):
    staged = _stage(make_user(Role.MAYOR), ("個人情報.txt", b"secret"))
    sha256 = staged.files[0].sha256
    with pytest.raises(InvalidInput):
        services.erase_file(staged.files[0], actor=make_user(Role.SECRETARIAT), reason=" ")
    services.erase_file(staged.files[0], actor=make_user(Role.SECRETARIAT), reason="本人からの削除依頼")
    assert not store.exists(sha256)
    entry = db.session.execute(select(AuditEntry).filter_by(action="file.erased")).scalar_one()
    assert entry.reason == "本人からの削除依頼" and entry.target_label == "個人情報.txt"


# ---------------------------------------------------------------- the evidence files move into the store

def test_upgrade_moves_the_evidence_files_into_the_store_and_they_still_download(make_app, tmp_path):
    """Evidence uploaded by the code before the file store (instance/evidence/<uuid>.pdf, four columns on
    the request) is readable after the upgrade, through the same page, by the secretariat."""
    app = make_app(SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "old.db"))
    pdf = pdf_bytes(["辞令"])
    with app.app_context():
        upgrade(revision="h_records_audit_params")
        os.makedirs(os.path.join(app.instance_path, "evidence"), exist_ok=True)
        with open(os.path.join(app.instance_path, "evidence", "0f3c9a.pdf"), "wb") as f:
            f.write(pdf)
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, email, password_hash, display_name, title, is_demo, session_token, created_at) "
                "VALUES (1, 'm@example.jp', 'x', '山田 太郎', '', 0, 'tok', '2025-04-01')"))
            connection.execute(text(
                "INSERT INTO verification_requests (id, user_id, status, role, organisation_name, organisation_kind, "
                "title, phone, note, evidence_file, evidence_name, evidence_type, evidence_size, created_at) "
                "VALUES (5, 1, 'pending', 'mayor', '多久市', 'local_government', '市長', '0952', '', "
                f"'0f3c9a.pdf', '辞令.pdf', 'application/pdf', {len(pdf)}, '2025-04-01')"))
        upgrade()
        request = db.session.get(VerificationRequest, 5)
        assert (request.evidence_name, request.evidence_type, request.evidence_size) == (
            "辞令.pdf", "application/pdf", len(pdf))
        assert request.evidence_file.uploaded_by_id == 1 and request.evidence_file.use == FileUse.EVIDENCE
        secretariat = make_user(Role.SECRETARIAT)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = secretariat.get_id()
        download = client.get("/secretariat/verification/5/evidence")
        assert download.status_code == 200 and download.data == pdf
        download.close()
        db.session.remove()


def test_upgrade_stops_when_an_evidence_file_is_missing(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "lost.db"))
    with app.app_context():
        upgrade(revision="h_records_audit_params")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, email, password_hash, display_name, title, is_demo, session_token, created_at) "
                "VALUES (1, 'm@example.jp', 'x', '山田 太郎', '', 0, 'tok', '2025-04-01')"))
            connection.execute(text(
                "INSERT INTO verification_requests (id, user_id, status, role, organisation_name, organisation_kind, "
                "title, phone, note, evidence_file, created_at) VALUES (5, 1, 'pending', 'mayor', '多久市', "
                "'local_government', '市長', '0952', '', 'gone.pdf', '2025-04-01')"))
        with pytest.raises(SystemExit):  # Flask-Migrate logs the RuntimeError that names gone.pdf, then exits
            upgrade()
        with db.engine.connect() as connection:  # nothing dropped: the old columns are still there
            assert connection.execute(text("SELECT evidence_file FROM verification_requests")).scalar() == "gone.pdf"
