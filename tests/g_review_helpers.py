"""G5 老课复审 test helpers: a filed course of the demo institution and its draft re-review, every review
item judged 符合 (the matrix drives the expert's transitions, whose effect requires the judgement)."""
import datetime
import itertools
import uuid

from app import workflow
from app.extensions import db
from app.services import course_review
from models import Course, CourseCategory
from models.enums import CourseDelivery, CourseStatus

_seq = itertools.count(1)


def filed_course(institution_id, valid_until=datetime.date(2022, 4, 5), name=None,
                 delivery=CourseDelivery.CLASSROOM.value, cat="EMS体系"):
    """A filed course of the institution, valid until ``valid_until``."""
    n = next(_seq)
    course = Course(institution_id=institution_id,
                    category_id=db.session.query(CourseCategory).filter_by(name=cat, level=3).one().id,
                    name=name or f"复审测试课程{n}-{uuid.uuid4().hex[:6]}", hours=8, delivery=delivery,
                    outline="第一章 总则", status=CourseStatus.FILED.value,
                    filing_no=f"KCT{uuid.uuid4().hex[:10].upper()}", filed_at=datetime.datetime(2019, 4, 6),
                    valid_from=datetime.date(2019, 4, 6), valid_until=valid_until)
    db.session.add(course)
    db.session.commit()
    return course


def rereview_matter(people):
    inst_user = people["institution"]
    course = filed_course(inst_user.institution_id)
    start, end = course_review.extension(course)
    matter = workflow.create_matter(
        course_review.REREVIEW, inst_user, f"老课复审：{course.name}", institution_id=course.institution_id,
        obj=course, payload={"course_id": course.id, "extend_from": start.isoformat(), "extend_to": end.isoformat(),
                             "reason": "矩阵测试"})
    matter.payload = {**matter.payload, **course_review.matrix_payload(matter)}
    db.session.commit()
    return matter


MATRIX = {course_review.REREVIEW: rereview_matter}
