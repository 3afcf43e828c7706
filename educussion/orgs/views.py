"""Organisation pages, the municipality finder and members' public pages."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..limits import too_long_message
from ..permissions import can_reset_two_step
from ..twostep import services as two_step_services
from ..twostep.forms import ResetForm
from . import queries

MAX_QUERY = 50

bp = Blueprint("orgs", __name__)


def _found(thing):
    if thing is None:
        abort(404)
    return thing


@bp.get("/orgs/<int:organisation_id>")
def show(organisation_id: int):
    from ..verification.forms import EndVerificationForm

    organisation = _found(queries.organisation_by_id(organisation_id))
    current, former = queries.members(organisation)
    return render_template("orgs/show.html", organisation=organisation, current=current, former=former,
                           threads=queries.threads_by_members(organisation), end_form=EndVerificationForm())


@bp.get("/orgs/municipalities")
def municipalities():
    query = request.args.get("q", "")
    # Refused whole rather than cut: the member sees what they sent and the limit.
    too_long = len(query) > MAX_QUERY
    error = too_long_message(_("Local government code or name"), MAX_QUERY, len(query)) if too_long else None
    return render_template("orgs/municipalities.html", query=query, error=error, limit=MAX_QUERY,
                           results=queries.search_municipalities(query) if query.strip() and not error else [])


@bp.get("/members/<int:user_id>")
def member(user_id: int):
    user = _found(queries.user_by_id(user_id))
    two_step_on = can_reset_two_step(current_user, user) and two_step_services.is_enabled(user)
    return render_template("orgs/member.html", member=user, history=queries.verification_history(user),
                           two_step_on=two_step_on, two_step_reset_form=ResetForm(formdata=None))
