"""Verification changes: requests, decisions, invitations and the end of an office."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
import sqlalchemy as sa
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from .. import audit, mail
from ..accounts.services import DEFAULT_SECRETARIAT_ORGANISATION, Registration, normalise_email, register_user
from ..database import unit_of_work
from ..errors import InvalidInput, PermissionDenied, Problems
from ..files import services as file_services
from ..extensions import db
from ..limits import too_long_message
from ..models import (
    AuditAction,
    Invitation,
    NotificationKind,
    Organisation,
    OrganisationKind,
    RequestStatus,
    Role,
    User,
    Verification,
    VerificationRequest,
    utcnow,
)
from ..orgs.codes import mayor_title, normalise_corporate_number
from ..orgs.queries import find_organisation, municipality_by_code
from ..i18n import format_when
from ..notifications.services import notify
from ..permissions import is_secretariat
from ..filenames import display_name as clean_file_name
from ..filenames import download_name
from ..urls import absolute_url

MUNICIPAL_ROLES = (Role.MAYOR, Role.MUNICIPAL_STAFF)
REQUESTABLE_ROLES = (Role.MAYOR, Role.MUNICIPAL_STAFF, Role.COMPANY, Role.ACADEMIC)
ORGANISATION_KIND_FOR_ROLE = {
    Role.MAYOR: OrganisationKind.LOCAL_GOVERNMENT,
    Role.MUNICIPAL_STAFF: OrganisationKind.LOCAL_GOVERNMENT,
    Role.COMPANY: OrganisationKind.COMPANY,
    Role.ACADEMIC: OrganisationKind.UNIVERSITY,
    Role.SECRETARIAT: OrganisationKind.SECRETARIAT,
    Role.SITE_EDITOR: OrganisationKind.SECRETARIAT,  # 広報担当: the council's office
}
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
# What a file's first bytes must be; its name and the browser's content type are not trusted.
EVIDENCE_SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


@dataclass(frozen=True)
class RequestData:
    role: Role
    municipality_code: str = ""  # mayors and municipal staff
    organisation_name: str = ""  # companies and academics
    corporate_number: str = ""
    title: str = ""
    phone: str = ""
    note: str = ""


@dataclass(frozen=True)
class InvitationData:
    email: str
    role: Role
    organisation: str  # a municipality code for municipal roles, else the organisation's name
    title: str = ""
    display_name: str = ""


def _require_secretariat(actor: User | None) -> None:
    if actor is not None and not is_secretariat(actor):
        raise PermissionDenied(_("Only the secretariat can do this."))


def _clean(text: str | None, limit: int, field: str) -> str:
    text = " ".join((text or "").split())
    if len(text) > limit:
        raise InvalidInput(field, _("Use at most %(count)d characters.", count=limit))
    return text


def _note(text: str | None) -> str:
    note = (text or "").strip()
    if len(note) > 2000:  # refused whole, never cut
        raise InvalidInput("note", too_long_message(_("Note"), 2000, len(note)))
    return note


def _municipality(code: str, field: str) -> Organisation:
    organisation = municipality_by_code(code or "")
    if organisation is None:
        raise InvalidInput(field, _("This is not a local government code on the official list. "
                                    "Please check the code."))
    return organisation


def _title_for(role: Role, organisation: Organisation, title: str) -> str:
    """Mayors' titles follow the kind of local government: 市長, 町長, 村長, 区長 or 知事."""
    if role == Role.MAYOR:
        fixed = mayor_title(organisation.municipality_kind or "")
        if fixed is None:
            raise InvalidInput("municipality", _("Mayor accounts are only for prefectures and municipalities."))
        return fixed
    return title


def _corporate_number(raw: str) -> str | None:
    if not (raw or "").strip():
        return None
    try:
        return normalise_corporate_number(raw)
    except ValueError:
        raise InvalidInput("corporate_number", _("The corporate number is not valid. "
                                                 "Please check the 13 digits.")) from None


# ---------------------------------------------------------------- verification history

def grant(user: User, *, actor: User | None, role: Role, organisation: Organisation, title: str) -> Verification:
    """Make `user` speak for `organisation` in `role` (ending what they held before). Caller commits."""
    now = utcnow()
    current = _current_verification(user)
    if current is not None:
        current.ended_at = now
        current.ended_by_id = actor.id if actor else None
        current.end_reason = "replaced"
    verification = Verification(
        user=user, organisation=organisation, role=role, title=title, started_at=now,
        granted_by_id=actor.id if actor else None,
    )
    db.session.add(verification)
    user.role = role
    user.organisation = organisation
    user.title = title
    user.verified_at = now
    return verification


def _current_verification(user: User) -> Verification | None:
    return db.session.execute(
        select(Verification).filter_by(user_id=user.id, ended_at=None).order_by(Verification.id.desc())
    ).scalar()


def end_verification(user: User, *, actor: User, reason: str) -> User:
    """The office ends (a mayor leaves, staff move on): the account can read but no longer post.
    Past posts keep the title they were written with."""
    _require_secretariat(actor)
    reason = _clean(reason, 1000, "reason")
    if not reason:
        raise InvalidInput("reason", _("Please give a reason."))
    if not user.is_verified:
        raise InvalidInput(None, _("This account is not verified."))
    with unit_of_work():
        current = _current_verification(user)
        params = {"role": user.role.value, "organisation": user.organisation_name, "title": user.title}
        if current is not None:
            current.ended_at = utcnow()
            current.ended_by_id = actor.id
            current.end_reason = reason
        user.role = None
        user.verified_at = None
        audit.record(actor, AuditAction.VERIFICATION_ENDED, user, params=params, reason=reason)
    return user


def set_role(user: User, *, actor: User | None, role: Role, organisation: str, title: str = "",
             reason: str | None = None, allow_unlisted: bool = False) -> User:
    """Verify directly (the CLI, `actor=None`, or the secretariat): `organisation` is a municipality code
    or name, or the name of another organisation (created when new). `allow_unlisted` lets the demo
    content use fictitious municipalities."""
    _require_secretariat(actor)
    if not organisation.strip():
        raise InvalidInput("organisation", _("Please enter the organisation."))
    with unit_of_work():
        org, department = _organisation_for(role, organisation, allow_unlisted=allow_unlisted)
        title = _with_department(department, " ".join(title.split()))
        if org.is_municipality:
            title = _title_for(role, org, title)
        grant(user, actor=actor, role=role, organisation=org, title=title)
        audit.record(actor, AuditAction.USER_ROLE_SET, user,
                     params={"role": role.value, "organisation": org.name, "title": title}, reason=reason)
    return user


def _organisation_for(role: Role, text: str, *, allow_unlisted: bool = False) -> tuple[Organisation, str]:
    """(organisation, department) for what the secretariat typed: a municipality code; a municipality's
    name, possibly followed by a department (多久市教育委員会 → 多久市, 教育委員会); or, for companies and
    academics, an organisation's name (created when new)."""
    text = " ".join(text.split())
    found = municipality_by_code(text)
    if found is not None:
        return found, ""
    if role in MUNICIPAL_ROLES and not allow_unlisted:
        matches = db.session.execute(
            select(Organisation)
            .where(Organisation.municipality_code.is_not(None), sa.literal(text).like(Organisation.name + "%"))
            .order_by(sa.func.length(Organisation.name).desc())
        ).scalars().all()
        longest = [m for m in matches if matches and len(m.name) == len(matches[0].name)]
        if len(longest) > 1:
            raise InvalidInput("organisation", _("Several local governments have this name; "
                                                 "please give the local government code."))
        if not longest:
            raise InvalidInput("organisation", _("No local government has this name; "
                                                 "please give the local government code."))
        return longest[0], text[len(longest[0].name):].strip()
    kind = ORGANISATION_KIND_FOR_ROLE[role]
    org = find_organisation(text, kind)
    if org is None:
        org = Organisation(name=text, kind=kind)
        db.session.add(org)
    return org, ""


def _with_department(department: str, title: str) -> str:
    return " ".join(part for part in (department, title) if part)


# ---------------------------------------------------------------- requests

def read_evidence(upload: FileStorage | None) -> tuple[bytes, str, str, str] | None:
    """(content, content type, extension, original name) of an evidence upload, checked by content."""
    if upload is None or not upload.filename:
        return None
    content = upload.stream.read(MAX_EVIDENCE_BYTES + 1)
    if not content:
        raise InvalidInput("evidence", _("The file is empty."))
    if len(content) > MAX_EVIDENCE_BYTES:
        raise InvalidInput("evidence", _("The file is larger than 5 MB."))
    for signature, content_type, extension in EVIDENCE_SIGNATURES:
        if content.startswith(signature):
            return content, content_type, extension, clean_file_name(upload.filename)
    raise InvalidInput("evidence", _("Only PDF, PNG and JPEG files can be attached."))


def evidence_download_name(verification: VerificationRequest) -> str:
    """`evidence-<id>.pdf`: the extension follows the type detected from the content at upload."""
    extension = next((ext for _sig, content_type, ext in EVIDENCE_SIGNATURES
                      if content_type == verification.evidence_type), "bin")
    return download_name("evidence", verification.id, extension)


def _request_fields(data: RequestData, evidence: FileStorage | None) -> tuple:
    """The verification's fields, checked all at once: (title, phone, note, organisation, organisation name,
    corporate number, evidence file); raises one InvalidInput that names every field with a problem."""
    problems = Problems()  # every field's problem at once
    title = phone = note = organisation_name = ""
    organisation = corporate_number = file = None
    with problems.check():
        title = _clean(data.title, 100, "title")
    with problems.check():
        phone = _clean(data.phone, 32, "phone")
        if not phone:
            raise InvalidInput("phone", _("Please enter a phone number the secretariat can call."))
    with problems.check():
        note = _note(data.note)
    if data.role == Role.COMPANY:
        with problems.check():
            corporate_number = _corporate_number(data.corporate_number)
    if data.role in MUNICIPAL_ROLES:
        with problems.check():
            organisation = _municipality(data.municipality_code, "municipality")
            title = _title_for(data.role, organisation, title)
            organisation_name = organisation.name
    else:
        with problems.check():
            organisation_name = _clean(data.organisation_name, 200, "organisation_name")
            if not organisation_name:
                raise InvalidInput("organisation_name", _("Please enter your organisation."))
    if not title and data.role != Role.MAYOR:  # a mayor's title comes from the office
        problems.add("title", _("Please enter your title or position."))
    with problems.check():
        file = read_evidence(evidence)
    problems.raise_any()
    return title, phone, note, organisation, organisation_name, corporate_number, file


def submit_request(user: User, *, actor: User, data: RequestData, evidence: FileStorage | None = None
                   ) -> VerificationRequest:
    if actor.id != user.id:
        raise PermissionDenied(_("You can only ask for your own account to be verified."))
    if user.email_confirmed_at is None:
        raise PermissionDenied(_("Please confirm your e-mail address first."))
    if data.role not in REQUESTABLE_ROLES:
        raise InvalidInput("role", _("Please choose a role."))
    title, phone, note, organisation, organisation_name, corporate_number, file = _request_fields(data, evidence)
    with unit_of_work():
        pending = db.session.execute(
            select(VerificationRequest).filter_by(user_id=user.id, status=RequestStatus.PENDING)
        ).scalar()
        if pending is not None:
            raise InvalidInput(None, _("You already have a request waiting for the secretariat."))
        verification = VerificationRequest(
            user=user, role=data.role, organisation=organisation, organisation_name=organisation_name,
            organisation_kind=ORGANISATION_KIND_FOR_ROLE[data.role], corporate_number=corporate_number,
            title=title, phone=phone, note=note,
        )
        db.session.add(verification)
        if file is not None:
            content, content_type, _extension, original = file
            db.session.flush()
            file_services.add_evidence(content, content_type=content_type, name=original, actor=actor,
                                       verification_request_id=verification.id)
        audit.record(actor, AuditAction.VERIFICATION_REQUESTED, user,
                     params={"role": data.role.value, "organisation": organisation_name, "title": title})
    return verification


def _decide(verification: VerificationRequest, actor: User) -> None:
    _require_secretariat(actor)
    if verification.status != RequestStatus.PENDING:
        raise InvalidInput(None, _("This request has already been decided."))


def approve_request(verification: VerificationRequest, *, actor: User, title: str | None = None) -> VerificationRequest:
    """Verify the member as asked (the secretariat may correct the title)."""
    _decide(verification, actor)
    with unit_of_work():
        _decide(verification, actor)  # again, on fresh data under the write lock
        organisation = verification.organisation
        if organisation is None:
            organisation = find_organisation(
                verification.organisation_name, verification.organisation_kind, verification.corporate_number)
            if organisation is None:
                organisation = Organisation(name=verification.organisation_name, kind=verification.organisation_kind,
                                            corporate_number=verification.corporate_number)
                db.session.add(organisation)
            verification.organisation = organisation
        chosen = _clean(title, 100, "title") if title else verification.title
        final_title = _title_for(verification.role, organisation, chosen)
        grant(verification.user, actor=actor, role=verification.role, organisation=organisation, title=final_title)
        verification.title = final_title
        verification.status = RequestStatus.APPROVED
        verification.decided_at = utcnow()
        verification.decided_by = actor
        audit.record(actor, AuditAction.VERIFICATION_APPROVED, verification.user,
                     params={"role": verification.role.value, "organisation": organisation.name, "title": final_title})
        _mail_decision(verification)
        notify(verification.user, NotificationKind.VERIFICATION_APPROVED)
    return verification


def reject_request(verification: VerificationRequest, *, actor: User, reason: str) -> VerificationRequest:
    _decide(verification, actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", _("Please give the reason; the member will read it."))
    if len(reason) > 2000:
        raise InvalidInput("reason", too_long_message(_("Reason"), 2000, len(reason)))
    with unit_of_work():
        _decide(verification, actor)
        verification.status = RequestStatus.REJECTED
        verification.decided_at = utcnow()
        verification.decided_by = actor
        verification.decision_reason = reason
        audit.record(actor, AuditAction.VERIFICATION_REJECTED, verification.user, reason=reason,
                     params={"role": verification.role.value, "organisation": verification.organisation_label,
                             "title": verification.title})
        _mail_decision(verification)
        notify(verification.user, NotificationKind.VERIFICATION_REJECTED, reason=reason)
    return verification


def _mail_decision(verification: VerificationRequest) -> None:
    user = verification.user
    with force_locale(user.locale or "ja"):
        link = absolute_url("verification.status")
        if verification.status == RequestStatus.APPROVED:
            subject = _("Your account has been verified")
            body = _("%(name)s,\n\nThe secretariat has verified your account as %(affiliation)s. "
                     "You can now post on the board.\n\n%(link)s\n",
                     name=user.display_name, affiliation=user.affiliation, link=link)
        else:
            subject = _("Your verification request was not approved")
            body = _("%(name)s,\n\nThe secretariat could not approve your verification request.\n\n"
                     "Reason: %(reason)s\n\nYou can correct it and send a new request here:\n%(link)s\n",
                     name=user.display_name, reason=verification.decision_reason, link=link)
    mail.queue(user.email, subject, body)


# ---------------------------------------------------------------- invitations

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(*, actor: User | None, data: InvitationData) -> tuple[Invitation, str]:
    """Create an invitation and mail its single-use link; returns it with the token (shown once)."""
    _require_secretariat(actor)
    email = normalise_email(data.email)
    display_name = _clean(data.display_name, 100, "display_name")
    if not (data.organisation or "").strip():
        raise InvalidInput("organisation", _("Please enter the organisation."))
    token = secrets.token_urlsafe(32)
    with unit_of_work():
        organisation, department = _organisation_for(data.role, data.organisation)
        title = _with_department(department, _clean(data.title, 100, "title"))
        if organisation.is_municipality:
            title = _title_for(data.role, organisation, title)
        invitation = Invitation(
            email=email, display_name=display_name, role=data.role, organisation=organisation, title=title,
            token_hash=_token_hash(token), created_by_id=actor.id if actor else None,
            expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"]),
        )
        db.session.add(invitation)
        audit.record(actor, AuditAction.INVITATION_CREATED, invitation,
                     params={"email": email, "role": data.role.value, "organisation": organisation.name,
                             "title": title})
        with force_locale("ja"):
            link = absolute_url("verification.accept_invitation", token=token)
            mail.queue(email, _("Invitation to the Educussion board"), _(
                "You have been invited to the Educussion board of the National ICT Education Mayors' Council "
                "as %(affiliation)s.\n\nOpen this link to create your account (or to log in with this "
                "address); it can be used once and expires on %(date)s.\n\n%(link)s\n",
                affiliation=f"{organisation.name} {title}".strip(), link=link,
                date=format_when(invitation.expires_at)))
    return invitation, token


def invitation_for_token(token: str) -> Invitation | None:
    return db.session.execute(select(Invitation).filter_by(token_hash=_token_hash(token))).scalar()


def check_invitation(invitation: Invitation | None) -> Invitation:
    if invitation is None:
        raise InvalidInput(None, _("This invitation link is not valid. Please check the address in the mail."))
    if invitation.accepted_at is not None:
        raise InvalidInput(None, _("This invitation has already been used."))
    if invitation.expires_at < utcnow():
        raise InvalidInput(None, _("This invitation has expired. Please ask the secretariat for a new one."))
    return invitation


def register_invited(invitation: Invitation, *, display_name: str, password: str) -> User:
    """Create the invited person's account (with the invited address) and verify it at once: one unit."""
    check_invitation(invitation)
    with unit_of_work():
        user = register_user(Registration(email=invitation.email, password=password, display_name=display_name,
                                          email_confirmed=True))
        return accept_invitation(invitation, user=user)


def accept_invitation(invitation: Invitation, *, user: User) -> User:
    """The invited person, logged in with the invited address, takes up the verified role."""
    check_invitation(invitation)
    if user.email.lower() != invitation.email.lower():
        raise PermissionDenied(_("This invitation was sent to another e-mail address. "
                                 "Please log out and open the link again."))
    with unit_of_work():
        check_invitation(invitation)
        invitation.accepted_at = utcnow()
        invitation.accepted_by_id = user.id
        user.email_confirmed_at = user.email_confirmed_at or utcnow()  # the link came to this address
        grant(user, actor=invitation.created_by, role=invitation.role, organisation=invitation.organisation,
              title=invitation.title)
        audit.record(user, AuditAction.INVITATION_ACCEPTED, user,
                     params={"role": invitation.role.value, "organisation": invitation.organisation.name,
                             "title": invitation.title})
    return user


@dataclass(frozen=True)
class RowResult:
    number: int
    email: str
    ok: bool
    message: str


def bulk_invite(*, actor: User, rows) -> list[RowResult]:
    """Invite every row of a member list; one row's problem never stops the others."""
    from .importing import role_from

    _require_secretariat(actor)
    results = []
    for row in rows:
        email = row.values.get("email", "")
        role = role_from(row.values.get("role", ""))
        if role is None:
            message = _("Unknown role: %(role)s", role=row.values.get("role", ""))
            results.append(RowResult(row.number, email, False, message))
            continue
        try:
            invite(actor=actor, data=InvitationData(
                email=email, role=role, organisation=row.values.get("organisation", ""),
                title=row.values.get("title", ""), display_name=row.values.get("name", "")))
        except (InvalidInput, PermissionDenied) as error:
            results.append(RowResult(row.number, email, False, str(error)))
        else:
            results.append(RowResult(row.number, email, True, _("Invitation sent.")))
    return results


def create_secretariat(
    email: str, password: str, display_name: str, *, title: str = "", organisation: str | None = None
) -> User:
    """A verified secretariat account, for `flask accounts create-secretariat`: created and verified in one
    unit of work (never an unverified account left behind)."""
    with unit_of_work():
        user = register_user(Registration(email=email, password=password, display_name=display_name,
                                          email_confirmed=True, granted_role=Role.SECRETARIAT))
        return set_role(user, actor=None, role=Role.SECRETARIAT,
                        organisation=organisation or DEFAULT_SECRETARIAT_ORGANISATION, title=title)
