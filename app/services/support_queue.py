"""H2 客服队列: support's queue of message threads with filters (category, status, age, handler), and the
response figures: first-response and resolution times, and the median first response per week (on the
statistics page)."""
import datetime
import statistics as stats
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.errors import FieldError
from app.extensions import db
from models import MessageThread
from models.enums import MessageCategory, ThreadStatus

PAGE_SIZE = 50
AGES = {"24": 24, "72": 72, "168": 168}  # older than … hours


class QueueError(FieldError):
    pass


@dataclass
class QueueFilters:
    category: str = ""
    status: str = ""
    age: str = ""
    handler: str = ""  # "", "mine", "unassigned"
    page: int = 0


def parse(args):
    f = QueueFilters(category=args.get("category", ""), status=args.get("status", ""), age=args.get("age", ""),
                     handler=args.get("handler", ""))
    if f.category and f.category not in {c.value for c in MessageCategory}:
        raise QueueError("category", _("%(field)s is not valid.", field=_("Category")))
    if f.status and f.status not in {s.value for s in ThreadStatus}:
        raise QueueError("status", _("%(field)s is not valid.", field=_("Status")))
    if f.age and f.age not in AGES:
        raise QueueError("age", _("%(field)s is not valid.", field=_("Waiting for")))
    if f.handler not in ("", "mine", "unassigned"):
        raise QueueError("handler", _("%(field)s is not valid.", field=_("Handled by")))
    page = args.get("page", "0")
    if not (page.isascii() and page.isdigit()) or int(page) > 100000:
        raise QueueError("page", _("%(field)s is not valid.", field=_("Page")))
    f.page = int(page)
    return f


def queue(f, user, now=None):
    """(threads of the page, total): waiting ones first, the oldest first."""
    now = now or datetime.datetime.now()
    stmt = select(MessageThread)
    if f.category:
        stmt = stmt.where(MessageThread.category == f.category)
    if f.status:
        stmt = stmt.where(MessageThread.status == f.status)
    if f.age:
        stmt = stmt.where(MessageThread.created_at <= now - datetime.timedelta(hours=AGES[f.age]))
    if f.handler == "mine":
        stmt = stmt.where(MessageThread.assignee_id == user.id)
    elif f.handler == "unassigned":
        stmt = stmt.where(MessageThread.assignee_id.is_(None))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    waiting_first = (MessageThread.status != ThreadStatus.PENDING.value)
    rows = db.session.scalars(stmt.order_by(waiting_first, MessageThread.created_at, MessageThread.id)
                              .offset(f.page * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return rows, total


def hours(start, end):
    return round((end - start).total_seconds() / 3600, 1) if start and end else None


def _week(column):
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, "IYYY-IW")
    return func.strftime("%Y-%W", column)


def weekly_response(weeks=12, now=None):
    """[(week, threads, answered, median first-response hours)] of the last ``weeks`` weeks.  PostgreSQL
    computes the median (percentile_cont); SQLite has no median, so there the answered threads' response
    times of each week are read and their median taken here."""
    now = now or datetime.datetime.now()
    since = now - datetime.timedelta(weeks=weeks)
    week = _week(MessageThread.created_at)
    base = select(week.label("week"), func.count(MessageThread.id), func.count(MessageThread.first_response_at)) \
        .where(MessageThread.created_at >= since).group_by(week).order_by(week)
    counts = db.session.execute(base).all()
    if db.engine.dialect.name == "postgresql":
        seconds = func.extract("epoch", MessageThread.first_response_at - MessageThread.created_at)
        medians = dict(db.session.execute(
            select(week, func.percentile_cont(0.5).within_group(seconds)).where(
                MessageThread.created_at >= since, MessageThread.first_response_at.is_not(None)).group_by(week)).all())
        medians = {k: round(float(v) / 3600, 1) for k, v in medians.items() if v is not None}
    else:
        spans = {}
        for w, created, answered in db.session.execute(select(week, MessageThread.created_at,
                                                              MessageThread.first_response_at).where(
                MessageThread.created_at >= since, MessageThread.first_response_at.is_not(None))):
            spans.setdefault(w, []).append((answered - created).total_seconds() / 3600)
        medians = {k: round(stats.median(v), 1) for k, v in spans.items()}
    return [(w, n, answered, medians.get(w, "")) for w, n, answered in counts]
