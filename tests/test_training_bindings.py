"""G1 课程类别绑定 over HTTP: a teacher binds a level-3 course category with experience rows on 课程管理,
the matter goes to 协会审批 at once; the Association approves (the teacher is notified) or returns it, a
returned binding is edited and resubmitted; bad input names the field and row in Chinese and writes
nothing; another teacher, a non-teacher, a candidate or an institution never reach my bindings."""
import datetime

import pytest

from app.extensions import db
from app.services import teacher_categories as service
from models import Matter, Notification, TeacherCategory
from tests.g_binding_helpers import category, make_teacher, person_of
from tests.test_certificate_matters import take

BIND = "/teacherbindingview/bind"


@pytest.fixture
def ids(app):
    with app.app_context():
        t1 = make_teacher("gtb-teacher1", "孙绑定老师")
        t2 = make_teacher("gtb-teacher2", "周绑定老师")
        nt = make_teacher("gtb-notteacher", "吴非教师", is_teacher=False)
        return {"t1": t1.id, "p1": person_of(t1).id, "t2": t2.id, "nt": nt.id,
                "qms": category("QMS体系").id, "rule": category("认证人员守则").id, "ems": category("EMS体系").id}


def form(category_id, rows=None):
    if rows is None:
        rows = [("teaching", "2018-03-01", "2021-06-30", "上海质量认证培训中心", "讲授QMS审核员课程")]
    data = {"category_id": str(category_id) if category_id else "", "kind": [], "start_date": [], "end_date": [],
            "organisation": [], "content": []}
    for kind, start, end, org, content in rows:
        data["kind"].append(kind)
        data["start_date"].append(start)
        data["end_date"].append(end)
        data["organisation"].append(org)
        data["content"].append(content)
    return data


def binding(app, person_id, category_id):
    with app.app_context():
        row = db.session.query(TeacherCategory).filter_by(person_id=person_id, category_id=category_id).one_or_none()
        if row is None:
            return None
        matter = service.matter_of(row)
        return {"id": row.id, "status": row.status, "experiences": row.experiences, "matter_id": matter.id,
                "state": matter.state, "no": matter.business_no, "institution_id": matter.institution_id}


def test_teacher_binds_and_the_association_approves(app, login, ids):  # G1
    c = login("gtb-teacher1")
    page = c.get(BIND).text
    assert "<optgroup" in page and "体系课程 &gt; QMS" in page and "QMS体系" in page and "授课经历" in page
    rows = [("teaching", "2018-03-01", "2021-06-30", "上海质量认证培训中心", "讲授QMS审核员课程"),
            ("work", "2012-07-01", "2018-02-28", "广州检验检测认证集团", "从事QMS审核"),
            ("teaching", "", "", "", "")]  # an empty row of the form is skipped
    r = c.post(BIND, form(ids["qms"], rows), token_from=BIND)
    assert r.status_code == 302, r.text[:1500]
    info = binding(app, ids["p1"], ids["qms"])
    assert info["status"] == "reviewing" and info["state"] == "association_review" and info["institution_id"] is None
    assert [e["kind"] for e in info["experiences"]] == ["teaching", "work"]
    page = c.get("/teacherbindingview/list").text
    assert info["no"] in page and "体系课程 &gt; QMS &gt; QMS体系" in page and "审核中" in page
    detail = c.get(f"/teacherbindingview/show/{info['id']}").text
    assert "广州检验检测认证集团" in detail and "工作经历" in detail
    # the Association sees the content on the matter page and approves
    assoc = login("association")
    show = assoc.get(f"/matterview/show/{info['matter_id']}").text
    assert "孙绑定老师" in show and "上海质量认证培训中心" in show
    assert take(assoc, "pass_association_review", info["matter_id"]).status_code == 302
    after = binding(app, ids["p1"], ids["qms"])
    assert after["status"] == "approved" and after["state"] == "done"
    with app.app_context():
        assert service.is_bound(ids["p1"], ids["qms"])
        notes = db.session.query(Notification).filter_by(user_id=ids["t1"]).all()
        assert any(info["no"] in n.title and n.link == f"/matterview/show/{info['matter_id']}" for n in notes)
    # the teacher opens the notification's matter; a second binding of the same category is refused
    assert c.get(f"/matterview/show/{info['matter_id']}").status_code == 200
    r = c.post(BIND, form(ids["qms"]), token_from=BIND)
    assert r.status_code == 400 and "您已绑定 体系课程 &gt; QMS &gt; QMS体系" in r.text


def test_returned_binding_is_edited_and_resubmitted(app, login, ids):  # G1
    c = login("gtb-teacher1")
    assert c.post(BIND, form(ids["ems"]), token_from=BIND).status_code == 302
    info = binding(app, ids["p1"], ids["ems"])
    # under review: binding the same category again is refused
    r = c.post(BIND, form(ids["ems"]), token_from=BIND)
    assert r.status_code == 400 and "正在审核中" in r.text
    assoc = login("association")
    assert take(assoc, "return_association_review", info["matter_id"], opinion="请补充EMS授课经历").status_code == 302
    assert binding(app, ids["p1"], ids["ems"])["status"] == "returned"
    page = c.get("/teacherbindingview/list").text
    assert "请补充EMS授课经历" in page and f"/teacherbindingview/edit/{info['id']}" in page
    url = f"/teacherbindingview/edit/{info['id']}"
    assert "上海质量认证培训中心" in c.get(url).text
    rows = [("teaching", "2019-01-01", "2022-12-31", "北京EMS培训中心", "讲授EMS审核员课程")]
    assert c.post(url, form(ids["ems"], rows), token_from=url).status_code == 302
    after = binding(app, ids["p1"], ids["ems"])
    assert after["matter_id"] == info["matter_id"] and after["state"] == "association_review"
    assert after["status"] == "reviewing" and after["experiences"][0]["organisation"] == "北京EMS培训中心"
    # not returned any more: no edit
    assert c.get(url).status_code == 302
    assert take(assoc, "refuse", info["matter_id"], opinion="经历不足").status_code == 302
    assert binding(app, ids["p1"], ids["ems"])["status"] == "returned"  # refused: may be filed anew
    assert c.post(url, form(ids["ems"], rows), token_from=url).status_code == 302
    again = binding(app, ids["p1"], ids["ems"])
    assert again["matter_id"] != info["matter_id"] and again["state"] == "association_review"


@pytest.mark.parametrize("rows, category_ok, message", [
    ([], True, "请至少添加一条工作经历或授课经历"),
    ([("teaching", "", "", "", "")], True, "请至少添加一条工作经历或授课经历"),
    ([("teaching", "2020-01-01", "2021-01-01", "机构甲", "内容"), ("work", "", "2021-01-01", "机构乙", "内容")], True,
     "经历第 2 行：请填写开始日期"),
    ([("teaching", "2021-05-01", "2020-01-01", "机构甲", "内容")], True, "经历第 1 行：结束日期早于开始日期"),
    ([("teaching", "2020-01-01", (datetime.date.today() + datetime.timedelta(days=3)).isoformat(), "机构甲", "内容")],
     True, "经历第 1 行：日期不能晚于今天"),
    ([("teaching", "2020-13-01", "2021-01-01", "机构甲", "内容")], True, "经历第 1 行：开始日期不是有效日期"),
    ([("teaching", "2020-01-01", "2021-01-01", "", "内容")], True, "经历第 1 行：请填写单位/机构"),
    ([("teaching", "2020-01-01", "2021-01-01", "机构甲", "")], True, "经历第 1 行：请填写内容"),
    ([("lecture", "2020-01-01", "2021-01-01", "机构甲", "内容")], True, "经历第 1 行：请选择类型"),
    ([("teaching", "2020-01-01", "2021-01-01", "机构甲", "内容")], False, "课程类别：请选择三级课程类别"),
])
def test_bad_input_is_refused_and_nothing_is_written(app, login, ids, rows, category_ok, message):  # G1
    c = login("gtb-teacher2")
    with app.app_context():
        before = (db.session.query(TeacherCategory).count(), db.session.query(Matter).count())
        level2 = category("QMS体系").parent_id
    r = c.post(BIND, form(ids["rule"] if category_ok else level2, rows), token_from=BIND)
    assert r.status_code == 400 and message in r.text, r.text[:3000]
    with app.app_context():
        assert (db.session.query(TeacherCategory).count(), db.session.query(Matter).count()) == before


def test_who_reaches_the_teacher_screens(app, login, ids):  # G1
    mine = login("gtb-teacher1")
    assert mine.post(BIND, form(ids["rule"]), token_from=BIND).status_code == 302
    info = binding(app, ids["p1"], ids["rule"])
    other = login("gtb-teacher2")
    assert info["no"] not in other.get("/teacherbindingview/list").text
    assert other.get(f"/teacherbindingview/show/{info['id']}").status_code == 404
    assert other.get(f"/teacherbindingview/edit/{info['id']}").status_code == 404
    url = f"/teacherbindingview/edit/{info['id']}"
    assert other.post(url, form(ids["rule"]), token_from=BIND).status_code == 404
    assert binding(app, ids["p1"], ids["rule"])["experiences"] == info["experiences"]
    assert other.get(f"/matterview/show/{info['matter_id']}").status_code != 200
    # a Teacher account whose person is not a teacher is refused clearly
    nt = login("gtb-notteacher")
    r = nt.get("/teacherbindingview/list")
    assert r.status_code == 403 and "您的账号不是教师账号" in r.text
    assert nt.post(BIND, form(ids["rule"])).status_code == 403
    # an institution or a candidate never opens the teacher screens
    inst = login("institution")
    for url in ("/teacherbindingview/list", BIND, f"/teacherbindingview/show/{info['id']}"):
        assert inst.get(url).status_code in (302, 403)


def test_candidate_never_opens_the_teacher_screens(app, candidate, ids):  # G1
    c, _phone, _number = candidate
    for url in ("/teacherbindingview/list", BIND):
        r = c.get(url)
        assert r.status_code in (302, 403) and "绑定课程类别" not in r.text


def test_demo_bindings(app):  # G1 demo
    with app.app_context():
        def status(username):
            from models import PlatformUser

            user = db.session.query(PlatformUser).filter_by(username=username).one()
            return {b.category.name: b.status for b in service.bindings_of(service.teacher_of(user))}

        # other tests may bind the demo teachers to more categories
        expected = {"认证人员守则": "approved", "QMS体系": "approved", "EMS体系": "reviewing"}
        assert expected.items() <= status("teacher").items()
        assert {"认证人员守则": "approved", "QMS体系": "approved"}.items() <= status("teacher2").items()


def test_demo_runs_twice_and_changes_nothing(app):  # G1, G5 demo
    from app.demo_training_bindings import demo_bindings, demo_course_reviews
    from models import PlatformUser

    with app.app_context():
        users = {u.username: u for u in db.session.query(PlatformUser).filter(PlatformUser.username.in_(
            ("teacher", "association", "institution", "expert")))}
        before = (db.session.query(TeacherCategory).count(), db.session.query(Matter).count())
        demo_bindings(users)
        demo_course_reviews(users)
        assert (db.session.query(TeacherCategory).count(), db.session.query(Matter).count()) == before
