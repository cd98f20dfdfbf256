"""I5 公开查询: the public facts of six look-ups anyone may make without logging in — certificates (E5),
training certificates, qualifications, published exams, teachers and training plans.

Each ``*_facts`` function returns exactly what the page and the JSON show (ID numbers masked, never
a phone, e-mail or full ID number), or None when nothing matches.  A wrong name answers like an
unknown number: both give None.  The certificate look-up itself is E5's (``views.verify.find``); the
hall's views pass the certificate it found to :func:`qualification_facts`.
"""
import datetime
import hmac
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, select

from app import crypto
from app.extensions import db
from app.services import certificates
from models import Certificate, Course, CourseTeacher, ExamPlan, Person, TeacherCategory, TrainingPlan, TrainingRecord
from models.enums import CertificateStatus, CertLevel, CourseStatus, PlanStatus, ReviewStatus, TeacherConfirm

# a plan is public once the Association approved it; drafts and plans under review are not found
PUBLIC_PLAN_STATUSES = (PlanStatus.APPROVED.value, PlanStatus.FINISHED.value, PlanStatus.TERMINATED.value)
EXAM_LIMIT = 50


class QueryError(ValueError):
    """Refused input; ``field`` names the form field (``form`` for the whole form)."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Field:
    key: str
    label: object
    max_length: int
    required: bool = True
    placeholder: object = ""


@dataclass(frozen=True)
class Kind:
    code: str
    title: object
    icon: str
    intro: object
    fields: tuple
    not_found: object


KINDS = {k.code: k for k in (
    Kind("certificate", _l("Certificate query"), "fa-certificate",
         _l("Verify a certificate by its number and the holder's name."),
         (Field("serial", _l("Certificate number"), 40), Field("name", _l("Holder name"), 40)),
         _l("No certificate was found; check the certificate number and the holder's name.")),
    Kind("training", _l("Training certificate query"), "fa-graduation-cap",
         _l("Check a training certificate issued when a training plan finished."),
         (Field("certificate_no", _l("Training certificate number"), 40), Field("name", _l("Full name"), 40)),
         _l("No training certificate was found; check the training certificate number and the name.")),
    Kind("qualification", _l("Qualification query"), "fa-id-badge",
         _l("See the certificates a certified person holds: give the name and one of the certificate numbers."),
         (Field("name", _l("Full name"), 40), Field("serial", _l("Certificate number"), 40)),
         _l("No certificate was found; check the certificate number and the holder's name.")),
    Kind("exam", _l("Exam query"), "fa-calendar-check",
         _l("Search the published exams by a word of their name, or by year."),
         (Field("keyword", _l("Exam name"), 64, required=False, placeholder=_l("A word of the exam name")),
          Field("year", _l("Year"), 4, required=False, placeholder=_l("e.g. 2026"))),
         _l("No published exam matches your search.")),
    Kind("teacher", _l("Teacher information query"), "fa-chalkboard-teacher",
         _l("Check a teacher's approved course categories and filed courses by name and ID number."),
         (Field("name", _l("Full name"), 40), Field("id_number", _l("ID number"), 32)),
         _l("No teacher was found; check the name and the ID number.")),
    Kind("plan", _l("Training plan query"), "fa-clipboard-list",
         _l("Check an approved training plan by its training number, e.g. BA2022012-2022007."),
         (Field("plan_no", _l("Training number"), 32),),
         _l("No training plan was found; check the training number.")),
)}


def clean(kind, source):
    """The kind's field values from a form or query string, stripped; QueryError names a missing or
    too long field (the exam search needs a keyword or a year, the year four digits)."""
    values = {}
    for field in kind.fields:
        value = (source.get(field.key) or "").strip()
        if field.required and not value:
            raise QueryError(field.key, _("Enter the %(field)s.", field=field.label))
        if len(value) > field.max_length:
            raise QueryError(field.key, _("%(field)s: at most %(n)d characters.", field=field.label,
                                          n=field.max_length))
        values[field.key] = value
    if kind.code == "exam":
        if not values["keyword"] and not values["year"]:
            raise QueryError("keyword", _("Enter a word of the exam name or a year."))
        if values["year"] and not (values["year"].isdigit() and len(values["year"]) == 4):
            raise QueryError("year", _("Year: write four digits, e.g. 2026."))
    return values


def _same(stored, typed):
    return hmac.compare_digest((stored or "").encode(), (typed or "").encode())


def _day(value):
    return value.isoformat() if value else None


def _hours(value):
    if value is None:
        return None
    return format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)


def _minutes(value):
    return value.strftime("%Y-%m-%d %H:%M") if value else None


# --- 2. training certificates ----------------------------------------------------------------
def training_facts(certificate_no, name):
    record = db.session.scalar(select(TrainingRecord).where(TrainingRecord.certificate_no == certificate_no))
    if record is None or not _same(record.person.name, name):
        return None
    plan = record.plan
    institution = record.institution or (plan.institution if plan else None)
    return {
        "certificate_no": record.certificate_no,
        "name": record.person.name,
        "id_number": record.person.id_number_masked,
        "course_name": record.course_name,
        "start_date": _day(record.start_date),
        "end_date": _day(record.end_date),
        "hours": _hours(record.hours),
        "category": record.category,
        "institution": institution.name if institution else None,
        "plan_no": plan.plan_no if plan else None,
        "valid_until": _day(record.valid_until),
    }


# --- 3. qualifications -------------------------------------------------------------------------
def qualification_facts(cert, today=None):
    """The certificates of the holder of ``cert`` (found by E5's number + name), replaced versions left
    out (their successor is listed): each one's type, number, level, status and validity."""
    rows = db.session.scalars(select(Certificate).where(Certificate.person_id == cert.person_id)
                              .order_by(Certificate.issue_date.desc(), Certificate.id.desc())).all()
    items = []
    for row in rows:
        state = certificates.state_of(row, today)
        if state == CertificateStatus.REPLACED:
            continue
        ctype = row.certificate_type
        items.append({"serial": row.serial, "certificate_name": ctype.name, "level": ctype.level,
                      "level_label": str(CertLevel.label_of(ctype.level)) if ctype.level else None,
                      "state": state.value, "state_label": str(state.label), "issue_date": _day(row.issue_date),
                      "valid_until": _day(row.valid_until)})
    return {"name": cert.holder_name, "id_number": cert.holder_id_masked, "certificates": items}


# --- 4. exams ------------------------------------------------------------------------------------
def _like(text):
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def exam_facts(keyword, year):
    """Published exams whose name contains ``keyword`` and that are held in ``year`` (either may be
    empty); None when none matches.  No personal data."""
    stmt = select(ExamPlan).where(ExamPlan.published.is_(True))
    if keyword:
        stmt = stmt.where(ExamPlan.name.ilike(_like(keyword), escape="\\"))
    if year:
        stmt = stmt.where(extract("year", ExamPlan.exam_start) == int(year))
    plans = db.session.scalars(stmt.order_by(ExamPlan.exam_start.desc(), ExamPlan.id.desc()).limit(EXAM_LIMIT)).all()
    if not plans:
        return None
    return {"exams": [{
        "id": plan.id,
        "name": plan.name,
        "exam_start": _minutes(plan.exam_start),
        "exam_end": _minutes(plan.exam_end),
        "registration_start": _minutes(plan.reg_start),
        "registration_end": _minutes(plan.reg_end),
        "status_label": str(plan.status_at().label),
        "certificate_name": plan.certificate_type.name if plan.certificate_type else None,
    } for plan in plans]}


# --- 5. teachers -------------------------------------------------------------------------------
def teacher_facts(name, id_number):
    """The teacher of this ID number whose name is exactly ``name``: approved category bindings and
    the filed courses they agreed to teach."""
    person = db.session.scalar(select(Person).where(Person.id_number_hash == crypto.blind_index(id_number)))
    if person is None or not person.is_teacher or not _same(person.name, name):
        return None
    bindings = db.session.scalars(select(TeacherCategory).where(
        TeacherCategory.person_id == person.id, TeacherCategory.status == ReviewStatus.APPROVED.value)
        .order_by(TeacherCategory.id)).all()
    courses = db.session.scalars(select(Course).join(CourseTeacher, CourseTeacher.course_id == Course.id).where(
        CourseTeacher.person_id == person.id, CourseTeacher.confirm == TeacherConfirm.AGREED.value,
        Course.status == CourseStatus.FILED.value).order_by(Course.filed_at.desc(), Course.id.desc())).all()
    return {
        "name": person.name,
        "id_number": person.id_number_masked,
        "categories": sorted(b.category.path for b in bindings),
        "courses": [{"name": c.name, "category": c.category.path, "institution": c.institution.name,
                     "filing_no": c.filing_no, "hours": _hours(c.hours), "valid_from": _day(c.valid_from),
                     "valid_until": _day(c.valid_until)} for c in courses],
    }


# --- 6. training plans ---------------------------------------------------------------------------
def plan_facts(plan_no):
    plan = db.session.scalar(select(TrainingPlan).where(TrainingPlan.plan_no == plan_no))
    if plan is None or plan.status not in PUBLIC_PLAN_STATUSES:
        return None
    return {
        "plan_no": plan.plan_no,
        "title": plan.title,
        "institution": plan.institution.name,
        "courses": [{"name": pc.course.name, "filing_no": pc.course.filing_no} for pc in plan.courses],
        "start_date": _day(plan.start_date),
        "end_date": _day(plan.end_date),
        "location": plan.location,
        "capacity": plan.capacity,
        "status": plan.status,
        "status_label": str(PlanStatus.label_of(plan.status)),
    }


def lookup(kind_code, values, find_certificate, today=None):
    """The facts of a look-up (None: not found); ``find_certificate(serial, name)`` is E5's."""
    today = today or datetime.date.today()
    if kind_code == "certificate":
        cert = find_certificate(values["serial"], values["name"])
        return certificates.public_facts(cert, today) if cert is not None else None
    if kind_code == "qualification":
        cert = find_certificate(values["serial"], values["name"])
        return qualification_facts(cert, today) if cert is not None else None
    if kind_code == "training":
        return training_facts(values["certificate_no"], values["name"])
    if kind_code == "exam":
        return exam_facts(values["keyword"], values["year"])
    if kind_code == "teacher":
        return teacher_facts(values["name"], values["id_number"])
    return plan_facts(values["plan_no"])
