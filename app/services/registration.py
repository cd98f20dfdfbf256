"""Exam registration (SPEC B3–B14): the wizard's drafts, submission with the
eligibility check and the seat, review outcomes, withdrawal, deletion,
giving up, changes, and the end of the road once the fee is paid (C1)."""
import datetime
import json
import os
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app import workflow
from app.extensions import db
from app.matters import REVIEWER_KEY
from app.services import files, notifications, photos, seats
from app.workdays import add_workdays
from app.workflow import WorkflowError
from models import (
    Attachment,
    Certificate,
    CertificateType,
    Education,
    EligibilityRule,
    ExamSession,
    ExamSite,
    Major,
    MaterialEntry,
    Matter,
    MatterHistory,
    Order,
    Registration,
    RegistrationSubject,
    Site,
    WorkExperience,
)
from models.enums import (
    CertificateStatus,
    CertLevel,
    EducationLevel,
    ExamStatus,
    Gender,
    MatterStatus,
    OrderStatus,
    RegistrationCategory,
    Reviewer,
)
from models.enums import RegistrationStatus as RS
from models.enums import SectionCode as Sec


class RegistrationError(Exception):
    """A refused step; ``field`` names the form field or section, ``str()`` the reason."""

    def __init__(self, message, field="form"):
        super().__init__(str(message))
        self.field = field


def _notify_candidate(registration, title, body=""):
    user = registration.person.user if registration.person else None
    return notifications.notify([user], title, body, link="/portal/me/exams")


def mark_registered(registration):
    """C1: the fee is paid, the registration is successful (caller commits and dispatches)."""
    registration.status = RS.REGISTERED.value
    registration.locked = True
    return _notify_candidate(
        registration, _l("Registration successful: %(exam)s", exam=registration.exam_plan.name),
        _l("Your fee has been received; registration %(no)s is successful.", no=registration.net_no))


def cancel_after_refund(registration):
    """C6: a refunded registration is given up and its seat goes back (caller commits)."""
    registration.status = RS.GIVEN_UP.value
    seats.release(registration)
    return _notify_candidate(
        registration, _l("Registration cancelled: %(exam)s", exam=registration.exam_plan.name),
        _l("Your fee has been refunded and registration %(no)s is cancelled.", no=registration.net_no))


# --- material sections (B4) ----------------------------------------------------------------
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
GRADUATION_YEARS_BACK = 80
ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024
ATTACHMENT_TYPES = {b"\xff\xd8\xff": ("image/jpeg", "jpg"), b"%PDF-": ("application/pdf", "pdf")}


@dataclass(frozen=True)
class Field:
    """A typed input of a material section: ``kind`` is text, month, int or date."""
    name: str
    label: object
    required: bool = False
    kind: str = "text"
    low: int = None
    high: int = None
    max_length: int = 128
    choices: tuple = ()


# Sections stored as MaterialEntry.data (education and work have their own tables)
SECTION_FIELDS = {
    Sec.BASIC: (
        Field("ethnicity", _l("Ethnicity"), max_length=20),
        Field("political_status", _l("Political status"), max_length=20),
        Field("employer", _l("Employer"), True),
        Field("post", _l("Post or title"), max_length=64),
        Field("address", _l("Mailing address"), True, max_length=200),
        Field("postal_code", _l("Postal code"), kind="postal"),
    ),
    Sec.NON_DEGREE: (
        Field("school", _l("School or institution"), True),
        Field("programme", _l("Programme"), True),
        Field("start_month", _l("From (YYYY-MM)"), True, "month"),
        Field("end_month", _l("To (YYYY-MM)"), True, "month"),
    ),
    Sec.ADVANCED_STUDY: (
        Field("institution", _l("Host institution"), True),
        Field("country", _l("Country or region"), True, max_length=40),
        Field("content", _l("Content of study"), True, max_length=200),
        Field("start_month", _l("From (YYYY-MM)"), True, "month"),
        Field("end_month", _l("To (YYYY-MM)"), True, "month"),
    ),
    Sec.SUPERVISION: (
        Field("level", _l("Graduate level"), True, max_length=20),
        Field("students", _l("Number of students"), True, "int", 0, 500),
        Field("period", _l("Period"), True, max_length=40),
    ),
    Sec.PRACTICAL: (
        Field("exam_name", _l("Exam name"), True),
        Field("score", _l("Score"), True, "int", 0, 1000),
        Field("exam_month", _l("Exam month (YYYY-MM)"), True, "month"),
    ),
    Sec.LANGUAGE: (
        Field("language", _l("Language"), True, max_length=20),
        Field("exam_name", _l("Exam name"), True),
        Field("score", _l("Score or level"), True, max_length=20),
        Field("exam_month", _l("Exam month (YYYY-MM)"), True, "month"),
    ),
    Sec.CONTINUING: (
        Field("course", _l("Course"), True),
        Field("hours", _l("Hours"), True, "int", 1, 2000),
        Field("year", _l("Year"), True, "int", 1950, 2100),
    ),
}
EDUCATION_FIELDS = (
    Field("school", _l("School"), True),
    Field("major", _l("Major"), True),
    Field("education_level", _l("Education level"), True, "choice", choices=tuple(EducationLevel)),
    Field("degree", _l("Degree"), max_length=32),
    Field("start_month", _l("From (YYYY-MM)"), False, "month"),
    Field("graduation_month", _l("Graduation (YYYY-MM)"), True, "graduation"),
)
WORK_FIELDS = (
    Field("employer", _l("Employer"), True),
    Field("department", _l("Department"), max_length=64),
    Field("title", _l("Post or title"), max_length=64),
    Field("start_month", _l("From (YYYY-MM)"), True, "month"),
    Field("end_month", _l("To (YYYY-MM)"), False, "month"),
    Field("years_in_occupation", _l("Years in the occupation"), True, "int", 0, 50),
    Field("referee", _l("Referee"), max_length=40),
)
ROW_SECTIONS = (Sec.EDUCATION, Sec.WORK) + tuple(s for s in SECTION_FIELDS if s != Sec.BASIC)


def fields_of(section):
    section = Sec(section)
    return {Sec.EDUCATION: EDUCATION_FIELDS, Sec.WORK: WORK_FIELDS}.get(section) or SECTION_FIELDS[section]


def display_value(field, row):
    """A row's value of ``field`` as shown to people (labels for choices, '' for nothing)."""
    value = row.data.get(field.name) if isinstance(row, MaterialEntry) else getattr(row, field.name)
    if value is None:
        return ""
    return EducationLevel.label_of(value) if field.kind == "choice" else value


def clean_fields(fields, form, today=None):
    """Typed values from the form, or RegistrationError naming the first bad field."""
    today = today or datetime.date.today()
    data = {}
    for f in fields:
        raw = (form.get(f.name) or "").strip()
        if not raw:
            if f.required:
                raise RegistrationError(_l("%(field)s is required.", field=f.label), f.name)
            data[f.name] = None
            continue
        if len(raw) > f.max_length:
            raise RegistrationError(_l("%(field)s is too long (at most %(n)d characters).", field=f.label,
                                       n=f.max_length), f.name)
        if f.kind in ("month", "graduation"):
            match = MONTH.match(raw)
            if not match:
                raise RegistrationError(_l("%(field)s must be a month written as YYYY-MM, e.g. 2015-07.",
                                           field=f.label), f.name)
            year, month = int(match.group(1)), int(match.group(2))
            if (year, month) > (today.year, today.month):
                raise RegistrationError(_l("%(field)s cannot be in the future.", field=f.label), f.name)
            if f.kind == "graduation" and (year, month) < (today.year - GRADUATION_YEARS_BACK, today.month):
                raise RegistrationError(_l("%(field)s cannot be more than %(n)d years ago.", field=f.label,
                                           n=GRADUATION_YEARS_BACK), f.name)
        elif f.kind == "int":
            if not re.fullmatch(r"\d{1,6}", raw) or not (f.low <= int(raw) <= f.high):
                raise RegistrationError(_l("%(field)s must be a whole number from %(low)d to %(high)d.",
                                           field=f.label, low=f.low, high=f.high), f.name)
            raw = int(raw)
        elif f.kind == "choice":
            if raw not in {c.value for c in f.choices}:
                raise RegistrationError(_l("Please choose %(field)s.", field=f.label), f.name)
        elif f.kind == "postal" and not re.fullmatch(r"\d{6}", raw):
            raise RegistrationError(_l("%(field)s must be 6 digits.", field=f.label), f.name)
        data[f.name] = raw
    for start, end in (("start_month", "end_month"), ("start_month", "graduation_month")):
        if data.get(start) and data.get(end) and data[start] > data[end]:
            raise RegistrationError(_l("The end month cannot be before the start month."), end)
    return data


def check_attachment(upload_bytes, field="attachment"):
    """B4: attachments are jpg or pdf up to 2 MB (checked by content, not by name)."""
    if len(upload_bytes) > ATTACHMENT_MAX_BYTES:
        raise RegistrationError(_l("The attachment is larger than 2 MB."), field)
    for magic, kind in ATTACHMENT_TYPES.items():
        if upload_bytes.startswith(magic):
            return kind
    raise RegistrationError(_l("Attachments must be JPG images or PDF files."), field)


# --- the registration and its steps -----------------------------------------------------------
STEPS = ("personal", "photo", "application", "materials", "confirm")
EDITABLE = {RS.DRAFT.value, RS.RETURNED.value}
DELETABLE = {RS.DRAFT.value, RS.RETURNED.value, RS.SUBMITTED.value}
GIVE_UP_FROM = {RS.SUBMITTED.value, RS.REVIEWING.value, RS.RETURNED.value, RS.APPROVED.value}


def sections_of(plan):
    """(section, required) in display order: basic, education and work always, then the exam's others."""
    required = set(plan.required_sections or []) | {Sec.BASIC.value}
    shown = [Sec.BASIC.value, Sec.EDUCATION.value, Sec.WORK.value]
    shown += [s.value for s in Sec if s.value in required and s.value not in shown]
    return [(Sec(s), s in required) for s in shown]


def section_filled(registration, section):
    section = Sec(section)
    if section == Sec.EDUCATION:
        return bool(registration.educations)
    if section == Sec.WORK:
        return bool(registration.works)
    return any(m.section == section.value for m in registration.materials)


def entries(registration, section):
    return [m for m in registration.materials if m.section == Sec(section).value]


def active_registration(person, plan):
    return db.session.query(Registration).filter(
        Registration.person_id == person.id, Registration.exam_plan_id == plan.id,
        Registration.status.notin_(INACTIVE)).one_or_none()


INACTIVE = (RS.WITHDRAWN.value, RS.GIVEN_UP.value, RS.REFUSED.value)


def _check_window(plan, moment=None):
    if plan.status_at(moment) != ExamStatus.OPEN or not plan.published:
        raise RegistrationError(_l("Registration for %(exam)s is not open (window %(start)s – %(end)s).",
                                   exam=plan.name, start=f"{plan.reg_start:%Y-%m-%d %H:%M}",
                                   end=f"{plan.reg_end:%Y-%m-%d %H:%M}"))


def start(person, plan):
    """B3: the pledge was accepted; a draft exists from now on (or the active one is returned)."""
    existing = active_registration(person, plan)
    if existing is not None:
        return existing
    _check_window(plan)
    registration = Registration(exam_plan=plan, person=person, status=RS.DRAFT.value, step="personal",
                                pledge_accepted_at=datetime.datetime.now(),
                                category=(plan.categories_offered or [RegistrationCategory.FIRST.value])[0])
    db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError:  # a second tab submitted the pledge at the same time
        db.session.rollback()
        return active_registration(person, plan)
    _prefill_basic(registration)
    db.session.commit()
    return registration


def _prefill_basic(registration):
    """The basic section starts from the candidate's last application."""
    last = (db.session.query(MaterialEntry).join(Registration)
            .filter(Registration.person_id == registration.person_id, Registration.id != registration.id,
                    MaterialEntry.section == Sec.BASIC.value)
            .order_by(MaterialEntry.id.desc()).first())
    if last is not None:
        registration.materials.append(MaterialEntry(section=Sec.BASIC.value, data=dict(last.data)))


def require_editable(registration):
    if registration.status not in EDITABLE or registration.locked:
        raise RegistrationError(_l("This application can no longer be changed (status: %(status)s).",
                                   status=RS.label_of(registration.status)))


def reached(registration, step):
    """Remember the furthest step (a draft resumes there)."""
    if STEPS.index(step) > STEPS.index(registration.step or "personal"):
        registration.step = step


def save_basic(registration, form, gender=None, birth_date=None):
    require_editable(registration)
    data = clean_fields(SECTION_FIELDS[Sec.BASIC], form)
    person = registration.person
    if gender is not None:
        if gender not in {g.value for g in Gender}:
            raise RegistrationError(_l("Please choose %(field)s.", field=_l("Gender")), "gender")
        person.gender = gender
    if birth_date is not None:
        person.birth_date = birth_date
    rows = entries(registration, Sec.BASIC)
    if rows:
        rows[0].data = data
    else:
        registration.materials.append(MaterialEntry(section=Sec.BASIC.value, data=data))
    reached(registration, "photo")
    db.session.commit()


def save_photo(registration, data):
    """A7/B3: checked against the exam's photo rules, kept on the registration and the profile."""
    require_editable(registration)
    rules = {**photos.DEFAULT_RULES, **(registration.exam_plan.photo_rules or {})}
    if "size" in (registration.exam_plan.photo_rules or {}):
        rules.pop("min_size", None)
        rules.pop("ratio", None)
    try:
        jpeg = photos.check_and_reencode(data, rules)
    except photos.PhotoError as exc:
        raise RegistrationError(str(exc), "photo") from None
    person = registration.person
    item = files.store(jpeg, "photo.jpg", "image/jpeg", "photo", user=person.user, person=person,
                       institution_id=_institution_of(registration))
    db.session.flush()
    registration.photo_id = item.id
    person.photo_id = person.photo_id or item.id
    reached(registration, "application")
    db.session.commit()


def use_profile_photo(registration):
    """The profile photo, if it passes this exam's rules too."""
    person = registration.person
    if person.photo_id is None:
        raise RegistrationError(_l("Please upload a photo."), "photo")
    found = files.open_for(person.photo_id, person.user)
    with open(found[1], "rb") as fh:
        save_photo(registration, fh.read())


def _institution_of(registration):
    site = registration.exam_site.site if registration.exam_site else None
    return site.institution_id if site else registration.person.institution_id


def site_choices(plan):
    return (db.session.query(ExamSite).filter_by(exam_plan_id=plan.id).join(ExamSite.site)
            .order_by(Site.code).all())


def sittings(plan):
    """B3: the exam's sittings (场次) a candidate chooses from: sessions not tied to one subject."""
    return (db.session.query(ExamSession).filter_by(exam_plan_id=plan.id, subject_id=None)
            .order_by(ExamSession.starts_at).all())


def _checked_sitting(plan, exam_session_id):
    """The chosen sitting of ``plan`` (required when it offers any), or None."""
    offered = {s.id: s for s in sittings(plan)}
    if not offered:
        return None
    chosen = offered.get(int(exam_session_id)) if str(exam_session_id or "").isdigit() else None
    if chosen is None:
        raise RegistrationError(_l("Please choose %(field)s.", field=_l("Exam sitting")), "exam_session_id")
    return chosen


def held_certificates(person):
    return db.session.query(Certificate).filter_by(person_id=person.id).order_by(Certificate.issue_date.desc()).all()


def save_application(registration, category, exam_site_id, city, subject_ids=(), last_exam_date=None,
                     held_certificate_id=None, exam_session_id=None):
    """B5: category, site (with its quota), sitting, city; make-up: the subjects to retake and the
    last exam date; renewals: the certificate held."""
    require_editable(registration)
    plan = registration.exam_plan
    sitting = _checked_sitting(plan, exam_session_id)
    offered = plan.categories_offered or [c.value for c in RegistrationCategory]
    if category not in offered:
        raise RegistrationError(_l("Please choose %(field)s.", field=_l("Registration category")), "category")
    site = db.session.get(ExamSite, int(exam_site_id)) if str(exam_site_id or "").isdigit() else None
    if site is None or site.exam_plan_id != plan.id:
        raise RegistrationError(_l("Please choose %(field)s.", field=_l("Site")), "exam_site_id")
    city = (city or "").strip()
    if not city or len(city) > 64:
        raise RegistrationError(_l("%(field)s is required.", field=_l("City")), "city")
    all_subjects = {s.id: s for s in plan.subjects}
    if category in MAKEUP:
        chosen = {int(i) for i in subject_ids if str(i).isdigit()}
        if not chosen or not chosen <= set(all_subjects):
            raise RegistrationError(_l("Choose the subjects to retake."), "subjects")
        if last_exam_date is None:
            raise RegistrationError(_l("%(field)s is required.", field=_l("Last exam date")), "last_exam_date")
        if last_exam_date > datetime.date.today():
            raise RegistrationError(_l("%(field)s cannot be in the future.", field=_l("Last exam date")),
                                    "last_exam_date")
    else:
        chosen, last_exam_date = set(all_subjects), None
    if category in RENEWALS:
        cert = db.session.get(Certificate, int(held_certificate_id)) if str(held_certificate_id or "").isdigit() \
            else None
        if cert is None or cert.person_id != registration.person_id:
            raise RegistrationError(_l("Choose the certificate you hold."), "held_certificate_id")
        registration.held_certificate_id = cert.id
    else:
        registration.held_certificate_id = None
    if site.id != registration.exam_site_id:
        _move_site(registration, site)  # a returned application holding a seat keeps one, at the new site
    registration.category, registration.city, registration.last_exam_date = category, city, last_exam_date
    registration.exam_session_id = sitting.id if sitting else None
    _set_subjects(registration, chosen)
    reached(registration, "materials")
    db.session.commit()


def _move_site(registration, site):
    """Another site: the seat moves (refused when the new site is full), and so do the reviewing
    institution and the files' owner, so that only the new site's institution reaches them."""
    if site.id != registration.exam_site_id and seats.remaining(site) <= 0:
        raise RegistrationError(_l("The site you chose has no seats left; please choose another site."),
                                "exam_site_id")
    seats.move(registration, site.id)
    registration.exam_site = site
    registration.institution_id = site.site.institution_id
    _retag_files(registration)


def _retag_files(registration):
    """Registration files are reached by the registration's current institution (files.may_open)."""
    ids = {registration.photo_id, registration.signed_form_id}
    ids |= {m.attachment_id for m in registration.materials} | {e.document_id for e in registration.educations}
    ids.discard(None)
    if ids:
        db.session.query(Attachment).filter(Attachment.id.in_(ids)).update(
            {Attachment.institution_id: registration.institution_id}, synchronize_session=False)


def _set_subjects(registration, chosen):
    """Keep the rows of subjects still chosen, add the new ones."""
    kept = [s for s in registration.subjects if s.subject_id in chosen]
    registration.subjects = kept + [RegistrationSubject(subject_id=i)
                                    for i in sorted(chosen - {s.subject_id for s in kept})]


MAKEUP = {RegistrationCategory.MAKEUP_FIRST.value, RegistrationCategory.MAKEUP_RENEW.value}
RENEWALS = {RegistrationCategory.RENEW_NO_EXAM.value, RegistrationCategory.RENEW_EXAM.value,
            RegistrationCategory.RENEW_REVIEW.value, RegistrationCategory.MAKEUP_RENEW.value}


def _store_attachment(registration, upload_bytes, filename):
    content_type, ext = check_attachment(upload_bytes)
    person = registration.person
    item = files.store(upload_bytes, f"{os.path.splitext(filename or 'attachment')[0][:100]}.{ext}", content_type,
                       "material", user=person.user, person=person, institution_id=_institution_of(registration))
    db.session.flush()
    return item.id


def add_row(registration, section, form, upload=None):
    """One row of a material section, with its optional attachment (``upload`` = (bytes, filename))."""
    require_editable(registration)
    section = Sec(section)
    data = clean_fields(fields_of(section), form)
    attachment_id = _store_attachment(registration, *upload) if upload and upload[0] else None
    if section == Sec.EDUCATION:
        major = db.session.query(Major).filter(
            (Major.name == data["major"]) | (Major.old_name == data["major"])).first()
        row = Education(person_id=registration.person_id, document_id=attachment_id,
                        major_code=major.code if major else None, **data)
        if form.get("is_highest") or not registration.educations:
            for other in registration.educations:
                other.is_highest = False
            row.is_highest = True
        registration.educations.append(row)
    elif section == Sec.WORK:
        registration.works.append(WorkExperience(person_id=registration.person_id, **data))
    else:
        registration.materials.append(MaterialEntry(section=section.value, data=data, attachment_id=attachment_id))
    db.session.commit()


def _own_row(registration, section, row_id):
    model = {Sec.EDUCATION: Education, Sec.WORK: WorkExperience}.get(Sec(section), MaterialEntry)
    row = db.session.get(model, row_id)
    if row is None or row.registration_id != registration.id:
        raise RegistrationError(_l("The row does not exist."))
    return row


def delete_row(registration, section, row_id):
    require_editable(registration)
    row = _own_row(registration, section, row_id)
    db.session.delete(row)
    db.session.flush()
    if Sec(section) == Sec.EDUCATION and registration.educations and not any(
            e.is_highest for e in registration.educations if e is not row):
        remaining = [e for e in registration.educations if e is not row]
        if remaining:
            remaining[0].is_highest = True
    db.session.commit()


def mark_highest(registration, row_id):
    """B3: exactly one education record is the highest degree."""
    require_editable(registration)
    row = _own_row(registration, Sec.EDUCATION, row_id)
    for other in registration.educations:
        other.is_highest = other is row
    db.session.commit()


def base_info(registration, section):
    """B3 "add from my base info": the candidate's earlier rows, one per distinct record."""
    model, key = {Sec.EDUCATION: (Education, ("school", "major", "graduation_month")),
                  Sec.WORK: (WorkExperience, ("employer", "start_month"))}[Sec(section)]
    mine = {tuple(getattr(r, k) for k in key) for r in getattr(registration, _ROWS[Sec(section)])}
    rows, seen = [], set(mine)
    for row in db.session.query(model).filter(
            model.person_id == registration.person_id,
            (model.registration_id.is_(None)) | (model.registration_id != registration.id)).order_by(model.id.desc()):
        ident = tuple(getattr(row, k) for k in key)
        if ident not in seen:
            seen.add(ident)
            rows.append(row)
    return rows


_ROWS = {Sec.EDUCATION: "educations", Sec.WORK: "works"}
_COPIED = {Sec.EDUCATION: [f.name for f in EDUCATION_FIELDS] + ["major_code", "document_id"],
           Sec.WORK: [f.name for f in WORK_FIELDS] + ["referee_phone"]}


def copy_from_base(registration, section, row_ids):
    require_editable(registration)
    section = Sec(section)
    available = {r.id: r for r in base_info(registration, section)}
    model = {Sec.EDUCATION: Education, Sec.WORK: WorkExperience}[section]
    for row_id in row_ids:
        source = available.get(int(row_id)) if str(row_id).isdigit() else None
        if source is None:
            continue
        copy = model(person_id=registration.person_id, **{k: getattr(source, k) for k in _COPIED[section]})
        if section == Sec.EDUCATION:
            copy.is_highest = not registration.educations
        getattr(registration, _ROWS[section]).append(copy)
    db.session.commit()


# --- eligibility (B13) ----------------------------------------------------------------------
def _highest(registration):
    return next((e for e in registration.educations if e.is_highest), None)


def _rule_education_level(registration, params):
    need = EducationLevel(params["min"])
    row = _highest(registration)
    have = EducationLevel(row.education_level) if row and row.education_level else None
    ok = have is not None and have.rank >= need.rank
    return ok, _l("Highest education: %(have)s; required: %(need)s or higher.",
                  have=have.label if have else _l("none"), need=need.label)


def _rule_major(registration, params):
    prefixes = tuple(params.get("prefixes") or ())
    row = _highest(registration)
    code = (row.major_code or "") if row else ""
    ok = bool(code) and code.startswith(prefixes)
    return ok, _l("Major of the highest degree: %(major)s; required: a major of the families %(families)s.",
                  major=(row.major if row else None) or _l("none"), families=", ".join(prefixes))


def _rule_work_years(registration, params):
    need = int(params["min"])
    have = sum(w.years_in_occupation or 0 for w in registration.works)
    return have >= need, _l("Years in the occupation: %(have)d; required: at least %(need)d.", have=have, need=need)


def _rule_certificate(registration, params):
    level = CertLevel(params.get("min_level") or CertLevel.JUNIOR.value)
    ranks = [c.value for c in CertLevel]
    today = datetime.date.today()
    query = db.session.query(Certificate).join(Certificate.certificate_type).filter(
        Certificate.person_id == registration.person_id, Certificate.status == CertificateStatus.VALID.value,
        (Certificate.valid_until.is_(None)) | (Certificate.valid_until >= today))
    if params.get("type_code"):
        query = query.filter(CertificateType.code == params["type_code"])
    ok = any(ranks.index(c.certificate_type.level) >= ranks.index(level.value) for c in query)
    return ok, _l("Required: a valid certificate %(type)s at level %(level)s or higher.",
                  type=params.get("type_code") or "", level=level.label)


RULE_KINDS = {
    "education_level": (_l("Education level"), _rule_education_level),
    "major": (_l("Major"), _rule_major),
    "work_years": (_l("Years in the occupation"), _rule_work_years),
    "certificate": (_l("Certificate held"), _rule_certificate),
}
# the parameters each kind needs, with an example (shown on the rule form)
RULE_EXAMPLES = {
    "education_level": {"min": "junior_college"},
    "major": {"prefixes": ["0809", "0807"]},
    "work_years": {"min": 2},
    "certificate": {"type_code": "", "min_level": "junior"},
}


def checked_rule_params(kind, text):
    """B13: a rule's parameters from the JSON typed on the rule form, or RegistrationError."""
    if kind not in RULE_KINDS:
        raise RegistrationError(_l("Please choose %(field)s.", field=_l("Rule type")), "kind")
    try:
        params = json.loads(text or "{}") if isinstance(text, str) else dict(text or {})
    except ValueError:
        params = None
    needed = {k for k, v in RULE_EXAMPLES[kind].items() if v != ""}
    if not isinstance(params, dict) or not needed <= set(params):
        raise RegistrationError(_l("Parameters: write JSON like %(example)s.",
                                   example=json.dumps(RULE_EXAMPLES[kind], ensure_ascii=False)), "params")
    fake = Registration(educations=[], works=[])
    try:
        RULE_KINDS[kind][1](fake, params)
    except (KeyError, ValueError, TypeError):
        raise RegistrationError(_l("Parameters: write JSON like %(example)s.",
                                   example=json.dumps(RULE_EXAMPLES[kind], ensure_ascii=False)), "params") from None
    return params


def check_eligibility(registration):
    """Every rule of the exam with its outcome: [{rule, passed, reason}]."""
    report = []
    for rule in db.session.query(EligibilityRule).filter_by(exam_plan_id=registration.exam_plan_id) \
            .order_by(EligibilityRule.id):
        kind = RULE_KINDS.get(rule.kind)
        if kind is None:
            report.append({"rule": rule.name, "passed": False, "reason": str(_l("Unknown rule type."))})
            continue
        try:
            passed, reason = kind[1](registration, rule.params or {})
        except (KeyError, ValueError, TypeError, AttributeError):
            passed, reason = False, _l("The rule is misconfigured; please contact the association.")
        report.append({"rule": rule.name, "passed": bool(passed), "reason": str(reason)})
    return report


# --- submission and review (B7, B8, B11, B12) --------------------------------------------------
def missing(registration):
    """What keeps the application from being submitted: [(section or field, message)]."""
    problems = []
    if registration.photo_id is None:
        problems.append(("photo", _l("Please upload a photo.")))
    if registration.exam_site_id is None or not registration.subjects or (
            registration.exam_session_id is None and sittings(registration.exam_plan)):
        problems.append(("application", _l("Fill in the application information.")))
    for section, required in sections_of(registration.exam_plan):
        if required and not section_filled(registration, section):
            problems.append((section.value, _l("The section %(section)s is required.", section=section.label)))
    if section_filled(registration, Sec.EDUCATION) and _highest(registration) is None:
        problems.append((Sec.EDUCATION.value, _l("Mark one education record as the highest degree.")))
    return problems


def net_no_of(registration):
    """网报号: year of the window, exam, registration (unique by construction)."""
    return f"{registration.exam_plan.reg_start:%y}{registration.exam_plan_id:04d}{registration.id:07d}"


def submit(registration, user):
    """Submit or resubmit: complete, eligible, inside the window, a seat at the site; else nothing changes."""
    require_editable(registration)
    _check_window(registration.exam_plan)
    # P6: a site already full refuses at once, before the checks, the matter and the workflow that would be rolled
    # back; when submissions race for the last seats, the conditional UPDATE of seats.hold still decides
    if not registration.seat_held and registration.exam_site is not None \
            and seats.remaining(registration.exam_site) == 0:
        raise RegistrationError(_l("The site you chose has no seats left; please choose another site."),
                                "exam_site_id")
    problems = missing(registration)
    if problems:
        raise RegistrationError(problems[0][1], problems[0][0])
    report = check_eligibility(registration)
    failing = [r for r in report if not r["passed"]]
    if failing:
        db.session.rollback()
        raise RegistrationError(_l("Eligibility check failed: %(rule)s. %(reason)s", rule=failing[0]["rule"],
                                   reason=failing[0]["reason"]), "eligibility")
    registration.eligibility_report = report
    registration.net_no = registration.net_no or net_no_of(registration)
    plan = registration.exam_plan
    # the site may have changed since the last submission: its institution reviews and sees the matter
    reviewer = registration.institution_id if plan.reviewer == Reviewer.INSTITUTION.value else None
    matter = registration.matter
    if matter is None:
        # P6: the matter is filed and submitted in one transaction of few statements, the seat taken last
        try:
            workflow.file(
                "exam_registration", user, _l("Exam registration: %(exam)s", exam=plan.name), "submit",
                institution_id=registration.institution_id, obj=registration,
                payload={"deadline_workdays": plan.review_workdays, REVIEWER_KEY: reviewer})
        except WorkflowError as exc:  # a full site (NoSeatLeft) names the site field
            raise RegistrationError(str(exc), "exam_site_id" if isinstance(exc, seats.NoSeatLeft) else "form") \
                from None
        return
    matter.institution_id = registration.institution_id
    matter.payload = {**(matter.payload or {}), REVIEWER_KEY: reviewer}
    _apply(matter, "resubmit" if matter.state == "returned" else "submit", user)


def file_submitted(registration, user):
    """D7: a registration an institution filed in a batch (already submitted, its seat held) gets
    its review matter in the same transaction, at 待审核 with its history and due date."""
    plan = registration.exam_plan
    mtype = workflow.REGISTRY["exam_registration"]
    now = datetime.datetime.now()
    matter = Matter(business_no=workflow.allocate_business_no(now), type_code="exam_registration",
                    title=str(_l("Exam registration: %(exam)s", exam=plan.name)), state="submitted",
                    status=mtype.state("submitted").status.value, applicant_id=user.id,
                    institution_id=registration.institution_id, object_type="Registration",
                    object_id=registration.id, filed_at=now,
                    due_date=add_workdays(now.date(), plan.review_workdays),
                    payload={"deadline_workdays": plan.review_workdays, REVIEWER_KEY: registration.institution_id
                             if plan.reviewer == Reviewer.INSTITUTION.value else None})
    db.session.add(matter)
    db.session.flush()
    db.session.add(MatterHistory(matter_id=matter.id, transition="submit", from_state="draft",
                                 to_state="submitted", actor_id=user.id, at=now))
    registration.matter_id = matter.id
    return matter


def _apply(matter, name, user, opinion=None):
    """Take a transition; the refusals of the workflow and of the seats become RegistrationErrors."""
    try:
        workflow.apply(matter.id, name, user, opinion=opinion)
    except WorkflowError as exc:  # a full site (NoSeatLeft) names the site field
        raise RegistrationError(str(exc), "exam_site_id" if isinstance(exc, seats.NoSeatLeft) else "form") from None


def _registration_of(matter):
    registration = db.session.get(Registration, (matter.payload or {}).get("registration_id") or matter.object_id)
    if registration is None:
        raise WorkflowError(str(_l("The registration of this matter no longer exists.")))
    return registration


# effects of the exam_registration matter type (app/matters)
def submitted(matter, _t, _user):
    registration = _registration_of(matter)
    if registration.matter is None:  # filed just now (workflow.file): linked in the same transaction
        registration.matter = matter
    seats.hold(registration)
    registration.status = RS.SUBMITTED.value
    registration.submitted_at = datetime.datetime.now()
    registration.return_reasons = None


def withdrawn(matter, _t, _user):
    registration = _registration_of(matter)
    seats.release(registration)
    registration.status = RS.DRAFT.value


def review_started(matter, _t, _user):
    _registration_of(matter).status = RS.REVIEWING.value


def approved(matter, _t, _user):
    """B7: approved data is locked; C1: the order is created."""
    from app.services import payments

    registration = _registration_of(matter)
    registration.status = RS.APPROVED.value
    registration.locked = True
    _order, deliveries = payments.create_order(registration)
    return deliveries


def returned(matter, _t, _user):
    _registration_of(matter).status = RS.RETURNED.value


def refused(matter, _t, _user):
    registration = _registration_of(matter)
    seats.release(registration)
    registration.status = RS.REFUSED.value


def closed_by_candidate(matter, _t, _user):
    if matter.type_code == "exam_registration":
        registration = _registration_of(matter)
        seats.release(registration)
        registration.status = RS.GIVEN_UP.value


def review(registration, action, user, opinion=None, reasons=None):
    """A reviewer's decision: start_review, approve, return (reasons per section) or refuse."""
    if registration.matter is None:
        raise RegistrationError(_l("This application has not been submitted."))
    if action == "return":
        reasons = {k: v.strip() for k, v in (reasons or {}).items() if v and v.strip()}
        if not reasons:
            raise RegistrationError(_l("Give the reason for at least one section."), "reasons")
        registration.return_reasons = reasons
        opinion = "；".join(f"{section_label(k)}：{v}" for k, v in reasons.items())
    _apply(registration.matter, action, user, opinion)


def section_label(code):
    if code in ("photo", "application"):
        return {"photo": _l("Photo"), "application": _l("Application information")}[code]
    return Sec.label_of(code)


def withdraw(registration, user):
    if registration.status != RS.SUBMITTED.value or registration.matter is None:
        raise RegistrationError(_l("Only an application not yet under review can be withdrawn."))
    _apply(registration.matter, "withdraw", user)


def delete(registration, user):
    """B8: drafts, returned and not-yet-reviewed applications only."""
    if registration.status not in DELETABLE:
        raise RegistrationError(_l("Only drafts, returned applications and applications not yet under review "
                                   "can be deleted."))
    if registration.matter is not None:
        _apply(registration.matter, "give_up", user)  # the matter is closed, its history kept
    seats.release(registration)
    db.session.delete(registration)
    db.session.commit()


def give_up(registration, user):
    """B12: 放弃报考; the seat goes back and the candidate may register again inside the window."""
    if registration.status not in GIVE_UP_FROM:
        raise RegistrationError(_l("This registration cannot be given up (status: %(status)s).",
                                   status=RS.label_of(registration.status)))
    if registration.status == RS.APPROVED.value:  # approved, not paid: its open orders are closed
        batched = db.session.query(Order).filter(Order.registration_id == registration.id,
                                                 Order.parent_id.isnot(None),
                                                 Order.status == OrderStatus.UNPAID.value).first()
        if batched is not None:
            raise RegistrationError(_l("Your institution is paying this registration in batch order %(no)s; "
                                       "ask it to cancel the batch before you give up.", no=batched.parent.order_no))
        db.session.query(Order).filter_by(registration_id=registration.id, status=OrderStatus.UNPAID.value) \
            .update({Order.status: OrderStatus.CLOSED.value}, synchronize_session=False)
        seats.release(registration)
        registration.status = RS.GIVEN_UP.value
        db.session.commit()
    else:
        _apply(registration.matter, "give_up", user)


# --- changes (B14) -----------------------------------------------------------------------------
CHANGEABLE = {RS.APPROVED.value, RS.REGISTERED.value}


def open_change(registration):
    return db.session.query(Matter).filter(
        Matter.type_code == "registration_change", Matter.object_type == "Registration",
        Matter.object_id == registration.id, Matter.status == MatterStatus.IN_PROGRESS.value).first()


def request_change(registration, user, exam_site_id, subject_ids, reason, exam_session_id=None):
    """Another site, sitting or other subjects, inside the window; reviewed like a registration."""
    if registration.status not in CHANGEABLE:
        raise RegistrationError(_l("Only an approved registration can be changed; edit the application instead."))
    _check_window(registration.exam_plan)
    if open_change(registration) is not None:
        raise RegistrationError(_l("A change of this registration is already under review."))
    plan = registration.exam_plan
    site = db.session.get(ExamSite, int(exam_site_id)) if str(exam_site_id or "").isdigit() else None
    if site is None or site.exam_plan_id != plan.id:
        raise RegistrationError(_l("Please choose %(field)s.", field=_l("Site")), "exam_site_id")
    chosen = sorted({int(i) for i in subject_ids if str(i).isdigit()})
    if not chosen or not set(chosen) <= {s.id for s in plan.subjects}:
        raise RegistrationError(_l("Choose the subjects to retake."), "subjects")
    if registration.category not in MAKEUP and set(chosen) != {s.id for s in plan.subjects}:
        raise RegistrationError(_l("Only make-up candidates choose subjects; others take every subject."),
                                "subjects")
    sitting = _checked_sitting(plan, exam_session_id)
    sitting_id = sitting.id if sitting else None
    if site.id == registration.exam_site_id and set(chosen) == {s.subject_id for s in registration.subjects} \
            and sitting_id == registration.exam_session_id:
        raise RegistrationError(_l("Nothing would change."), "exam_site_id")
    reason = (reason or "").strip()
    if not reason:
        raise RegistrationError(_l("%(field)s is required.", field=_l("Reason")), "reason")
    if site.id != registration.exam_site_id and seats.remaining(site) <= 0:
        raise RegistrationError(_l("The site you chose has no seats left; please choose another site."),
                                "exam_site_id")
    reviewer = site.site.institution_id if plan.reviewer == Reviewer.INSTITUTION.value else None
    matter = workflow.create_matter(
        "registration_change", user, _l("Registration change: %(exam)s", exam=plan.name),
        institution_id=site.site.institution_id, obj=registration,
        payload={"registration_id": registration.id, "exam_site_id": site.id, "subject_ids": chosen,
                 "exam_session_id": sitting_id,
                 "reason": reason[:500], REVIEWER_KEY: reviewer, "deadline_workdays": plan.review_workdays},
        commit=False)
    db.session.flush()
    _apply(matter, "submit", user)
    return matter


def change_submitted(matter, _t, _user):
    _registration_of(matter)  # the registration must still exist


def change_approved(matter, _t, _user):
    """Quotas move with the change: a seat at the new site first, then the old one back."""
    registration = _registration_of(matter)
    if registration.status not in CHANGEABLE:
        raise WorkflowError(str(_l("The registration has been given up or refunded; refuse this change.")))
    payload = matter.payload
    site = db.session.get(ExamSite, payload["exam_site_id"])
    if site.id != registration.exam_site_id:
        seats.move(registration, site.id)
        registration.exam_site = site
        registration.institution_id = site.site.institution_id
        _retag_files(registration)
        for order in db.session.query(Order).filter_by(registration_id=registration.id, parent_id=None):
            order.institution_id = registration.institution_id
    _set_subjects(registration, set(payload["subject_ids"]))
    registration.exam_session_id = payload.get("exam_session_id")
    return _notify_candidate(registration, _l("Registration change approved: %(exam)s",
                                              exam=registration.exam_plan.name))
