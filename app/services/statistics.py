"""I2 统计分析: the figures of the business as SQL aggregates (GROUP BY in the database, never rows loaded
into Python), filtered by year, exam, institution and period, and limited to the user's own institution
for an institution user.

Each figure is a ``Table``: a title, its column headers, rows of (label, numbers…) and the chart that
draws it; the statistics page shows them and exports each to Excel with the same filters."""
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from app.errors import FieldError
from app.extensions import db
from app.hardening import filter_day
from app.scoping import sees_all
from app.workflow import REGISTRY, stage_label
from models import (
    Certificate,
    CertificateType,
    ExamPlan,
    ExamResult,
    ExamSite,
    Institution,
    Matter,
    Order,
    Refund,
    Registration,
    Score,
    Site,
    Subject,
)
from models.enums import CertificateStatus, MatterStatus, OrderStatus, PaymentMethod, RegistrationStatus, RequestStatus

EXPIRING_DAYS = 90


class StatsError(FieldError):
    """A refused filter."""


@dataclass
class Filters:
    year: int = None
    exam_id: int = None
    institution_id: int = None  # forced to the user's own for an institution user
    start: datetime.date = None
    end: datetime.date = None

    def query_args(self):
        args = {"year": self.year, "exam": self.exam_id, "institution": self.institution_id,
                "start": self.start and self.start.isoformat(), "end": self.end and self.end.isoformat()}
        return {k: v for k, v in args.items() if v}


@dataclass
class Table:
    key: str
    section: str
    title: str
    headers: list
    rows: list = field(default_factory=list)
    chart: str = "bar"  # bar, doughnut or line; None: no chart

    def chart_data(self):
        """Labels and the first number column (the count or amount the chart draws)."""
        return {"type": self.chart, "labels": [str(r[0]) for r in self.rows],
                "values": [float(r[1] or 0) for r in self.rows], "label": str(self.headers[1])}


# --- filters ---------------------------------------------------------------------------------------------
def _int(raw, field_name, label, low=None, high=None):
    raw = (raw or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10) or (low is not None and not low <= int(raw) <= high):
        raise StatsError(field_name, _("%(field)s is not valid.", field=label))
    return int(raw)


def _day(raw, field_name, label):
    return filter_day(raw, field_name, label, StatsError)


def parse_filters(args, user):
    """The checked filters of the query string; raises StatsError naming the field."""
    f = Filters(year=_int(args.get("year"), "year", _("Year"), 2000, 2100),
                exam_id=_int(args.get("exam"), "exam", _("Exam")),
                institution_id=_int(args.get("institution"), "institution", _("Institution")),
                start=_day(args.get("start"), "start", _("From")), end=_day(args.get("end"), "end", _("To")))
    if f.start and f.end and f.end < f.start:
        raise StatsError("end", _("The end date is before the start date."))
    if not sees_all(user):
        f.institution_id = user.institution_id or -1  # an institution sees its own figures only
    return f


# --- helpers ---------------------------------------------------------------------------------------------
def _month(column):
    """'YYYY-MM' of a date or datetime column, in the database's own dialect."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _period(column, f):
    """The period filter on a date or datetime column (the end day included)."""
    clauses = []
    if f.start:
        clauses.append(column >= f.start)
    if f.end:
        clauses.append(column < f.end + datetime.timedelta(days=1))
    return clauses


def _exam_clauses(f, exam_column):
    clauses = []
    if f.exam_id:
        clauses.append(exam_column == f.exam_id)
    if f.year:
        clauses.append(exam_column.in_(select(ExamPlan.id).where(
            ExamPlan.exam_start >= datetime.datetime(f.year, 1, 1),
            ExamPlan.exam_start < datetime.datetime(f.year + 1, 1, 1))))
    return clauses


def _registrations(f):
    """The filter of every registration figure: submitted ones (drafts are nobody's figures yet)."""
    clauses = [Registration.status != RegistrationStatus.DRAFT.value, *_exam_clauses(f, Registration.exam_plan_id)]
    if f.institution_id:
        clauses.append(Registration.institution_id == f.institution_id)
    clauses += _period(Registration.submitted_at, f)
    return and_(*clauses)


def _rate(passed, total):
    return (Decimal(passed or 0) * 100 / total).quantize(Decimal("0.1")) if total else Decimal(0)


def _rows(stmt):
    return db.session.execute(stmt).all()


# --- the figures -----------------------------------------------------------------------------------------
def registrations(f):
    n = func.count(Registration.id)
    registered = func.sum(case((Registration.status == RegistrationStatus.REGISTERED.value, 1), else_=0))
    headers = [_("Number registered"), _("Registration successful")]
    by_exam = _rows(select(ExamPlan.name, n, registered).join(ExamPlan, ExamPlan.id == Registration.exam_plan_id)
                    .where(_registrations(f)).group_by(ExamPlan.id, ExamPlan.name).order_by(n.desc()))
    by_site = _rows(select(func.coalesce(Site.name, _("No site")), n, registered)
                    .outerjoin(ExamSite, ExamSite.id == Registration.exam_site_id)
                    .outerjoin(Site, Site.id == ExamSite.site_id)
                    .where(_registrations(f)).group_by(Site.id, Site.name).order_by(n.desc()))
    by_inst = _rows(select(func.coalesce(Institution.name, _("Individual")), n, registered)
                    .outerjoin(Institution, Institution.id == Registration.institution_id)
                    .where(_registrations(f)).group_by(Institution.id, Institution.name).order_by(n.desc()))
    by_status = dict(_rows(select(Registration.status, n).where(_registrations(f)).group_by(Registration.status)))
    section = _("Registrations")
    return [
        Table("reg_exam", section, _("Registrations by exam"), [_("Exam"), *headers], by_exam),
        Table("reg_site", section, _("Registrations by site"), [_("Site"), *headers], by_site),
        Table("reg_institution", section, _("Registrations by institution"), [_("Institution"), *headers], by_inst),
        Table("reg_status", section, _("Registrations by status"), [_("Status"), _("Number registered")],
              [(s.label, by_status[s.value]) for s in RegistrationStatus if by_status.get(s.value)], "doughnut"),
    ]


def pass_rates(f):
    section = _("Pass rates")
    headers = [_("Pass rate (%)"), _("Candidates with a result"), _("Number passed")]
    total, passed = func.count(ExamResult.id), func.sum(case((ExamResult.passed.is_(True), 1), else_=0))
    # results count once the exam's scores are published (the rule of app/services/results.py)
    published = and_(ExamPlan.results_published_at <= datetime.datetime.now(), _registrations(f))

    def rated(rows):
        return [(label, _rate(p, t), t, p or 0) for label, t, p in rows]

    def by(label, key, *joins):  # grouped by the key too: two institutions of one name stay two rows
        stmt = select(label, total, passed).select_from(ExamResult).join(
            Registration, Registration.id == ExamResult.registration_id).join(
            ExamPlan, ExamPlan.id == Registration.exam_plan_id)
        for target, on in joins:
            stmt = stmt.outerjoin(target, on)
        return rated(_rows(stmt.where(published).group_by(key, label)))

    by_exam = by(ExamPlan.name, ExamPlan.id)
    by_inst = by(func.coalesce(Institution.name, _("Individual")), Institution.id,
                 (Institution, Institution.id == Registration.institution_id))
    # a subject is passed at its pass mark; an absent candidate sat it and did not pass
    sat = func.count(Score.id)
    subject_passed = func.sum(case((and_(Score.absent.is_(False), Score.score >= Subject.pass_score), 1), else_=0))
    by_subject = rated(_rows(select(ExamPlan.name + " · " + Subject.name, sat, subject_passed).select_from(Score)
                             .join(Subject, Subject.id == Score.subject_id)
                             .join(Registration, Registration.id == Score.registration_id)
                             .join(ExamPlan, ExamPlan.id == Subject.exam_plan_id)
                             .where(published)
                             .group_by(ExamPlan.name, Subject.id, Subject.name)))
    return [
        Table("pass_exam", section, _("Pass rate by exam"), [_("Exam"), *headers], by_exam),
        Table("pass_subject", section, _("Pass rate by subject"), [_("Subject"), *headers], by_subject),
        Table("pass_institution", section, _("Pass rate by institution"), [_("Institution"), *headers], by_inst),
    ]


def _owned(model, f):
    """The institution and exam filters of a row that has an institution and a registration (orders,
    certificates)."""
    clauses = []
    if f.institution_id:
        clauses.append(model.institution_id == f.institution_id)
    if f.exam_id or f.year:
        clauses.append(model.registration_id.in_(select(Registration.id).where(
            *_exam_clauses(f, Registration.exam_plan_id))))
    return clauses


def fees(f):
    section = _("Fees")
    paid = (OrderStatus.PAID.value, OrderStatus.REFUNDING.value, OrderStatus.REFUNDED.value)
    month, amount = _month(Order.paid_at), func.coalesce(func.sum(Order.amount), 0)
    collected = _rows(select(month, amount, func.count(Order.id)).where(
        Order.status.in_(paid), Order.paid_at.is_not(None), *_owned(Order, f), *_period(Order.paid_at, f))
        .group_by(month).order_by(month))
    by_way = dict((m or "", (a, n)) for m, a, n in _rows(select(Order.method, amount, func.count(Order.id)).where(
        Order.status.in_(paid), *_owned(Order, f), *_period(Order.paid_at, f)).group_by(Order.method)))
    ways = [(PaymentMethod.label_of(code) if code else _("Not recorded"), a, n) for code, (a, n) in by_way.items()]
    refund_month, refunded = _month(Refund.updated_at), func.coalesce(func.sum(Refund.amount), 0)
    refunds = _rows(select(refund_month, refunded, func.count(Refund.id)).join(Order, Order.id == Refund.order_id)
                    .where(Refund.status == RequestStatus.DONE.value, *_owned(Order, f),
                           *_period(Refund.updated_at, f)).group_by(refund_month).order_by(refund_month))
    headers = [_("Amount (yuan)"), _("Orders")]
    return [
        Table("fees_month", section, _("Fees collected by month"), [_("Month"), *headers], collected, "line"),
        Table("fees_way", section, _("Fees collected by payment way"), [_("Payment method"), *headers], ways,
              "doughnut"),
        Table("refunds_month", section, _("Refunds by month"), [_("Month"), _("Amount (yuan)"), _("Refunds")],
              refunds),
    ]


def _matter_clauses(f):
    clauses = _period(Matter.created_at, f)
    if f.institution_id:
        clauses.append(Matter.institution_id == f.institution_id)
    if f.year:
        clauses += [Matter.created_at >= datetime.datetime(f.year, 1, 1),
                    Matter.created_at < datetime.datetime(f.year + 1, 1, 1)]
    return clauses


def matters(f, today=None):
    section = _("Matters")
    today = today or datetime.date.today()
    open_ = Matter.status == MatterStatus.IN_PROGRESS.value
    n = func.count(Matter.id)
    in_progress = func.sum(case((open_, 1), else_=0))
    overdue = func.sum(case((and_(open_, Matter.due_date < today), 1), else_=0))
    by_type = _rows(select(Matter.type_code, n, in_progress, overdue).where(*_matter_clauses(f))
                    .group_by(Matter.type_code).order_by(n.desc()))
    by_stage = _rows(select(Matter.state, n, overdue).where(open_, *_matter_clauses(f))
                     .group_by(Matter.state).order_by(n.desc()))
    return [
        Table("matters_type", section, _("Matters by type"),
              [_("Matter type"), _("Matters"), _("In progress"), _("Overdue")],
              [(_type_name(code), a, b or 0, c or 0) for code, a, b, c in by_type]),
        Table("matters_stage", section, _("Open matters by stage"), [_("Stage"), _("Matters"), _("Overdue")],
              [(stage_label(code), a, b or 0) for code, a, b in by_stage], "doughnut"),
    ]


def _type_name(code):
    matter_type = REGISTRY.get(code)
    return str(matter_type.name) if matter_type else code


def certificates(f, today=None):
    section = _("Certificates")
    today = today or datetime.date.today()
    month = _month(Certificate.issue_date)
    issued = _rows(select(month, func.count(Certificate.id)).where(*_owned(Certificate, f), *_period(
        Certificate.issue_date, f)).group_by(month).order_by(month))
    valid = Certificate.status == CertificateStatus.VALID.value
    soon = today + datetime.timedelta(days=EXPIRING_DAYS)
    by_type = _rows(select(CertificateType.name, func.count(Certificate.id),
                           func.sum(case((and_(valid, Certificate.valid_until >= today,
                                               Certificate.valid_until <= soon), 1), else_=0)),
                           func.sum(case((Certificate.status == CertificateStatus.REVOKED.value, 1), else_=0)))
                    .join(CertificateType, CertificateType.id == Certificate.certificate_type_id)
                    .where(*_owned(Certificate, f)).group_by(CertificateType.id, CertificateType.name))
    by_status = dict(_rows(select(Certificate.status, func.count(Certificate.id)).where(*_owned(Certificate, f))
                           .group_by(Certificate.status)))
    return [
        Table("certs_month", section, _("Certificates issued by month"), [_("Month"), _("Certificates")], issued),
        Table("certs_type", section, _("Certificates by type"),
              [_("Certificate type"), _("Certificates"), _("Expiring within %(n)d days", n=EXPIRING_DAYS),
               _("Cancelled")], [(a, b, c or 0, d or 0) for a, b, c, d in by_type]),
        Table("certs_status", section, _("Certificates by status"), [_("Status"), _("Certificates")],
              [(s.label, by_status[s.value]) for s in CertificateStatus if by_status.get(s.value)], "doughnut"),
    ]


def support(f):
    """H2: the messages of each week, how many support answered and the median first response."""
    from app.services.support_queue import weekly_response

    return [Table("support_weeks", _("Support"), _("Support response by week"),
                  [_("Week"), _("Number of messages"), _("Answered"), _("Median first response (hours)")],
                  weekly_response())]


SECTIONS = {"registrations": (_l("Registrations"), registrations), "pass_rates": (_l("Pass rates"), pass_rates),
            "fees": (_l("Fees"), fees), "matters": (_l("Matters"), matters),
            "certificates": (_l("Certificates"), certificates), "support": (_l("Support"), support)}


STAFF_SECTIONS = {"support"}  # the support desk's figures are the Association's, not an institution's


def sections_for(user):
    return {k: v for k, v in SECTIONS.items() if k not in STAFF_SECTIONS or sees_all(user)}


def tables(section, f):
    return SECTIONS[section][1](f)


PREFIXES = {"reg_": "registrations", "pass_": "pass_rates", "fees_": "fees", "refunds_": "fees",
            "matters_": "matters", "certs_": "certificates", "support_": "support"}


def table(key, f, user):
    """The one table ``key`` (the Excel export), or None: only its own section's queries run."""
    section = next((name for prefix, name in PREFIXES.items() if key.startswith(prefix)), None)
    if section not in sections_for(user):
        return None
    return next((t for t in tables(section, f) if t.key == key), None)


def exam_choices():
    stmt = select(ExamPlan.id, ExamPlan.name).order_by(ExamPlan.exam_start.desc())
    return db.session.execute(stmt).all()


def institution_choices():
    return db.session.execute(select(Institution.id, Institution.name).order_by(Institution.name)).all()
