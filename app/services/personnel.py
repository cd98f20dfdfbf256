"""F2 人员注册申请: the application's rules — the conditions (条件自检), the application values
(个人注册申请), the five experience tables (个人信息填报, rows copied from or kept in the person's
个人基础信息库), the draft, the submission, and the chain's effects (the fee order after 机构初核,
the certificate on approval).

The matter is a draft from the first 暂存草稿: its payload holds the application values, its rows
are ExperienceEntry rows with its matter_id.  Functions raise RegistrationError(field, message)
(or experience.ExperienceError naming table and row) and write nothing then; they commit."""
import logging
import os

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import workflow
from app.extensions import db
from app.services import accounts, certificates, experience, files, matter_content, payments, printables
from app.services.experience import ExperienceError
from app.workflow import WorkflowError
from models import CertificateType, Institution, Matter
from models.enums import Conformity, MatterStatus, ReviewStatus
from models.enums import ExperienceKind as K
from models.enums import OrderStatus as OS
from models.personnel import ExperienceEntry

log = logging.getLogger(__name__)

TYPE_CODE = "personnel_registration"
# 申请类型 (code → label); a certificate type coded "<type code>-<specialty>" is issued on approval
APPLICATION_TYPES = {
    "AUD": _l("Management system certification auditor"),
    "AUD-INT": _l("Management system auditor (intern)"),
    "PRD": _l("Product certification inspector"),
    "SRV": _l("Service certification auditor"),
}
SPECIALTIES = ["QMS", "EMS", "OHSMS", "FSMS", "HACCP", "ISMS", "EnMS", "ITSMS"]
PAYMENT_METHODS = {"person": _l("Personal payment"), "institution": _l("Payment by the institution")}
EDITABLE_STATES = ("draft", "returned")


class RegistrationError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


# --- 条件自检 ------------------------------------------------------------------------------------
def conditions(user):
    """[(label, met)] of the conditions to apply, in the order they are checked."""
    person = accounts.person_of(user)
    return [(_("Personal profile completed"), person is not None),
            (_("Real-name verification passed"), bool(person and person.realname_verified)),
            (_("Photo uploaded"), bool(person and person.photo_id))]


def unmet(user):
    """The first unmet condition's message, or None."""
    for label, met in conditions(user):
        if not met:
            return _("Condition not met: %(condition)s.", condition=label)
    return None


def open_registration(user, application_type, exclude_id=None):
    """The applicant's unfinished registration of this application type (one at a time)."""
    query = select(Matter).where(Matter.applicant_id == user.id, Matter.type_code == TYPE_CODE,
                                 Matter.status != MatterStatus.COMPLETED.value).order_by(Matter.id)
    for matter in db.session.scalars(query):
        if matter.id != exclude_id and (matter.payload or {}).get("application_type") == application_type:
            return matter
    return None


# --- 个人注册申请 ----------------------------------------------------------------------------------
def institution_choices():
    return db.session.scalars(select(Institution).where(Institution.status == ReviewStatus.APPROVED.value)
                              .order_by(Institution.name)).all()


def application_values(form):
    """The step-2 form → the payload values; RegistrationError names the field."""
    kind = form.get("application_type")
    if kind not in APPLICATION_TYPES:
        raise RegistrationError("application_type", _("Please choose: %(field)s.", field=_("Application type")))
    specialty = form.get("specialty")
    if specialty not in SPECIALTIES:
        raise RegistrationError("specialty", _("Please choose: %(field)s.", field=_("Applied specialty")))
    narrow = form.get("narrow_scope")
    if narrow not in ("yes", "no"):
        raise RegistrationError("narrow_scope", _("Please choose: %(field)s.", field=_("Narrow the specialty scope")))
    payment = form.get("payment")
    if payment not in PAYMENT_METHODS:
        raise RegistrationError("payment", _("Please choose: %(field)s.", field=_("Payment method")))
    raw = str(form.get("institution_id") or "")
    inst = db.session.get(Institution, int(raw)) if raw.isdigit() else None
    if inst is None or inst.status != ReviewStatus.APPROVED.value:
        raise RegistrationError("institution_id", _("Please choose: %(field)s.",
                                                    field=_("Institution for the first review")))
    return {"application_type": kind, "specialty": specialty, "narrow_scope": narrow == "yes", "payment": payment,
            "institution_id": inst.id}


def _title(values):
    return _("Personnel registration application (%(type)s: %(specialty)s)",
             type=APPLICATION_TYPES[values["application_type"]], specialty=values["specialty"])


def _checked_editable(matter, user):
    if matter.applicant_id != user.id:
        raise RegistrationError("form", _("Only the applicant may edit this matter."))
    if matter.state not in EDITABLE_STATES:
        raise RegistrationError("form", _("Matter %(no)s can no longer be edited: a reviewer has acted on it or it "
                                          "is completed.", no=matter.business_no))


def save_application(user, values, matter=None, conditions=True):
    """暂存草稿 of step 2: a new draft, or the draft's (returned matter's) values replaced.  Commits.
    ``conditions=False`` only for demo data (app/demo_personnel.py), filed as if they were met."""
    try:
        reason = unmet(user) if conditions else None
        if reason:
            raise RegistrationError("form", reason)
        if matter is not None:
            matter = workflow._lock(matter.id)
            _checked_editable(matter, user)
        other = open_registration(user, values["application_type"], matter.id if matter else None)
        if other is not None:
            raise RegistrationError("application_type", _(
                "You already have an unfinished registration of this application type (business number %(no)s); "
                "continue it from My matters.", no=other.business_no))
        if matter is None:
            matter = workflow.create_matter(TYPE_CODE, user, _title(values), institution_id=values["institution_id"],
                                            payload=values, commit=False)
        else:
            matter.payload = {**(matter.payload or {}), **values}
            matter.title = _title(values)
        matter.institution_id = values["institution_id"]  # the institution named does the first review
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return matter


def form_values(matter):
    p = matter.payload or {}
    return {"application_type": p.get("application_type", ""), "specialty": p.get("specialty", ""),
            "narrow_scope": "yes" if p.get("narrow_scope") else ("no" if "narrow_scope" in p else ""),
            "payment": p.get("payment", ""), "institution_id": str(p.get("institution_id") or "")}


# --- 个人信息填报: the rows ----------------------------------------------------------------------------
def rows_of(person, matter=None, kind=None):
    """The matter's rows (or, with no matter, the person's library rows), by table and position."""
    query = select(ExperienceEntry).where(ExperienceEntry.person_id == person.id)
    query = query.where(ExperienceEntry.matter_id == matter.id) if matter is not None \
        else query.where(ExperienceEntry.matter_id.is_(None))
    if kind is not None:
        query = query.where(ExperienceEntry.kind == K(kind).value)
    return db.session.scalars(query.order_by(ExperienceEntry.kind, ExperienceEntry.position,
                                             ExperienceEntry.id)).all()


def grouped(person, matter=None):
    """{kind: [rows]} for every table, in the tables' order."""
    found = {k: [] for k in experience.TABLES}
    for row in rows_of(person, matter):
        found[K(row.kind)].append(row)
    return found


def own_entry(person, entry_id, matter=None):
    """The person's row of this matter (or library), else None (the views answer 404)."""
    entry = db.session.get(ExperienceEntry, entry_id) if str(entry_id or "").isdigit() else None
    if entry is None or person is None or entry.person_id != person.id:
        return None
    if (entry.matter_id or None) != (matter.id if matter is not None else None):
        return None
    return entry


def check_document(data, kind, row_no):
    """The 学历文件 of an education row: JPG, PNG or PDF (printables.check_scan)."""
    where = _("%(table)s, row %(n)d", table=K(kind).label, n=row_no)
    field = f"{K(kind).value}-{row_no}-document"
    if not data:
        raise ExperienceError(field, _("%(where)s: please choose a file: %(field)s.", where=where,
                                       field=_("Education document")))
    try:
        return printables.check_scan(data)
    except printables.ScanError as exc:
        raise ExperienceError(field, f"{where}：{_('Education document')}：{exc}") from None


def _store(checked, filename, person, user, institution_id):
    content_type, ext, kept = checked
    stem = os.path.splitext(os.path.basename(filename or ""))[0][:80] or "document"
    item = files.store(kept, f"{stem}.{ext}", content_type, "experience", user=user, person=person,
                       institution_id=institution_id)
    db.session.flush()
    return item.id


def _institution_of(person, matter):
    return matter.institution_id if matter is not None else person.institution_id


def _guard(matter, user):
    if matter is not None:
        workflow._lock(matter.id)
        _checked_editable(matter, user)


def save_row(person, user, kind, values, upload=None, matter=None, entry=None):
    """Add (``entry`` None) or edit a row of the matter's table (or the library's).  ``upload``:
    (bytes, filename) of the education document — required for a new education row.  Commits."""
    kind = K(kind)
    try:
        _guard(matter, user)
        existing = rows_of(person, matter, kind)
        if entry is None and len(existing) >= experience.MAX_ROWS:
            raise ExperienceError(f"{kind.value}-0", _("%(table)s: at most %(n)d rows.", table=kind.label,
                                                       n=experience.MAX_ROWS))
        row_no = existing.index(entry) + 1 if entry is not None else len(existing) + 1
        data = experience.clean_row(kind, values, row_no)
        document = None
        if kind in experience.WITH_DOCUMENT and (entry is None or entry.attachment_id is None
                                                 or (upload and upload[0])):
            document = check_document(upload[0] if upload else None, kind, row_no)
        if entry is None:
            entry = ExperienceEntry(person_id=person.id, matter_id=matter.id if matter else None, kind=kind.value,
                                    position=(max((r.position for r in existing), default=0) + 1))
            db.session.add(entry)
        entry.data = data
        if document is not None:
            entry.attachment_id = _store(document, upload[1], person, user, _institution_of(person, matter))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return entry


def delete_row(person, user, entry, matter=None):
    try:
        _guard(matter, user)
        db.session.delete(entry)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _copy_document(attachment_id, person, user, institution_id):
    """The library row's document, copied for the application (the reviewing institution opens it)."""
    from models import Attachment

    item = db.session.get(Attachment, attachment_id) if attachment_id else None
    if item is None:
        return None
    with open(files._path(item.storage_key), "rb") as fh:
        data = fh.read()
    copy = files.store(data, item.filename, item.content_type, "experience", user=user, person=person,
                       institution_id=institution_id)
    db.session.flush()
    return copy.id


def copy_from_library(person, user, matter, entry_ids):
    """从基本信息库添加: the ticked library rows become rows of the application (a row already there is
    not copied twice).  Returns how many were copied.  Commits."""
    try:
        _guard(matter, user)
        chosen = [own_entry(person, i) for i in entry_ids]
        if not chosen or None in chosen:
            raise RegistrationError("library", _("Please tick the rows to add from the base-information library."))
        copied = 0
        for source in chosen:
            existing = rows_of(person, matter, source.kind)
            if any(r.data == source.data for r in existing):
                continue
            db.session.add(ExperienceEntry(
                person_id=person.id, matter_id=matter.id, kind=source.kind, data=dict(source.data),
                position=max((r.position for r in existing), default=0) + 1,
                attachment_id=_copy_document(source.attachment_id, person, user, matter.institution_id)))
            db.session.flush()
            copied += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return copied


# --- 下一步: the submission ----------------------------------------------------------------------------
REQUIRED_TABLES = (K.EDUCATION, K.WORK)


def submit(matter, user, conditions=True):
    """The last 下一步: every row is checked again; at least one education and one work row; the matter
    goes to the institution's first review (submit, or resubmit when returned)."""
    person = accounts.person_of(user)
    try:
        matter = workflow._lock(matter.id)
        _checked_editable(matter, user)
        reason = unmet(user) if conditions else None
        if reason:
            raise RegistrationError("form", reason)
        tables = grouped(person, matter)
        for kind in REQUIRED_TABLES:
            if not tables[kind]:
                raise ExperienceError(f"{kind.value}-0", _("%(table)s: add at least one row.", table=kind.label))
        for kind, rows in tables.items():
            for n, row in enumerate(rows, start=1):
                experience.clean_row(kind, {k: str(v) for k, v in (row.data or {}).items()}, n)
                if kind in experience.WITH_DOCUMENT and row.attachment_id is None:
                    check_document(None, kind, n)
        db.session.rollback()  # release the lock: apply takes it again in its own transaction
    except Exception:
        db.session.rollback()
        raise
    return workflow.apply(matter.id, "resubmit" if matter.state == "returned" else "submit", user)


# --- the chain's effects (declared in app/matters) --------------------------------------------------------
def submitted(matter, t, _user):
    """The application's documents are opened by the institution named for the first review; on a
    resubmission the expert judges the rows found nonconforming again (F3)."""
    from app.services import expert_review
    from models import Attachment

    if t.name == "resubmit":
        expert_review.reopen_nonconforming(matter)

    ids = select(ExperienceEntry.attachment_id).where(ExperienceEntry.matter_id == matter.id)
    for item in db.session.scalars(select(Attachment).where(Attachment.id.in_(ids))):
        item.institution_id = matter.institution_id


def fee():
    return current_app.config.get("PERSONNEL_REGISTRATION_FEE", 300)


def institution_passed(matter, _t, _user):
    """After 机构初核 the fee order: the applicant's or the institution's.  A fee paid already (a
    resubmission) is not asked for again: the matter goes on to the expert."""
    order = payments.matter_order(matter)
    if order is not None and order.status == OS.PAID.value:
        matter.state = "expert_review"
        matter.history[-1].to_state = "expert_review"
        return []
    p = matter.payload or {}
    description = _("Personnel registration fee %(no)s (%(type)s: %(specialty)s)", no=matter.business_no,
                    type=APPLICATION_TYPES.get(p.get("application_type"), ""), specialty=p.get("specialty", ""))
    if p.get("payment") == "institution":
        order, deliveries = payments.create_matter_order(matter, fee(), description,
                                                         institution_id=matter.institution_id)
    else:
        person = accounts.person_of(matter.applicant)
        order, deliveries = payments.create_matter_order(matter, fee(), description, person=person)
    return deliveries


check_paid = payments.require_paid


payments.moves_on_when_paid(TYPE_CODE)


def certificate_type_of(matter):
    """The certificate type of the application type and specialty: code "<type>-<specialty>"."""
    p = matter.payload or {}
    code = f"{p.get('application_type')}-{p.get('specialty')}"
    return db.session.scalar(select(CertificateType).where(CertificateType.code == code))


def approved(matter, _t, user):
    """协会审批 passed: the certificate is issued (number, PDF with the QR code for verification)."""
    from app.services import certificate_pdf

    if not (matter.payload or {}).get("application_type"):
        return None  # filed in the back office (or old demo data), naming no certificate: the decision only
    person = accounts.person_of(matter.applicant)
    try:
        cert = certificates.issue_for_matter(matter, person, certificate_type_of(matter), user)
        if cert.pdf_id is None:
            certificate_pdf.render(cert, user)
    except certificates.CertificateError as exc:
        raise WorkflowError(str(exc)) from None
    except printables.FontMissing as exc:
        log.error("%s", exc)
        raise WorkflowError(_("The certificate PDF cannot be made right now: the Chinese font is missing on the "
                              "server.")) from None
    matter.payload = {**(matter.payload or {}), "certificate_id": cert.id, "certificate_serial": cert.serial}


# --- what the detail pages show ---------------------------------------------------------------------------
def display_cell(column, data):
    value = data.get(column.key, "")
    return "" if value is None else str(value)


def conformity_label(row):
    return Conformity.label_of(row.conformity) if row.conformity else _("Not reviewed")


@matter_content.content(TYPE_CODE)
def _content(matter):
    p = matter.payload or {}
    inst = db.session.get(Institution, p.get("institution_id")) if p.get("institution_id") else None
    rows = [(_("Application type"), str(APPLICATION_TYPES.get(p.get("application_type"), ""))),
            (_("Applied specialty"), p.get("specialty", "")),
            (_("Narrow the specialty scope"), _("Yes") if p.get("narrow_scope") else _("No")),
            (_("Payment method"), str(PAYMENT_METHODS.get(p.get("payment"), ""))),
            (_("Institution for the first review"), inst.name if inst else "")]
    order = payments.matter_order(matter)
    if order is not None:
        rows.append((_("Fee order"), f"{order.order_no} · {payments.money(order.amount)} · "
                                     f"{OS.label_of(order.status)}"))
    if p.get("certificate_serial"):
        rows.append((_("Certificate number"), p["certificate_serial"]))
    person = accounts.person_of(matter.applicant)
    tables, attachments = [], []
    for kind, found in grouped(person, matter).items():
        columns = experience.TABLES[kind]
        headers = [str(c.label) for c in columns]
        if kind in experience.WITH_DOCUMENT:
            headers.append(_("Education document"))
        headers += [_("Review result"), _("Remark")]
        body = []
        for row in found:
            cells = [display_cell(c, row.data) for c in columns]
            if kind in experience.WITH_DOCUMENT:
                cells.append(matter_content.attachment_names([row.attachment_id])[0][1] if row.attachment_id
                             else "")
                if row.attachment_id:
                    attachments += matter_content.attachment_names([row.attachment_id])
            cells += [conformity_label(row), row.remark or ""]
            body.append(cells)
        tables.append({"title": str(kind.label), "headers": headers, "rows": body})
    return {"rows": rows, "tables": tables, "attachments": attachments}


matter_content.EDIT[TYPE_CODE] = "portal.personnel_registration_edit"
