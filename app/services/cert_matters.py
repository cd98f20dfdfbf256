"""Certificate matters the holder files (SPEC E6–E9): reissue, information change,
cancellation request and annual confirmation.

The holder picks one of their own certificates; the matter names it (object
Certificate/id) and its institution, so that institution confirms it and the
Association approves it (app/matters).  The approvals' effects are here and use
the rules of app/services/certificates.py (new_version, cancel, extend).
Functions raise CertMatterError(field, message) for bad input; nothing is written then.
"""
import datetime
import logging
import os

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import crypto, workflow
from app.extensions import db
from app.identity import IdNumberError, parse_id_number
from app.services import accounts, certificates, files, matter_content, printables
from app.services.certificates import CertificateError
from app.workflow import WorkflowError
from models import Certificate, Matter, Person
from models.enums import CertificateStatus, MatterStatus

log = logging.getLogger(__name__)

REISSUE, CHANGE = "certificate_reissue", "certificate_change"
CANCELLATION, ANNUAL = "certificate_cancellation", "annual_confirmation"
# the portal's address of each kind
SLUGS = {"reissue": REISSUE, "change": CHANGE, "cancellation": CANCELLATION, "annual": ANNUAL}
KIND_SLUG = {code: slug for slug, code in SLUGS.items()}
# the seed's names of the online services (证书补发申请 …)
TITLES = {REISSUE: _l("Certificate reissue application"), CHANGE: _l("Certificate information change application"),
          CANCELLATION: _l("Certificate cancellation application"), ANNUAL: _l("Annual confirmation application")}
# E6/E7: the holder may edit attachments (and values) of these while returned or unreviewed
EDITABLE_KINDS = {REISSUE, CHANGE}
REISSUE_REASONS = {"lost": _l("Lost"), "damaged": _l("Damaged")}
# E9: the seed's four yes/no questions
QUESTIONS = [
    ("complaints", _l("Any complaint records")),
    ("cpd_done", _l("Professional development / continuing education completed")),
    ("still_fit", _l("Still has the personal qualities required")),
    ("code_of_conduct", _l("Still complies with the code of conduct")),
]
MAX_DOCUMENTS = 5
TEXT_MAX = 500


class CertMatterError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


# --- which certificates, which matters ----------------------------------------------------------
def holder_certificates(person):
    if person is None:
        return []
    return db.session.scalars(select(Certificate).where(Certificate.person_id == person.id)
                              .order_by(Certificate.issue_date.desc(), Certificate.id.desc())).all()


def own_certificate(person, cert_id):
    """The holder's own certificate, else None (the views answer 404 either way)."""
    cert = db.session.get(Certificate, cert_id) if str(cert_id or "").isdigit() else None
    return cert if cert is not None and person is not None and cert.person_id == person.id else None


def open_matter(cert_id, type_code):
    """The certificate's unfinished matter of this kind (one at a time)."""
    return db.session.scalar(select(Matter).where(
        Matter.object_type == "Certificate", Matter.object_id == cert_id, Matter.type_code == type_code,
        Matter.status != MatterStatus.COMPLETED.value).order_by(Matter.id.desc()))


def fileable(cert, type_code, today=None):
    """None when the holder may file ``type_code`` for ``cert``, else the reason why not."""
    state = certificates.state_of(cert, today)
    if type_code == ANNUAL:
        if not certificates.near_expiry(cert, today):
            return _("Certificate %(no)s needs no annual confirmation yet.", no=cert.serial)
    elif type_code == CANCELLATION:
        if state not in (CertificateStatus.VALID, CertificateStatus.EXPIRED):
            return _("Certificate %(no)s is %(state)s.", no=cert.serial, state=state.label)
    elif state != CertificateStatus.VALID:
        return _("Certificate %(no)s is %(state)s; only a valid certificate can be reissued or changed.",
                 no=cert.serial, state=state.label)
    if open_matter(cert.id, type_code) is not None:
        return _("Certificate %(no)s already has an open matter of this kind.", no=cert.serial)
    return None


def offered(person, type_code):
    """The holder's certificates this kind may be filed for now."""
    return [c for c in holder_certificates(person) if fileable(c, type_code) is None]


def matter_certificate(matter):
    if matter.object_type != "Certificate":
        return None
    return db.session.get(Certificate, matter.object_id)


def editable(matter):
    """E6/E7: returned for correction, or submitted and no reviewer has acted since."""
    if matter.type_code not in EDITABLE_KINDS or matter.status == MatterStatus.COMPLETED.value:
        return False
    if matter.state == "returned":
        return True
    return bool(matter.history) and matter.history[-1].transition in ("submit", "resubmit")


# --- input ------------------------------------------------------------------------------------------
def _text(value, field, label, required=False):
    value = (value or "").strip()
    if required and not value:
        raise CertMatterError(field, _("Please fill in: %(field)s.", field=label))
    if len(value) > TEXT_MAX:
        raise CertMatterError(field, _("%(field)s has at most %(n)d characters.", field=label, n=TEXT_MAX))
    return value


def _date(value, field, label):
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CertMatterError(field, _("%(field)s is not a date (YYYY-MM-DD).", field=label)) from None


def check_upload(data, field, label):
    """A scan or document: JPG, PNG or PDF, size-limited (the signed-form rule of the printables)."""
    if not data:
        raise CertMatterError(field, _("Please choose a file: %(field)s.", field=label))
    try:
        return printables.check_scan(data)
    except printables.ScanError as exc:
        raise CertMatterError(field, f"{label}: {exc}") from None


def _store(upload, cert, user, kind):
    """``upload``: (bytes, filename), checked by check_upload; the file belongs to the holder and is
    opened by the certificate's institution (files.may_open)."""
    data, filename, (content_type, ext, kept) = upload
    stem = os.path.splitext(os.path.basename(filename or ""))[0][:80] or kind
    holder = db.session.get(Person, cert.person_id)
    item = files.store(kept, f"{stem}.{ext}", content_type, kind, user=user, person=holder,
                       institution_id=cert.institution_id)
    db.session.flush()
    return item.id


def checked_uploads(uploads, field, label, required):
    """[(bytes, filename)] → [(bytes, filename, check result)]; at most MAX_DOCUMENTS."""
    uploads = [(data, name) for data, name in uploads if data]
    if required and not uploads:
        raise CertMatterError(field, _("Please choose a file: %(field)s.", field=label))
    if len(uploads) > MAX_DOCUMENTS:
        raise CertMatterError(field, _("%(field)s: at most %(n)d files.", field=label, n=MAX_DOCUMENTS))
    return [(data, name, check_upload(data, field, label)) for data, name in uploads]


def reissue_values(form):
    reason_kind = form.get("reason_kind")
    if reason_kind not in REISSUE_REASONS:
        raise CertMatterError("reason_kind", _("Please choose: %(field)s.", field=_("Reissue reason")))
    return {"reason_kind": reason_kind, "reason": _text(form.get("reason"), "reason", _("Circumstances"), True)}


def change_values(form, cert):
    holder = db.session.get(Person, cert.person_id)
    try:
        name = accounts._checked_name(form.get("new_name"))
    except accounts.AccountError as exc:
        raise CertMatterError("new_name", f"{_('New name')}: {exc}") from None
    try:
        number = parse_id_number(holder.id_type or "resident", form.get("new_id_number"))[0]
    except IdNumberError as exc:
        raise CertMatterError("new_id_number", f"{_('New ID number')}: {exc}") from None
    masked = crypto.mask_id_number(number)
    if name == cert.holder_name and masked == cert.holder_id_masked:
        raise CertMatterError("new_name", _("The new values are the same as the certificate's."))
    # the full number only encrypted; reviewers compare the masked one with the documents
    return {"new_name": name, "new_id_masked": masked, "new_id_enc": crypto.encrypt(number),
            "reason": _text(form.get("reason"), "reason", _("Reason for the change"), True)}


def cancellation_values(form):
    return {"reason": _text(form.get("reason"), "reason", _("Reason for the cancellation"), True)}


def confirmation_years(today=None):
    year = (today or datetime.date.today()).year
    return [year - 1, year, year + 1]


def annual_values(form, cert):
    values = {}
    for key, label in QUESTIONS:
        answer = form.get(key)
        if answer not in ("yes", "no"):
            raise CertMatterError(key, _("Please answer: %(field)s.", field=label))
        values[key] = answer == "yes"
    start = _date(form.get("cpd_start"), "cpd_start", _("Professional development start"))
    end = _date(form.get("cpd_end"), "cpd_end", _("Professional development end"))
    if values["cpd_done"] and not (start and end):
        field = "cpd_start" if not start else "cpd_end"
        raise CertMatterError(field, _("Professional development is completed: give its start and end dates."))
    if start and end and start > end:
        raise CertMatterError("cpd_end", _("Professional development end is before its start."))
    year = form.get("year", "")
    if not year.isdigit() or int(year) not in confirmation_years():
        raise CertMatterError("year", _("Please choose: %(field)s.", field=_("Confirmation year")))
    values.update(
        cpd_start=start.isoformat() if start else None, cpd_end=end.isoformat() if end else None, year=int(year),
        cpd_content=_text(form.get("cpd_content"), "cpd_content", _("Professional development content"),
                          values["cpd_done"]),
        remarks=_text(form.get("remarks"), "remarks", _("Remarks")),
        valid_until_before=cert.valid_until.isoformat() if cert.valid_until else None)
    return values


# --- filing and editing -----------------------------------------------------------------------------
def file(type_code, user, cert, values, uploads=(), kind="cert_matter"):
    """Open the matter on ``cert`` with ``values`` and the checked ``uploads``, and submit it (commits)."""
    if db.session.get_bind().dialect.name == "postgresql":  # two tabs filing at once make one matter
        db.session.execute(select(Certificate.id).where(Certificate.id == cert.id).with_for_update())
    reason = fileable(cert, type_code)
    if reason:
        db.session.rollback()
        raise CertMatterError("certificate", reason)
    try:
        payload = {"certificate_id": cert.id, "serial": cert.serial, "old_name": cert.holder_name,
                   "old_id_masked": cert.holder_id_masked, **values,
                   "attachment_ids": [_store(u, cert, user, kind) for u in uploads]}
        matter = workflow.create_matter(type_code, user, f"{TITLES[type_code]} {cert.serial}",
                                        institution_id=cert.institution_id, obj=cert, payload=payload, commit=False)
        matter.institution_id = cert.institution_id  # never the applicant's: the certificate's institution confirms
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return workflow.apply(matter.id, "submit", user)


def edit(matter, user, values, uploads=(), remove_ids=(), kind="cert_matter"):
    """E6/E7: the applicant replaces values and attachments while returned or unreviewed; a returned
    matter is resubmitted.  Raises CertMatterError when editing is no longer possible."""
    matter = workflow._lock(matter.id)  # a reviewer acting meanwhile wins
    if matter.applicant_id != user.id:
        db.session.rollback()
        raise CertMatterError("form", _("Only the applicant may edit this matter."))
    if not editable(matter):
        db.session.rollback()
        raise CertMatterError("form", _("Matter %(no)s can no longer be edited: a reviewer has acted on it or it is "
                                        "completed.", no=matter.business_no))
    cert = matter_certificate(matter)
    payload = dict(matter.payload or {})
    kept = [i for i in payload.get("attachment_ids", []) if i not in set(remove_ids)]
    try:
        added = [_store(u, cert, user, kind) for u in uploads]
        if matter.type_code == REISSUE and added:
            kept = []  # the new signed form replaces the old one
        if not kept + added:
            raise CertMatterError("documents", _("Please choose a file: %(field)s.", field=_("Attachments")))
        if len(kept + added) > MAX_DOCUMENTS:
            raise CertMatterError("documents", _("%(field)s: at most %(n)d files.", field=_("Attachments"),
                                                 n=MAX_DOCUMENTS))
        matter.payload = {**payload, **values, "attachment_ids": kept + added}
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if matter.state == "returned":
        return workflow.apply(matter.id, "resubmit", user)
    return matter


# --- effects (declared on the matter types in app/matters) ------------------------------------------
def skip_institution_stage(matter, _t, _user):
    """A certificate without an institution (social holder): nobody could confirm it there, so the
    submission goes straight to the Association (the history row says so)."""
    if matter.state == "institution_review" and matter.institution_id is None:
        matter.state = "association_review"
        matter.history[-1].to_state = "association_review"


def _certificate(matter):
    """The matter's certificate; None for a matter that names none (filed in the back office, demo data):
    its approval only records the decision."""
    if matter.object_type != "Certificate":
        return None
    cert = matter_certificate(matter)
    if cert is None:
        raise WorkflowError(_("The certificate of matter %(no)s no longer exists.", no=matter.business_no))
    return cert


def _render(cert, user):
    from app.services import certificate_pdf

    try:
        certificate_pdf.render(cert, user)
    except printables.FontMissing as exc:
        log.error("%s", exc)
        raise WorkflowError(_("The certificate PDF cannot be made right now: the Chinese font is missing on the "
                              "server.")) from None


def _new_version(matter, user, reason, **changes):
    old = _certificate(matter)
    try:
        new = certificates.new_version(old, user, matter, reason, **changes)
    except CertificateError as exc:
        raise WorkflowError(str(exc)) from None
    _render(new, user)
    matter.payload = {**matter.payload, "new_certificate_id": new.id, "new_serial": new.serial}


def reissue_approved(matter, _t, user):
    payload = matter.payload or {}
    if _certificate(matter) is None:
        return
    _new_version(matter, user, _("Reissued (%(reason)s): %(text)s",
                                 reason=REISSUE_REASONS.get(payload.get("reason_kind"), ""),
                                 text=payload.get("reason", "")))


def change_approved(matter, _t, user):
    """E7: the new version carries the new holder data.  The Person is not changed: the profile is the
    holder's own (real-name checked, the ID number is the account's identity key); the matter corrects
    what is printed on the certificate."""
    payload = matter.payload or {}
    if _certificate(matter) is None:
        return
    _new_version(matter, user, _("Information changed: %(old)s → %(new)s", old=payload.get("old_name"),
                                 new=payload.get("new_name")),
                 holder_name=payload["new_name"], holder_id_masked=payload["new_id_masked"])


def cancellation_approved(matter, _t, user):
    cert = _certificate(matter)
    if cert is None:
        return
    try:
        certificates.cancel(cert, (matter.payload or {}).get("reason"), user, matter)
    except CertificateError as exc:
        raise WorkflowError(str(exc)) from None


def annual_approved(matter, _t, user):
    cert = _certificate(matter)
    if cert is None:
        return
    try:
        certificates.extend(cert, user, matter)
    except CertificateError as exc:
        raise WorkflowError(str(exc)) from None
    matter.payload = {**matter.payload, "valid_until_after": cert.valid_until.isoformat()}


# --- what reviewers and the holder see --------------------------------------------------------------
def details(matter):
    """The matter's content (app.services.matter_content), or None for other kinds."""
    if matter.type_code not in SLUGS.values():
        return None
    return _details(matter)


def _details(matter):
    """The matter's content as [(label, value)] and [(attachment id, file name)], or None for other kinds."""
    if matter.type_code not in SLUGS.values():
        return None
    p = matter.payload or {}
    yes_no = {True: _("Yes"), False: _("No")}
    rows = [(_("Certificate number"), p.get("serial", ""))]
    if matter.type_code == REISSUE:
        rows += [(_("Reissue reason"), str(REISSUE_REASONS.get(p.get("reason_kind"), ""))),
                 (_("Circumstances"), p.get("reason", ""))]
    elif matter.type_code == CHANGE:
        rows += [(_("Holder name"), f"{p.get('old_name') or ''} → {p.get('new_name') or ''}"),
                 (_("ID number"), f"{p.get('old_id_masked') or ''} → {p.get('new_id_masked') or ''}"),
                 (_("Reason for the change"), p.get("reason", ""))]
    elif matter.type_code == CANCELLATION:
        rows += [(_("Reason for the cancellation"), p.get("reason", ""))]
    else:
        rows += [(label, yes_no.get(p.get(key), "")) for key, label in QUESTIONS]
        rows += [(_("Professional development period"),
                  f"{p.get('cpd_start') or ''} – {p.get('cpd_end') or ''}" if p.get("cpd_start") else ""),
                 (_("Confirmation year"), p.get("year", "")),
                 (_("Professional development content"), p.get("cpd_content", "")),
                 (_("Remarks"), p.get("remarks", "")),
                 (_("Valid until (before)"), p.get("valid_until_before") or ""),
                 (_("Valid until (after)"), p.get("valid_until_after") or "")]
    if p.get("new_serial"):
        rows.append((_("New certificate number"), p["new_serial"]))
    return {"rows": [(str(k), v) for k, v in rows],
            "attachments": matter_content.attachment_names(p.get("attachment_ids")),
            "tables": _cpd_tables(matter) if matter.type_code == ANNUAL else []}


def _cpd_tables(matter):
    """E9: the holder's CPD records (G4 training records) of the confirmation period (the given
    professional-development period, else the confirmation year), with their total hours."""
    from app.services import training_plans

    p, cert = matter.payload or {}, matter_certificate(matter)
    if cert is None:
        return []
    try:
        start = datetime.date.fromisoformat(p["cpd_start"]) if p.get("cpd_start") else None
        end = datetime.date.fromisoformat(p["cpd_end"]) if p.get("cpd_end") else None
    except ValueError:
        start = end = None
    if start is None and str(p.get("year", "")).isdigit():
        start, end = datetime.date(int(p["year"]), 1, 1), datetime.date(int(p["year"]), 12, 31)
    records = training_plans.cpd_records(cert.person_id, start, end)
    rows = [[f"{r.start_date} – {r.end_date}", r.course_name, r.hours, r.category or "", r.certificate_no or "",
             r.institution.name if r.institution else ""] for r in records]
    rows.append([_("Total hours"), "", training_plans.cpd_hours(records), "", "", ""])
    return [{"title": _("Continuing education records of the period"),
             "headers": [_("Period"), _("Course name"), _("Hours"), _("Category"), _("Training certificate number"),
                         _("Institution")], "rows": rows}]


for _code in SLUGS.values():
    matter_content.content(_code)(_details)


def max_upload_mb():
    return printables.SCAN_MAX_BYTES // (1024 * 1024)


def days_setting():
    return current_app.config["ANNUAL_CONFIRMATION_DAYS"]


# --- 证书补办申请表: printed, signed and uploaded back (E6) -------------------------------------------------
def reissue_form_pdf(cert, reason_kind=None, reason=""):
    """The reissue application form with the certificate's data, the reason (ticked when known) and
    the holder's signature line; the institution confirms on the paper too."""
    from models.enums import CertLevel

    ctype = cert.certificate_type
    title = _("Certificate reissue application form")
    sheet = printables.Sheet(title, footer_note=current_app.config.get("APP_NAME", ""))
    sheet.title_block([ctype.issuer, title])
    sheet.meta_line(_("Certificate number: %(no)s", no=cert.serial),
                    _("Printed on %(day)s", day=datetime.date.today().isoformat()))
    institution = cert.institution.name if cert.institution else _("None (social candidate)")
    level = CertLevel(ctype.level).label if ctype.level else ""
    widths = [32, 58, 32, 58]
    sheet.section(_("Certificate"))
    sheet.form_grid([
        [(_("Holder name"), cert.holder_name or "", 1), (_("ID number"), cert.holder_id_masked or "", 1)],
        [(_("Certificate name"), ctype.name, 1), (_("Level"), str(level), 1)],
        [(_("Certificate number"), cert.serial, 1), (_("Issue date"), cert.issue_date.isoformat(), 1)],
        [(_("Valid until"), cert.valid_until.isoformat() if cert.valid_until else _("Long-term"), 1),
         (_("Version"), str(cert.version), 1)],
        [(_("Issuing organisation"), ctype.issuer, 1), (_("Institution"), institution, 1)],
    ], widths)
    sheet.ln(4)
    sheet.section(_("Reissue reason"))
    boxes = "    ".join(("\u25a3 " if key == reason_kind else "\u25a1 ") + str(label)
                        for key, label in REISSUE_REASONS.items())
    sheet.boxed_text(f"{boxes}\n{_('Circumstances')}：{reason or ''}\n\n")
    sheet.ln(4)
    sheet.paragraph(_("I apply for a reissue of the certificate above and declare that the information given is "
                      "true. The old certificate, if found, will no longer be used and is void once the new "
                      "version is issued."))
    sheet.signature_lines([_("Applicant's signature: ____________    Date: ______ (Y) ____ (M) ____ (D)")])
    sheet.ln(2)
    sheet.section(_("Institution confirmation"))
    sheet.sign_box([_("Seal: ____________    Date: ______ (Y) ____ (M) ____ (D)")], blank=18)
    return bytes(sheet.output())
