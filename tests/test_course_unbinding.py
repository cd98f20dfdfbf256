"""G3 解除备案 over HTTP: a teacher of a filed course they agreed to asks to unbind with a reason; the
course's institution reviews at 机构审核, the Association at 协会审批 (the matter page); approved, the
teacher's row shows 已解除绑定; returned or refused, the teacher is bound again; wrong states refused."""
import pytest

from app.extensions import db
from app.services import courses
from app.workflow import WorkflowError
from models import CourseTeacher, Matter, PlatformUser
from models.enums import CourseStatus, TeacherConfirm
from tests.conftest import second_institution_user
from tests.g_course_helpers import make_course, make_teacher
from tests.test_certificate_matters import take


@pytest.fixture
def teachers(app):
    with app.app_context():
        return [make_teacher(f"gcu-teacher{i}", f"解绑测试{i}号老师").id for i in (1, 2)]


def filed_course(app, teacher_ids, confirm=TeacherConfirm.AGREED.value, status=CourseStatus.FILED.value):
    """A filed course of the demo institution naming the teachers: {user id: CourseTeacher id}."""
    with app.app_context():
        inst = db.session.query(PlatformUser).filter_by(username="institution").one()
        users = [db.session.get(PlatformUser, i) for i in teacher_ids]
        course = make_course(inst, users, status=status, confirm=confirm)
        if status == CourseStatus.FILED.value:
            course.filing_no = f"KCT{course.id:08d}"
            db.session.commit()
        return {u.id: r.id for u, r in zip(users, course.teachers, strict=True)}, course.name


def unbinding_of(app, row_id):
    with app.app_context():
        row = db.session.get(CourseTeacher, row_id)
        matters = courses.unbindings_of(row)
        last = matters[-1] if matters else None
        return row.confirm, len(matters), (last.id, last.state, last.applicant_id, last.institution_id,
                                           dict(last.payload)) if last else None


def ask(login, username, row_id, reason):
    c = login(username)
    url = f"/teacherfilingview/unbind/{row_id}"
    return c, c.post(url, {"reason": reason})


def test_unbinding_end_to_end(app, login, teachers):
    """G3: 解除备案 → 机构审核 → 协会审批 → 已解除绑定; the other teacher stays bound."""
    rows, name = filed_course(app, teachers)
    me, other = rows[teachers[0]], rows[teachers[1]]
    c = login("gcu-teacher1")
    page = c.get("/teacherfilingview/list").text
    assert name in page and f"/teacherfilingview/unbind/{me}" in page and "教师同意与课程备案" in page
    r = c.get(f"/teacherfilingview/unbind/{me}")
    assert r.status_code == 200 and "解除原因" in r.text, (r.status_code, r.headers.get("Location"))
    # the reason is required: nothing written
    _c, r = ask(login, "gcu-teacher1", me, "  ")
    assert r.status_code == 200 and "解除原因" in r.text
    assert unbinding_of(app, me)[:2] == ("agreed", 0)
    _c, r = ask(login, "gcu-teacher1", me, "本人已调离，不再承担该课程教学")
    assert r.status_code == 302
    confirm, count, (matter_id, state, applicant, institution, payload) = unbinding_of(app, me)
    assert (confirm, count, state) == ("unbinding", 1, "institution_review")
    assert applicant == teachers[0] and payload["reason"] == "本人已调离，不再承担该课程教学"
    assert payload["course_teacher_id"] == me
    with app.app_context():
        assert institution == db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
    page = c.get("/teacherfilingview/list").text
    assert f"/teacherfilingview/unbind/{me}" not in page and "解除备案审核中" in page
    # a second unbinding is refused while this one is under review
    _c, r = ask(login, "gcu-teacher1", me, "再次申请")
    assert r.status_code == 302 and unbinding_of(app, me)[1] == 1
    # another institution never reaches the matter; the course's institution reviews it
    assert login(second_institution_user(app)).get(f"/matterview/show/{matter_id}").status_code == 404
    inst = login("institution")
    assert "本人已调离" in inst.get(f"/matterview/show/{matter_id}").text
    assert take(inst, "pass_institution_review", matter_id).status_code == 302
    assert unbinding_of(app, me)[2][1] == "association_review"
    assoc = login("association")
    assert take(assoc, "pass_association_review", matter_id).status_code == 302
    confirm, _n, (_id, state, *_rest) = unbinding_of(app, me)
    assert (confirm, state) == ("unbound", "done")
    assert unbinding_of(app, other)[0] == "agreed"
    page = c.get("/teacherfilingview/list").text
    assert "已解除绑定" in page and f"/teacherfilingview/unbind/{me}" not in page
    # the teacher is told of the outcome
    with app.app_context():
        from models import Notification

        assert db.session.query(Notification).filter_by(user_id=teachers[0]).filter(
            Notification.link.like(f"%{matter_id}%")).count() >= 1


@pytest.mark.parametrize("who,operation", [("institution", "return_institution_review"),
                                           ("association", "refuse")])
def test_unbinding_returned_or_refused_binds_again(app, login, teachers, who, operation):
    """G3: returned by the institution or refused by the Association, the teacher is bound again."""
    rows, _name = filed_course(app, teachers[:1])
    me = rows[teachers[0]]
    ask(login, "gcu-teacher1", me, "课程调整")
    matter_id = unbinding_of(app, me)[2][0]
    if operation == "refuse":
        take(login("institution"), "pass_institution_review", matter_id)
    r = take(login(who), operation, matter_id, opinion="请继续承担教学")
    assert r.status_code == 302
    confirm, _n, (_id, state, *_rest) = unbinding_of(app, me)
    assert confirm == "agreed" and state in ("returned", "refused")


def test_wrong_states_are_refused(app, login, teachers):
    """G3: no unbinding of a course not yet filed, of a filing the teacher disagreed with, of another
    teacher's row, nor twice."""
    rows, _name = filed_course(app, teachers[:1], confirm=TeacherConfirm.PENDING.value,
                               status=CourseStatus.CONFIRMING.value)
    pending_row = rows[teachers[0]]
    c, r = ask(login, "gcu-teacher1", pending_row, "尚未备案")
    assert r.status_code == 302 and unbinding_of(app, pending_row)[1] == 0
    assert "/teacherfilingview/unbind/" not in c.get(f"/teacherfilingview/show/{pending_row}").text
    rows, _name = filed_course(app, teachers[:1], confirm=TeacherConfirm.DISAGREED.value)
    disagreed = rows[teachers[0]]
    _c, r = ask(login, "gcu-teacher1", disagreed, "不同意过")
    assert unbinding_of(app, disagreed)[1] == 0
    rows, _name = filed_course(app, teachers[:1])
    theirs = rows[teachers[0]]
    t2 = login("gcu-teacher2")
    assert t2.get(f"/teacherfilingview/unbind/{theirs}").status_code == 404
    with app.app_context():
        user2 = db.session.get(PlatformUser, teachers[1])
        with pytest.raises(WorkflowError):
            courses.unbind(theirs, user2, "冒名")
        user1 = db.session.get(PlatformUser, teachers[0])
        courses.unbind(theirs, user1, "第一次")
        with pytest.raises(WorkflowError):
            courses.unbind(theirs, user1, "第二次")
        # the engine alone refuses an unbinding draft of a row not agreed
        row = db.session.get(CourseTeacher, disagreed)
        from app import workflow

        draft = workflow.create_matter("course_unbinding", user1, "解除备案：直接",
                                       institution_id=row.course.institution_id, obj=row,
                                       payload={"course_teacher_id": row.id, "reason": "x"})
        with pytest.raises(WorkflowError):
            workflow.apply(draft.id, "submit", user1)
        assert db.session.get(Matter, draft.id).state == "draft"
