"""B11: 200 concurrent submissions for a site with 50 seats: exactly 50 hold one.

Runs on PostgreSQL (CI's second pass), where submissions really run in
parallel; SQLite serialises writers, so there is nothing to race."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask_appbuilder.security.sqla.models import Role

from app.demo import demo_id_number
from app.extensions import db
from app.services import registration as reg_service
from models import (
    Attachment,
    Education,
    ExamSite,
    MaterialEntry,
    Matter,
    Person,
    PlatformUser,
    Registration,
    RegistrationSubject,
    WorkExperience,
)
from tests.registration_helpers import make_exam

CANDIDATES, SEATS = 200, 50


def _ready_registrations(app, exam):
    """200 complete drafts at the same site, each of its own candidate."""
    import datetime

    with app.app_context():
        site = db.session.get(ExamSite, exam["sites"][0])
        candidate_role = db.session.query(Role).filter_by(name="Candidate").one()
        ids = []
        for n in range(CANDIDATES):
            user = PlatformUser(username=f"race{exam['id']}_{n}", first_name="考生", last_name=str(n),
                                email=f"race{exam['id']}_{n}@example.invalid", active=True, password="x",
                                roles=[candidate_role])
            db.session.add(user)
            db.session.flush()
            person = Person(user_id=user.id, name="并发考生", id_type="resident")
            person.set_id_number(demo_id_number("110105", datetime.date(1970, 1, 1) + datetime.timedelta(
                days=exam["id"] * 400 + n), 500 + n % 400))
            db.session.add(person)
            db.session.flush()
            photo = Attachment(kind="photo", filename="p.jpg", content_type="image/jpeg", size=1, sha256="0" * 64,
                               storage_key=f"race-{exam['id']}-{n}", person_id=person.id)
            db.session.add(photo)
            db.session.flush()
            reg = Registration(exam_plan_id=exam["id"], person_id=person.id, exam_site_id=site.id,
                               institution_id=site.site.institution_id, status="draft", category="first",
                               city="北京市", photo_id=photo.id, step="confirm")
            reg.subjects = [RegistrationSubject(subject_id=s) for s in exam["subjects"]]
            reg.materials = [MaterialEntry(section="basic", data={"employer": "甲", "address": "乙"})]
            reg.educations = [Education(person_id=person.id, school="某大学", graduation_month="2015-07",
                                        education_level="bachelor", is_highest=True)]
            reg.works = [WorkExperience(person_id=person.id, employer="某公司", start_month="2015-08",
                                        years_in_occupation=5)]
            db.session.add(reg)
            db.session.flush()
            ids.append((reg.id, user.id))
        db.session.commit()
        return ids


def test_concurrent_submissions_never_oversell(app):
    if db_dialect(app) != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")
    exam = make_exam(app, quota=SEATS)
    pairs = _ready_registrations(app, exam)
    gate = threading.Barrier(20)
    outcomes = []

    def submit(pair):
        reg_id, user_id = pair
        with app.app_context():
            try:
                if pair in pairs[:20]:
                    gate.wait(timeout=30)  # the first twenty start at the same instant
                reg = db.session.get(Registration, reg_id)
                user = db.session.get(PlatformUser, user_id)
                reg_service.submit(reg, user)
                outcomes.append("held")
            except reg_service.RegistrationError as exc:
                outcomes.append(exc.field)
            finally:
                db.session.rollback()
                db.session.remove()

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(submit, pairs))
    assert outcomes.count("held") == SEATS
    assert outcomes.count("exam_site_id") == CANDIDATES - SEATS
    with app.app_context():
        site = db.session.get(ExamSite, exam["sites"][0])
        held = db.session.query(Registration).filter_by(exam_site_id=site.id, seat_held=True).count()
        submitted = db.session.query(Registration).filter_by(exam_site_id=site.id, status="submitted").count()
        matters = db.session.query(Matter).filter(Matter.object_id.in_([r for r, _u in pairs]),
                                                  Matter.type_code == "exam_registration").count()
        assert site.seats_taken == held == submitted == SEATS
        assert matters == SEATS  # a refused submission leaves nothing behind


def db_dialect(app):
    with app.app_context():
        return db.engine.dialect.name
