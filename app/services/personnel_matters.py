"""Personnel matters filed with one form each (SPEC F4–F7): 人员转换执业机构, 申诉, 投诉, 专家申请.

A kind declares its fields (``Field``) once; the portal and the back office render them, ``clean``
checks a submitted form (PersonnelMatterError names the field), ``file`` opens and submits the
matter through the workflow engine, ``edit`` corrects a returned one and resubmits it.  The
approvals' effects (a transfer moves the person and their certificates, an expert application
grants the Expert role, an upheld complaint enters the credit record) are at the end.
"""
import os
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import workflow
from app.extensions import db
from app.roles import CANDIDATE, EXPERT, INSTITUTION
from app.scoping import role_names
from app.services import accounts, certificates, files, matter_content, printables
from app.workflow import WorkflowError
from models import Certificate, Institution, Matter, Person, PlatformUser
from models.enums import CertificateStatus, MatterStatus, ReviewStatus

TRANSFER, APPEAL, COMPLAINT, EXPERT_APPLICATION = "institution_transfer", "appeal", "complaint", "expert_application"
SLUGS = {"transfer": TRANSFER, "appeal": APPEAL, "complaint": COMPLAINT, "expert": EXPERT_APPLICATION}
KIND_SLUG = {code: slug for slug, code in SLUGS.items()}
TITLES = {TRANSFER: _l("Transfer of practising institution"), APPEAL: _l("Appeal"), COMPLAINT: _l("Complaint"),
          EXPERT_APPLICATION: _l("Expert application")}
MAX_FILES = 5

TRANSFER_REASONS = [("job_change", _l("Change of employer")), ("institution_change", _l("Institution change")),
                    ("personal", _l("Personal reasons")), ("other", _l("Other"))]
RESPONDENT_KINDS = [("person", _l("Certified person")), ("institution", _l("Institution"))]
APPEAL_SUBJECTS = [("review", _l("A review decision")), ("exam", _l("An exam or score")),
                   ("certificate", _l("A certificate decision")), ("other", _l("Other"))]
EXPERT_FIELDS = ["QMS", "EMS", "OHSMS", "FSMS", "HACCP", "ISMS", "ITSMS", "EnMS", "SCSMS", "CMS"]


@dataclass(frozen=True)
class Field:
    name: str
    label: object
    kind: str = "text"  # text, textarea, select, multi, institution, int, files
    required: bool = True
    choices: tuple = ()
    help: object = None
    max_length: int = 500


FIELDS = {
    TRANSFER: [
        Field("to_institution", _l("Institution joined"), "institution",
              help=_l("Type to filter, then choose the institution.")),
        Field("reason_kind", _l("Reason for the transfer"), "select", choices=tuple(TRANSFER_REASONS)),
        Field("explanation", _l("Explanation"), "textarea", required=False,
              help=_l("Required when the reason is \"Other\".")),
        Field("documents", _l("Reason document"), "files"),
    ],
    APPEAL: [
        Field("subject_kind", _l("Appeal against"), "select", choices=tuple(APPEAL_SUBJECTS)),
        Field("related_no", _l("Business number concerned"), required=False, max_length=20,
              help=_l("The business number of the decision appealed against, if any.")),
        Field("summary", _l("Appeal subject"), max_length=100),
        Field("content", _l("Appeal content"), "textarea", max_length=2000),
        Field("request", _l("What you ask for"), "textarea"),
        Field("documents", _l("Supporting documents"), "files", required=False),
    ],
    COMPLAINT: [
        Field("respondent_kind", _l("Complaint against"), "select", choices=tuple(RESPONDENT_KINDS)),
        Field("respondent_name", _l("Name of the person or institution"), max_length=128),
        Field("respondent_certificate", _l("Certificate number of the person"), required=False, max_length=40,
              help=_l("Required for a complaint against a certified person.")),
        Field("summary", _l("Complaint subject"), max_length=100),
        Field("content", _l("Complaint content"), "textarea", max_length=2000),
        Field("documents", _l("Supporting documents"), "files", required=False),
    ],
    EXPERT_APPLICATION: [
        Field("fields", _l("Expert fields"), "multi", choices=tuple((f, f) for f in EXPERT_FIELDS)),
        Field("title", _l("Professional title"), max_length=40),
        Field("years", _l("Years in the profession"), "int"),
        Field("qualifications", _l("Qualifications and certificates"), "textarea"),
        Field("resume", _l("Professional résumé"), "textarea", max_length=2000),
        Field("documents", _l("Qualification documents"), "files"),
    ],
}


class PersonnelMatterError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


# --- who may file what --------------------------------------------------------------------------------
def person_of(user):
    return accounts.person_of(user) if user is not None and user.is_authenticated else None


def valid_certificates(person):
    if person is None:
        return []
    found = db.session.scalars(select(Certificate).where(Certificate.person_id == person.id)).all()
    return [c for c in found if certificates.state_of(c) == CertificateStatus.VALID]


def open_matter(user, type_code):
    return db.session.scalar(select(Matter).where(
        Matter.applicant_id == user.id, Matter.type_code == type_code,
        Matter.status == MatterStatus.IN_PROGRESS.value).limit(1))


def refusal(type_code, user):
    """Why ``user`` may not file ``type_code`` now (a translated sentence), or None."""
    names = role_names(user)
    if type_code in (APPEAL, COMPLAINT):
        if not names & {CANDIDATE, INSTITUTION}:
            return _("Appeals and complaints are filed by a person or an institution.")
        return None
    if CANDIDATE not in names:
        return _("Only a person can file this matter, in the portal.")
    if type_code == TRANSFER:
        if not valid_certificates(person_of(user)):
            return _("Only certified personnel (with a valid certificate) may transfer to another institution.")
    elif type_code == EXPERT_APPLICATION:
        person = person_of(user)
        if person is not None and person.is_expert:
            return _("You are an expert already.")
    if open_matter(user, type_code) is not None:
        return _("You have a matter of this kind in progress; wait for its result.")
    return None


# --- input ----------------------------------------------------------------------------------------------
def institution_choices(exclude_id=None):
    query = select(Institution).where(Institution.status == ReviewStatus.APPROVED.value).order_by(Institution.name)
    return [i for i in db.session.scalars(query) if i.id != exclude_id]


def _text(field, value):
    value = (value or "").strip()
    if field.required and not value:
        raise PersonnelMatterError(field.name, _("Please fill in: %(field)s.", field=field.label))
    if len(value) > field.max_length:
        raise PersonnelMatterError(field.name, _("%(field)s has at most %(n)d characters.", field=field.label,
                                                 n=field.max_length))
    return value


def clean(type_code, form, user):
    """The submitted form (a MultiDict) → the payload values; raises PersonnelMatterError."""
    values = {}
    for field in FIELDS[type_code]:
        if field.kind == "files":
            continue
        if field.kind == "select":
            value = form.get(field.name)
            if value not in dict(field.choices):
                raise PersonnelMatterError(field.name, _("Please choose: %(field)s.", field=field.label))
        elif field.kind == "multi":
            value = [v for v in form.getlist(field.name) if v in dict(field.choices)]
            if field.required and not value:
                raise PersonnelMatterError(field.name, _("Please choose: %(field)s.", field=field.label))
        elif field.kind == "int":
            raw = (form.get(field.name) or "").strip()
            if not raw.isdigit() or not 0 <= int(raw) <= 70:
                raise PersonnelMatterError(field.name, _("%(field)s must be a whole number from 0 to 70.",
                                                         field=field.label))
            value = int(raw)
        elif field.kind == "institution":
            value = _institution(field, form.get(field.name), user)
        else:
            value = _text(field, form.get(field.name))
        values[field.name] = value
    return _checked(type_code, values, user)


def _institution(field, name, user):
    name = (name or "").strip()
    if not name:
        raise PersonnelMatterError(field.name, _("Please choose: %(field)s.", field=field.label))
    found = db.session.scalar(select(Institution).where(Institution.name == name,
                                                        Institution.status == ReviewStatus.APPROVED.value))
    if found is None:
        raise PersonnelMatterError(field.name, _("%(field)s: no institution is called \"%(name)s\".",
                                                 field=field.label, name=name))
    person = person_of(user)
    if person is not None and person.institution_id == found.id:
        raise PersonnelMatterError(field.name, _("%(field)s is your present institution.", field=field.label))
    return found.id


def _label(type_code, name):
    return next(f.label for f in FIELDS[type_code] if f.name == name)


def _checked(type_code, values, user):
    if type_code == TRANSFER and values["reason_kind"] == "other" and not values["explanation"]:
        raise PersonnelMatterError("explanation", _("The reason is \"Other\": please fill in %(field)s.",
                                                    field=_label(TRANSFER, "explanation")))
    if type_code == COMPLAINT:
        values["respondent_person_id"] = values["respondent_institution_id"] = None
        if values["respondent_kind"] == "person":
            serial = values["respondent_certificate"]
            if not serial:
                raise PersonnelMatterError("respondent_certificate", _("Please fill in: %(field)s.",
                                           field=_label(COMPLAINT, "respondent_certificate")))
            cert = db.session.scalar(select(Certificate).where(Certificate.serial == serial))
            if cert is None or (cert.holder_name or "") != values["respondent_name"]:
                raise PersonnelMatterError("respondent_certificate", _(
                    "No certificate %(no)s held by %(name)s was found; check the name and the number.",
                    no=serial, name=values["respondent_name"]))
            values["respondent_person_id"] = cert.person_id
        else:
            inst = db.session.scalar(select(Institution).where(Institution.name == values["respondent_name"]))
            if inst is None:
                raise PersonnelMatterError("respondent_name", _("%(field)s: no institution is called \"%(name)s\".",
                                           field=_label(COMPLAINT, "respondent_name"),
                                           name=values["respondent_name"]))
            values["respondent_institution_id"] = inst.id
    if type_code == APPEAL and values["related_no"]:
        related = db.session.scalar(select(Matter).where(Matter.business_no == values["related_no"]))
        if related is None or not _concerns(related, user):
            raise PersonnelMatterError("related_no", _("%(field)s: no matter %(no)s of yours was found.",
                                                       field=_label(APPEAL, "related_no"), no=values["related_no"]))
    return values


def _concerns(matter, user):
    """An appeal names a decision on the applicant's own matter (or their institution's)."""
    if matter.applicant_id == user.id:
        return True
    return INSTITUTION in role_names(user) and user.institution_id is not None \
        and matter.institution_id == user.institution_id


def checked_files(type_code, uploads, existing=0):
    """[(bytes, filename)] → [(bytes, filename, check)]: JPG, PNG or PDF within the scan limit."""
    field = next((f for f in FIELDS[type_code] if f.kind == "files"), None)
    uploads = [(data, name) for data, name in uploads if data]
    if field is None:
        return []
    if field.required and not uploads and not existing:
        raise PersonnelMatterError(field.name, _("Please choose a file: %(field)s.", field=field.label))
    if len(uploads) + existing > MAX_FILES:
        raise PersonnelMatterError(field.name, _("%(field)s: at most %(n)d files.", field=field.label, n=MAX_FILES))
    checked = []
    for data, name in uploads:
        try:
            checked.append((data, name, printables.check_scan(data)))
        except printables.ScanError as exc:
            raise PersonnelMatterError(field.name, f"{field.label}: {exc}") from None
    return checked


# --- filing ------------------------------------------------------------------------------------------------
def _store(upload, user, person, institution_id, kind):
    data, filename, (content_type, ext, kept) = upload
    stem = os.path.splitext(os.path.basename(filename or ""))[0][:80] or kind
    item = files.store(kept, f"{stem}.{ext}", content_type, kind, user=user, person=person,
                       institution_id=institution_id)
    db.session.flush()
    return item.id


def _title(type_code, values):
    if type_code == TRANSFER:
        target = db.session.get(Institution, values["to_institution"])
        return f"{TITLES[type_code]}（{target.name}）"
    if type_code in (APPEAL, COMPLAINT):
        return f"{TITLES[type_code]}：{values['summary']}"
    return f"{TITLES[type_code]}（{'、'.join(values['fields'])}）"


def file(type_code, user, values, uploads=()):
    """Open the matter with the cleaned ``values`` and checked ``uploads`` and submit it (commits)."""
    reason = refusal(type_code, user)
    if reason:
        raise PersonnelMatterError("form", reason)
    person = person_of(user)
    institution_id = person.institution_id if person is not None else user.institution_id
    payload = dict(values)
    second = None
    if type_code == TRANSFER:
        second = values["to_institution"]
        payload.update(to_institution_id=second, from_institution_id=person.institution_id, person_id=person.id,
                       record_no=person_record_no(person))
    try:
        # the reason document is read by both institutions: it is filed with the one joined
        file_institution = second if type_code == TRANSFER else institution_id
        payload["attachment_ids"] = [_store(u, user, person, file_institution, type_code) for u in uploads]
        matter = workflow.create_matter(type_code, user, _title(type_code, values), institution_id=institution_id,
                                        obj=person if type_code == TRANSFER else None, payload=payload,
                                        commit=False)
        matter.second_institution_id = second
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return workflow.apply(matter.id, "submit", user)


def edit(matter, user, values, uploads=(), remove_ids=()):
    """A returned matter: its values and files are corrected, then it is resubmitted."""
    matter = workflow._lock(matter.id)
    if matter.applicant_id != user.id or matter.state != "returned":
        db.session.rollback()
        raise PersonnelMatterError("form", _("Matter %(no)s can no longer be edited: a reviewer has acted on it "
                                             "or it is completed.", no=matter.business_no))
    payload = dict(matter.payload or {})
    kept = [i for i in payload.get("attachment_ids", []) if i not in set(remove_ids)]
    try:
        person = person_of(user)
        institution_id = matter.second_institution_id or matter.institution_id
        added = [_store(u, user, person, institution_id, matter.type_code) for u in uploads]
        if matter.type_code == TRANSFER:
            values = {**values, "to_institution_id": values["to_institution"]}
            matter.second_institution_id = values["to_institution"]
        matter.payload = {**payload, **values, "attachment_ids": kept + added}
        matter.title = _title(matter.type_code, values)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return workflow.apply(matter.id, "resubmit", user)


def person_record_no(person):
    """档案号: the person's record number (their certificates are filed under it)."""
    return f"R{person.id:08d}"


def prefilled(person):
    """F4: what the transfer form shows of the applicant, not editable there."""
    from models.enums import Gender, IdType

    certs = valid_certificates(person)
    return [(_("Record number"), person_record_no(person)), (_("Full name"), person.name),
            (_("ID type"), IdType.label_of(person.id_type)), (_("ID number"), person.id_number_masked),
            (_("Mobile phone"), person.phone or ""), (_("E-mail"), person.email or ""),
            (_("Gender"), Gender.label_of(person.gender)),
            (_("Date of birth"), person.birth_date.isoformat() if person.birth_date else ""),
            (_("Institution left"), person.institution.name if person.institution else _("None")),
            (_("Transfer type"), _("Certification transfer")),
            (_("Certificates"), "、".join(c.serial for c in certs))]


def form_values(matter):
    """A returned matter's values as the form shows them again."""
    p = dict(matter.payload or {})
    if matter.type_code == TRANSFER and p.get("to_institution_id"):
        inst = db.session.get(Institution, p["to_institution_id"])
        p["to_institution"] = inst.name if inst else ""
    return p


# --- what the detail pages show -----------------------------------------------------------------------
def _display(field, value):
    if field.kind in ("select",):
        return str(dict(field.choices).get(value, value or ""))
    if field.kind == "multi":
        return "、".join(value or [])
    if field.kind == "institution":
        inst = db.session.get(Institution, value) if value else None
        return inst.name if inst else ""
    return value if value is not None else ""


def _content(matter):
    p = matter.payload or {}
    rows = []
    if matter.type_code == TRANSFER:
        left = db.session.get(Institution, p.get("from_institution_id")) if p.get("from_institution_id") else None
        rows += [(_("Record number"), p.get("record_no", "")),
                 (_("Institution left"), left.name if left else _("None"))]
    for field in FIELDS[matter.type_code]:
        if field.kind != "files":
            key = "to_institution_id" if field.kind == "institution" else field.name
            rows.append((str(field.label), _display(field, p.get(key))))
    if p.get("expert_result"):
        from app.services.expert_review import result_label

        rows.append((_("Expert's proposal"), result_label(p["expert_result"])))
    return {"rows": rows, "attachments": matter_content.attachment_names(p.get("attachment_ids"))}


for _code in SLUGS.values():
    matter_content.content(_code)(_content)
    matter_content.EDIT[_code] = "portal.personnel_matter_edit"


# --- effects (declared on the matter types in app/matters) -----------------------------------------------
def skip_out_stage(matter, _t, _user):
    """A certified person without an institution has nobody to release them: the transfer goes on to the
    institution joined (the history row says so)."""
    if matter.state == "out_institution_review" and matter.institution_id is None:
        matter.state = "in_institution_review"
        matter.history[-1].to_state = "in_institution_review"


def transfer_approved(matter, _t, user):
    """F4: the person belongs to the institution joined; their certificates follow, with a history event."""
    p = matter.payload or {}
    if not p.get("person_id"):
        return  # a matter filed in the back office names nobody: its approval only records the decision
    person = db.session.get(Person, p["person_id"])
    target = db.session.get(Institution, p.get("to_institution_id")) if p.get("to_institution_id") else None
    if person is None or target is None:
        raise WorkflowError(_("The person or the institution of matter %(no)s no longer exists.",
                              no=matter.business_no))
    person.institution_id = target.id
    for cert in db.session.scalars(select(Certificate).where(Certificate.person_id == person.id)):
        if certificates.state_of(cert) not in (CertificateStatus.REVOKED, CertificateStatus.REPLACED):
            certificates.transfer(cert, target, user, matter)


def expert_approved(matter, _t, _user):
    """F7: the applicant's account takes the Expert role; their fields show in the assignment picker."""
    from flask import current_app

    if not (matter.payload or {}).get("fields"):
        return  # filed in the back office without the form: its approval only records the decision
    applicant = db.session.get(PlatformUser, matter.applicant_id)
    role = current_app.appbuilder.sm.find_role(EXPERT)
    if role not in applicant.roles:
        applicant.roles.append(role)
    person = person_of(applicant)
    if person is not None:
        person.is_expert = True
        person.expert_fields = "、".join((matter.payload or {}).get("fields") or [])[:255]


def complaint_upheld(matter, _t, user):
    """F6: an upheld complaint against a certified person enters their credit record."""
    if (matter.payload or {}).get("respondent_person_id"):
        from app.services import credit

        credit.record_upheld_complaint(matter, user)
