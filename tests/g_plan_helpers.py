"""G4 test helpers: teachers of their own (a platform account, an approved category binding), filed courses
of an institution, people of an institution, and training plans with their draft matter; ``MATRIX`` for
the transition matrix (tests/training_matrix.py)."""
import datetime
import itertools
import random
import uuid

from flask import current_app

from app.extensions import db
from app.roles import TEACHER
from app.services import training_plans
from models import Course, CourseCategory, Person, TeacherCategory, TrainingPlanAttendee
from models.enums import CourseStatus, ReviewStatus

PASSWORD = "Demo@2026"
_seq = itertools.count(1)


def category(name="QMS体系"):
    return db.session.query(CourseCategory).filter_by(name=name, level=3).first()


def _id_number():
    from app.demo import demo_id_number

    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=random.randint(0, 12000))
    return demo_id_number(random.choice(["310101", "440103", "320102", "510104"]), birth, random.randint(100, 999))


def make_person(institution_id, name=None, user=None, teacher=False):
    person = Person(name=name or f"学员{next(_seq)}", institution_id=institution_id, id_type="resident",
                    source="self", is_teacher=teacher, user_id=user.id if user is not None else None)
    while True:
        number = _id_number()
        person.set_id_number(number)
        if db.session.query(Person.id).filter_by(id_number_hash=person.id_number_hash).first() is None:
            break
    db.session.add(person)
    db.session.flush()
    person.plain_id_number = number  # for the tests that type it
    return person


def make_teacher(category_ids=(), name=None, approved=True):
    """A teacher account (role Teacher, password Demo@2026) and its Person with bindings; commits."""
    sm = current_app.appbuilder.sm
    username = f"g4t-{uuid.uuid4().hex[:10]}"
    user = sm.add_user(username, name or "测试", "教师", f"{username}@test.example", sm.find_role(TEACHER),
                       password=PASSWORD)
    person = make_person(None, name=name or f"教师{next(_seq)}", user=user, teacher=True)
    for cid in category_ids:
        db.session.add(TeacherCategory(person_id=person.id, category_id=cid, experiences=[],
                                       status=(ReviewStatus.APPROVED if approved else ReviewStatus.REVIEWING).value))
    db.session.commit()
    return user, person


def make_course(institution_id, name=None, category_name="QMS体系", hours=8, valid_days=365, status=None):
    """A filed course of the institution (valid for ``valid_days``); commits."""
    cat = category(category_name)
    course = Course(institution_id=institution_id, category_id=cat.id, name=name or f"测试课程{uuid.uuid4().hex[:6]}",
                    hours=hours, status=status or CourseStatus.FILED.value, filing_no=f"T{uuid.uuid4().hex[:12]}",
                    filed_at=datetime.datetime.now(), valid_from=datetime.date.today() - datetime.timedelta(days=400),
                    valid_until=datetime.date.today() + datetime.timedelta(days=valid_days))
    db.session.add(course)
    db.session.commit()
    return course


def make_plan(user, courses, teachers, start=None, end=None, capacity=30, title=None):
    """A draft plan of ``user``'s institution through the service (no check of past dates: the caller
    may want a plan that already ended) → (plan, matter)."""
    start = start or datetime.date.today() + datetime.timedelta(days=10)
    end = end or start + datetime.timedelta(days=2)
    plan = training_plans.save(user, {"title": title or f"测试培训{uuid.uuid4().hex[:6]}", "start_date": start,
                                      "end_date": end, "location": "北京市海淀区", "capacity": capacity,
                                      "courses": courses, "teachers": teachers})
    return plan, training_plans.matter_of(plan)


def add_attendees(plan, people, hours=None):
    for person in people:
        plan.attendees.append(TrainingPlanAttendee(person_id=person.id,
                                                   hours=hours or training_plans.total_hours(plan)))
    db.session.commit()


# --- the transition matrix ------------------------------------------------------------------------
def _setup(people, n_teachers=1):
    inst = people["institution"]
    course = make_course(inst.institution_id)
    teachers = [make_teacher([course.category_id])[1] for _ in range(n_teachers)]
    return inst, course, teachers


def _plan(people):
    inst, course, teachers = _setup(people)
    return make_plan(inst, [course], teachers)[1]


def _plan_two_teachers(people):
    inst, course, teachers = _setup(people, 2)
    return make_plan(inst, [course], teachers)[1]


def _plan_to_finish(people):
    inst, course, teachers = _setup(people)
    end = datetime.date.today() - datetime.timedelta(days=1)
    plan, matter = make_plan(inst, [course], teachers, start=end - datetime.timedelta(days=2), end=end)
    add_attendees(plan, [make_person(inst.institution_id) for _ in range(2)])
    return matter


MATRIX = {"training_plan": _plan, ("training_plan", "teacher_agree"): _plan_two_teachers,
          ("training_plan", "finish"): _plan_to_finish}
