"""Educussion: the discussion board of the National ICT Education Mayors' Council."""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, flash
from flask_babel import gettext
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as config_module
from .database import configure_engine
from .extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
        instance_path=(overrides or {}).get("INSTANCE_PATH")
        or os.environ.get("EDUCUSSION_INSTANCE_PATH")
        or os.path.join(ROOT, "instance"),
    )
    load_config(app, overrides)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_request_hooks(app)
    register_commands(app)
    return app


def load_config(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    app.config.update(config_module.from_environment(app.instance_path))
    app.config.update(overrides or {})
    config_module.check_production(app.config)
    if app.config["TRUSTED_PROXIES"]:
        # Behind nginx & co.: take the client's scheme, host and address from the proxy's headers.
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = config_module.instance_secret_key(app.instance_path)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.setdefault("connect_args", {"timeout": app.config["SQLITE_BUSY_TIMEOUT"]})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def register_extensions(app: Flask) -> None:
    from . import i18n
    from .accounts import sessions
    from .models import User

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = i18n.LOGIN_MESSAGE
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_user(identifier: str) -> User | None:
        # One query, with the theme moderator grants: permission checks on every page need them.
        return sessions.load_user(identifier)


def register_blueprints(app: Flask) -> None:
    from .params import BoundedIntConverter

    # Before any route is added: <int:...> beyond the INTEGER columns is a 404, never a database error.
    app.url_map.converters["int"] = BoundedIntConverter
    from .accounts.views import bp as accounts_bp
    from .auditlog.views import bp as auditlog_bp
    from .board.views import bp as board_bp
    from .export.views import bp as export_bp
    from .feeds.views import bp as feeds_bp
    from .files.views import bp as files_bp
    from .moderation.views import bp as moderation_bp
    from .summaries.views import bp as summaries_bp
    from .notifications.views import bp as notifications_bp
    from .orgs.views import bp as orgs_bp
    from .proposals.meeting_views import bp as meetings_bp
    from .proposals.views import bp as proposals_bp
    from .search.views import bp as search_bp
    from .site.views import editor_bp as site_editor_bp
    from .site.views import public_bp as site_bp
    from .twostep.views import bp as two_step_bp
    from .verification.views import bp as verification_bp

    app.register_blueprint(site_bp)
    app.register_blueprint(board_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(verification_bp)
    app.register_blueprint(orgs_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(auditlog_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(export_bp)
    app.register_blueprint(summaries_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(two_step_bp)
    app.register_blueprint(files_bp)
    app.register_blueprint(site_editor_bp)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(meetings_bp)


def register_error_handlers(app: Flask) -> None:
    from .error_pages import register_error_handlers as register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from . import i18n, text
    from .files import display as file_display
    from .forms import max_length_of
    from .limits import limit_note
    from .permissions import TEMPLATE_PREDICATES
    from .site.queries import contact

    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    app.jinja_env.globals.update(max_length_of=max_length_of, limit_note=limit_note, site_contact=contact)
    app.jinja_env.filters["excerpt"] = text.excerpt
    i18n.register_template_helpers(app)
    file_display.register(app)


def register_request_hooks(app: Flask) -> None:
    from . import i18n, security
    from .drafts import keeping
    from .errors import ForbiddenCharacter
    from .params import form_or_path_has_nul, strip_nul_from_query

    @app.before_request
    def _no_nul() -> None:
        # PostgreSQL cannot store a NUL character and nobody types one; handled here, once for every view:
        # removed from query parameters (with a message), refused in forms (with the text shown back).
        if form_or_path_has_nul():
            raise ForbiddenCharacter()
        if strip_nul_from_query():
            flash(gettext("A character that cannot be used (NUL) was removed from the address."), "info")

    app.before_request(i18n.remember_requested_language)
    app.after_request(security.set_security_headers)
    keeping.init_app(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)
