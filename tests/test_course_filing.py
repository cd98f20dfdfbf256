"""G2 课程备案 over HTTP: the institution files a course (material, teachers with an approved binding),
each teacher confirms on 课程备案管理 (the notification opens the confirmation), a disagreement returns
the filing, the resubmission asks every teacher again, the Association approves on the matter page
(filing number KC<year><5 digits>, three years' validity); the online path goes on to 专家评价; bad
input per field writes nothing; who reaches what."""
import datetime
import io
import re

import pytest

from app.extensions import db
from app.matters.training import PENDING
from app.services import courses
from models import Course, CourseTeacher, Matter, Notification, Person, PlatformUser
from tests.conftest import second_institution_user
from tests.g_course_helpers import MP4, PDF, category, make_course, make_teacher, person_of
from tests.test_certificate_matters import take

ADD = "/coursefilingview/add"


@pytest.fixture
def people(app):
    """Two teachers bound to 认证人员守则 (the G1 precondition), one whose binding is under review."""
    with app.app_context():
        t1 = make_teacher("gcf-teacher1", "孙备案老师", ("认证人员守则", "QMS体系"))
        t2 = make_teacher("gcf-teacher2", "周备案老师", ("认证人员守则",))
        t3 = make_teacher("gcf-teacher3", "吴未通过老师", ("认证人员守则",), approved=False)
        return {"t1": (t1.id, person_of(t1).id), "t2": (t2.id, person_of(t2).id),
                "t3": (t3.id, person_of(t3).id), "category": category().id, "qms": category("QMS体系").id}


def form(people, **over):
    data = {"category_id": str(people["category"]), "name": over.pop("name", "认证人员守则解读（测试）"),
            "hours": "8", "delivery": "classroom", "outline": "一、总则\n二、行为规范",
            "material": (io.BytesIO(PDF), "课程材料.pdf"),
            "teacher_ids": [str(people["t1"][1]), str(people["t2"][1])], "do": "submit"}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def course_named(app, name):
    with app.app_context():
        course = db.session.query(Course).filter_by(name=name).one_or_none()
        if course is None:
            return None
        matter = courses.matter_of(course)
        return {"id": course.id, "status": course.status, "filing_no": course.filing_no,
                "valid_from": course.valid_from, "valid_until": course.valid_until,
                "material_id": course.material_id, "video_id": course.video_id,
                "matter_id": matter.id, "state": matter.state, "pending": (matter.payload or {}).get(PENDING),
                "rows": {r.person_id: (r.id, r.confirm, r.opinion) for r in course.teachers}}


def file_course(login, people, name, **over):
    c = login("institution")
    r = c.post(ADD, form(people, name=name, **over), token_from=ADD)
    assert r.status_code == 302, r.text[:2000]
    return c


def confirm(login, username, row_id, result, opinion=""):
    c = login(username)
    url = f"/teacherfilingview/confirm/{row_id}"
    return c, c.post(url, {"result": result, "opinion": opinion}, token_from=url)


def test_filing_end_to_end(app, login, people):
    """G2: file → both teachers notified and confirm (one disagrees: returned with the opinion) →
    resubmitted, both asked again → agreed → 协会审批 → filed with number and validity."""
    name = "认证人员守则解读（端到端）"
    file_course(login, people, name)
    info = course_named(app, name)
    assert info["status"] == "confirming" and info["state"] == "teacher_confirmation"
    assert sorted(info["pending"]) == sorted([people["t1"][0], people["t2"][0]])
    row1, row2 = info["rows"][people["t1"][1]][0], info["rows"][people["t2"][1]][0]
    with app.app_context():
        from models import Attachment

        material = db.session.get(Attachment, info["material_id"])
        assert material.content_type == "application/pdf" and material.kind == "course_material"
        # each teacher's notification opens their confirmation
        for (uid, _pid), row in ((people["t1"], row1), (people["t2"], row2)):
            links = [n.link for n in db.session.query(Notification).filter_by(user_id=uid)]
            assert f"/teacherfilingview/confirm/{row}" in links
    # the institution's list and detail
    inst = login("institution")
    page = inst.get("/coursefilingview/list").text
    assert name in page and "待教师确认" in page
    assert "孙备案老师" in inst.get(f"/coursefilingview/show/{info['id']}").text

    # teacher 1 sees the row with 确认 and agrees
    t1 = login("gcf-teacher1")
    page = t1.get("/teacherfilingview/list").text
    assert name in page and f"/teacherfilingview/confirm/{row1}" in page
    assert f"/teacherfilingview/confirm/{row1}" in t1.get("/").text  # 待我确认 on the teacher's home
    _c, r = confirm(login, "gcf-teacher1", row1, "agree", "内容无误")
    assert r.status_code == 302
    assert f"/teacherfilingview/confirm/{row1}" not in t1.get("/").text
    info = course_named(app, name)
    assert info["state"] == "teacher_confirmation" and info["pending"] == [people["t2"][0]]
    assert info["rows"][people["t1"][1]][1:] == ("agreed", "内容无误")
    # teacher 2 disagrees: an opinion is required
    _c, r = confirm(login, "gcf-teacher2", row2, "disagree", "")
    assert r.status_code == 200 and "确认意见" in r.text
    assert course_named(app, name)["state"] == "teacher_confirmation"
    _c, r = confirm(login, "gcf-teacher2", row2, "disagree", "学时安排不合理")
    assert r.status_code == 302
    info = course_named(app, name)
    assert info["state"] == "returned" and info["status"] == "returned"
    assert info["rows"][people["t2"][1]][1:] == ("disagreed", "学时安排不合理")
    page = inst.get(f"/coursefilingview/show/{info['id']}").text
    assert "学时安排不合理" in page

    # the institution corrects and resubmits: every teacher is asked again
    url = f"/coursefilingview/edit/{info['id']}"
    r = inst.post(url, form(people, name=name, hours="6", material=None), token_from=url)
    assert r.status_code == 302, r.text[:2000]
    info = course_named(app, name)
    assert info["state"] == "teacher_confirmation" and len(info["pending"]) == 2
    assert {v[1] for v in info["rows"].values()} == {"pending"}
    confirm(login, "gcf-teacher2", row2, "agree")
    confirm(login, "gcf-teacher1", row1, "agree")
    info = course_named(app, name)
    assert info["state"] == "association_review" and info["status"] == "reviewing"

    # the Association approves on the matter page
    assoc = login("association")
    assert name in assoc.get(f"/matterview/show/{info['matter_id']}").text
    assert name in assoc.get("/coursefilingview/list").text
    r = take(assoc, "pass_association_review", info["matter_id"])
    assert r.status_code == 302
    info = course_named(app, name)
    today = datetime.date.today()
    assert info["status"] == "filed" and info["state"] == "done"
    assert re.fullmatch(rf"KC{today.year}\d{{5}}", info["filing_no"])
    assert info["valid_from"] == today
    assert info["valid_until"] == today.replace(year=today.year + 3) - datetime.timedelta(days=1)
    page = login("gcf-teacher1").get("/teacherfilingview/list").text
    assert "教师同意与课程备案" in page and f"/teacherfilingview/unbind/{row1}" in page
    assert info["filing_no"] in inst.get("/coursefilingview/list").text


def test_online_filing_goes_to_expert_review(app, login, people):
    """G2/G5: an online course (MP4 video) goes from the teachers' agreement to 专家评价, unassigned."""
    name = "QMS网络课程（测试）"
    file_course(login, people, name, delivery="online", category_id=str(people["qms"]),
                teacher_ids=[str(people["t1"][1])], video=(io.BytesIO(MP4), "第一讲.mp4"))
    info = course_named(app, name)
    assert info["video_id"] is not None
    confirm(login, "gcf-teacher1", info["rows"][people["t1"][1]][0], "agree")
    info = course_named(app, name)
    assert info["state"] == "expert_review" and info["status"] == "reviewing"
    with app.app_context():
        assert db.session.get(Matter, info["matter_id"]).assignee_id is None
    assert name in login("association").get("/expertassignview/list").text


def test_save_as_draft_then_submit(app, login, people):
    """G2: 保存草稿 keeps the course unsubmitted (nobody asked); 提交 asks the teachers."""
    name = "草稿课程（测试）"
    file_course(login, people, name, do="save")
    info = course_named(app, name)
    assert info["state"] == "draft" and info["status"] == "not_submitted" and not info["pending"]
    assert name not in login("gcf-teacher1").get("/teacherfilingview/list").text
    inst = login("institution")
    r = inst.post(f"/coursefilingview/submit/{info['id']}", {}, token_from=f"/coursefilingview/show/{info['id']}")
    assert r.status_code == 302
    assert course_named(app, name)["state"] == "teacher_confirmation"


BAD = [
    ({"category_id": ""}, "课程类别"),
    ({"name": ""}, "课程名称"),
    ({"hours": "0.2"}, "学时"),
    ({"hours": "201"}, "学时"),
    ({"hours": "abc"}, "学时"),
    ({"delivery": "tv"}, "授课方式"),
    ({"outline": "  "}, "课程大纲"),
    ({"material": None}, "课程材料"),
    ({"material": (io.BytesIO(b"just text"), "材料.txt")}, "课程材料"),
    ({"material": (io.BytesIO(b"just text"), "伪装.pdf")}, "课程材料"),
    ({"delivery": "online"}, "课程视频"),
    ({"delivery": "online", "video": (io.BytesIO(b"not a video"), "v.avi")}, "课程视频"),
    ({"teacher_ids": []}, "授课教师"),
    ({"teacher_ids": ["999999"]}, "授课教师"),
    ({"teacher_ids": "t3"}, "吴未通过老师"),
    ({"teacher_ids": "candidate"}, "授课教师"),
]


@pytest.mark.parametrize("change,label", BAD)
def test_bad_input_writes_nothing(app, login, people, change, label):
    """G2: each bad field is refused with a message naming it; no course, matter or teacher row written."""
    change = dict(change)
    if change.get("teacher_ids") == "t3":
        change["teacher_ids"] = [str(people["t3"][1])]
    elif change.get("teacher_ids") == "candidate":
        with app.app_context():
            cand = db.session.query(Person).join(PlatformUser, Person.user_id == PlatformUser.id).filter(
                PlatformUser.username == "candidate").one()
            change["teacher_ids"] = [str(cand.id)]
    with app.app_context():
        before = (db.session.query(Course).count(), db.session.query(Matter).count(),
                  db.session.query(CourseTeacher).count())
    c = login("institution")
    r = c.post(ADD, form(people, **{"name": "坏输入课程", **change}), token_from=ADD)
    assert r.status_code == 200
    assert label in r.text and "has-error" in r.text
    with app.app_context():
        assert (db.session.query(Course).count(), db.session.query(Matter).count(),
                db.session.query(CourseTeacher).count()) == before


def test_access(app, login, people):
    """G2: another institution's course is 404; a teacher not named never reaches the row nor confirms;
    a candidate cannot open the screens."""
    name = "访问控制课程（测试）"
    file_course(login, people, name, teacher_ids=[str(people["t1"][1])])
    info = course_named(app, name)
    row = info["rows"][people["t1"][1]][0]
    other = login(second_institution_user(app))
    for url in (f"/coursefilingview/show/{info['id']}", f"/coursefilingview/edit/{info['id']}"):
        assert other.get(url).status_code == 404
    assert name not in other.get("/coursefilingview/list").text
    # teacher 2 is not named: the row is 404 and the engine refuses their answer
    t2 = login("gcf-teacher2")
    for url in (f"/teacherfilingview/show/{row}", f"/teacherfilingview/confirm/{row}"):
        assert t2.get(url).status_code == 404
    r = t2.post(f"/teacherfilingview/confirm/{row}", {"result": "agree"})
    assert r.status_code == 404
    assert name not in t2.get("/teacherfilingview/list").text
    with app.app_context():
        from app.workflow import WorkflowError

        user = db.session.get(PlatformUser, people["t2"][0])
        with pytest.raises(WorkflowError):
            courses.confirm(info["matter_id"], user, True)
    assert course_named(app, name)["pending"] == [people["t1"][0]]
    # a candidate reaches neither screen
    cand = login("candidate")
    for url in ("/coursefilingview/list", "/teacherfilingview/list", f"/coursefilingview/show/{info['id']}"):
        r = cand.get(url)
        assert r.status_code in (302, 403, 404) and name not in r.text
    # the Association reads it but does not edit it
    assoc = login("association")
    assert name in assoc.get(f"/coursefilingview/show/{info['id']}").text
    assert assoc.get(f"/coursefilingview/edit/{info['id']}").status_code in (302, 403)


def test_wrong_picks_are_refused(app, people):
    """G2: the engine's effects refuse an agreement that does not fit (others still to answer, the
    wrong delivery), a double answer, and a submission of an incomplete course."""
    from app import workflow
    from app.workflow import WorkflowError

    with app.app_context():
        inst = db.session.query(PlatformUser).filter_by(username="institution").one()
        t1, t2 = (db.session.get(PlatformUser, people[k][0]) for k in ("t1", "t2"))
        course = make_course(inst, [t1, t2])
        matter = workflow.create_matter("course_filing", inst, "课程备案：错误选择",
                                        institution_id=course.institution_id, obj=course)
        workflow.apply(matter.id, "submit", inst)
        with pytest.raises(WorkflowError):
            workflow.apply(matter.id, "teachers_agreed", t1)  # teacher 2 still to answer
        with pytest.raises(WorkflowError):
            workflow.apply(matter.id, "teachers_agreed_online", t1)
        courses.confirm(matter.id, t1, True)
        with pytest.raises(WorkflowError):
            courses.confirm(matter.id, t1, True)  # answered already
        with pytest.raises(WorkflowError):
            workflow.apply(matter.id, "teacher_agree", t2)  # the last one
        with pytest.raises(WorkflowError):
            workflow.apply(matter.id, "teachers_agreed_online", t2)  # a classroom course
        courses.confirm(matter.id, t2, True)
        assert db.session.get(Matter, matter.id).state == "association_review"
        # an incomplete course is not submitted
        bare = make_course(inst, [t1])
        bare.material_id = None
        db.session.commit()
        draft = workflow.create_matter("course_filing", inst, "课程备案：不完整", institution_id=bare.institution_id,
                                       obj=bare)
        with pytest.raises(WorkflowError):
            workflow.apply(draft.id, "submit", inst)
        assert db.session.get(Matter, draft.id).state == "draft"


def test_demo_courses_in_every_state(app, login):
    """G2/G3 demo: the demo institution's courses in every state; the demo teacher has a confirmation
    pending, an unbinding under review and an unbound row."""
    with app.app_context():
        by_name = {c.name: (c.status, courses.matter_of(c).state, c.filing_no)
                   for c in db.session.query(Course).filter(Course.name.in_(DEMO)).all()}
    assert {name: by_name[name][:2] for name in DEMO} == DEMO
    assert by_name["认证人员守则解读"][2].startswith("KC")
    t = login("teacher")
    page = t.get("/teacherfilingview/list").text
    for text in ("认证人员职业道德概论", "待确认", "解除备案审核中", "已解除绑定", "教师同意与课程备案"):
        assert text in page
    assert "/teacherfilingview/confirm/" in page
    page = login("institution").get("/coursefilingview/list").text
    assert all(name in page for name in DEMO)


DEMO = {"认证基础知识（草稿）": ("not_submitted", "draft"),
        "认证人员职业道德概论": ("confirming", "teacher_confirmation"),
        "认证人员行为规范精讲": ("returned", "returned"),
        "QMS体系内审实务": ("reviewing", "association_review"),
        "认证人员守则解读": ("filed", "done"), "QMS体系测试课程": ("filed", "done"),
        "QMS体系网络课程": ("reviewing", "expert_review"),
        "QMS体系标准理解与应用": ("filed", "done"), "认证人员守则案例分析": ("filed", "done")}
