"""G4 培训计划: an institution reports a training plan of its filed courses naming its teachers; each
teacher confirms; the Association approves; the plan is terminated with a reason or, after its end
date, finished: each attendee's hours become a continuing-education (CPD) record with a training
certificate number (F9 信用评价, E9 年度确认, I5 培训证书查询).

Numbers: ``BA`` + the institution's training code (the year it was created + its id in 3 digits) + ``-``
+ the plan's year + a 3-digit sequence of that institution's plans in that year (BA2022012-2022007),
allocated when the plan is created (``workflow.next_sequence``: unique under concurrency).

The matter ``training_plan`` (app/matters/training.py) carries the review; the effects below keep the
plan's rows in step and refuse (``WorkflowError``: nothing written) what does not fit."""
import datetime
import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from app import crypto, workflow
from app.extensions import db
from app.matters.training import PENDING
from app.scoping import reaches, sees_all
from app.services import matter_content
from app.services.courses import filed_courses
from app.services.teacher_categories import is_bound, teacher_of
from app.workflow import WorkflowError
from models import Course, Institution, Matter, Person, TeacherCategory, TrainingPlan, TrainingRecord
from models.enums import PlanStatus, ReviewStatus, TeacherConfirm
from models.training import TrainingPlanAttendee, TrainingPlanCourse, TrainingPlanTeacher

TYPE = "training_plan"
MAX_CAPACITY = 1000
EDITABLE_STATES = ("draft", "returned")
TERMINABLE_STATES = ("teacher_confirmation", "association_review", "approved")


class PlanError(ValueError):
    """A refused input: ``field`` names the form field, ``str()`` the translated message."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


# --- numbering -------------------------------------------------------------------------------------
def training_code(institution):
    """The institution's training code: the year it was created + its id in 3 digits (2022012)."""
    created = institution.created_at or datetime.datetime.now()
    return f"{created.year}{institution.id:03d}"


def allocate_plan_no(institution, year):
    """BA2022012-2022007: the next number of the institution's plans of ``year`` (the counter row stays
    locked until the caller's transaction ends)."""
    seq = workflow.next_sequence(f"training_plan:{institution.id}:{year}")
    return f"BA{training_code(institution)}-{year}{seq:03d}"


# --- reading -----------------------------------------------------------------------------------------
def plan_of(matter):
    return workflow.object_of(matter, TrainingPlan)


def matter_of(plan):
    """The plan's training_plan matter (the newest)."""
    return workflow.latest_matter(TYPE, plan)


def total_hours(plan):
    return sum((Decimal(c.course.hours or 0) for c in plan.courses), Decimal(0))


def course_names(plan):
    return "、".join(c.course.name for c in plan.courses)


def category_paths(plan):
    seen = []
    for c in plan.courses:
        if c.course.category is not None and c.course.category.path not in seen:
            seen.append(c.course.category.path)
    return "；".join(seen)


def is_terminated(plan):
    return plan.status == PlanStatus.TERMINATED.value


def may_see(plan, user):
    """The Association sees every plan; an institution its own; a teacher the plans naming them."""
    if plan is None or user is None:
        return False
    return reaches(user, plan) or teacher_row(plan, user) is not None


def own_plan(plan_id, user):
    """The institution's own plan (or any, for the Association), else None (the views answer 404)."""
    plan = db.session.get(TrainingPlan, plan_id)
    return plan if plan is not None and reaches(user, plan) else None


def teacher_row(plan, user):
    """The plan's TrainingPlanTeacher row of this user's teacher, or None."""
    person = teacher_of(user)
    if person is None:
        return None
    return next((t for t in plan.teachers if t.person_id == person.id), None)


def plans_of(user, q="", status="", course=""):
    """PlanReportView's list: the institution's plans (every plan for the Association), filtered."""
    stmt = select(TrainingPlan).order_by(TrainingPlan.id.desc())
    if not sees_all(user):
        stmt = stmt.where(TrainingPlan.institution_id == (user.institution_id or -1))
    if q:
        stmt = stmt.where(TrainingPlan.title.contains(q) | TrainingPlan.plan_no.contains(q))
    if status == "terminated_yes":
        stmt = stmt.where(TrainingPlan.status == PlanStatus.TERMINATED.value)
    elif status:
        stmt = stmt.where(TrainingPlan.status == status)
    if course:
        stmt = stmt.where(TrainingPlan.courses.any(TrainingPlanCourse.course.has(Course.name.contains(course))))
    return db.session.scalars(stmt).all()


def teacher_rows(user, course="", confirm=""):
    """TeacherPlanView's list (培训计划教师确认): the plans naming this teacher, filtered by course name
    and confirmation state; reported plans only (a draft is the institution's)."""
    person = teacher_of(user)
    if person is None:
        return []
    stmt = (select(TrainingPlanTeacher).join(TrainingPlan).where(
        TrainingPlanTeacher.person_id == person.id, TrainingPlan.status != PlanStatus.DRAFT.value)
        .order_by(TrainingPlan.id.desc()))
    if confirm:
        stmt = stmt.where(TrainingPlanTeacher.confirm == confirm)
    if course:
        stmt = stmt.where(TrainingPlan.courses.any(TrainingPlanCourse.course.has(Course.name.contains(course))))
    return db.session.scalars(stmt).all()


def awaiting_teacher(user):
    """待我确认 on a teacher's home: (what, name, link) of each course filing and plan still waiting for
    this teacher's answer (G2, G4)."""
    from app.services import courses

    found = [(_("Course filing"), row.course.name, f"/teacherfilingview/confirm/{row.id}")
             for row in courses.teacher_rows(user, confirm=TeacherConfirm.PENDING.value)
             if courses.may_confirm(row, user)]
    found += [(_("Training plan"), f"{row.plan.plan_no} {row.plan.title}", f"/teacherplanview/confirm/{row.plan_id}")
              for row in teacher_rows(user, confirm=TeacherConfirm.PENDING.value) if may_confirm(row.plan, user)]
    return found


def may_confirm(plan, user):
    """Whether the user is a teacher still to answer on the plan's matter."""
    matter = matter_of(plan)
    return (matter is not None and matter.state == "teacher_confirmation"
            and user.id in (matter.payload or {}).get(PENDING, ()))


def matter_link(matter, user):
    """A teacher named in the plan opens their confirmation screen; others the default page."""
    plan = plan_of(matter)
    if plan is not None and teacher_row(plan, user) is not None:
        return f"/teacherplanview/confirm/{plan.id}"
    return None


def teacher_choices(institution_id, on=None):
    """Teachers the institution may name: a platform account and an approved binding to the category of
    one of its filed courses."""
    categories = {c.category_id for c in filed_courses(institution_id, on)}
    if not categories:
        return []
    return db.session.scalars(select(Person).where(
        Person.user_id.is_not(None), Person.is_teacher.is_(True),
        Person.id.in_(select(TeacherCategory.person_id).where(
            TeacherCategory.category_id.in_(categories), TeacherCategory.status == ReviewStatus.APPROVED.value)))
        .order_by(Person.name)).all()


def institution_people(institution_id):
    return db.session.scalars(select(Person).where(Person.institution_id == institution_id)
                              .order_by(Person.name)).all()


# --- the form ------------------------------------------------------------------------------------------
def _date(value, field, label):
    value = (value or "").strip()
    if not value:
        raise PlanError(field, _("Please fill in: %(field)s.", field=label))
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise PlanError(field, _("%(field)s is not a valid date.", field=label)) from None


def _text(value, field, label, limit):
    value = (value or "").strip()
    if not value:
        raise PlanError(field, _("Please fill in: %(field)s.", field=label))
    if len(value) > limit:
        raise PlanError(field, _("%(field)s has at most %(n)d characters.", field=label, n=limit))
    return value


def _ids(values):
    found = []
    for v in values or []:
        v = str(v).strip()
        if v.isdigit() and int(v) not in found:
            found.append(int(v))
    return found


def plan_values(form, institution_id, today=None):
    """The checked values of the plan form (``form``: a MultiDict); raises PlanError naming the field."""
    today = today or datetime.date.today()
    title = _text(form.get("title"), "title", _("Plan name"), 128)
    start = _date(form.get("start_date"), "start_date", _("Start date"))
    end = _date(form.get("end_date"), "end_date", _("End date"))
    if start < today:
        raise PlanError("start_date", _("The start date is in the past."))
    if end < start:
        raise PlanError("end_date", _("The end date is before the start date."))
    location = _text(form.get("location"), "location", _("Location"), 128)
    raw = (form.get("capacity") or "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_CAPACITY:
        raise PlanError("capacity", _("Capacity is a whole number from 1 to %(n)d.", n=MAX_CAPACITY))
    course_ids = _ids(form.getlist("course_ids"))
    if not course_ids:
        raise PlanError("course_ids", _("Please choose: %(field)s.", field=_("Courses")))
    allowed = {c.id: c for c in filed_courses(institution_id, end)}
    courses = []
    for cid in course_ids:
        if cid not in allowed:
            course = db.session.get(Course, cid)
            name = course.name if course is not None and course.institution_id == institution_id else cid
            raise PlanError("course_ids", _("Course %(name)s is not one of your filed courses valid through the "
                                            "end date.", name=name))
        courses.append(allowed[cid])
    teacher_ids = _ids(form.getlist("teacher_ids"))
    if not teacher_ids:
        raise PlanError("teacher_ids", _("Please choose: %(field)s.", field=_("Teachers of the plan")))
    teachers = []
    for pid in teacher_ids:
        person = db.session.get(Person, pid)
        if person is None:
            raise PlanError("teacher_ids", _("Please choose: %(field)s.", field=_("Teachers of the plan")))
        _check_teacher(person, courses, "teacher_ids")
        teachers.append(person)
    return {"title": title, "start_date": start, "end_date": end, "location": location, "capacity": int(raw),
            "courses": courses, "teachers": teachers}


def _check_teacher(person, courses, field):
    if person.user_id is None or not person.is_teacher:
        raise PlanError(field, _("%(name)s has no teacher account on the platform.", name=person.name))
    if not any(is_bound(person.id, c.category_id) for c in courses):
        raise PlanError(field, _("%(name)s is not bound to the category of any chosen course.", name=person.name))


def _fill(plan, values):
    plan.title, plan.location, plan.capacity = values["title"], values["location"], values["capacity"]
    plan.start_date, plan.end_date = values["start_date"], values["end_date"]
    wanted = [c.id for c in values["courses"]]
    plan.courses = [c for c in plan.courses if c.course_id in wanted] + [
        TrainingPlanCourse(course_id=cid) for cid in wanted if cid not in {c.course_id for c in plan.courses}]
    plan.courses.sort(key=lambda c: wanted.index(c.course_id))
    plan.course_id = wanted[0]
    people = [p.id for p in values["teachers"]]
    plan.teachers = [t for t in plan.teachers if t.person_id in people] + [
        TrainingPlanTeacher(person_id=pid) for pid in people if pid not in {t.person_id for t in plan.teachers}]


def save(user, values, plan=None):
    """Create the plan (its number, its draft matter) or update a draft/returned one; commits."""
    try:
        if plan is None:
            institution = db.session.get(Institution, user.institution_id) if user.institution_id else None
            if institution is None:
                raise PlanError("title", _("Only an institution reports training plans."))
            plan = TrainingPlan(institution_id=institution.id, status=PlanStatus.DRAFT.value,
                                plan_no=allocate_plan_no(institution, values["start_date"].year),
                                title=values["title"], start_date=values["start_date"],
                                end_date=values["end_date"])
            _fill(plan, values)
            db.session.add(plan)
            db.session.flush()
            workflow.create_matter(TYPE, user, _("Training plan %(no)s %(title)s", no=plan.plan_no,
                                                 title=plan.title),
                                   institution_id=plan.institution_id, obj=plan, commit=False)
        else:
            matter = matter_of(plan)
            if matter is None or matter.state not in EDITABLE_STATES:
                raise PlanError("title", _("Plan %(no)s can no longer be changed.", no=plan.plan_no))
            _fill(plan, values)
            matter.title = _("Training plan %(no)s %(title)s", no=plan.plan_no, title=plan.title)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return plan


def submit(plan, user, today=None):
    """上报: the draft's submit or the returned plan's resubmit (a start in the past is refused here)."""
    today = today or datetime.date.today()
    matter = matter_of(plan)
    if matter is None or matter.state not in EDITABLE_STATES:
        raise WorkflowError(_("Plan %(no)s can no longer be reported.", no=plan.plan_no))
    if plan.start_date < today:
        raise WorkflowError(_("The start date is in the past."))
    return workflow.apply(matter.id, "submit" if matter.state == "draft" else "resubmit", user)


def confirm(matter_id, user, agree, opinion=None):
    """The teacher's answer: agree (another teacher still to answer, or the last one) or disagree."""
    matter = db.session.get(Matter, matter_id)
    if matter is None or matter.type_code != TYPE:
        raise WorkflowError(_("The matter does not exist."))
    opinion = (opinion or "").strip() or None
    if not agree:
        if not opinion:
            raise PlanError("opinion", _("Please give the reason for disagreeing."))
        return workflow.apply(matter.id, "teacher_disagree", user, opinion=opinion)
    pending = [u for u in (matter.payload or {}).get(PENDING, ()) if u != user.id]
    return workflow.apply(matter.id, "teacher_agree" if pending else "teachers_agreed", user, opinion=opinion)


def terminate(plan, user, reason):
    """终止: the plan's institution or the Association, with a reason, while under review or approved."""
    reason = (reason or "").strip()
    if not reason:
        raise PlanError("reason", _("Please fill in: %(field)s.", field=_("Reason for termination")))
    if len(reason) > 500:
        raise PlanError("reason", _("%(field)s has at most %(n)d characters.", field=_("Reason for termination"),
                                    n=500))
    matter = matter_of(plan)
    if matter is None:
        raise WorkflowError(_("The matter does not exist."))
    return workflow.apply(matter.id, "terminate", user, opinion=reason)


# --- attendees and the end of the training ----------------------------------------------------------
def _hours(value, field, plan, label):
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise PlanError(field, _("%(who)s: the hours are not a number.", who=label)) from None
    if not hours.is_finite() or hours <= 0 or hours > total_hours(plan):
        raise PlanError(field, _("%(who)s: the hours must be more than 0 and at most %(max)s.", who=label,
                                 max=total_hours(plan)))
    return hours.quantize(Decimal("0.1"))


def _refuse_before_end(plan, today):
    if today < plan.end_date:
        raise WorkflowError(_("Plan %(no)s ends on %(day)s; the training can be finished from then on.",
                              no=plan.plan_no, day=plan.end_date.isoformat()))


def attendee_values(plan, form, today=None):
    """[(person, hours)] from the form: ``lines`` (身份证号 [学时] per line) and the picked ``person_ids``
    with ``hours``; the institution's own people only, at most the capacity."""
    _refuse_before_end(plan, today or datetime.date.today())
    found = {}
    for n, line in enumerate((form.get("lines") or "").splitlines(), start=1):
        parts = [p for p in re.split(r"[\s,，]+", line.strip()) if p]
        if not parts:
            continue
        label = _("Line %(n)d", n=n)
        person = db.session.scalar(select(Person).where(
            Person.id_number_hash == crypto.blind_index(parts[0])))
        if person is None or person.institution_id != plan.institution_id:
            raise PlanError("lines", _("%(who)s: no person of your institution has this ID number.", who=label))
        found[person.id] = (person, _hours(parts[1] if len(parts) > 1 else total_hours(plan), "lines", plan,
                                           label))
    picked = _ids(form.getlist("person_ids"))
    if picked:
        default = _hours(form.get("hours") or total_hours(plan), "hours", plan, _("Hours"))
        for pid in picked:
            person = db.session.get(Person, pid)
            if person is None or person.institution_id != plan.institution_id:
                raise PlanError("person_ids", _("Please choose: %(field)s.", field=_("Attendees")))
            found.setdefault(pid, (person, default))
    if not found:
        raise PlanError("lines", _("Please enter the attendees."))
    if len(found) > (plan.capacity or MAX_CAPACITY):
        raise PlanError("lines", _("%(n)d attendees exceed the capacity of %(cap)d.", n=len(found),
                                   cap=plan.capacity or MAX_CAPACITY))
    return list(found.values())


def set_attendees(plan, rows):
    """Replace the plan's attendees (an approved plan, before it finishes); commits."""
    matter = matter_of(plan)
    if matter is None or matter.state != "approved":
        raise WorkflowError(_("Plan %(no)s is not running; its attendees cannot be entered.", no=plan.plan_no))
    try:
        keep = {person.id: hours for person, hours in rows}
        plan.attendees = [a for a in plan.attendees if a.person_id in keep]
        for a in plan.attendees:
            a.hours, a.attended = keep[a.person_id], True
        have = {a.person_id for a in plan.attendees}
        plan.attendees += [TrainingPlanAttendee(person_id=pid, hours=h, attended=True)
                           for pid, h in keep.items() if pid not in have]
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def finish(plan, user):
    """结束培训: the engine's finish (plan_finished writes the records)."""
    matter = matter_of(plan)
    if matter is None:
        raise WorkflowError(_("The matter does not exist."))
    return workflow.apply(matter.id, "finish", user)


# --- the matter's effects -------------------------------------------------------------------------------
def _plan(matter):
    plan = plan_of(matter)
    if plan is None:
        raise WorkflowError(_("The training plan of matter %(no)s does not exist.", no=matter.business_no))
    return plan


def _opinion(matter):
    return (matter.history[-1].opinion if matter.history else None) or ""


def validate(plan):
    """What a reported plan must hold (also when the dates are already past: the demo and the tests)."""
    if not plan.courses:
        raise WorkflowError(_("Plan %(no)s has no course.", no=plan.plan_no))
    if not plan.teachers:
        raise WorkflowError(_("Plan %(no)s names no teacher.", no=plan.plan_no))
    if plan.end_date < plan.start_date:
        raise WorkflowError(_("The end date is before the start date."))
    if not plan.capacity or not 1 <= plan.capacity <= MAX_CAPACITY:
        raise WorkflowError(_("Capacity is a whole number from 1 to %(n)d.", n=MAX_CAPACITY))
    filed = {c.id for c in filed_courses(plan.institution_id, plan.end_date)}
    courses = [c.course for c in plan.courses]
    for course in courses:
        if course.id not in filed:
            raise WorkflowError(_("Course %(name)s is not one of your filed courses valid through the end date.",
                                  name=course.name))
    for t in plan.teachers:
        try:
            _check_teacher(t.person, courses, "teacher_ids")
        except PlanError as exc:
            raise WorkflowError(str(exc)) from None


def plan_submitted(matter, _t, _user):
    plan = _plan(matter)
    validate(plan)
    for t in plan.teachers:
        t.confirm, t.opinion, t.confirmed_at = TeacherConfirm.PENDING.value, None, None
    matter.payload = {**(matter.payload or {}), PENDING: [t.person.user_id for t in plan.teachers]}
    plan.status = PlanStatus.CONFIRMING.value


def plan_withdrawn(matter, _t, _user):
    _plan(matter).status = PlanStatus.WITHDRAWN.value
    matter.payload = {**(matter.payload or {}), PENDING: []}


def _answer(matter, user, agreed):
    plan = _plan(matter)
    row = teacher_row(plan, user)
    if row is None:
        raise WorkflowError(_("You are not a teacher of plan %(no)s.", no=plan.plan_no))
    row.confirm = (TeacherConfirm.AGREED if agreed else TeacherConfirm.DISAGREED).value
    row.opinion = _opinion(matter) or None
    row.confirmed_at = datetime.datetime.now()
    pending = [u for u in (matter.payload or {}).get(PENDING, ()) if u != user.id]
    matter.payload = {**(matter.payload or {}), PENDING: pending}
    return plan, pending


def teacher_agreed(matter, _t, user):
    _plan_, pending = _answer(matter, user, True)
    if not pending:
        raise WorkflowError(_("You are the last teacher to answer: agree as the last one."))


def last_teacher_agreed_association_review(matter, _t, user):
    plan, pending = _answer(matter, user, True)
    if pending:
        raise WorkflowError(_("Other teachers have still to answer."))
    plan.status = PlanStatus.REVIEWING.value


def teacher_disagreed(matter, _t, user):
    plan, _pending = _answer(matter, user, False)
    matter.payload = {**matter.payload, PENDING: []}
    plan.status = PlanStatus.RETURNED.value


def plan_approved(matter, _t, _user):
    _plan(matter).status = PlanStatus.APPROVED.value


def plan_returned(matter, _t, _user):
    _plan(matter).status = PlanStatus.RETURNED.value


def plan_refused(matter, _t, _user):
    """不予批准: the plan will not run (the refusal's opinion stays in the matter's history)."""
    _plan(matter).status = PlanStatus.REFUSED.value


def plan_terminated(matter, _t, _user):
    plan = _plan(matter)
    reason = _opinion(matter)
    if not reason:
        raise WorkflowError(_("Please fill in: %(field)s.", field=_("Reason for termination")))
    plan.status = PlanStatus.TERMINATED.value
    plan.terminated_reason = reason
    matter.payload = {**(matter.payload or {}), PENDING: []}


def plan_finished(matter, _t, _user, today=None):
    """One TrainingRecord per attendee (course names, dates, hours, category path, institution, plan,
    certificate number = plan number + 3-digit attendee number), exactly once."""
    plan = _plan(matter)
    _refuse_before_end(plan, today or datetime.date.today())
    attendees = [a for a in plan.attendees if a.attended]
    if not attendees:
        raise WorkflowError(_("Plan %(no)s has no attendee; enter the attendees first.", no=plan.plan_no))
    if db.session.scalar(select(TrainingRecord.id).where(TrainingRecord.plan_id == plan.id)) is not None:
        raise WorkflowError(_("Plan %(no)s is finished already.", no=plan.plan_no))
    limit = total_hours(plan)
    names, paths = course_names(plan)[:128], category_paths(plan)[:64]
    for n, a in enumerate(attendees, start=1):
        if a.hours is None or not 0 < Decimal(a.hours) <= limit:
            raise WorkflowError(_("%(who)s: the hours must be more than 0 and at most %(max)s.", who=a.person.name,
                                  max=limit))
        db.session.add(TrainingRecord(
            person_id=a.person_id, institution_id=plan.institution_id, plan_id=plan.id,
            certificate_no=f"{plan.plan_no}-{n:03d}", course_name=names, start_date=plan.start_date,
            end_date=plan.end_date, hours=a.hours, category=paths))
    plan.status = PlanStatus.FINISHED.value
    plan.finished_at = datetime.datetime.now()


# --- E9, F9: the person's CPD records ------------------------------------------------------------------
def cpd_records(person_id, start=None, end=None):
    """The person's training records overlapping [start, end] (every one when no period is given)."""
    if person_id is None:
        return []
    stmt = select(TrainingRecord).where(TrainingRecord.person_id == person_id)
    if start is not None:
        stmt = stmt.where(TrainingRecord.end_date >= start)
    if end is not None:
        stmt = stmt.where(TrainingRecord.start_date <= end)
    return db.session.scalars(stmt.order_by(TrainingRecord.start_date.desc(), TrainingRecord.id.desc())).all()


def cpd_hours(records):
    return sum((Decimal(r.hours or 0) for r in records), Decimal(0))


def cpd_of_user(user, start=None, end=None):
    """(records, total hours) of the user's person (the annual confirmation form, E9)."""
    person = db.session.scalar(select(Person).where(Person.user_id == user.id)) if user is not None else None
    records = cpd_records(person.id if person else None, start, end)
    return records, cpd_hours(records)


# --- what the matter page shows -------------------------------------------------------------------------
def confirm_label(code):
    return TeacherConfirm.label_of(code) if code else ""


@matter_content.content(TYPE)
def _content(matter):
    plan = plan_of(matter)
    if plan is None:
        return None
    rows = [(_("Training number"), plan.plan_no), (_("Plan name"), plan.title),
            (_("Institution"), plan.institution.name if plan.institution else ""),
            (_("Start date"), plan.start_date.isoformat()), (_("End date"), plan.end_date.isoformat()),
            (_("Location"), plan.location or ""), (_("Capacity"), plan.capacity or ""),
            (_("Total hours"), total_hours(plan)), (_("Status"), PlanStatus.label_of(plan.status))]
    if plan.terminated_reason:
        rows.append((_("Reason for termination"), plan.terminated_reason))
    tables = [
        {"title": _("Courses"), "headers": [_("Course name"), _("Course category"), _("Hours"), _("Filing number")],
         "rows": [[c.course.name, c.course.category.path if c.course.category else "", c.course.hours,
                   c.course.filing_no or ""] for c in plan.courses]},
        {"title": _("Teachers"), "headers": [_("Teacher"), _("Confirmation status"), _("Opinion")],
         "rows": [[t.person.name, confirm_label(t.confirm), t.opinion or ""] for t in plan.teachers]},
    ]
    if plan.attendees:
        records = {r.person_id: r.certificate_no for r in db.session.scalars(
            select(TrainingRecord).where(TrainingRecord.plan_id == plan.id))}
        tables.append({"title": _("Attendees"), "headers": [_("Full name"), _("ID number"), _("Hours"),
                                                             _("Training certificate number")],
                       "rows": [[a.person.name, a.person.id_number_masked, a.hours, records.get(a.person_id, "")]
                                for a in plan.attendees]})
    return {"rows": [(str(k), v) for k, v in rows], "tables": tables}
