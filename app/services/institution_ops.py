"""Institution operations reviewed by the association (SPEC D1, D3, D12–D14):
pilot applications, assessment sites and weekly reports go through the workflow
engine as matters about the row; the row's status follows the review."""
import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from app import workflow
from app.extensions import db
from models import ExamPlan, Order, PilotApplication, Registration, Site, WeeklyReport
from models.enums import OrderStatus, ReviewStatus
from models.enums import RegistrationStatus as RS

# matter type → the model it reviews
REVIEWED = {"pilot_application": PilotApplication, "site_application": Site, "weekly_report": WeeklyReport}
MATTER_TYPE = {model: code for code, model in REVIEWED.items()}
SUBMITTABLE = {ReviewStatus.NOT_SUBMITTED.value, ReviewStatus.RETURNED.value}


class OpsError(Exception):
    """A refused step; ``str()`` is a message for the user."""


def set_reviewed_status(matter, status):
    model = REVIEWED.get(matter.type_code)
    row = db.session.get(model, matter.object_id) if model and matter.object_id else None
    if row is not None:
        row.status = status


def _title(row):
    if isinstance(row, PilotApplication):
        return _l("Pilot certificate application: %(cert)s, %(year)d batch %(batch)d",
                  cert=row.certificate_type.name if row.certificate_type else "", year=row.year, batch=row.batch)
    if isinstance(row, Site):
        return _l("Assessment site application: %(name)s", name=row.name)
    return _l("Weekly report: week of %(week)s", week=row.week_start.isoformat())


def open_matter(row):
    """The matter about ``row`` that is not completed yet, if any."""
    from models import Matter
    from models.enums import MatterStatus

    return db.session.query(Matter).filter(
        Matter.type_code == MATTER_TYPE[type(row)], Matter.object_id == row.id,
        Matter.status != MatterStatus.COMPLETED.value).order_by(Matter.id.desc()).first()


def submit(row, user):
    """File the row for review (a new matter, or the returned one resubmitted)."""
    if row.status not in SUBMITTABLE:
        raise OpsError(str(_l('"%(title)s" is already under review or approved.', title=_title(row))))
    matter = open_matter(row)
    try:
        if matter is None:
            matter = workflow.create_matter(MATTER_TYPE[type(row)], user, _title(row),
                                            institution_id=row.institution_id, obj=row, commit=False)
            db.session.flush()
            matter.object_id = row.id
        name = "resubmit" if matter.state == "returned" else "submit"
        workflow.apply(matter.id, name, user)
    except workflow.WorkflowError as exc:
        db.session.rollback()
        raise OpsError(str(exc)) from None
    return matter


# --- D1: the quota a pilot application used --------------------------------------------------
def used_quota(applications):
    """{application id: registrations of its institution, for exams of its certificate in its year}."""
    if not applications:
        return {}
    keys = {(a.institution_id, a.certificate_type_id, a.year) for a in applications}
    year = func.extract("year", ExamPlan.exam_start)
    rows = (db.session.query(Registration.institution_id, ExamPlan.certificate_type_id, year, func.count())
            .join(ExamPlan, Registration.exam_plan_id == ExamPlan.id)
            .filter(Registration.status.in_([RS.SUBMITTED.value, RS.REVIEWING.value, RS.APPROVED.value,
                                             RS.REGISTERED.value]),
                    Registration.institution_id.in_({k[0] for k in keys}),
                    ExamPlan.certificate_type_id.in_({k[1] for k in keys}))
            .group_by(Registration.institution_id, ExamPlan.certificate_type_id, year).all())
    counts = {(i, c, int(y)): n for i, c, y, n in rows}
    return {a.id: counts.get((a.institution_id, a.certificate_type_id, a.year), 0) for a in applications}


# --- D14: the numbers of a weekly report ------------------------------------------------------
def week_numbers(institution_id, week_start):
    """Registrations submitted during the week through the institution's sites."""
    start = datetime.datetime.combine(week_start, datetime.time())
    end = start + datetime.timedelta(days=7)
    return db.session.query(func.count(Registration.id)).filter(
        Registration.institution_id == institution_id, Registration.submitted_at >= start,
        Registration.submitted_at < end).scalar() or 0


# --- D12/D13: the institution's dashboard ------------------------------------------------------
def dashboard(institution_id):
    """Counts for the institution's dashboard: registrations by status, fees, results."""
    from models import ExamResult, Person

    by_status = dict(db.session.query(Registration.status, func.count()).filter(
        Registration.institution_id == institution_id).group_by(Registration.status).all())
    fees = dict(db.session.query(Order.status, func.coalesce(func.sum(Order.amount), 0)).filter(
        Order.institution_id == institution_id, Order.parent_id.is_(None)).group_by(Order.status).all())
    results = db.session.query(ExamResult.passed, func.count()).join(Registration).filter(
        Registration.institution_id == institution_id, ExamResult.published_at.isnot(None)).group_by(
        ExamResult.passed).all()
    return {
        "candidates": db.session.query(func.count(Person.id)).filter(Person.institution_id == institution_id).scalar(),
        "registrations": by_status,
        "paid": fees.get(OrderStatus.PAID.value, 0), "unpaid": fees.get(OrderStatus.UNPAID.value, 0),
        "passed": dict(results).get(True, 0), "failed": dict(results).get(False, 0),
    }
