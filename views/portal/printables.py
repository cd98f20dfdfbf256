"""考生门户 printables (SPEC B9): the application form and the pledge as PDF, and
the signed scan uploaded back.  A candidate reaches their own registrations only."""
from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.services import printables
from views.portal import _safe_next, bp, login_required, own_registration, render
from views.printables import pdf_response


def portal_error(status, message):
    """How a portal PDF's failure reads (the portal's own error page)."""
    return render("error.html", status=status, message=message)


@bp.route("/registrations/<int:rid>/form.pdf")
@login_required
def application_form_pdf(rid):
    registration = own_registration(rid)
    return pdf_response(printables.application_form, registration, _("Application form"), portal_error)


@bp.route("/registrations/<int:rid>/pledge.pdf")
@login_required
def pledge_pdf(rid):
    registration = own_registration(rid)
    return pdf_response(printables.pledge, registration, _("Integrity pledge letter"), portal_error)


@bp.route("/registrations/<int:rid>/signed-form", methods=["POST"])
@login_required
def upload_signed_form(rid):
    registration = own_registration(rid)
    upload = request.files.get("scan")
    # one byte more than allowed is enough to know it is too large
    data = upload.read(printables.SCAN_MAX_BYTES + 1) if upload is not None and upload.filename else b""
    try:
        printables.attach_signed_form(registration, data, upload.filename if upload else "", g.user)
    except printables.ScanError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(_("The signed application form has been uploaded."), "success")
    return redirect(_safe_next(url_for("portal.my_exams")))
