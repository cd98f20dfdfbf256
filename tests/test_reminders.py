"""H4 提醒: exam reminders before a sitting (time, place, room, seat; in-app, e-mail, SMS), payment deadline
reminders and reviewers' reminders of matters due within one working day or overdue — each sent exactly
once per person and event, also when two schedulers run at once; the lead times come from the
configuration; the in-process schedule runs them when there is no Redis."""
import datetime
import threading
import uuid
from decimal import Decimal

import pytest

from app import beat, workflow
from app.extensions import db
from app.services import reminders
from models import Delivery, ExamSession, Matter, Notification, Order, Person, PlatformUser, SeatAssignment
from tests.registration_helpers import make_exam
from tests.results_helpers import person_of_user, seat

NOW = datetime.datetime.now()


def notes(app, username, title):
    with app.app_context():
        user = db.session.query(PlatformUser).filter_by(username=username).one()
        return [n.body for n in db.session.query(Notification).filter_by(user_id=user.id, title=title)]


def run(app, now=None):
    with app.app_context():
        return reminders.send_due(now)


@pytest.fixture
def sitting(app):
    """The demo candidate seated in a sitting that starts in 24 hours (published ticket)."""
    exam = make_exam(app)
    pid = person_of_user(app, "candidate")
    _reg, ticket = seat(app, exam, pid)
    with app.app_context():
        row = db.session.query(SeatAssignment).filter_by(ticket_no=ticket).one()
        session = db.session.get(ExamSession, row.session_id)
        session.starts_at = NOW + datetime.timedelta(hours=24)
        session.ends_at = session.starts_at + datetime.timedelta(hours=2)
        phone = db.session.get(Person, pid).phone
        db.session.commit()
        return {"ticket": ticket, "room": row.room.name, "seat": row.seat_no, "phone": phone, "session": session.id}


def test_exam_reminder_once_with_time_place_room_seat(app, sitting):
    """H4: the candidate is reminded in-app, by e-mail and by SMS, once; the SMS names room and seat."""
    run(app)
    bodies = [b for b in notes(app, "candidate", "考试提醒") if sitting["ticket"] in b]
    assert len(bodies) == 1
    assert sitting["room"] in bodies[0] and f"座位号 {sitting['seat']}" in bodies[0]
    with app.app_context():
        sms = db.session.query(Delivery).filter(Delivery.channel == "sms",
                                                Delivery.body.contains(sitting["ticket"])).all()
        assert [d.recipient for d in sms] == [sitting["phone"]]
    run(app)  # a second round sends nothing again
    assert len([b for b in notes(app, "candidate", "考试提醒") if sitting["ticket"] in b]) == 1


def test_the_lead_time_is_configurable(app, sitting):
    """H4: with a 12-hour lead time a sitting 24 hours away is not reminded yet."""
    app.config["EXAM_REMINDER_HOURS"] = 12
    try:
        run(app)
    finally:
        app.config["EXAM_REMINDER_HOURS"] = 48
    assert not [b for b in notes(app, "candidate", "考试提醒") if sitting["ticket"] in b]
    run(app, NOW + datetime.timedelta(hours=13))  # half a day later it is
    assert [b for b in notes(app, "candidate", "考试提醒") if sitting["ticket"] in b]


def test_payment_deadline_reminder(app):
    """H4: an unpaid order closing within the lead time is reminded once; a paid one is not."""
    with app.app_context():
        pid = person_of_user(app, "candidate")
        numbers = []
        for status in ("unpaid", "paid"):
            number = f"R{uuid.uuid4().hex[:12]}"
            db.session.add(Order(order_no=number, person_id=pid, payer_type="person", amount=Decimal("380.00"),
                                 status=status, expires_at=NOW + datetime.timedelta(hours=3)))
            numbers.append(number)
        db.session.commit()
    run(app)
    run(app)
    bodies = notes(app, "candidate", "缴费提醒")
    assert len([b for b in bodies if numbers[0] in b]) == 1 and not [b for b in bodies if numbers[1] in b]


def _matter_due(app, due):
    with app.app_context():
        applicant = db.session.query(PlatformUser).filter_by(username="institution").one()
        matter = workflow.create_matter("weekly_report", applicant, f"提醒测试{uuid.uuid4().hex[:6]}",
                                        institution_id=applicant.institution_id)
        workflow.apply(matter.id, "submit", applicant)
        matter = db.session.get(Matter, matter.id)
        matter.due_date = due  # time passes in the test
        db.session.commit()
        assert matter.state == "association_review"
        return matter.business_no


def test_reviewers_are_reminded_of_matters_due_and_overdue(app):
    """H4: the Association is reminded of a matter due today and of an overdue one, once each."""
    today = datetime.date.today()
    due, late = _matter_due(app, today), _matter_due(app, today - datetime.timedelta(days=3))
    far = _matter_due(app, today + datetime.timedelta(days=30))
    run(app)
    run(app)
    soon, overdue = notes(app, "association", "事项即将到期"), notes(app, "association", "事项已超期")
    assert len([b for b in soon if due in b]) == 1 and len([b for b in overdue if late in b]) == 1
    assert not [b for b in soon + overdue if far in b]
    assert not [b for b in notes(app, "institution", "事项已超期") if late in b]  # not the applicant


def test_two_schedulers_at_once_send_each_reminder_once(app, sitting):
    """H4: two rounds at the same moment (two beat processes) remind the candidate once."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the concurrent path runs on PostgreSQL")
    errors, barrier = [], threading.Barrier(2)

    def round_():
        try:
            with app.app_context():
                barrier.wait(10)
                reminders.send_due()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=round_) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len([b for b in notes(app, "candidate", "考试提醒") if sitting["ticket"] in b]) == 1


def test_in_process_schedule_and_outbox(app, login, sitting):
    """H4: without Redis the server's schedule runs the reminders; the SMS shows in the outbox."""
    assert "send-reminders" in app.config["CELERY"]["beat_schedule"]
    due = {}
    beat.run_due(app, due, 0.0)  # the first look runs every task
    assert due["send-reminders"] == 300.0
    assert [b for b in notes(app, "candidate", "考试提醒") if sitting["ticket"] in b]
    outbox = login("admin").get("/deliveryview/list/?_flt_0_recipient=" + sitting["phone"]).text
    assert sitting["phone"] in outbox
    with app.app_context():
        assert db.session.query(Matter).count() > 0
