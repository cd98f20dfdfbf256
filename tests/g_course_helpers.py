"""G2 课程备案 / G3 解除备案 test helpers: teacher accounts with an approved binding (the G1 precondition,
written as a row), real courses with their stored material, and the transition-matrix factories
(tests/training_matrix.py merges ``MATRIX``)."""
import itertools
import uuid

from flask import current_app

from app import workflow
from app.extensions import db
from app.roles import TEACHER
from app.services import files
from models import Course, CourseCategory, CourseTeacher, Person, PlatformUser, TeacherCategory
from models.enums import CandidateSource, CourseDelivery, CourseStatus, ReviewStatus, TeacherConfirm

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
PASSWORD = "Demo@2026"
_seq = itertools.count(1)


def category(name="认证人员守则"):
    return db.session.query(CourseCategory).filter_by(name=name, level=3).one()


def make_teacher(username, name, categories=("认证人员守则",), approved=True):
    """A teacher account (role Teacher, a Person with is_teacher) bound to ``categories`` (approved or
    under review), created once; returns the PlatformUser."""
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is None:
        user = sm.add_user(username, name[:1], name[1:] or name, f"{username}@test.example", sm.find_role(TEACHER),
                           password=PASSWORD)
        person = Person(user_id=user.id, name=name, gender="male", id_type="passport",
                        source=CandidateSource.SELF.value, is_teacher=True)
        person.set_id_number(f"T{user.id:08d}")
        db.session.add(person)
        db.session.flush()
    person = db.session.query(Person).filter_by(user_id=user.id).one()
    for cat in categories:
        cid = category(cat).id
        row = db.session.query(TeacherCategory).filter_by(person_id=person.id, category_id=cid).first()
        if row is None:
            db.session.add(TeacherCategory(person_id=person.id, category_id=cid, experience="授课经历",
                                           experiences=[], status=(ReviewStatus.APPROVED if approved
                                                                   else ReviewStatus.REVIEWING).value))
    db.session.commit()
    return user


def person_of(user):
    return db.session.query(Person).filter_by(user_id=user.id).one()


def teachers(n=1):
    """The matrix's teachers (bound to 认证人员守则 and QMS体系)."""
    return [make_teacher(f"gc-teacher{i}", f"课程测试{i}号老师", ("认证人员守则", "QMS体系")) for i in range(1, n + 1)]


def make_course(institution_user, teacher_users, delivery=CourseDelivery.CLASSROOM.value, name=None,
                status=CourseStatus.NOT_SUBMITTED.value, confirm=TeacherConfirm.PENDING.value, cat="认证人员守则"):
    """A complete course of the institution (material stored, a video for an online one)."""
    inst = institution_user.institution_id
    material = files.store(PDF, "大纲材料.pdf", "application/pdf", "course_material", user=institution_user,
                           institution_id=inst)
    video = files.store(MP4, "课程视频.mp4", "video/mp4", "course_video", user=institution_user,
                        institution_id=inst) if delivery == CourseDelivery.ONLINE.value else None
    db.session.flush()
    course = Course(institution_id=inst, category_id=category(cat).id,
                    name=name or f"测试课程{next(_seq)}-{uuid.uuid4().hex[:6]}", hours=8, delivery=delivery,
                    outline="第一章 总则\n第二章 要求", material_id=material.id, video_id=video.id if video else None,
                    status=status)
    course.teachers = [CourseTeacher(person_id=person_of(u).id, confirm=confirm) for u in teacher_users]
    db.session.add(course)
    db.session.commit()
    return course


def filing_matter(institution_user, course):
    return workflow.create_matter("course_filing", institution_user, f"课程备案：{course.name}",
                                  institution_id=course.institution_id, obj=course)


def _filing(n=1, delivery=CourseDelivery.CLASSROOM.value):
    def factory(people):
        course = make_course(people["institution"], teachers(n), delivery)
        return filing_matter(people["institution"], course)
    return factory


def _online_judged(people):
    """An online filing whose review items are all judged already (payload["course_review"] in helper A's
    format, app/services/course_review.py), so require_judgement lets 专家评价 pass or return it."""
    from app.services import course_review
    from models.enums import Conformity

    matter = _filing(1, CourseDelivery.ONLINE.value)(people)
    judged = {code: {"result": Conformity.CONFORMING.value, "remark": None}
              for code, _label in course_review.items_of(matter)}
    matter.payload = {**(matter.payload or {}), course_review.KEY: judged}
    db.session.commit()
    return matter


def unbinding_matter(people, teacher_user=None):
    """A filed course the teacher agreed to, and the teacher's draft unbinding of it."""
    teacher_user = teacher_user or teachers(1)[0]
    course = make_course(people["institution"], [teacher_user], status=CourseStatus.FILED.value,
                         confirm=TeacherConfirm.AGREED.value)
    row = course.teachers[0]
    return workflow.create_matter("course_unbinding", teacher_user, f"解除备案：{course.name}",
                                  institution_id=course.institution_id, obj=row,
                                  payload={"course_teacher_id": row.id, "course_id": course.id, "reason": "矩阵测试"})


def user(username):
    return db.session.query(PlatformUser).filter_by(username=username).one()


MATRIX = {
    "course_filing": _filing(1),
    ("course_filing", "teacher_agree"): _filing(2),
    ("course_filing", "teachers_agreed_online"): _filing(1, CourseDelivery.ONLINE.value),
    ("course_filing", "pass_expert_review"): _online_judged,
    ("course_filing", "return_expert_review"): _online_judged,
    "course_unbinding": unbinding_matter,
}
