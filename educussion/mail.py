"""Outgoing mail: queued in the caller's transaction, sent after the commit, never lost.

A mail that cannot be sent stays in the outbox with its error, and `flask mail send` tries again.
Backends: "file" writes .eml files to instance/mail/ (development and tests: open them to click the
links); "smtp" sends through EDUCUSSION_SMTP_HOST.
"""
from __future__ import annotations

import logging
import os
import smtplib
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formataddr, make_msgid

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select, update

from .database import write_transaction
from .extensions import db
from .models import OutgoingMail, utcnow
from .urls import absolute_url

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10


def queue(recipient: str, subject: str, body: str, *, html: str | None = None,
          unsubscribe_url: str | None = None) -> OutgoingMail:
    """Add a mail to the outbox; it is committed with the change that causes it. `html` adds an HTML
    alternative; `unsubscribe_url` is sent as a one-click List-Unsubscribe header (RFC 8058)."""
    body = body.rstrip("\n") + "\n\n-- \n" + footer_text() + "\n"
    if html is not None:
        html = _with_footer(html)
    mail = OutgoingMail(recipient=recipient, subject=subject, body_text=body, body_html=html,
                        unsubscribe_url=unsubscribe_url)
    db.session.add(mail)
    db.session.info.setdefault(_QUEUED, []).append(mail)
    return mail


_QUEUED = "educussion.mail.queued"


def _contact() -> str:
    config = current_app.config
    phone = config["CONTACT_PHONE"]
    return config["CONTACT_EMAIL"] + (f" / TEL {phone}" if phone else "")


def footer_text() -> str:
    """The footer of every mail, in the current locale (callers set the recipient's): who sends it, how to
    reach the secretariat, where to change the mails one receives."""
    return "\n".join([
        _("Educussion board — National ICT Education Mayors' Council"),
        _("Contact the secretariat: %(contact)s", contact=_contact()),
        _("Change which mails you receive: %(url)s", url=absolute_url("notifications.settings")),
    ])


def _with_footer(html: str) -> str:
    footer = Markup('<hr><p style="font-size: 90%;">{}<br>{}<br><a href="{}">{}</a></p>').format(
        _("Educussion board — National ICT Education Mayors' Council"),
        _("Contact the secretariat: %(contact)s", contact=_contact()),
        absolute_url("notifications.settings"), _("Change which mails you receive"))
    head, body_end, tail = html.rpartition("</body>")
    return f"{head}{footer}{body_end}{tail}" if body_end else html + footer


def send_queued() -> tuple[int, int]:
    """After the commit: send the mails this session queued (older failures are left to `flask mail send`,
    so one slow server never holds a request up for the whole outbox)."""
    queued = db.session.info.pop(_QUEUED, [])
    if current_app.config["MAIL_SEND"] != "request":
        return 0, 0  # EDUCUSSION_MAIL_SEND=cron: `flask notify send` sends them
    ids = [m.id for m in queued if m.id is not None]
    return send_pending(ids=ids) if ids else (0, 0)


class _Policy(EmailPolicy):
    """email.policy.default, except that a long List-Unsubscribe <URL> is written as it is: the default folds a
    line longer than 78 characters into RFC 2047 encoded words, which mail programs do not decode there
    (RFC 2369/8058 headers are read raw). Header lines may be up to 998 characters long."""

    RAW = frozenset({"list-unsubscribe"})

    def _raw(self, name: str, value) -> str | None:
        text = str(value)
        if name.lower() in self.RAW and text.isascii() and "\n" not in text and len(name) + len(text) < 990:
            return f"{name}: {text}{self.linesep}"
        return None

    def fold(self, name, value):
        return self._raw(name, value) or super().fold(name, value)

    def fold_binary(self, name, value):
        raw = self._raw(name, value)
        return raw.encode("ascii") if raw is not None else super().fold_binary(name, value)


MAIL_POLICY = _Policy()


def _message(mail: OutgoingMail) -> EmailMessage:
    config = current_app.config
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = mail.subject
    message["From"] = formataddr((config["MAIL_FROM_NAME"], config["MAIL_FROM"]))
    message["To"] = mail.recipient
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rsplit("@", 1)[-1])
    # base64 keeps Japanese text intact through relays that are not 8-bit clean.
    message.set_content(mail.body_text, charset="utf-8", cte="base64")
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html", charset="utf-8", cte="base64")
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def _deliver(message: EmailMessage, mail_id: int) -> None:
    config = current_app.config
    if config["MAIL_BACKEND"] == "smtp":
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            smtp.send_message(message)
        return
    folder = config["MAIL_FOLDER"] or os.path.join(current_app.instance_path, "mail")
    os.makedirs(folder, exist_ok=True)
    name = f"{utcnow():%Y%m%d-%H%M%S}-{mail_id:06d}.eml"
    with open(os.path.join(folder, name), "wb") as f:
        f.write(bytes(message))


def _claim(mail: OutgoingMail) -> bool:
    """Take the mail for this process (one attempt more); False when another worker took it first."""
    with write_transaction():
        claimed = db.session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id == mail.id, OutgoingMail.sent_at.is_(None), OutgoingMail.attempts == mail.attempts)
            .values(attempts=OutgoingMail.attempts + 1),
            execution_options={"synchronize_session": False},
        ).rowcount
    db.session.refresh(mail)
    return claimed == 1


def send_pending(limit: int = 200, ids: list[int] | None = None) -> tuple[int, int]:
    """Send what is waiting in the outbox; returns (sent, failed). Failures stay queued with their error."""
    query = (
        select(OutgoingMail)
        .where(OutgoingMail.sent_at.is_(None), OutgoingMail.attempts < MAX_ATTEMPTS)
        .order_by(OutgoingMail.id)
        .limit(limit)
    )
    if ids is not None:
        query = query.where(OutgoingMail.id.in_(ids))
    pending = db.session.execute(query).scalars().all()
    sent = failed = 0
    for mail in pending:
        if not _claim(mail):
            continue
        try:
            _deliver(_message(mail), mail.id)
        except (OSError, smtplib.SMTPException) as error:
            failed += 1
            log.warning("mail %s to %s not sent (attempt %s): %s", mail.id, mail.recipient, mail.attempts + 1, error)
            with write_transaction():
                mail.last_error = str(error)[:1000]
        else:
            sent += 1
            with write_transaction():
                mail.sent_at = utcnow()
                mail.last_error = None
    return sent, failed
