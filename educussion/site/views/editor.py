"""サイト管理: the secretariat and the 広報担当 write news; the secretariat also edits pages and contact details.
Every form can be previewed exactly as the public will see it before anything is saved."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...errors import InvalidInput, PermissionDenied
from ...forms import attach_error
from ...i18n import format_when
from ...models import NewsStatus
from ...permissions import can_edit_site, can_manage_site
from .. import clock, defaults, queries, services, versions
from ..forms import ConfirmForm, NewsForm, PageForm, SettingsForm

bp = Blueprint("site_editor", __name__, url_prefix="/site-admin")


def _editors_only(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not can_edit_site(current_user):
            raise PermissionDenied(_("Site administration is for the secretariat and site editors."))
        return view(*args, **kwargs)

    return wrapper


def _secretariat_only(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not can_manage_site(current_user):
            raise PermissionDenied(_("Only the secretariat can change the site's pages and contact details."))
        return view(*args, **kwargs)

    return wrapper


def _action() -> str:
    """Which button sent the form: preview, draft, publish or save."""
    return request.form.get("action", "save")


@bp.get("")
@_editors_only
def index():
    now = clock.now()
    return render_template("site/editor/index.html", entries=queries.all_news(), now=now,
                           pages=queries.pages() if can_manage_site(current_user) else [],
                           confirm=ConfirmForm())


# ---------------------------------------------------------------- news

def _news_data(form: NewsForm) -> services.NewsData:
    return services.NewsData(
        title=form.title.data or "", category=form.category.data or "", body=form.body.data or "",
        publish_at=form.publish_at(), is_pinned=bool(form.is_pinned.data), thread_id=form.thread_id.data,
        link_url=form.link_url.data or "", link_title=form.link_title.data or "")


def _news_form_page(form: NewsForm, entry=None, preview=None, status: int = 200):
    now = clock.now()
    return render_template("site/editor/news_form.html", form=form, entry=entry, preview=preview, now=now,
                           new_since=queries.new_since(now), confirm=ConfirmForm()), status


@bp.route("/news/new", methods=["GET", "POST"])
@_editors_only
def new_news():
    form = NewsForm()
    if request.method == "GET":
        return _news_form_page(form)
    if _action() == "preview":
        form.validate()
        return _news_form_page(form, preview=services.news_preview(_news_data(form)))
    if form.validate_on_submit():
        try:
            entry = services.create_news(actor=current_user, data=_news_data(form), publish=_action() == "publish")
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_news_saved_message(entry), "success")
            return redirect(url_for("site_editor.edit_news", entry_id=entry.id))
    return _news_form_page(form, status=400)


def _news_saved_message(entry) -> str:
    if entry.status != NewsStatus.PUBLISHED:
        return _("The entry has been saved. It is not published.")
    if entry.publish_at > clock.now():
        return _("The entry has been saved. It will be published on %(when)s.", when=format_when(entry.publish_at))
    return _("The entry has been saved and is published.")


def _found_entry(entry_id: int):
    entry = queries.news_entry(entry_id)
    if entry is None:
        abort(404)
    return entry


@bp.route("/news/<int:entry_id>", methods=["GET", "POST"])
@_editors_only
def edit_news(entry_id: int):
    entry = _found_entry(entry_id)
    form = NewsForm()
    if request.method == "GET":
        form.fill_from(entry)
        return _news_form_page(form, entry)
    if _action() == "preview":
        form.validate()
        return _news_form_page(form, entry, preview=services.news_preview(_news_data(form), entry))
    if form.validate_on_submit():
        try:
            services.edit_news(entry, actor=current_user, data=_news_data(form), publish=_action() == "publish")
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_news_saved_message(entry), "success")
            return redirect(url_for("site_editor.edit_news", entry_id=entry.id))
    return _news_form_page(form, entry, status=400)


@bp.post("/news/<int:entry_id>/publish")
@_editors_only
def publish_news(entry_id: int):
    entry = _found_entry(entry_id)
    if ConfirmForm().validate_on_submit():
        services.publish_news(entry, actor=current_user)
        flash(_news_saved_message(entry), "success")
    return redirect(url_for("site_editor.edit_news", entry_id=entry.id))


@bp.post("/news/<int:entry_id>/unpublish")
@_editors_only
def unpublish_news(entry_id: int):
    entry = _found_entry(entry_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.unpublish_news(entry, actor=current_user)
        except InvalidInput as error:
            flash(error.message, "error")
        else:
            flash(_("The entry has been unpublished. It is kept and can be published again."), "success")
    return redirect(url_for("site_editor.edit_news", entry_id=entry.id))


def _history(kind: str, object_id: int, title: str, back: str):
    return render_template("site/editor/history.html", title=title, back=back,
                           shown=versions.history(queries.versions(kind, object_id)))


@bp.get("/news/<int:entry_id>/history")
@_editors_only
def news_history(entry_id: int):
    entry = _found_entry(entry_id)
    return _history("news", entry.id, entry.title, url_for("site_editor.edit_news", entry_id=entry.id))


# ---------------------------------------------------------------- pages

def _found_slug(slug: str) -> str:
    if slug not in defaults.PAGE_SLUGS:
        abort(404)
    return slug


@bp.route("/pages/<slug>", methods=["GET", "POST"])
@_secretariat_only
def edit_page(slug: str):
    slug = _found_slug(slug)
    current = queries.page(slug)
    form = PageForm()
    preview = None
    if request.method == "GET":
        form.title.data, form.body.data = current.title, current.body_source
    elif _action() == "preview":
        form.validate()
        preview = services.page_preview(slug, form.title.data, form.body.data)
    elif form.validate_on_submit():
        try:
            services.save_page(slug, actor=current_user, title=form.title.data, body=form.body.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The page has been saved."), "success")
            return redirect(url_for("site_editor.edit_page", slug=slug))
    status = 400 if request.method == "POST" and preview is None else 200
    return render_template("site/editor/page_form.html", form=form, page=current, preview=preview), status


@bp.get("/pages/<slug>/history")
@_secretariat_only
def page_history(slug: str):
    slug = _found_slug(slug)
    row = queries.page_row(slug)
    if row is None:
        abort(404)
    return _history("page", row.id, row.title, url_for("site_editor.edit_page", slug=slug))


# ---------------------------------------------------------------- contact details and statement

def _settings_data(form: SettingsForm) -> services.SettingsData:
    return services.SettingsData(**{name: form[name].data or "" for name in (
        "statement", "postal_code", "address", "phone", "fax", "email", "office_hours")})


@bp.route("/settings", methods=["GET", "POST"])
@_secretariat_only
def settings():
    row = queries.settings_row()
    form = SettingsForm(obj=row) if request.method == "GET" and row is not None else SettingsForm()
    if request.method == "GET" and row is None:
        form.statement.data = defaults.STATEMENT
    if form.validate_on_submit():
        try:
            services.save_settings(actor=current_user, data=_settings_data(form))
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("The contact details have been saved."), "success")
            return redirect(url_for("site_editor.settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("site/editor/settings.html", form=form, row=row), status


@bp.get("/settings/history")
@_secretariat_only
def settings_history():
    row = queries.settings_row()
    if row is None:
        abort(404)
    return _history("settings", row.id, _("Contact details and statement"), url_for("site_editor.settings"))
