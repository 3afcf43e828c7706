"""The site editor's forms (サイト管理): input shape only; the services enforce the rules."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Optional

from ..dates import TOKYO
from ..forms import BoundedDateField, BoundedIntegerField, Form, MaxLength
from ..limits import MAX_BODY_LENGTH, MAX_TITLE_LENGTH
from ..models import NEWS_CATEGORY_LABELS, NewsCategory, NewsEntry

REQUIRED = _l("This field is required.")
BODY_HELP = _l("You can use Markdown: ## headings, **bold**, lists (- item), links, tables.")


def _categories():
    return [SelectChoice(category.value, NEWS_CATEGORY_LABELS[category]) for category in NewsCategory]


class NewsForm(Form):
    title = StringField(_l("Title"), [DataRequired(REQUIRED), MaxLength(MAX_TITLE_LENGTH)])
    category = SelectField(_l("Category"), choices=_categories)
    body = TextAreaField(_l("Body"), [MaxLength(MAX_BODY_LENGTH)], description=BODY_HELP, render_kw={"rows": 12})
    publish_date = BoundedDateField(
        _l("Publication date"), [Optional()],
        description=_l("Japan time. Empty: the moment it is published. A date in the future schedules the entry: "
                       "nobody sees it before then."))
    publish_time = TimeField(_l("Publication time"), [Optional()], description=_l("e.g. 09:00 (empty: 0:00)"))
    is_pinned = BooleanField(_l("Pin to the top of the news"))
    thread_id = BoundedIntegerField(
        _l("Linked thread (optional)"), [Optional()],
        description=_l("The thread's number, as in its address: /threads/12 → 12."))
    link_url = StringField(_l("Link to another page (optional)"), [MaxLength(2000)],
                           description=_l("https://… , or a page of this site such as /documents"))
    link_title = StringField(_l("Link text (optional)"), [MaxLength(200)],
                             description=_l("e.g. 開催案内（PDF）. Empty: the address is shown."))

    def publish_at(self) -> datetime | None:
        """The date and time chosen, in Japan time (None when no date was given)."""
        if self.publish_date.data is None:
            return None
        return datetime.combine(self.publish_date.data, self.publish_time.data or datetime.min.time(), tzinfo=TOKYO)

    def fill_from(self, entry: NewsEntry) -> None:
        self.title.data, self.category.data, self.body.data = entry.title, entry.category.value, entry.body_source
        if entry.publish_at is not None:
            local = entry.publish_at.astimezone(TOKYO)
            self.publish_date.data, self.publish_time.data = local.date(), local.time().replace(second=0)
        self.is_pinned.data = entry.is_pinned
        self.thread_id.data = entry.thread_id
        self.link_url.data, self.link_title.data = entry.link_url, entry.link_title


class PageForm(Form):
    title = StringField(_l("Title"), [DataRequired(REQUIRED), MaxLength(MAX_TITLE_LENGTH)])
    body = TextAreaField(_l("Body"), [DataRequired(REQUIRED), MaxLength(MAX_BODY_LENGTH)], description=BODY_HELP,
                         render_kw={"rows": 20})


class SettingsForm(Form):
    statement = TextAreaField(_l("Statement on the home page"), [MaxLength(1000)], render_kw={"rows": 4},
                              description=_l("A few sentences under the council's name on the home page."))
    postal_code = StringField(_l("Postal code"), [MaxLength(16)], description=_l("e.g. 100-0013"),
                              render_kw={"autocomplete": "postal-code"})
    address = TextAreaField(_l("Address"), [MaxLength(500)], render_kw={"rows": 3},
                            description=_l("e.g. 東京都千代田区霞が関1-2-3 〇〇ビル5階"))
    phone = StringField(_l("Phone (TEL)"), [MaxLength(32)], render_kw={"inputmode": "tel"},
                        description=_l("Empty: EDUCUSSION_CONTACT_PHONE is shown."))
    fax = StringField(_l("Fax (FAX)"), [MaxLength(32)], render_kw={"inputmode": "tel"})
    email = StringField(_l("E-mail address"), [MaxLength(254)], render_kw={"inputmode": "email"},
                        description=_l("Shown on pages as jimukyoku[at]example.jp, so that harvesters cannot read it; "
                                       "written out in mails. Empty: EDUCUSSION_CONTACT_EMAIL."))
    office_hours = StringField(_l("Office hours"), [MaxLength(200)], description=_l("e.g. 平日 9:30～17:30"))


class ConfirmForm(Form):
    """A button that changes something (publish, unpublish): only the CSRF token."""
