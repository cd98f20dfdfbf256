"""H4 提醒: reminders sent in the background (Celery beat every few minutes, or the in-process scheduler
when there is no Redis): before each exam sitting (time, place, room, seat — in-app, e-mail and SMS), before
an unpaid order's payment deadline, and to the reviewers of matters due within one working day or overdue.

Exactly once per person and event: a ``ReminderSent`` row is inserted first with ON CONFLICT DO NOTHING
and the reminder goes out only when the insert took, in the same transaction — a second scheduler running
at the same moment inserts nothing and sends nothing.  Lead times: EXAM_REMINDER_HOURS and
PAYMENT_REMINDER_HOURS in the configuration."""
import datetime
import logging

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app import workflow
from app.extensions import db, dialect_insert
from app.services import notifications
from app.workdays import add_workdays
from models import (
    Delivery,
    ExamPlan,
    ExamSession,
    Matter,
    Order,
    Person,
    PlatformUser,
    Registration,
    ReminderSent,
    Room,
    SeatAssignment,
    Site,
)
from models.enums import Channel, MatterStatus, OrderStatus

log = logging.getLogger(__name__)


def _first_time(kind, event_key, user_id):
    """Record the reminder; True when this call is the one that recorded it (and so sends it).  An event
    already recorded is skipped without an insert (a conflicting insert would still use up an id)."""
    if db.session.scalar(select(ReminderSent.id).where(ReminderSent.kind == kind, ReminderSent.user_id == user_id,
                                                       ReminderSent.event_key == str(event_key)[:64])) is not None:
        return False
    stmt = dialect_insert(ReminderSent).values(kind=kind, event_key=str(event_key)[:64], user_id=user_id,
                                       sent_at=datetime.datetime.now()).on_conflict_do_nothing()
    return db.session.execute(stmt.returning(ReminderSent.id)).scalar_one_or_none() is not None


def _sms(person, text):
    if person is not None and person.phone:
        item = Delivery(channel=Channel.SMS.value, recipient=person.phone, body=text)
        db.session.add(item)
        return [item]
    return []


def exam_reminders(now):
    """Each candidate with a published seat in a sitting starting within the lead time."""
    until = now + datetime.timedelta(hours=current_app.config["EXAM_REMINDER_HOURS"])
    rows = db.session.execute(
        select(SeatAssignment, ExamSession, ExamPlan, Room, Person, PlatformUser, Site.address, Site.name)
        .join(ExamSession, ExamSession.id == SeatAssignment.session_id)
        .join(ExamPlan, ExamPlan.id == ExamSession.exam_plan_id)
        .join(Registration, Registration.id == SeatAssignment.registration_id)
        .join(Person, Person.id == Registration.person_id)
        .join(PlatformUser, PlatformUser.id == Person.user_id)
        .join(Room, Room.id == SeatAssignment.room_id)
        .outerjoin(Site, Site.id == Room.site_id)
        .where(SeatAssignment.published.is_(True), ExamSession.starts_at > now, ExamSession.starts_at <= until)
    ).all()

    def send(row):
        seat, sitting, plan, room, person, user, address, site = row
        if not _first_time("exam", seat.id, user.id):
            return []
        place = " ".join(p for p in (site, address) if p) or plan.location or ""
        text = _("%(exam)s %(sitting)s: %(start)s at %(place)s, room %(room)s, seat %(seat)s, admission ticket "
                 "%(ticket)s.", exam=plan.name, sitting=sitting.name, start=f"{sitting.starts_at:%Y-%m-%d %H:%M}",
                 place=place, room=room.name, seat=seat.seat_no, ticket=seat.ticket_no)
        return notifications.notify([user], _("Exam reminder"), text, link="/portal/me/exams") + _sms(person, text)

    return _each(rows, send)


def payment_reminders(now):
    """Each unpaid order whose payment deadline falls within the lead time."""
    until = now + datetime.timedelta(hours=current_app.config["PAYMENT_REMINDER_HOURS"])
    rows = db.session.execute(
        select(Order, Person, PlatformUser).join(Person, Person.id == Order.person_id)
        .join(PlatformUser, PlatformUser.id == Person.user_id)
        .where(Order.status == OrderStatus.UNPAID.value, Order.expires_at > now, Order.expires_at <= until)
    ).all()

    def send(row):
        order, person, user = row
        if not _first_time("payment", order.id, user.id):
            return []
        text = _("Order %(no)s (%(amount)s yuan) is to be paid by %(deadline)s, or it closes.", no=order.order_no,
                 amount=order.amount, deadline=f"{order.expires_at:%Y-%m-%d %H:%M}")
        return notifications.notify([user], _("Payment reminder"), text,
                                    link=f"/portal/me/orders/{order.id}") + _sms(person, text)

    return _each(rows, send)


def _reviewers(matter):
    """Who acts on the matter's stage: its assignee, else the users whose role may take a transition."""
    if matter.assignee is not None:
        return [matter.assignee]
    return [u for u in workflow.concerned_users(matter, matter.applicant) if u.id != matter.applicant_id]


def review_reminders(today):
    """Each reviewer of a matter in progress due within one working day, and of an overdue one."""
    soon = add_workdays(today, 1)
    matters = db.session.scalars(select(Matter).where(
        Matter.status == MatterStatus.IN_PROGRESS.value, Matter.due_date.is_not(None), Matter.due_date <= soon)
    ).all()

    def send(matter):
        late = matter.due_date < today
        event = f"{matter.id}:{matter.state}:{'overdue' if late else 'due'}:{matter.due_date:%Y%m%d}"
        title = _("Matter overdue") if late else _("Matter due soon")
        text = _("Matter %(no)s “%(title)s” at the stage %(stage)s is due on %(day)s.", no=matter.business_no,
                 title=matter.title, stage=workflow.stage_label(matter.state), day=matter.due_date.isoformat())
        recipients = [u for u in _reviewers(matter) if _first_time("review", event, u.id)]
        return notifications.notify(recipients, title, text, link=f"/matterview/show/{matter.id}")

    return _each(matters, send)


def _each(rows, send):
    """``send(row)`` for each row in its own savepoint: one bad row is logged and skipped, never the round."""
    deliveries = []
    for row in rows:
        try:
            with db.session.begin_nested():
                deliveries += send(row)
        except Exception:  # noqa: BLE001
            log.exception("reminder for %r failed", row)
    return deliveries


def send_due(now=None):
    """One round of every reminder; commits, then hands the e-mails and SMS to the workers. Returns the
    number of deliveries queued."""
    now = now or datetime.datetime.now()
    try:
        deliveries = exam_reminders(now) + payment_reminders(now) + review_reminders(now.date())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    notifications.dispatch(deliveries)
    return len(deliveries)
