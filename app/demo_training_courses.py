"""Demo data of G2 课程备案 and G3 解除备案: the demo institution's courses in every state, moved by the
workflow engine (the effects in app/services/courses.py keep the rows in step).

teacher (赵老师) and teacher2 (钱老师) are the teachers; both need an approved binding to the categories
(G1, app/demo_training_bindings.py runs first).  A binding or teacher2 missing is made here the same way
(an approved TeacherCategory row, a Teacher account with its Person), so this also runs on its own."""
import datetime

from flask import current_app
from sqlalchemy import select

from app import workflow
from app.extensions import db
from app.roles import TEACHER
from app.services import courses
from models import Course, CourseCategory, Person, TeacherCategory
from models.enums import CandidateSource, CourseDelivery, ReviewStatus, VerifyState

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 256
OUTLINE = "一、课程目标\n二、主要内容\n三、案例讨论\n四、考核方式"


def _category(name):
    return db.session.scalar(select(CourseCategory).where(CourseCategory.name == name, CourseCategory.level == 3))


def _teacher2(users):
    """钱老师 (teacher2): helper G1's demo makes it; made here the same way when it is not there yet."""
    sm = current_app.appbuilder.sm
    user = users.get("teacher2") or sm.find_user(username="teacher2")
    if user is None:
        user = sm.add_user("teacher2", "钱", "老师", "teacher2@demo.example", sm.find_role(TEACHER),
                           password=current_app.config["DEMO_PASSWORD"])
        db.session.flush()
    if db.session.scalar(select(Person).where(Person.user_id == user.id)) is None:
        from app.demo import demo_id_number

        person = Person(user_id=user.id, name="钱老师", gender="male", id_type="resident",
                        birth_date=datetime.date(1975, 6, 18), source=CandidateSource.SELF.value, is_teacher=True,
                        realname_verified=True, verify_state=VerifyState.ACCURATE.value)
        person.set_id_number(demo_id_number("110105", datetime.date(1975, 6, 18), 4))
        db.session.add(person)
        db.session.flush()
    return user


def _bound(user, category):
    """The teacher's approved binding to the category (made approved when there is none)."""
    person = db.session.scalar(select(Person).where(Person.user_id == user.id))
    if person is None or category is None:
        return False
    row = db.session.scalar(select(TeacherCategory).where(TeacherCategory.person_id == person.id,
                                                          TeacherCategory.category_id == category.id))
    if row is None:
        row = TeacherCategory(person_id=person.id, category_id=category.id, status=ReviewStatus.APPROVED.value,
                              experience="从事认证培训授课十年", experiences=[])
        db.session.add(row)
        db.session.flush()
    return row.status == ReviewStatus.APPROVED.value


class _Form(dict):
    def getlist(self, key):
        value = self.get(key)
        return value if isinstance(value, list) else [value] if value else []


def _file(inst_user, name, category_name, teachers, delivery=CourseDelivery.CLASSROOM.value, hours="8",
          submit=True):
    """The course through the institution's form (saved, or submitted); None when it exists already or a
    teacher is not bound."""
    category = _category(category_name)
    if category is None or db.session.scalar(select(Course.id).where(
            Course.institution_id == inst_user.institution_id, Course.name == name)) is not None:
        return None
    if not all(_bound(t, category) for t in teachers):
        return None
    people = [db.session.scalar(select(Person.id).where(Person.user_id == t.id)) for t in teachers]
    form = _Form(category_id=str(category.id), name=name, hours=hours, delivery=delivery, outline=OUTLINE,
                 teacher_ids=[str(p) for p in people])
    uploads = {"material": (PDF, f"{name}课程材料.pdf")}
    if delivery == CourseDelivery.ONLINE.value:
        uploads["video"] = (MP4, f"{name}.mp4")
    course = courses.save(inst_user, form, uploads, submit=submit)
    return course, courses.matter_of(course)


def demo_courses(users):
    inst, assoc, teacher = users["institution"], users["association"], users["teacher"]
    teacher2 = _teacher2(users)
    db.session.commit()

    # 草稿
    _file(inst, "认证基础知识（草稿）", "认证人员守则", [teacher], submit=False)
    # 待教师确认: 钱老师 agreed, 赵老师 still to answer
    found = _file(inst, "认证人员职业道德概论", "认证人员守则", [teacher, teacher2])
    if found:
        courses.confirm(found[1].id, teacher2, True, "同意备案")
    # 退回: 钱老师 disagreed
    found = _file(inst, "认证人员行为规范精讲", "认证人员守则", [teacher, teacher2], hours="12")
    if found:
        courses.confirm(found[1].id, teacher, True)
        courses.confirm(found[1].id, teacher2, False, "课程大纲与学时安排不一致，请修改后重新提交。")
    # 协会审批
    found = _file(inst, "QMS体系内审实务", "QMS体系", [teacher])
    if found:
        courses.confirm(found[1].id, teacher, True)
    # 已备案: the courses training plans teach (G4)
    for name, category, teachers in (("认证人员守则解读", "认证人员守则", [teacher, teacher2]),
                                     ("QMS体系测试课程", "QMS体系", [teacher])):
        found = _file(inst, name, category, teachers)
        if found:
            for t in teachers:
                courses.confirm(found[1].id, t, True, "同意")
            workflow.apply(found[1].id, "pass_association_review", assoc, opinion="同意备案")
    # 网络课程 at 专家评价, not yet assigned (G5's demo assigns it)
    found = _file(inst, "QMS体系网络课程", "QMS体系", [teacher], delivery=CourseDelivery.ONLINE.value, hours="4")
    if found:
        courses.confirm(found[1].id, teacher, True)
    # G3: one unbinding under the institution's review, one unbound
    for name, category, approve in (("QMS体系标准理解与应用", "QMS体系", False),
                                    ("认证人员守则案例分析", "认证人员守则", True)):
        found = _file(inst, name, category, [teacher, teacher2])
        if not found:
            continue
        for t in (teacher, teacher2):
            courses.confirm(found[1].id, t, True)
        workflow.apply(found[1].id, "pass_association_review", assoc, opinion="同意备案")
        row = next(r for r in found[0].teachers if r.person.user_id == teacher.id)
        matter = courses.unbind(row.id, teacher, "工作安排调整，不再承担该课程的授课。")
        if approve:
            workflow.apply(matter.id, "pass_institution_review", inst, opinion="同意解除")
            workflow.apply(matter.id, "pass_association_review", assoc, opinion="同意解除")
