"""Certificate matters in the portal (SPEC E6–E9): 证书补发申请, 证书信息变更申请, 证书注销申请,
年度确认申请 — the holder files them for their own certificates, prints the reissue form,
and edits attachments while a matter is returned or unreviewed.  Rules: app/services/cert_matters.py."""
import io

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_babel import gettext as _

from app import crypto
from app.extensions import db
from app.services import accounts, printables
from app.services import cert_matters as cm
from app.workflow import WorkflowError, stage_label
from models import Matter
from models.enums import MatterStatus
from views.portal import bp, profile_required, render

TEMPLATES = {cm.REISSUE: "cert_reissue.html", cm.CHANGE: "cert_change.html",
             cm.CANCELLATION: "cert_cancellation.html", cm.ANNUAL: "cert_annual.html"}


def _kind(slug):
    if slug not in cm.SLUGS:
        abort(404)
    return cm.SLUGS[slug]


def _own_matter(matter_id):
    """The user's own certificate matter, else 404."""
    matter = db.session.get(Matter, matter_id)
    if matter is None or matter.applicant_id != g.user.id or matter.type_code not in TEMPLATES:
        abort(404)
    return matter



def _uploads(field):
    return [(f.read(), f.filename) for f in request.files.getlist(field) if f and f.filename]


def _values(type_code, form, cert):
    if type_code == cm.REISSUE:
        return cm.reissue_values(form)
    if type_code == cm.CHANGE:
        return cm.change_values(form, cert)
    if type_code == cm.CANCELLATION:
        return cm.cancellation_values(form)
    return cm.annual_values(form, cert)


def _upload_rule(type_code):
    """(form field, label, required) of the files a kind takes."""
    if type_code == cm.REISSUE:
        return "signed_form", _("Signed reissue application form"), True
    if type_code == cm.CHANGE:
        return "documents", _("Supporting documents"), True
    return None


def _page(type_code, person, **context):
    mine = db.session.query(Matter).filter_by(applicant_id=g.user.id, type_code=type_code).order_by(
        Matter.id.desc()).all()
    return render(TEMPLATES[type_code], kind=type_code, slug=cm.KIND_SLUG[type_code],
                  name=cm.TITLES[type_code],
                  certificates=cm.offered(person, type_code), mine=mine, editable=cm.editable,
                  stage_label=stage_label, statuses=MatterStatus, reasons=cm.REISSUE_REASONS,
                  questions=cm.QUESTIONS, years=cm.confirmation_years(), max_mb=cm.max_upload_mb(),
                  max_docs=cm.MAX_DOCUMENTS, days=cm.days_setting(), **context)


@bp.route("/certificates/matters/<slug>", methods=["GET", "POST"])
@profile_required
def cert_matter_new(slug):
    type_code = _kind(slug)
    person = accounts.person_of(g.user)
    errors, form = {}, request.form
    if request.method == "POST":
        cert = cm.own_certificate(person, form.get("certificate"))
        if cert is None and form.get("certificate"):
            abort(404)  # someone else's certificate: the same answer as a missing one
        try:
            if cert is None:
                raise cm.CertMatterError("certificate", _("Please choose: %(field)s.", field=_("Certificate")))
            reason = cm.fileable(cert, type_code)
            if reason:
                raise cm.CertMatterError("certificate", reason)
            values = _values(type_code, form, cert)
            rule = _upload_rule(type_code)
            uploads = cm.checked_uploads(_uploads(rule[0]), *rule) if rule else []
            matter = cm.file(type_code, g.user, cert, values, uploads)
        except (cm.CertMatterError, WorkflowError) as exc:
            errors = {getattr(exc, "field", "form"): str(exc)}
        else:
            flash(_("%(name)s has been submitted (business number %(no)s). You can follow it in My matters.",
                    name=cm.TITLES[matter.type_code], no=matter.business_no), "success")
            return redirect(url_for("portal.cert_matter_show", matter_id=matter.id))
    return _page(type_code, person, errors=errors, form=form, chosen=form.get("certificate")
                 or request.args.get("cert", ""))


@bp.route("/certificates/matters/item/<int:matter_id>")
@profile_required
def cert_matter_show(matter_id):
    matter = _own_matter(matter_id)
    return render("cert_matter.html", matter=matter, details=cm.details(matter), editable=cm.editable(matter),
                  stage_label=stage_label, statuses=MatterStatus, name=cm.TITLES[matter.type_code])


@bp.route("/certificates/matters/item/<int:matter_id>/edit", methods=["GET", "POST"])
@profile_required
def cert_matter_edit(matter_id):
    matter = _own_matter(matter_id)
    if not cm.editable(matter):
        flash(_("Matter %(no)s can no longer be edited: a reviewer has acted on it or it is completed.",
                no=matter.business_no), "warning")
        return redirect(url_for("portal.cert_matter_show", matter_id=matter.id))
    cert = cm.matter_certificate(matter)
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            values = _values(matter.type_code, form, cert)
            field, label, _required = _upload_rule(matter.type_code)
            uploads = cm.checked_uploads(_uploads(field), field, label, False)
            remove = [int(i) for i in form.getlist("remove") if i.isdigit()]
            was_returned = matter.state == "returned"
            matter = cm.edit(matter, g.user, values, uploads, remove)
        except (cm.CertMatterError, WorkflowError) as exc:
            errors = {getattr(exc, "field", "form"): str(exc)}
        else:
            flash(_("Resubmitted.") if was_returned else _("Saved."), "success")
            return redirect(url_for("portal.cert_matter_show", matter_id=matter.id))
    payload = matter.payload or {}
    return render(TEMPLATES[matter.type_code], kind=matter.type_code, matter=matter, details=cm.details(matter),
                  name=cm.TITLES[matter.type_code], cert=cert, errors=errors, form=form or {
                      "reason_kind": payload.get("reason_kind"), "reason": payload.get("reason", ""),
                      "new_name": payload.get("new_name", ""),
                      "new_id_number": crypto.decrypt(payload["new_id_enc"]) if payload.get("new_id_enc") else ""},
                  reasons=cm.REISSUE_REASONS, max_mb=cm.max_upload_mb(), max_docs=cm.MAX_DOCUMENTS,
                  stage_label=stage_label)


@bp.route("/certificates/<int:cert_id>/reissue-form.pdf")
@profile_required
def reissue_form_pdf(cert_id):
    cert = cm.own_certificate(accounts.person_of(g.user), cert_id)
    if cert is None:
        abort(404)
    kind = request.args.get("reason_kind")
    try:
        data = cm.reissue_form_pdf(cert, kind if kind in cm.REISSUE_REASONS else None,
                                   (request.args.get("reason") or "")[:cm.TEXT_MAX])
    except printables.FontMissing:
        flash(_("The PDF cannot be made right now: the Chinese font is missing on the server. "
                "Please try again later or contact us."), "danger")
        return redirect(url_for("portal.cert_matter_new", slug="reissue"))
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=False,
                         download_name=f"reissue-form-{cert.serial}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
