"""Back-office printables (SPEC B9): reviewers download a registration's application
form and pledge, the Association any, an Institution user those of its own institution."""
import io
import logging

from flask import Blueprint, abort, current_app, g, send_file
from flask_babel import gettext as _
from flask_login import login_required

from app.audit import record
from app.extensions import db
from app.roles import FULL_ID_NUMBER_ROLES
from app.scoping import role_names, scope_clause
from app.services import printables
from app.ui import render_page
from models import Registration
from models.enums import AuditAction
from views.base import target_scope

log = logging.getLogger(__name__)
bp = Blueprint("printables", __name__, url_prefix="/printables")


def pdf_response(make, registration, name, error_page):
    """``make(registration)`` as an inline PDF; without the CJK font a clear error page (503), not a 500."""
    try:
        data = make(registration)
    except printables.FontMissing as exc:
        log.error("%s", exc)
        return error_page(503, _("The PDF cannot be made right now: the Chinese font is missing on the server. "
                                 "Please try again later or contact us.")), 503
    filename = f"{name}-{registration.net_no or registration.id}.pdf"
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=False, download_name=filename,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _reachable(rid):
    """The registration if the user may read registrations and it is in their scope; else 403/404."""
    if not current_app.appbuilder.sm.has_access("can_show", "RegistrationView"):
        abort(403)
    query = db.session.query(Registration).filter(Registration.id == rid)
    clause = scope_clause(Registration, target_scope(Registration), g.user)
    if clause is not None:
        query = query.filter(clause)
    registration = query.first()
    if registration is None:
        abort(404)
    return registration


def _printed(make, kind):
    """The full ID number only for the roles allowed to see it, and that view is audited."""
    def run(registration):
        full = bool(role_names(g.user) & FULL_ID_NUMBER_ROLES)
        data = make(registration, full_id_number=full)
        if full:
            record(AuditAction.VIEW_ID_NUMBER, "Person", registration.person_id, {"printed": kind}, actor=g.user)
        return data

    return run


def _error(status, message):
    return render_page("error.html", status=status, message=message)


@bp.route("/registrations/<int:rid>/form.pdf")
@login_required
def application_form(rid):
    registration = _reachable(rid)
    return pdf_response(_printed(printables.application_form, "application_form"), registration,
                        _("Application form"), _error)


@bp.route("/registrations/<int:rid>/pledge.pdf")
@login_required
def pledge(rid):
    registration = _reachable(rid)
    return pdf_response(_printed(printables.pledge, "pledge"), registration, _("Integrity pledge letter"), _error)
