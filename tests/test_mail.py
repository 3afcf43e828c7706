"""The outbox: mails commit with their change, Japanese is encoded for any mail server, failures retry."""
import socket
from email import message_from_bytes, policy
from email.utils import parseaddr

import pytest
from sqlalchemy import select

from educussion import mail
from educussion.database import write_transaction
from educussion.extensions import db
from educussion.models import OutgoingMail

SUBJECT = "【エデュカッションボード】メールアドレスの確認のお願い"
BODY = "山田 太郎 様\n\n以下のリンクを開いてください。\nhttps://board.example.jp/confirm/abc\n"


def queue_one(recipient: str = "yamada@city.taku.lg.jp", subject: str = SUBJECT, body: str = BODY) -> int:
    with write_transaction():
        queued = mail.queue(recipient, subject, body)
    return queued.id


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


def test_a_japanese_mail_is_encoded_for_any_mail_server(app, mails):
    app.config["MAIL_FROM_NAME"] = "エデュカッションボード"
    queue_one()
    assert mail.send_pending() == (1, 0)

    (raw,) = mails.raw()
    headers = raw.split(b"\n\n", 1)[0].decode("ascii")  # every header is ASCII (RFC 2047 encoded words)
    subject_lines = headers.split("Subject:", 1)[1].split("\nFrom:")[0].split("\nTo:")[0]
    assert "=?utf-8?" in subject_lines.lower()

    (parsed,) = mails.all()
    assert parsed["subject"] == SUBJECT
    assert parsed["to"] == "yamada@city.taku.lg.jp"
    assert parsed["body"].startswith(BODY)
    name, address = parseaddr(str(parsed["message"]["From"]))
    assert name == "エデュカッションボード" and address == app.config["MAIL_FROM"]
    assert parsed["message"]["Message-ID"]


def test_the_parsed_file_matches_a_plain_parse(app, mails):
    """The `mails` helper reads what a mail client would."""
    queue_one()
    mail.send_pending()
    message = message_from_bytes(mails.raw()[0], policy=policy.default)
    assert message["Subject"] == SUBJECT and message.get_content_charset() == "utf-8"


def test_a_mail_is_queued_only_with_its_change(app, mails):
    with pytest.raises(RuntimeError):
        with write_transaction():
            mail.queue("a@example.jp", "件名", "本文")
            raise RuntimeError("the change fails")
    assert db.session.execute(select(OutgoingMail)).scalar() is None
    assert mail.send_pending() == (0, 0) and len(mails) == 0


def test_a_failing_smtp_server_keeps_the_mail_until_it_can_be_sent(app, mails):
    mail_id = queue_one()
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=unused_port())
    assert mail.send_pending() == (0, 1)
    db.session.expire_all()
    queued = db.session.get(OutgoingMail, mail_id)
    assert queued.sent_at is None and queued.attempts == 1 and queued.last_error
    assert len(mails) == 0

    app.config["MAIL_BACKEND"] = "file"
    assert mail.send_pending() == (1, 0)
    db.session.expire_all()
    sent = db.session.get(OutgoingMail, mail_id)
    assert sent.sent_at is not None and sent.attempts == 2 and sent.last_error is None
    assert [m["subject"] for m in mails.all()] == [SUBJECT]
    assert mail.send_pending() == (0, 0)  # sent once only
    assert len(mails) == 1


def test_a_mail_that_failed_too_often_is_no_longer_tried(app, mails):
    mail_id = queue_one()
    with write_transaction():
        db.session.get(OutgoingMail, mail_id).attempts = mail.MAX_ATTEMPTS
    assert mail.send_pending() == (0, 0) and len(mails) == 0


def test_mail_send_command(runner, mails):
    queue_one()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 failed" in result.output
    assert len(mails) == 1


def test_mail_send_command_fails_when_a_mail_stays_queued(app, runner, mails):
    queue_one()
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=unused_port())
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1 and "0 sent, 1 failed" in result.output


def test_with_mail_send_cron_requests_only_queue(app, mails):
    from educussion import mail
    from educussion.database import write_transaction
    from educussion.extensions import db
    from educussion.models import OutgoingMail

    app.config["MAIL_SEND"] = "cron"
    with write_transaction():
        mail.queue("someone@example.jp", "件名", "本文")
    assert mail.send_queued() == (0, 0)
    assert len(mails) == 0 and db.session.query(OutgoingMail).one().sent_at is None
    assert mail.send_pending() == (1, 0)
    assert len(mails) == 1


def test_every_mail_ends_with_the_council_the_secretariats_contact_and_the_settings_link(app, mails):
    app.config.update(CONTACT_EMAIL="jimukyoku@ict-mayors.example.jp", CONTACT_PHONE="03-1234-5678",
                      BASE_URL="https://board.example.jp")
    with write_transaction():
        mail.queue("yamada@city.taku.lg.jp", SUBJECT, BODY, html="<html><body><p>本文</p></body></html>")
    mail.send_queued()
    (raw,) = mails.raw()
    message = message_from_bytes(raw, policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    assert text.startswith(BODY) and text.endswith(
        "-- \nエデュカッションボード — 全国ICT教育首長協議会\n"
        "事務局へのお問い合わせ：jimukyoku@ict-mayors.example.jp / TEL 03-1234-5678\n"
        "メールの設定を変更：https://board.example.jp/settings/notifications\n")
    html = message.get_body(("html",)).get_content()
    assert html.index("<p>本文</p>") < html.index("全国ICT教育首長協議会") < html.index("</body>")
    assert '<a href="https://board.example.jp/settings/notifications">メールの設定を変更</a>' in html
    assert "jimukyoku@ict-mayors.example.jp / TEL 03-1234-5678" in html
