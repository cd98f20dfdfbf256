"""G2 课程备案 and G3 解除备案: an institution files a course naming its teachers; each teacher confirms;
the Association files it (number, validity); a teacher unbinds from a filed course.

The institution's form is checked by ``save`` (CourseError names the field, nothing is written); the
matter course_filing (app/matters/training.py) carries the review, and its effects below keep the
Course and its CourseTeacher rows in step: a submission asks every teacher again (``pending_teachers``),
a disagreement returns the filing, the approval gives the filing number and the validity.  An unbinding
(course_unbinding) is the teacher's matter about their CourseTeacher row of a filed course.
"""
import datetime
import decimal
import os

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app import workflow
from app.extensions import db
from app.matters.training import PENDING
from app.services import files
from app.services.teacher_categories import is_bound, teacher_of
from app.workflow import WorkflowError
from models import Course, CourseCategory, CourseTeacher, Matter, Person, PlatformUser
from models.enums import CourseDelivery, CourseStatus, TeacherConfirm

FILING, UNBINDING = "course_filing", "course_unbinding"
MIN_HOURS, MAX_HOURS = decimal.Decimal("0.5"), decimal.Decimal("200")
VALID_YEARS = 3
MATERIAL_EXTENSIONS = {"pdf": "application/pdf", "doc": "application/msword",
                       "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                       "zip": "application/zip"}
MATERIAL_MAX_MB, VIDEO_MAX_MB = 20, 30
OPEN_STATES = ("draft", "returned")  # where the institution still edits the course


class CourseError(ValueError):
    """A refused form: ``field`` names the input, the message names the field in words."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def filed_courses(institution_id, on=None):
    """The institution's filed courses still valid on ``on`` (default today): what a plan may teach (G4)."""
    on = on or datetime.date.today()
    return db.session.scalars(select(Course).where(
        Course.institution_id == institution_id, Course.status == CourseStatus.FILED.value,
        (Course.valid_until.is_(None)) | (Course.valid_until >= on)).order_by(Course.name)).all()


# --- lookups ------------------------------------------------------------------------------------------

def teachers():
    """Every teacher with a platform account (the form offers them; ``save`` checks their binding)."""
    return db.session.scalars(select(Person).where(Person.is_teacher.is_(True), Person.user_id.is_not(None))
                              .order_by(Person.name, Person.id)).all()


def matter_of(course):
    """The course's latest filing matter, or None."""
    return workflow.latest_matter(FILING, course)


def course_of(matter):
    return workflow.object_of(matter, Course)


def row_of(matter):
    """The CourseTeacher row an unbinding matter is about."""
    return workflow.object_of(matter, CourseTeacher)


def editable(course):
    """A draft, returned or withdrawn filing is still the institution's to edit."""
    matter = matter_of(course)
    return matter is None or matter.state in OPEN_STATES or matter.state == "withdrawn"


def own_course(course_id, user):
    """The course if ``user`` reaches it (an institution its own, the Association every one), else None."""
    from app.scoping import reaches

    course = db.session.get(Course, course_id) if str(course_id).isdigit() else None
    return course if course is not None and reaches(user, course) else None


def teacher_rows(user, category_id=None, confirm=None):
    """G2 课程备案管理: the teacher's CourseTeacher rows, newest first."""
    person = teacher_of(user)
    if person is None:
        return []
    stmt = select(CourseTeacher).join(Course, Course.id == CourseTeacher.course_id).where(
        CourseTeacher.person_id == person.id, Course.status != CourseStatus.NOT_SUBMITTED.value)
    if category_id:
        stmt = stmt.where(Course.category_id == category_id)
    if confirm:
        stmt = stmt.where(CourseTeacher.confirm == confirm)
    return db.session.scalars(stmt.order_by(CourseTeacher.id.desc())).all()


def own_row(row_id, user):
    """The teacher's own CourseTeacher row, or None (the views answer 404)."""
    person = teacher_of(user)
    row = db.session.get(CourseTeacher, row_id) if str(row_id).isdigit() else None
    if row is None or person is None or row.person_id != person.id:
        return None
    return row


def open_unbinding(row):
    """The row's unbinding matter still under review, or None."""
    return workflow.open_matter(UNBINDING, row)


def unbindings_of(row):
    return db.session.scalars(workflow.matters_about(UNBINDING, row).order_by(None).order_by(Matter.id)).all()


def may_confirm(row, user):
    """The row's teacher confirms while the filing waits for them."""
    matter = matter_of(row.course)
    return (matter is not None and matter.state == "teacher_confirmation"
            and row.confirm == TeacherConfirm.PENDING.value and user.id in (matter.payload or {}).get(PENDING, ()))


def may_unbind(row):
    """G3: a filed course whose teacher agreed (and no unbinding under review)."""
    return row.course.status == CourseStatus.FILED.value and row.confirm == TeacherConfirm.AGREED.value


# --- the institution's form ---------------------------------------------------------------------------

def _hours(value):
    label = _("Hours")
    try:
        hours = decimal.Decimal(str(value or "").strip())
    except decimal.InvalidOperation:
        raise CourseError("hours", _("%(field)s: please enter a number.", field=label)) from None
    if not hours.is_finite() or hours < MIN_HOURS or hours > MAX_HOURS:
        raise CourseError("hours", _("%(field)s must be between %(low)s and %(high)s.", field=label,
                                     low=MIN_HOURS, high=MAX_HOURS))
    if hours != hours.quantize(decimal.Decimal("0.1")):
        raise CourseError("hours", _("%(field)s: at most one decimal place.", field=label))
    return hours.quantize(decimal.Decimal("0.1"))


def check_material(data, filename):
    """课程材料: PDF, Word or zip, at most MATERIAL_MAX_MB → (content type, extension)."""
    label = _("Course materials")
    ext = os.path.splitext(filename or "")[1].lower().lstrip(".")
    magic = {"pdf": (b"%PDF-",), "doc": (b"\xd0\xcf\x11\xe0",), "docx": (b"PK\x03\x04",), "zip": (b"PK\x03\x04",)}
    if ext not in MATERIAL_EXTENSIONS or not any(data.startswith(m) for m in magic[ext]):
        raise CourseError("material", _("%(field)s: only PDF, Word (.doc, .docx) or zip files are accepted.",
                                        field=label))
    if len(data) > MATERIAL_MAX_MB * 1024 * 1024:
        raise CourseError("material", _("%(field)s: the file is larger than %(mb)d MB.", field=label,
                                        mb=MATERIAL_MAX_MB))
    return MATERIAL_EXTENSIONS[ext], ext


def check_video(data, filename):
    """课程视频: an MP4 file (its "ftyp" box), at most VIDEO_MAX_MB."""
    label = _("Course video")
    ext = os.path.splitext(filename or "")[1].lower()
    if ext != ".mp4" or data[4:8] != b"ftyp":
        raise CourseError("video", _("%(field)s: only MP4 videos are accepted.", field=label))
    limit = current_app.config.get("COURSE_VIDEO_MAX_MB", VIDEO_MAX_MB)
    if len(data) > limit * 1024 * 1024:
        raise CourseError("video", _("%(field)s: the file is larger than %(mb)d MB.", field=label, mb=limit))


def _teachers(ids, category_id):
    """The named teachers: each a teacher with an account whose binding to the category is approved."""
    label = _("Course teachers")
    people = []
    for raw in ids:
        person = db.session.get(Person, int(raw)) if str(raw).isdigit() else None
        if person is None:
            raise CourseError("teacher_ids", _("%(field)s: please choose from the list.", field=label))
        if not person.is_teacher or person.user_id is None:
            raise CourseError("teacher_ids", _("%(field)s: %(name)s is not a teacher with a platform account.",
                                               field=label, name=person.name))
        if not is_bound(person.id, category_id):
            raise CourseError("teacher_ids", _(
                "%(field)s: %(name)s has no approved binding to this course category.", field=label,
                name=person.name))
        if person not in people:
            people.append(person)
    return people


def clean(form, uploads, course=None):
    """Check the form → dict of values (the files checked but not stored). ``uploads``: {"material" |
    "video": (bytes, filename)}, empty when nothing was chosen."""
    category = db.session.get(CourseCategory, int(form.get("category_id"))) \
        if str(form.get("category_id") or "").isdigit() else None
    if category is None or category.level != 3:
        raise CourseError("category_id", _("Please choose: %(field)s.", field=_("Course category")))
    name = (form.get("name") or "").strip()
    if not name:
        raise CourseError("name", _("Please fill in: %(field)s.", field=_("Course name")))
    if len(name) > 128:
        raise CourseError("name", _("%(field)s: at most %(n)d characters.", field=_("Course name"), n=128))
    hours = _hours(form.get("hours"))
    delivery = form.get("delivery") or ""
    if delivery not in {m.value for m in CourseDelivery}:
        raise CourseError("delivery", _("Please choose: %(field)s.", field=_("Delivery")))
    outline = (form.get("outline") or "").strip()
    if not outline:
        raise CourseError("outline", _("Please fill in: %(field)s.", field=_("Course outline")))
    if len(outline) > 10000:
        raise CourseError("outline", _("%(field)s: at most %(n)d characters.", field=_("Course outline"), n=10000))
    material, video = uploads.get("material"), uploads.get("video")
    if material and material[0]:
        check_material(*material)
    elif course is None or course.material_id is None:
        raise CourseError("material", _("Please choose a file: %(field)s.", field=_("Course materials")))
    online = delivery == CourseDelivery.ONLINE.value
    if video and video[0]:
        if not online:
            raise CourseError("video", _("%(field)s is only for an online course.", field=_("Course video")))
        check_video(*video)
    elif online and (course is None or course.video_id is None):
        raise CourseError("video", _("Please choose a file: %(field)s (an online course needs one).",
                                     field=_("Course video")))
    ids = [i for i in form.getlist("teacher_ids") if i] if hasattr(form, "getlist") else list(form.get("teacher_ids")
                                                                                              or [])
    if not ids:
        raise CourseError("teacher_ids", _("Please choose at least one: %(field)s.", field=_("Course teachers")))
    people = _teachers(ids, category.id)
    return {"category_id": category.id, "name": name, "hours": hours, "delivery": delivery, "outline": outline,
            "material": material if material and material[0] else None,
            "video": video if online and video and video[0] else None, "teachers": people}


def _store(upload, kind, user, institution_id, content_type, ext):
    data, filename = upload
    stem = os.path.splitext(os.path.basename(filename or ""))[0][:80] or kind
    item = files.store(data, f"{stem}.{ext}", content_type, kind, user=user, institution_id=institution_id)
    db.session.flush()
    return item.id


def save(user, form, uploads, course=None, submit=False):
    """Create or update the institution's course and its draft filing matter; with ``submit`` the
    matter is submitted (or resubmitted).  Refused: CourseError / WorkflowError, nothing written."""
    if course is not None and not editable(course):
        raise CourseError("", _("This course is under review or filed; it cannot be changed now."))
    institution_id = course.institution_id if course is not None else user.institution_id
    if institution_id is None:
        raise CourseError("", _("Only an institution's user files courses."))
    values = clean(form, uploads, course)
    with workflow.unit() as deliveries:
        if course is None:
            course = Course(institution_id=institution_id, status=CourseStatus.NOT_SUBMITTED.value)
            db.session.add(course)
        for key in ("category_id", "name", "hours", "delivery", "outline"):
            setattr(course, key, values[key])
        if values["material"]:
            ctype, ext = check_material(*values["material"])
            course.material_id = _store(values["material"], "course_material", user, institution_id, ctype, ext)
        if values["delivery"] != CourseDelivery.ONLINE.value:
            course.video_id = None
        elif values["video"]:
            course.video_id = _store(values["video"], "course_video", user, institution_id, "video/mp4", "mp4")
        wanted = {p.id for p in values["teachers"]}
        for row in list(course.teachers):
            if row.person_id not in wanted:
                course.teachers.remove(row)
        have = {row.person_id for row in course.teachers}
        for person in values["teachers"]:
            if person.id not in have:
                course.teachers.append(CourseTeacher(person_id=person.id, confirm=TeacherConfirm.PENDING.value))
        db.session.flush()
        matter = matter_of(course)
        if matter is None or matter.state == "withdrawn":
            matter = workflow.create_matter(FILING, user, _("Course filing: %(name)s", name=course.name),
                                            institution_id=institution_id, obj=course, commit=False)
            db.session.flush()
        else:
            matter.title = _("Course filing: %(name)s", name=course.name)
        if submit:
            _matter, sent = workflow.take(matter.id, "submit" if matter.state == "draft" else "resubmit", user)
            deliveries += sent
    return course


def submit(course, user):
    """Submit a saved draft (or a returned filing) as it stands."""
    matter = matter_of(course)
    if matter is None or matter.state not in OPEN_STATES:
        raise WorkflowError(_("This course has no draft or returned filing to submit."))
    return workflow.apply(matter.id, "submit" if matter.state == "draft" else "resubmit", user)


# --- the teachers' confirmation -------------------------------------------------------------------

def confirm(matter_id, user, agree, opinion=None):
    """G2: the teacher's answer; picks the transition (another teacher still to answer, the last one,
    online or not); raises WorkflowError (nothing written)."""
    matter = db.session.get(Matter, matter_id)
    if matter is None or matter.type_code != FILING:
        raise WorkflowError(_("The matter does not exist."))
    opinion = (opinion or "").strip() or None
    if not agree:
        if not opinion:
            raise WorkflowError(_("Please fill in: %(field)s (needed to disagree).", field=_("Confirmation opinion")))
        return workflow.apply(matter.id, "teacher_disagree", user, opinion=opinion)
    pending = (matter.payload or {}).get(PENDING, [])
    if [u for u in pending if u != user.id]:
        name = "teacher_agree"
    else:
        course = course_of(matter)
        name = "teachers_agreed_online" if course is not None and course.delivery == CourseDelivery.ONLINE.value \
            else "teachers_agreed"
    return workflow.apply(matter.id, name, user, opinion=opinion)


def _my_row(matter, user):
    course = course_of(matter)
    person = teacher_of(user)
    if course is None or person is None:
        raise WorkflowError(_("You are not a teacher of this course."))
    for row in course.teachers:
        if row.person_id == person.id:
            return course, row
    raise WorkflowError(_("You are not a teacher of this course."))


def _answered(matter, user, confirm_value, opinion):
    course, row = _my_row(matter, user)
    pending = list((matter.payload or {}).get(PENDING, []))
    if user.id not in pending:
        raise WorkflowError(_("You have answered already."))
    pending.remove(user.id)
    matter.payload = {**(matter.payload or {}), PENDING: pending}
    row.confirm = confirm_value
    row.opinion = opinion
    row.confirmed_at = datetime.datetime.now()
    return course, row, pending


def _last_opinion(matter):
    return matter.history[-1].opinion if matter.history else None


def filing_submitted(matter, t, user):
    """Complete course → every teacher asked (again), the course awaits them."""
    course = course_of(matter)
    if course is None:
        raise WorkflowError(_("The matter names no course."))
    missing = [label for label, ok in (
        (_("Course outline"), bool((course.outline or "").strip())),
        (_("Course materials"), course.material_id is not None),
        (_("Course video"), course.delivery != CourseDelivery.ONLINE.value or course.video_id is not None),
        (_("Course teachers"), bool(course.teachers))) if not ok]
    if missing:
        raise WorkflowError(_("The filing is incomplete: %(fields)s.", fields="、".join(str(m) for m in missing)))
    ids = []
    for row in course.teachers:
        person = db.session.get(Person, row.person_id)
        if person is None or person.user_id is None or not is_bound(person.id, course.category_id):
            raise WorkflowError(_("%(name)s has no approved binding to this course category.",
                                  name=person.name if person else row.person_id))
        row.confirm, row.opinion, row.confirmed_at = TeacherConfirm.PENDING.value, None, None
        ids.append(person.user_id)
    matter.payload = {**(matter.payload or {}), PENDING: ids, "course_id": course.id}
    course.status = CourseStatus.CONFIRMING.value


def filing_withdrawn(matter, t, user):
    course = course_of(matter)
    if course is not None:
        course.status = CourseStatus.NOT_SUBMITTED.value
    matter.payload = {**(matter.payload or {}), PENDING: []}


def teacher_agreed(matter, t, user):
    """An agreement while other teachers are still to answer."""
    if [u for u in (matter.payload or {}).get(PENDING, []) if u != user.id] == []:
        raise WorkflowError(_("You are the last teacher to answer: agree with the final confirmation."))
    _answered(matter, user, TeacherConfirm.AGREED.value, _last_opinion(matter))


def _last_agreement(matter, user, online):
    course = course_of(matter)
    if course is not None and (course.delivery == CourseDelivery.ONLINE.value) != online:
        raise WorkflowError(_("This agreement does not fit the course's delivery."))
    if [u for u in (matter.payload or {}).get(PENDING, []) if u != user.id]:
        raise WorkflowError(_("Other teachers have still to answer."))
    course, _row, _pending = _answered(matter, user, TeacherConfirm.AGREED.value, _last_opinion(matter))
    course.status = CourseStatus.REVIEWING.value


def last_teacher_agreed_association_review(matter, t, user):
    _last_agreement(matter, user, online=False)


def last_teacher_agreed_expert_review(matter, t, user):
    _last_agreement(matter, user, online=True)


def teacher_disagreed(matter, t, user):
    """A disagreement returns the filing to the institution with the opinion; nobody else answers now."""
    course, _row, _pending = _answered(matter, user, TeacherConfirm.DISAGREED.value, _last_opinion(matter))
    matter.payload = {**matter.payload, PENDING: []}
    course.status = CourseStatus.RETURNED.value


def filing_approved(matter, t, user):
    """Filing number KC<year><5 digits>, filed today, valid for three years."""
    course = course_of(matter)
    if course is None:
        raise WorkflowError(_("The matter names no course."))
    today = datetime.date.today()
    if not course.filing_no:
        course.filing_no = f"KC{today.year}{workflow.next_sequence(f'course_filing:{today.year}'):05d}"
    course.filed_at = datetime.datetime.now()
    course.valid_from = today
    course.valid_until = _add_years(today, VALID_YEARS) - datetime.timedelta(days=1)
    course.status = CourseStatus.FILED.value
    matter.payload = {**(matter.payload or {}), "filing_no": course.filing_no,
                      "valid_until": course.valid_until.isoformat()}


def _add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def filing_returned(matter, t, user):
    course = course_of(matter)
    if course is not None:
        course.status = CourseStatus.RETURNED.value


def filing_refused(matter, t, user):
    course = course_of(matter)
    if course is not None:
        course.status = CourseStatus.REFUSED.value


# --- G3 解除备案 ------------------------------------------------------------------------------------

def unbind(row_id, user, reason):
    """The teacher asks to unbind from a filed course: the matter is filed and submitted at once."""
    row = own_row(row_id, user)
    if row is None:
        raise WorkflowError(_("You are not a teacher of this course."))
    reason = (reason or "").strip()
    if not reason:
        raise CourseError("reason", _("Please fill in: %(field)s.", field=_("Reason for unbinding")))
    if len(reason) > 2000:
        raise CourseError("reason", _("%(field)s: at most %(n)d characters.", field=_("Reason for unbinding"),
                                      n=2000))
    course = row.course
    with workflow.unit() as deliveries:
        matter = workflow.create_matter(UNBINDING, user, _("Unbinding from the course %(name)s", name=course.name),
                                        institution_id=course.institution_id, obj=row,
                                        payload={"course_teacher_id": row.id, "course_id": course.id,
                                                 "reason": reason}, commit=False)
        db.session.flush()
        _matter, sent = workflow.take(matter.id, "submit", user)
        deliveries += sent
    return matter


def unbinding_submitted(matter, t, user):
    row = row_of(matter)
    if row is None:
        raise WorkflowError(_("The matter names no course teacher."))
    person = teacher_of(user)
    if person is None or row.person_id != person.id:
        raise WorkflowError(_("You are not a teacher of this course."))
    if row.course.status != CourseStatus.FILED.value:
        raise WorkflowError(_("Only a filed course may be unbound."))
    if row.confirm != TeacherConfirm.AGREED.value:
        raise WorkflowError(_("Only a teacher who agreed to the filing may unbind from it."))
    if workflow.open_matter(UNBINDING, row, other_than=matter.id) is not None:
        raise WorkflowError(_("An unbinding of this course is under review already."))
    row.confirm = TeacherConfirm.UNBINDING.value


def unbinding_ended(matter, t, user):
    row = row_of(matter)
    if row is not None and row.confirm == TeacherConfirm.UNBINDING.value:
        row.confirm = TeacherConfirm.AGREED.value


def unbinding_approved(matter, t, user):
    row = row_of(matter)
    if row is None:
        raise WorkflowError(_("The matter names no course teacher."))
    row.confirm = TeacherConfirm.UNBOUND.value


# --- links and content ----------------------------------------------------------------------------

def matter_link(matter, user):
    """A teacher of the course opens their confirmation (or the row's detail); else the default."""
    if user is None or matter.type_code != FILING:
        return None
    person = teacher_of(user)
    course = course_of(matter)
    if person is None or course is None:
        return None
    for row in course.teachers:
        if row.person_id == person.id:
            if user.id in (matter.payload or {}).get(PENDING, ()):
                return f"/teacherfilingview/confirm/{row.id}"
            return f"/teacherfilingview/show/{row.id}"
    return None


def _teacher_name(person_id):
    person = db.session.get(Person, person_id)
    return person.name if person else ""


def filing_content(matter):
    """The course, its files and its teachers' answers (the matter page, F8)."""
    from app.services import matter_content

    course = course_of(matter)
    if course is None:
        return None
    rows = [(_("Course name"), course.name), (_("Course category"), course.category.path if course.category else ""),
            (_("Delivery"), CourseDelivery.label_of(course.delivery)), (_("Hours"), course.hours),
            (_("Course outline"), course.outline or ""), (_("Status"), CourseStatus.label_of(course.status))]
    if course.filing_no:
        rows += [(_("Filing number"), course.filing_no), (_("Valid until"), course.valid_until)]
    table = {"title": _("Course teachers"),
             "headers": [_("Teacher"), _("Confirmation result"), _("Confirmation opinion"), _("Confirmed at")],
             "rows": [[_teacher_name(r.person_id), TeacherConfirm.label_of(r.confirm), r.opinion or "",
                       r.confirmed_at.strftime("%Y-%m-%d %H:%M") if r.confirmed_at else ""] for r in course.teachers]}
    return {"rows": rows, "tables": [table],
            "attachments": matter_content.attachment_names([course.material_id, course.video_id])}


def unbinding_content(matter):
    row = row_of(matter)
    if row is None:
        return None
    course = row.course
    return {"rows": [(_("Course name"), course.name), (_("Course category"), course.category.path),
                     (_("Filing number"), course.filing_no or ""), (_("Teacher"), _teacher_name(row.person_id)),
                     (_("Reason for unbinding"), (matter.payload or {}).get("reason", "")),
                     (_("Confirmation"), TeacherConfirm.label_of(row.confirm))]}


def user_of(person):
    return db.session.get(PlatformUser, person.user_id) if person and person.user_id else None
