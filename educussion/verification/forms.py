"""Verification forms: input shape only; the services enforce the rules."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectChoice
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..forms import BoundedIntegerField, Form, MaxLength
from ..models import ROLE_LABELS, Role

REQUIRED = _l("This field is required.")


def role_choices(*, with_secretariat: bool = False):
    roles = [Role.MAYOR, Role.MUNICIPAL_STAFF, Role.COMPANY, Role.ACADEMIC]
    if with_secretariat:
        roles += [Role.SECRETARIAT, Role.SITE_EDITOR]
    return [SelectChoice(role.value, ROLE_LABELS[role]) for role in roles]


class RequestForm(Form):
    role = HiddenField()
    municipality_code = HiddenField()
    organisation_name = StringField(
        _l("Organisation"), [MaxLength(200)],
        description=_l("The company, university or research institute you speak for."))
    corporate_number = StringField(
        _l("Corporate number (法人番号, optional)"), [MaxLength(20)],
        description=_l("13 digits. It lets the secretariat check the company quickly."))
    title = StringField(
        _l("Title or position"), [MaxLength(100)],
        description=_l("e.g. 教育委員会 学校教育課 主査, 営業部長, 教育学部 教授"))
    phone = StringField(
        _l("Phone number"), [DataRequired(REQUIRED), MaxLength(32)],
        description=_l("A number where the secretariat can reach you to confirm (not shown to anyone else)."),
        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    evidence = FileField(
        _l("Evidence (optional)"),
        description=_l("A PDF, PNG or JPEG of at most 5 MB, e.g. a business card or a letter of appointment."))
    note = TextAreaField(_l("Note for the secretariat (optional)"), [MaxLength(2000)], render_kw={"rows": 4})

    def require_for(self, role: Role) -> RequestForm:
        """Which fields this role must fill in: the organisation unless it is a local government (chosen from
        the list before), the title unless the office gives it (a mayor's). Marked 「必須」 and checked with
        the other fields, so every missing field is shown at once."""
        needed = []
        if role not in (Role.MAYOR, Role.MUNICIPAL_STAFF):
            needed.append(self.organisation_name)
        if role != Role.MAYOR:
            needed.append(self.title)
        for field in needed:
            field.validators = [DataRequired(REQUIRED), *field.validators]
            field.flags.required = True
        return self


class MunicipalitySearchForm(Form):
    class Meta:
        csrf = False  # a GET search

    q = StringField(_l("Local government code or name"), [Optional(), MaxLength(50)],
                    description=_l("e.g. 412040, 41204 or 多久市"))


class QueueFilterForm(Form):
    class Meta:
        csrf = False

    role = SelectField(_l("Role"), choices=[SelectChoice("", _l("All roles"))], validate_choice=False)
    prefecture = StringField(_l("Prefecture"), [Optional(), MaxLength(8)])
    older_than = BoundedIntegerField(_l("Waiting at least (days)"), [Optional()])


class ApproveForm(Form):
    title = StringField(_l("Title or position"), [MaxLength(100)])


class RejectForm(Form):
    reason = TextAreaField(_l("Reason (the member will read it)"), [DataRequired(REQUIRED), MaxLength(2000)],
                           render_kw={"rows": 3})


class EndVerificationForm(Form):
    reason = TextAreaField(_l("Reason"), [DataRequired(REQUIRED), MaxLength(1000)], render_kw={"rows": 2},
                           description=_l("e.g. 任期満了のため, 異動のため"))


class InvitationForm(Form):
    email = EmailField(_l("E-mail address"),
                       [DataRequired(REQUIRED), Email(_l("The e-mail address is not in a valid format."))])
    display_name = StringField(_l("Name (optional)"), [MaxLength(100)])
    role = SelectField(_l("Role"), choices=lambda: role_choices(with_secretariat=True))
    organisation = StringField(
        _l("Organisation"), [DataRequired(REQUIRED), MaxLength(200)],
        description=_l("For mayors and municipal staff: the local government code (e.g. 412040) or its name."))
    title = StringField(_l("Title or position"), [MaxLength(100)],
                        description=_l("For mayors the title follows from the local government (市長, 町長, …)."))


class BulkInvitationForm(Form):
    file = FileField(
        _l("Member list (CSV or XLSX)"),
        description=_l("Columns: email, name, role, organisation, title. Roles: mayor, municipal_staff, company, "
                       "academic, secretariat, site_editor."))


class AcceptForm(Form):
    display_name = StringField(_l("Name"), [DataRequired(REQUIRED), MaxLength(100)],
                               description=_l("Family name first, as it should appear on your posts (e.g. 山田 太郎)."))
    password = PasswordField(
        _l("Password"), [DataRequired(REQUIRED), Length(min=10)],
        description=_l("At least %(count)d characters.", count=10), render_kw={"autocomplete": "new-password"})
