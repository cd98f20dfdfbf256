"""Helpers of the issue-6 tests (scores, results, certificates): a sat exam with
admission ticket numbers, scores, results and issued certificates, written
straight to the database so each test starts where its feature begins."""
import datetime
import itertools

from app.extensions import db
from app.services import certificates, results
from models import (
    CertificateType,
    ExamPlan,
    ExamSession,
    Person,
    PlatformUser,
    Registration,
    Room,
    Score,
    SeatAssignment,
)
from tests.portal_helpers import new_id_number, new_phone
from tests.registration_helpers import make_exam

_seq = itertools.count(1)


def sat_exam(app, **options):
    """An exam whose sitting is over, with a certificate to issue; returns make_exam's ids."""
    exam = make_exam(app, **options)
    with app.app_context():
        plan = db.session.get(ExamPlan, exam["id"])
        plan.certificate_type_id = db.session.query(CertificateType.id).order_by(CertificateType.id).first()[0]
        now = datetime.datetime.now()
        plan.reg_start, plan.reg_end = now - datetime.timedelta(days=60), now - datetime.timedelta(days=40)
        plan.exam_start, plan.exam_end = now - datetime.timedelta(days=30), now - datetime.timedelta(days=30, hours=-3)
        db.session.commit()
    return exam


def new_person(app, name=None, institution_id=None):
    with app.app_context():
        person = Person(name=name or f"考生{next(_seq)}", id_type="resident", phone=new_phone(), source="social",
                        institution_id=institution_id)
        person.set_id_number(new_id_number())
        db.session.add(person)
        db.session.commit()
        return person.id


def person_of_phone(app, phone):
    """The person of a portal candidate (the ``candidate`` fixture gives the phone)."""
    with app.app_context():
        return db.session.query(Person.id).filter_by(phone=phone).scalar()


def person_of_user(app, username):
    with app.app_context():
        user = db.session.query(PlatformUser).filter_by(username=username).one()
        return db.session.query(Person.id).filter_by(user_id=user.id).scalar()


def seat(app, exam, person_id, institution_id=None, published=True):
    """A registered candidate with an admission ticket in the exam; returns (registration id, ticket number)."""
    n = next(_seq)
    with app.app_context():
        plan = db.session.get(ExamPlan, exam["id"])
        institution_id = institution_id or exam["institutions"][0]
        session = db.session.query(ExamSession).filter_by(exam_plan_id=plan.id).first()
        if session is None:
            session = ExamSession(exam_plan_id=plan.id, name="第1场", starts_at=plan.exam_start, ends_at=plan.exam_end)
            db.session.add(session)
        room = Room(institution_id=institution_id, name=f"成绩考场{n}", capacity=60)
        db.session.add(room)
        reg = Registration(exam_plan_id=plan.id, person_id=person_id, institution_id=institution_id,
                           status="registered", category="first")
        db.session.add(reg)
        db.session.flush()
        ticket = f"T{plan.id:04d}{reg.id:07d}"
        db.session.add(SeatAssignment(registration_id=reg.id, session_id=session.id, room_id=room.id, seat_no=1,
                                      ticket_no=ticket, published=published))
        db.session.commit()
        return reg.id, ticket


def give_scores(app, registration_id, scores, publish=False):
    """``scores``: {subject id: score, or None for 缺考}; computes the results (and publishes them)."""
    with app.app_context():
        reg = db.session.get(Registration, registration_id)
        for subject_id, value in scores.items():
            db.session.add(Score(registration_id=registration_id, subject_id=subject_id, score=value,
                                 absent=value is None))
        db.session.commit()
        results.compute(reg.exam_plan_id)
        if publish:
            plan = db.session.get(ExamPlan, reg.exam_plan_id)
            plan.results_published_at = plan.results_published_at or datetime.datetime.now()
            db.session.commit()


def passed(app, exam, person_id, institution_id=None, publish=True):
    """A registration that passed the exam (80 in each subject); returns (registration id, ticket number)."""
    reg_id, ticket = seat(app, exam, person_id, institution_id)
    give_scores(app, reg_id, {s: 80 for s in exam["subjects"]}, publish=publish)
    return reg_id, ticket


def issued_certificate(app, person_id, institution_id=None, exam=None):
    """A certificate issued to the person from a passed exam (no PDF yet); returns its id."""
    exam = exam or sat_exam(app)
    reg_id, _ticket = passed(app, exam, person_id, institution_id)
    with app.app_context():
        admin = db.session.query(PlatformUser).filter_by(username="association").one()
        cert = certificates.issue(db.session.get(Registration, reg_id), admin)
        db.session.commit()
        return cert.id
