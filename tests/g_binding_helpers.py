"""G1 课程类别绑定 test helpers: teacher accounts (role Teacher, a Person with is_teacher), created once,
and the transition-matrix factory (tests/training_matrix.py merges ``MATRIX``)."""
import itertools
import uuid

from flask import current_app

from app import workflow
from app.extensions import db
from app.roles import TEACHER
from models import CourseCategory, Person, TeacherCategory
from models.enums import CandidateSource, ReviewStatus

PASSWORD = "Demo@2026"
_seq = itertools.count(1)


def category(name="认证人员守则"):
    return db.session.query(CourseCategory).filter_by(name=name, level=3).one()


def make_teacher(username, name, is_teacher=True):
    """A back-office account with role Teacher and its Person (``is_teacher``), created once."""
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is None:
        user = sm.add_user(username, name[:1], name[1:] or name, f"{username}@test.example", sm.find_role(TEACHER),
                           password=PASSWORD)
        person = Person(user_id=user.id, name=name, gender="female", id_type="passport",
                        source=CandidateSource.SELF.value, is_teacher=is_teacher)
        person.set_id_number(f"B{user.id:08d}")
        db.session.add(person)
        db.session.commit()
    return user


def person_of(user):
    return db.session.query(Person).filter_by(user_id=user.id).one()


EXPERIENCE = [{"kind": "teaching", "start_date": "2019-01-01", "end_date": "2021-12-31", "organisation": "矩阵培训中心",
               "content": "讲授认证人员守则"}]


def binding_matter(people):
    """A new teacher's binding (not submitted) and its draft matter."""
    user = make_teacher(f"gb-matrix-{next(_seq)}-{uuid.uuid4().hex[:6]}", "矩阵绑定老师")
    binding = TeacherCategory(person_id=person_of(user).id, category_id=category().id, experience="授课经历",
                              experiences=EXPERIENCE, status=ReviewStatus.NOT_SUBMITTED.value)
    db.session.add(binding)
    db.session.flush()
    matter = workflow.create_matter("teacher_category_binding", user, "课程类别绑定：认证人员守则",
                                    institution_id=None, obj=binding)
    return matter


MATRIX = {"teacher_category_binding": binding_matter}
