"""G4 培训计划 through HTTP: the institution reports a plan of its filed courses naming bound teachers, each
teacher confirms (notification → confirmation screen), the Association approves, the plan is terminated
with a reason or finished after its end date: the attendees' CPD records (F9 信用评价, E9 年度确认).
Plus bad input per field, access per role, the numbering scheme and its uniqueness under concurrency."""
import datetime
import re
import threading

import pytest

from app import workflow
from app.extensions import db
from app.matters.training import PENDING
from app.services import matter_content
from app.services import training_plans as service
from app.workflow import WorkflowError
from models import Institution, Matter, Notification, PlatformUser, TrainingPlan, TrainingRecord
from models.enums import PlanStatus, TeacherConfirm
from tests.conftest import second_institution_user
from tests.g_plan_helpers import PASSWORD, make_course, make_person, make_plan, make_teacher
from tests.results_helpers import person_of_phone
from tests.test_annual_confirmation import URL as ANNUAL_URL
from tests.test_annual_confirmation import answers, expiring
from tests.test_certificate_matters import holder_cert, take

TODAY = datetime.date.today()
FORM = "/planreportview/edit/"


def _inst_id(app, username="institution"):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username=username).one().institution_id


@pytest.fixture
def setup(app):
    """A filed course of the demo institution and two teachers with approved bindings to its category."""
    with app.app_context():
        inst_id = _inst_id(app)
        course = make_course(inst_id, hours=12)
        (u1, p1), (u2, p2) = make_teacher([course.category_id]), make_teacher([course.category_id])
        return {"inst_id": inst_id, "course": course.id, "course_name": course.name, "category": course.category_id,
                "t1": (u1.id, u1.username, p1.id, p1.name), "t2": (u2.id, u2.username, p2.id, p2.name)}


def form(setup, teachers=("t1",), **over):
    data = {"title": f"测试计划{datetime.datetime.now():%H%M%S%f}", "course_ids": [str(setup["course"])],
            "start_date": (TODAY + datetime.timedelta(days=7)).isoformat(),
            "end_date": (TODAY + datetime.timedelta(days=9)).isoformat(), "location": "北京市朝阳区",
            "capacity": "30", "teacher_ids": [str(setup[t][2]) for t in teachers], "do": "submit"}
    data.update(over)
    return data


def plan_by_title(app, title):
    with app.app_context():
        plan = db.session.query(TrainingPlan).filter_by(title=title).first()
        if plan is None:
            return None
        db.session.expunge_all()
        return plan


def state(app, plan_id):
    with app.app_context():
        plan = db.session.get(TrainingPlan, plan_id)
        matter = service.matter_of(plan)
        return {"plan_status": plan.status, "state": matter.state, "matter_id": matter.id, "plan_no": plan.plan_no,
                "pending": list((matter.payload or {}).get(PENDING, [])), "reason": plan.terminated_reason,
                "teachers": [(t.person_id, t.confirm, t.opinion) for t in plan.teachers],
                "records": db.session.query(TrainingRecord).filter_by(plan_id=plan.id).count()}


def report(login, setup, **over):
    inst = login("institution")
    data = form(setup, **over)
    r = inst.post(FORM, data, token_from=FORM)
    assert r.status_code == 302, r.text[:3000]
    return inst, int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1]), data


def teacher(login, setup, key):
    return login(setup[key][1], PASSWORD)


def confirm(c, plan_id, result, opinion=""):
    url = f"/teacherplanview/confirm/{plan_id}"
    return c.post(url, {"result": result, "opinion": opinion})


def test_report_confirm_approve_finish_records_cpd(app, login, setup, candidate):
    """G4 end to end; the records feed F9 (credit page) and E9 (annual confirmation form and content)."""
    inst = login("institution")
    page = inst.get(FORM)
    assert page.status_code == 200 and setup["course_name"] in page.text and setup["t1"][3] in page.text
    data = form(setup, teachers=("t1", "t2"))
    r = inst.post(FORM, data, token_from=FORM)
    assert r.status_code == 302
    plan_id = int(r.headers["Location"].rsplit("/", 1)[1])
    s = state(app, plan_id)
    with app.app_context():
        code = service.training_code(db.session.get(Institution, setup["inst_id"]))
    assert re.fullmatch(rf"BA{code}-{(TODAY + datetime.timedelta(days=7)).year}\d{{3}}", s["plan_no"])
    assert s["state"] == "teacher_confirmation" and s["plan_status"] == PlanStatus.CONFIRMING.value
    assert s["pending"] == [setup["t1"][0], setup["t2"][0]]
    assert all(c == TeacherConfirm.PENDING.value for _p, c, _o in s["teachers"])
    # the teachers' notifications open their confirmation screen
    with app.app_context():
        for key in ("t1", "t2"):
            links = [n.link for n in db.session.query(Notification).filter_by(user_id=setup[key][0])]
            assert f"/teacherplanview/confirm/{plan_id}" in links
    show = inst.get(f"/planreportview/show/{plan_id}").text
    assert s["plan_no"] in show and f"/matterview/show/{s['matter_id']}" in show and "待确认" in show

    t1 = teacher(login, setup, "t1")
    home = t1.get("/").text  # 待我确认 on the teacher's home
    assert "待我确认" in home and s["plan_no"] in home and f"/teacherplanview/confirm/{plan_id}" in home
    listing = t1.get("/teacherplanview/list").text
    assert s["plan_no"] in listing and setup["course_name"] in listing and "待确认" in listing
    assert "未终止" in listing and f"/teacherplanview/confirm/{plan_id}" in listing
    r = confirm(t1, plan_id, "disagree")  # 不同意 needs a reason
    assert r.status_code == 400 and "请填写不同意的理由" in r.text
    assert state(app, plan_id)["pending"] == [setup["t1"][0], setup["t2"][0]]
    assert confirm(t1, plan_id, "agree", "时间合适").status_code == 302
    s = state(app, plan_id)
    assert s["state"] == "teacher_confirmation" and s["pending"] == [setup["t2"][0]]
    assert (setup["t1"][2], TeacherConfirm.AGREED.value, "时间合适") in s["teachers"]
    assert f"/teacherplanview/confirm/{plan_id}" not in t1.get("/teacherplanview/list").text  # answered
    assert f"/teacherplanview/confirm/{plan_id}" not in t1.get("/").text
    assert confirm(teacher(login, setup, "t2"), plan_id, "agree").status_code == 302
    s = state(app, plan_id)
    assert s["state"] == "association_review" and s["plan_status"] == PlanStatus.REVIEWING.value

    assoc = login("association")
    assert s["plan_no"] in assoc.get("/planreportview/list").text  # the Association sees every plan
    take(assoc, "pass_association_review", s["matter_id"])
    assert state(app, plan_id)["plan_status"] == PlanStatus.APPROVED.value

    # 结束培训 before the end date is refused, in Chinese, nothing written
    r = inst.get(f"/planreportview/finish/{plan_id}", follow_redirects=True)
    assert "结束培训" in r.text and s["plan_no"] in r.text and "起方可结束" in r.text
    c, phone, number = candidate
    with app.app_context():
        from models import Person

        db.session.get(Person, person_of_phone(app, phone)).institution_id = setup["inst_id"]  # the institution's
        others = [make_person(setup["inst_id"]) for _ in range(2)]
        other_numbers = [p.plain_id_number for p in others]
        db.session.commit()
    url = f"/planreportview/finish/{plan_id}"
    r = inst.post(url, {"lines": number, "do": "finish"}, follow_redirects=True)
    assert "起方可结束" in r.text and state(app, plan_id)["records"] == 0
    with pytest.raises(WorkflowError):
        with app.app_context():
            workflow.apply(s["matter_id"], "finish", db.session.get(PlatformUser, _user_id(app, "institution")))

    # the training took place: its dates are now past (time passes in the test)
    with app.app_context():
        plan = db.session.get(TrainingPlan, plan_id)
        plan.start_date, plan.end_date = TODAY - datetime.timedelta(days=40), TODAY - datetime.timedelta(days=38)
        db.session.commit()
    assert inst.get(url).status_code == 200
    lines = f"{number}\n{other_numbers[0]} 6\n{other_numbers[1]}"
    r = inst.post(url, {"lines": lines, "hours": "12", "do": "finish"}, token_from=url)
    assert r.status_code == 302, r.text[:2000]
    s = state(app, plan_id)
    assert s["state"] == "finished" and s["plan_status"] == PlanStatus.FINISHED.value and s["records"] == 3
    with app.app_context():
        records = db.session.query(TrainingRecord).filter_by(plan_id=plan_id).order_by(TrainingRecord.id).all()
        assert [r.certificate_no for r in records] == [f"{s['plan_no']}-{n:03d}" for n in (1, 2, 3)]
        assert [float(r.hours) for r in records] == [12.0, 6.0, 12.0]
        assert records[0].course_name == setup["course_name"] and records[0].category == "体系课程 > QMS > QMS体系"
        assert records[0].institution_id == setup["inst_id"] and records[0].end_date == TODAY - datetime.timedelta(38)
        own_no = records[0].certificate_no
    # exactly once: the engine refuses a second finish, the page no longer offers it
    with pytest.raises(WorkflowError), app.app_context():
        workflow.apply(s["matter_id"], "finish", db.session.get(PlatformUser, _user_id(app, "institution")))
    assert state(app, plan_id)["records"] == 3
    # not terminated after finishing
    r = inst.post(f"/planreportview/terminate/{plan_id}", {"reason": "晚了"}, follow_redirects=True)
    assert state(app, plan_id)["state"] == "finished"

    # F9: the attendee's credit page lists the record with the training certificate and plan numbers
    credit = c.get("/portal/me/credit").text
    assert own_no in credit and s["plan_no"] in credit and setup["course_name"] in credit
    # E9: the annual confirmation form shows the holder's CPD records, and the filed matter's content too
    c, cert_id = holder_cert(app, candidate)
    expiring(app, cert_id, 30)
    page = c.get(ANNUAL_URL).text
    assert own_no in page and "12.0" in page
    start = (TODAY - datetime.timedelta(days=60)).isoformat()
    r = c.post(ANNUAL_URL, answers(cert_id, cpd_start=start, cpd_end=TODAY.isoformat()), token_from=ANNUAL_URL)
    assert r.status_code == 302, r.text[:2000]
    with app.app_context():
        matter = db.session.query(Matter).filter_by(object_type="Certificate", object_id=cert_id,
                                                    type_code="annual_confirmation").one()
        tables = matter_content.of(matter)["tables"]
        cells = [str(cell) for t in tables for row in t["rows"] for cell in row]
        assert own_no in cells and "12.0" in cells
        mid = matter.id
    assert own_no in login("association").get(f"/matterview/show/{mid}").text


def _user_id(app, username):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username=username).one().id


def test_disagreement_returns_the_plan_and_resubmission_asks_again(app, login, setup):
    """G4: a teacher's 不同意 (with its reason) returns the plan; the institution corrects it and reports
    it again: every teacher is asked anew."""
    inst, plan_id, data = report(login, setup, teachers=("t1", "t2"))
    t2 = teacher(login, setup, "t2")
    assert confirm(t2, plan_id, "disagree", "该时段有其他安排").status_code == 302
    s = state(app, plan_id)
    assert s["state"] == "returned" and s["plan_status"] == PlanStatus.RETURNED.value and s["pending"] == []
    assert (setup["t2"][2], TeacherConfirm.DISAGREED.value, "该时段有其他安排") in s["teachers"]
    # the first teacher can no longer confirm
    r = confirm(teacher(login, setup, "t1"), plan_id, "agree")
    assert r.status_code == 403 and state(app, plan_id)["state"] == "returned"
    # the institution is told, and edits it
    with app.app_context():
        notes = db.session.query(Notification).filter_by(user_id=_user_id(app, "institution")).all()
        assert any(s["plan_no"] in (n.body or "") or str(s["matter_id"]) in (n.link or "") for n in notes)
    edit = f"/planreportview/edit/{plan_id}"
    assert inst.get(edit).status_code == 200
    new_start = (TODAY + datetime.timedelta(days=20)).isoformat()
    r = inst.post(edit, {**data, "start_date": new_start, "end_date": new_start}, token_from=edit)
    assert r.status_code == 302
    s = state(app, plan_id)
    assert s["state"] == "teacher_confirmation" and s["pending"] == [setup["t1"][0], setup["t2"][0]]
    assert all(c == TeacherConfirm.PENDING.value and o is None for _p, c, o in s["teachers"])


def test_termination_needs_a_reason(app, login, setup):
    """G4 终止: the institution with a reason (refused without one); the Association may terminate too."""
    inst, plan_id, _data = report(login, setup)
    show = f"/planreportview/show/{plan_id}"
    r = inst.post(f"/planreportview/terminate/{plan_id}", {"reason": "  "}, token_from=show)
    assert r.status_code == 400 and "请填写：终止原因" in r.text
    assert state(app, plan_id)["state"] == "teacher_confirmation"
    r = inst.post(f"/planreportview/terminate/{plan_id}", {"reason": "报名人数不足"}, token_from=show)
    assert r.status_code == 302
    s = state(app, plan_id)
    assert s["state"] == "terminated" and s["plan_status"] == PlanStatus.TERMINATED.value
    assert s["reason"] == "报名人数不足"
    listing = teacher(login, setup, "t1").get("/teacherplanview/list").text
    assert s["plan_no"] in listing and "已终止" in listing
    assert "报名人数不足" in inst.get(show).text
    # the Association terminates a plan under its review
    _inst, other, _d = report(login, setup)
    assert confirm(teacher(login, setup, "t1"), other, "agree").status_code == 302
    assert state(app, other)["state"] == "association_review"
    assoc = login("association")
    assert assoc.get(f"/planreportview/show/{other}").status_code == 200
    r = assoc.post(f"/planreportview/terminate/{other}", {"reason": "教师资质存疑"},
                   token_from=f"/planreportview/show/{other}")
    assert r.status_code == 302 and state(app, other)["state"] == "terminated"


def test_refused_and_withdrawn_plans_are_not_terminated(app, login, setup):
    """G4: a plan the Association refuses reads 不予通过 and a withdrawn one 已撤回; neither says 已终止."""
    inst, refused, _data = report(login, setup)
    assert confirm(teacher(login, setup, "t1"), refused, "agree").status_code == 302
    assoc = login("association")
    mid = state(app, refused)["matter_id"]
    assoc.post("/matterview/transition/refuse", {"ids": str(mid), "opinion": "培训内容与备案课程不符"},
               token_from=f"/matterview/show/{mid}")
    s = state(app, refused)
    assert s["state"] == "refused" and s["plan_status"] == PlanStatus.REFUSED.value and s["reason"] is None
    _inst, withdrawn, _d = report(login, setup)
    mid = state(app, withdrawn)["matter_id"]
    inst.post("/matterview/transition/withdraw", {"ids": str(mid)}, token_from=f"/matterview/show/{mid}")
    assert state(app, withdrawn)["plan_status"] == PlanStatus.WITHDRAWN.value
    listing = inst.get("/planreportview/list").text
    for plan_id in (refused, withdrawn):
        row = listing.split(state(app, plan_id)["plan_no"], 1)[1].split("</tr>", 1)[0]
        assert "未终止" in row and "已终止" not in row
    assert "不予通过" in listing and "已撤回" in listing


@pytest.mark.parametrize("field,value,message", [
    ("title", "", "请填写：计划名称"),
    ("course_ids", [], "请选择：课程"),
    ("start_date", (TODAY - datetime.timedelta(days=1)).isoformat(), "开始日期已过"),
    ("start_date", "2026-13-45", "开始日期"),
    ("end_date", (TODAY + datetime.timedelta(days=3)).isoformat(), "结束日期早于开始日期"),
    ("location", "", "请填写：地点"),
    ("capacity", "0", "容纳人数须为 1 至 1000 的整数"),
    ("capacity", "1001", "容纳人数"),
    ("capacity", "abc", "容纳人数"),
    ("teacher_ids", [], "请选择：授课教师"),
])
def test_bad_input_is_refused_per_field(app, login, setup, field, value, message):
    """G4: each field is checked; the message names it; nothing is written."""
    inst = login("institution")
    data = form(setup, **{field: value})
    r = inst.post(FORM, data, token_from=FORM)
    assert r.status_code == 400 and message in r.text, r.text[-3000:]
    assert plan_by_title(app, data["title"]) is None if data["title"] else True
    with app.app_context():
        assert db.session.query(TrainingPlan).filter_by(location="北京市朝阳区", title=data["title"]).count() == 0


def test_courses_and_teachers_must_qualify(app, login, setup):
    """G4: only the institution's filed courses valid through the end date; only teachers with an account
    and an approved binding to a chosen course's category (named in the refusal)."""
    inst = login("institution")
    with app.app_context():
        short = make_course(setup["inst_id"], valid_days=5)  # expires before the plan ends
        foreign = make_course(_inst_id(app, second_institution_user(app)))
        _u, unbound = make_teacher([], name="未绑定")
        _u, pending = make_teacher([setup["category"]], name="待审核", approved=False)
        nobody = make_person(None, name="无账号", teacher=True)
        db.session.commit()
        ids = {"short": short.id, "foreign": foreign.id, "unbound": unbound.id, "pending": pending.id,
               "nobody": nobody.id}
    for over, text in (({"course_ids": [str(ids["short"])]}, "不是贵机构在结束日期前有效的备案课程"),
                       ({"course_ids": [str(ids["foreign"])]}, "不是贵机构在结束日期前有效的备案课程"),
                       ({"teacher_ids": [str(ids["unbound"])]}, "未绑定"),
                       ({"teacher_ids": [str(ids["pending"])]}, "待审核"),
                       ({"teacher_ids": [str(ids["nobody"])]}, "无账号")):
        data = form(setup, **over)
        r = inst.post(FORM, data, token_from=FORM)
        assert r.status_code == 400 and text in r.text, (over, r.text[-2000:])
        assert plan_by_title(app, data["title"]) is None


def test_access_per_role(app, login, setup, candidate):
    """G4: another institution gets 404 and never sees the plan; a teacher not named cannot confirm; a
    candidate has no way in; the Association reads but does not write."""
    inst, plan_id, data = report(login, setup)
    s = state(app, plan_id)
    other = login(second_institution_user(app))
    assert s["plan_no"] not in other.get("/planreportview/list").text
    for url in (f"/planreportview/show/{plan_id}", f"/planreportview/edit/{plan_id}",
                f"/planreportview/finish/{plan_id}"):
        assert other.get(url).status_code == 404
    token = other.csrf()
    assert other.post(f"/planreportview/terminate/{plan_id}", {"reason": "x", "csrf_token": token}).status_code == 404
    assert other.post(f"/planreportview/submit/{plan_id}", {"csrf_token": token}).status_code == 404
    # a teacher not named: 404 on the screens, refused by the engine
    stranger = teacher(login, setup, "t2")
    assert s["plan_no"] not in stranger.get("/teacherplanview/list").text
    assert stranger.get(f"/teacherplanview/confirm/{plan_id}").status_code == 404
    token = stranger.csrf()
    r = stranger.post(f"/teacherplanview/confirm/{plan_id}", {"result": "agree", "csrf_token": token})
    assert r.status_code == 404 and state(app, plan_id)["pending"] == [setup["t1"][0]]
    with pytest.raises(WorkflowError), app.app_context():
        service.confirm(s["matter_id"], db.session.get(PlatformUser, setup["t2"][0]), True)
    # the candidate (portal user) has no way into either screen
    c = candidate[0]
    for url in ("/planreportview/list", f"/planreportview/show/{plan_id}", "/teacherplanview/list",
                f"/teacherplanview/confirm/{plan_id}"):
        r = c.get(url)
        assert r.status_code in (302, 403, 404) and s["plan_no"] not in r.text
    # the Association reads, and may not write a plan
    assoc = login("association")
    assert s["plan_no"] in assoc.get(f"/planreportview/show/{plan_id}").text
    assert assoc.get(FORM).status_code in (302, 403, 404)
    assert assoc.get(f"/planreportview/finish/{plan_id}").status_code in (302, 403, 404)


def test_plan_numbers(app, setup):
    """G4 numbering: BA + the training code (creation year + id in 3 digits) + - + year + 3-digit sequence
    per institution and year, allocated at creation; the number never changes."""
    with app.app_context():
        user = db.session.query(PlatformUser).filter_by(username="institution").one()
        inst = db.session.get(Institution, user.institution_id)
        code = f"{inst.created_at.year}{inst.id:03d}"
        assert service.training_code(inst) == code
        from models import Course, Person

        course, person = db.session.get(Course, setup["course"]), db.session.get(Person, setup["t1"][2])
        year = TODAY.year + 7  # a year of its own: the sequence starts at 001
        start = datetime.date(year, 3, 1)
        numbers = [make_plan(user, [course], [person], start=start)[0].plan_no for _ in range(3)]
        assert numbers == [f"BA{code}-{year}{n:03d}" for n in (1, 2, 3)]
        nxt = make_plan(user, [course], [person], start=datetime.date(year + 1, 1, 5))[0]
        assert nxt.plan_no == f"BA{code}-{year + 1}001"
        assert re.fullmatch(r"BA\d{7}-\d{7}", nxt.plan_no)


def test_plan_numbers_under_concurrency(app, setup):
    """G4: several sessions creating plans of one institution at once get distinct, consecutive numbers
    (the counter's atomic upsert; PostgreSQL)."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the concurrent path runs on PostgreSQL")
    year, n = TODAY.year + 20, 6
    barrier, results, errors = threading.Barrier(n), [], []

    def create():
        try:
            with app.app_context():
                from models import Course, Person

                user = db.session.query(PlatformUser).filter_by(username="institution").one()
                course, person = db.session.get(Course, setup["course"]), db.session.get(Person, setup["t1"][2])
                barrier.wait(timeout=30)
                plan, _matter = make_plan(user, [course], [person], start=datetime.date(year, 6, 1))
                results.append(plan.plan_no)
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with app.app_context():
        code = service.training_code(db.session.get(Institution, setup["inst_id"]))
    assert sorted(results) == [f"BA{code}-{year}{k:03d}" for k in range(1, n + 1)]


def test_demo_plans(app):
    """G4 demo: the demo institution's plans in every state; the finished one wrote CPD records."""
    with app.app_context():
        inst_id = _inst_id(app)
        plans = db.session.query(TrainingPlan).filter_by(institution_id=inst_id).all()
        demo = [p for p in plans if p.title.startswith("示例")]
        if not demo:
            pytest.skip("no filed demo course (helper B's demo) to plan with")
        states = {service.matter_of(p).state for p in demo}
        assert {"draft", "teacher_confirmation", "association_review", "approved", "returned", "terminated",
                "finished"} <= states
        finished = next(p for p in demo if p.status == PlanStatus.FINISHED.value)
        names = {r.person.name for r in db.session.query(TrainingRecord).filter_by(plan_id=finished.id)}
        assert "王小明" in names and len(names) == 3
        waiting = [p for p in demo if service.matter_of(p).state == "teacher_confirmation"]
        teacher_user = db.session.query(PlatformUser).filter_by(username="teacher").one()
        assert any(teacher_user.id in service.matter_of(p).payload[PENDING] for p in waiting)
