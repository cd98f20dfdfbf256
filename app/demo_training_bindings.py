"""G1 and G5 demo: the teachers' course category bindings (filed and reviewed through the engine), an
old-course re-review of a filed course of the demo institution assigned to `expert` (not judged yet), and
an online course's filing at 专家评价 assigned to `expert`; a second re-review waits for an expert
(待分配专家).  Running it twice changes nothing."""
import datetime

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import workflow
from app.extensions import db
from app.services import course_review
from app.services import expert_review as assigning
from app.services import teacher_categories as service
from models import Course, CourseCategory, Matter, Person, TeacherCategory
from models.enums import CandidateSource, CourseDelivery, CourseStatus, VerifyState

MARK, WAITING = "demo-rereview", "demo-rereview-waiting"
# (username, category path, approved) — 赵老师 (`teacher`) and 钱老师 (`teacher2`)
BINDINGS = [
    ("teacher", ("基础课程", "基础认证", "认证人员守则"), True),
    ("teacher", ("体系课程", "QMS", "QMS体系"), True),
    ("teacher", ("体系课程", "EMS", "EMS体系"), False),
    ("teacher2", ("基础课程", "基础认证", "认证人员守则"), True),
    ("teacher2", ("体系课程", "QMS", "QMS体系"), True),
]
EXPERIENCE = {
    "teacher": [("teaching", "2016-03-01", "2020-12-31", "上海质量认证培训中心", "讲授质量管理体系审核员培训课程"),
                ("work", "2010-07-01", "2016-02-28", "广州检验检测认证集团", "从事管理体系认证审核工作")],
    "teacher2": [("teaching", "2018-09-01", "2023-06-30", "北京信息职业技术学院", "讲授认证基础与认证人员守则")],
}


def _second_teacher():
    from app.demo import _user, demo_id_number

    user = _user("teacher2", "Teacher", "钱", "老师")
    if service.teacher_of(user) is None:
        birth = datetime.date(1982, 11, 15)
        person = Person(user_id=user.id, name="钱老师", gender="male", id_type="resident", birth_date=birth,
                        source=CandidateSource.SELF.value, is_teacher=True, realname_verified=True,
                        verify_state=VerifyState.ACCURATE.value)
        person.set_id_number(demo_id_number("110105", birth, 7))
        db.session.add(person)
    db.session.commit()
    return user


def _category(path):
    node = None
    for level, name in enumerate(path, 1):
        node = db.session.scalar(select(CourseCategory).where(
            CourseCategory.name == name, CourseCategory.level == level,
            CourseCategory.parent_id == (node.id if node else None)))
        if node is None:
            return None
    return node


def _form(category, rows):
    form = MultiDict([("category_id", str(category.id))])
    for kind, start, end, org, content in rows:
        form.add("kind", kind)
        form.add("start_date", start)
        form.add("end_date", end)
        form.add("organisation", org)
        form.add("content", content)
    return form


def demo_bindings(users):
    accounts = {"teacher": users["teacher"], "teacher2": _second_teacher()}
    assoc = users["association"]
    for username, path, approved in BINDINGS:
        user, category = accounts[username], _category(path)
        person = service.teacher_of(user)
        if category is None or person is None:
            continue
        if db.session.scalar(select(TeacherCategory.id).where(TeacherCategory.person_id == person.id,
                                                              TeacherCategory.category_id == category.id)):
            continue  # filed already
        binding = service.bind(user, _form(category, EXPERIENCE[username]))
        if approved:
            workflow.apply(service.matter_of(binding).id, "pass_association_review", assoc,
                           opinion="经历材料齐全，同意绑定。")


def demo_course_reviews(users):
    inst_user, expert, assoc = users["institution"], users["expert"], users["association"]
    # an old-course re-review of a filed course of the demo institution, assigned to `expert`, not judged
    has_one = db.session.scalar(select(Matter.id).where(Matter.type_code == course_review.REREVIEW,
                                                        Matter.institution_id == inst_user.institution_id))
    if has_one:
        return  # made already (a second run changes nothing)
    found = db.session.scalars(select(Course).where(
        Course.institution_id == inst_user.institution_id, Course.status == CourseStatus.FILED.value,
        Course.valid_until.is_not(None)).order_by(Course.valid_until, Course.id).limit(2)).all()
    for n, course in enumerate(found):
        matter = course_review.apply_rereview(course.id, inst_user, "课程内容已按现行标准更新，申请延期一年。")
        matter.payload = {**matter.payload, "demo": MARK if n == 0 else WAITING}
        db.session.commit()
        if n == 0:
            assigning.assign(matter.id, expert.id, assoc)
        # the second one waits for the Association to assign an expert (待分配专家, F3's demo shows it)
    # an online course's filing waiting for an expert: `expert` reviews its file and video
    waiting = len(found) > 1  # else the online filing is what waits for an expert (待分配专家)
    for matter in db.session.scalars(select(Matter).where(Matter.type_code == course_review.FILING,
                                                          Matter.state == course_review.STAGE,
                                                          Matter.assignee_id.is_(None))).all():
        course = course_review.course_of(matter)
        if waiting and course is not None and course.delivery == CourseDelivery.ONLINE.value:
            assigning.assign(matter.id, expert.id, assoc)
