"""The search form: GET parameters kept in the URL, no JavaScript needed."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import Optional

from ..forms import BoundedDateField, Form
from ..models import ROLE_LABELS, Role
from ..orgs.codes import load_municipalities


def prefecture_choices():
    return [SelectChoice("", _l("All prefectures"))] + [
        SelectChoice(m.prefecture, m.prefecture) for m in load_municipalities() if m.kind == "prefecture"]


class SearchForm(Form):
    class Meta:
        csrf = False  # a GET search

    q = StringField(_l("Search words"), render_kw={"type": "search"})
    theme = SelectField(_l("Theme"), choices=[], validate_choice=False)
    role = SelectField(_l("Author's role"), validate_choice=False, choices=lambda: [
        SelectChoice("", _l("All roles"))] + [SelectChoice(r.value, ROLE_LABELS[r]) for r in Role])
    prefecture = SelectField(_l("Prefecture"), choices=prefecture_choices, validate_choice=False)
    start = BoundedDateField(_l("From"), [Optional()])
    end = BoundedDateField(_l("Until"), [Optional()])
    status = SelectField(_l("Thread status"), validate_choice=False, choices=lambda: [
        SelectChoice("", _l("Any")), SelectChoice("open", _l("Open")), SelectChoice("locked", _l("Locked"))])
    scope = SelectField(_l("Search in"), validate_choice=False, choices=lambda: [
        SelectChoice("posts", _l("All posts")), SelectChoice("threads", _l("Opening posts of threads only"))])
    sort = SelectField(_l("Order"), validate_choice=False, choices=lambda: [
        SelectChoice("relevance", _l("Relevance")), SelectChoice("newest", _l("Newest first"))])
    hidden = BooleanField(_l("Include hidden and pending posts"))
