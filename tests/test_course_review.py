"""G5 专家评价 of courses over HTTP: 老课复审 — the institution asks to extend a filed course's validity
(自…延期至…), the Association assigns an expert, the expert is refused while items are unjudged, judges
each item (符合 / 不符合 + remark), passes (or returns with the nonconforming items in the opinion), the
Association approves and the validity is extended; 网络课程评价 — an online course's filing (file and video
review) from the teachers' agreement to its filing; who reaches what."""
import datetime
import io

import pytest

from app.extensions import db
from app.services import course_review as service
from models import Course, Matter, Notification, PlatformUser
from tests.conftest import second_institution_user
from tests.g_review_helpers import filed_course
from tests.test_certificate_matters import take

LIST = "/courserereviewview/list"


def uid(app, username):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username=username).one().id


def new_course(app, valid_until=datetime.date(2022, 4, 5), name=None):
    with app.app_context():
        inst = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
        course = filed_course(inst, valid_until=valid_until, name=name)
        return course.id, course.name


def state(app, matter_id):
    with app.app_context():
        m = db.session.get(Matter, matter_id)
        return {"state": m.state, "assignee_id": m.assignee_id, "payload": dict(m.payload or {}),
                "opinions": [h.opinion for h in m.history], "no": m.business_no}


def rereviews(app, course_id):
    with app.app_context():
        return [m.id for m in service.rereviews_of(db.session.get(Course, course_id))]


def apply(c, course_id, reason="课程内容已按现行标准更新"):
    url = f"/courserereviewview/apply/{course_id}"
    return c.post(url, {"reason": reason})


def assign(app, login, matter_id, expert="expert"):
    c = login("association")
    url = f"/expertassignview/assign/{matter_id}"
    r = c.post(url, {"expert_id": uid(app, expert)}, token_from=url)
    assert r.status_code == 302, r.text[:800]
    return c


def judge(c, matter_id, data, own=True):
    url = f"/coursereviewtaskview/judge/{matter_id}"
    return c.post(url, data, token_from=url if own else None)


def all_items(matter_type, **over):
    items = service.FILE_ITEMS + service.VIDEO_ITEMS if matter_type == service.FILING else service.REREVIEW_ITEMS
    data = {f"c-{code}": "conforming" for code, _label in items}
    data.update(over)
    return data


def test_rereview_end_to_end(app, login):  # G5
    course_id, name = new_course(app)
    inst = login("institution")
    page = inst.get(LIST).text
    assert name in page and f"/courserereviewview/apply/{course_id}" in page
    assert "自2022-04-06延期至2023-04-05" in inst.get(f"/courserereviewview/apply/{course_id}").text
    # the reason is required: nothing written
    r = apply(inst, course_id, reason="  ")
    assert r.status_code == 400 and "复审原因：请填写" in r.text and rereviews(app, course_id) == []
    assert apply(inst, course_id).status_code == 302
    [matter_id] = rereviews(app, course_id)
    info = state(app, matter_id)
    assert info["state"] == "expert_review" and info["assignee_id"] is None
    assert info["payload"]["extend_from"] == "2022-04-06" and info["payload"]["extend_to"] == "2023-04-05"
    # a second application while the first is open is refused
    r = apply(inst, course_id)
    assert r.status_code == 400 and "正在办理中" in r.text and len(rereviews(app, course_id)) == 1
    # the Association assigns `expert`, who is notified and finds it in 老课复审评价
    assoc = login("association")
    assert name in assoc.get("/expertassignview/list").text
    assign(app, login, matter_id)
    with app.app_context():
        notes = db.session.query(Notification).filter_by(user_id=uid(app, "expert")).all()
        assert any(info["no"] in n.title and n.link == f"/matterview/show/{matter_id}" for n in notes)
    expert = login("expert")
    tasks = expert.get("/coursereviewtaskview/list").text
    assert name in tasks and "自2022-04-06延期至2023-04-05" in tasks and "EMS" in tasks and "面授课程" in tasks
    assert f"/coursereviewtaskview/judge/{matter_id}" in expert.get(f"/matterview/show/{matter_id}").text
    page = expert.get(f"/coursereviewtaskview/judge/{matter_id}").text
    assert "内容现行有效" in page and "引用标准法规为现行版本" in page and "教学效果良好" in page
    # the transition is refused while the items are unjudged (the matter page's action as well)
    take(expert, "pass_expert_review", matter_id)
    assert state(app, matter_id)["state"] == "expert_review"
    r = judge(expert, matter_id, {"do": "submit", "result": "pass", "c-rereview_current": "conforming"})
    assert r.status_code == 400 and "引用标准法规为现行版本：请评价此项" in r.text
    # 不符合 needs a remark; saving keeps the judgements so far
    r = judge(expert, matter_id, {"do": "save", "c-rereview_current": "nonconforming"})
    assert r.status_code == 400 and "内容现行有效：请填写不符合的原因" in r.text
    assert judge(expert, matter_id, {"do": "save", "c-rereview_current": "conforming"}).status_code == 302
    assert state(app, matter_id)["payload"]["course_review"] == {"rereview_current": {"result": "conforming",
                                                                                       "remark": None}}
    # passing with a nonconforming item is refused
    r = judge(expert, matter_id, all_items(service.REREVIEW, do="submit", result="pass",
                                           **{"c-rereview_effect": "nonconforming", "r-rereview_effect": "差"}))
    assert r.status_code == 400 and "请退回该事项" in r.text and state(app, matter_id)["state"] == "expert_review"
    r = judge(expert, matter_id, all_items(service.REREVIEW, do="submit", result="pass"))
    assert r.status_code == 302, r.text[:1500]
    assert state(app, matter_id)["state"] == "association_review"
    # the Association approves: the validity is extended
    assert take(assoc, "pass_association_review", matter_id).status_code == 302
    assert state(app, matter_id)["state"] == "done"
    with app.app_context():
        assert db.session.get(Course, course_id).valid_until == datetime.date(2023, 4, 5)
    # the next re-review starts from the new end
    assert "自2023-04-06延期至2024-04-05" in inst.get(f"/courserereviewview/apply/{course_id}").text


def test_expert_returns_with_the_nonconforming_items(app, login):  # G5
    course_id, _name = new_course(app, valid_until=datetime.date(2024, 2, 28))
    inst = login("institution")
    assert apply(inst, course_id).status_code == 302
    [matter_id] = rereviews(app, course_id)
    assert state(app, matter_id)["payload"]["extend_to"] == "2025-02-28"
    assign(app, login, matter_id)
    expert = login("expert")
    # a return needs a reason: a nonconforming item or a comment
    r = judge(expert, matter_id, all_items(service.REREVIEW, do="submit", result="return"))
    assert r.status_code == 400 and state(app, matter_id)["state"] == "expert_review"
    r = judge(expert, matter_id, all_items(service.REREVIEW, do="submit", result="return", comment="请更新标准版本",
                                           **{"c-rereview_standards": "nonconforming",
                                              "r-rereview_standards": "仍引用GB/T 19001-2008"}))
    assert r.status_code == 302, r.text[:1500]
    info = state(app, matter_id)
    assert info["state"] == "returned"
    assert "引用标准法规为现行版本" in info["opinions"][-1] and "GB/T 19001-2008" in info["opinions"][-1]
    assert "请更新标准版本" in info["opinions"][-1]
    with app.app_context():
        assert db.session.get(Course, course_id).valid_until == datetime.date(2024, 2, 28)


def test_who_reaches_the_rereview(app, login):  # G5
    course_id, name = new_course(app)
    second_institution_user(app)
    other = login("institution-b")
    assert name not in other.get(LIST).text
    assert other.get(f"/courserereviewview/apply/{course_id}").status_code == 404
    assert apply(other, course_id).status_code == 404 and rereviews(app, course_id) == []
    with pytest.raises(service.ReviewError):
        with app.app_context():
            service.apply_rereview(course_id, db.session.query(PlatformUser).filter_by(username="institution-b").one(),
                                   "不是本机构的课程")
    # a teacher or an expert does not open the institution's screen
    for username in ("teacher", "expert"):
        assert login(username).get(LIST).status_code in (302, 403)
    inst = login("institution")
    assert apply(inst, course_id).status_code == 302
    [matter_id] = rereviews(app, course_id)
    # before it is assigned, and to another expert, the judgement page is not found
    assert login("expert").get(f"/coursereviewtaskview/judge/{matter_id}").status_code == 404
    assign(app, login, matter_id)
    expert2 = login("expert2")
    assert name not in expert2.get("/coursereviewtaskview/list").text
    assert expert2.get(f"/coursereviewtaskview/judge/{matter_id}").status_code == 404
    r = judge(expert2, matter_id, all_items(service.REREVIEW, do="submit", result="pass"), own=False)
    assert r.status_code == 404
    assert state(app, matter_id)["state"] == "expert_review"
    # the institution and the Association do not judge
    assert inst.get(f"/coursereviewtaskview/judge/{matter_id}").status_code in (302, 403)


def test_refused_by_the_rules(app):  # G5
    with app.app_context():
        inst_user = db.session.query(PlatformUser).filter_by(username="institution").one()
        course = filed_course(inst_user.institution_id)
        course.status = "reviewing"
        db.session.commit()
        with pytest.raises(service.ReviewError, match="已备案"):
            service.apply_rereview(course.id, inst_user, "理由")
        assert rereviews(app, course.id) == []


def test_online_course_filing_end_to_end(app, login):  # G5 (the online path of G2's course_filing)
    from tests.g_course_helpers import MP4, make_teacher, person_of
    from tests.test_course_filing import confirm, course_named, file_course

    with app.app_context():
        t1 = make_teacher("gcr-teacher1", "郑网课老师", ("QMS体系",))
        people = {"t1": (t1.id, person_of(t1).id), "t2": (t1.id, person_of(t1).id), "category": None, "qms": None}
        from tests.g_course_helpers import category

        people["category"] = people["qms"] = category("QMS体系").id
    name = "QMS网络课程（G5评价）"
    file_course(login, people, name, delivery="online", category_id=str(people["qms"]),
                teacher_ids=[str(people["t1"][1])], video=(io.BytesIO(MP4), "第一讲.mp4"))
    info = course_named(app, name)
    confirm(login, "gcr-teacher1", info["rows"][people["t1"][1]][0], "agree")
    info = course_named(app, name)
    matter_id = info["matter_id"]
    assert info["state"] == "expert_review"
    assign(app, login, matter_id)
    expert = login("expert")
    tasks = expert.get("/coursereviewtaskview/list").text
    assert name in tasks and "文件评价" in tasks and "视频评价" in tasks and "未评价" in tasks
    page = expert.get(f"/coursereviewtaskview/judge/{matter_id}").text
    assert "课程大纲完整" in page and "视频时长与学时相符" in page
    # the course's material and video open for the assigned expert (files.may_open), not for another expert
    with app.app_context():
        course = service.course_of(db.session.get(Matter, matter_id))
        attachments = (course.material_id, course.video_id)
    for attachment_id in attachments:
        r = expert.get(f"/files/{attachment_id}")
        assert r.status_code == 200 and r.data
        assert login("expert2").get(f"/files/{attachment_id}").status_code in (403, 404)
    # only the file review judged: refused, the list shows the file review done
    file_only = {f"c-{code}": "conforming" for code, _label in service.FILE_ITEMS}
    assert judge(expert, matter_id, {**file_only, "do": "save"}).status_code == 302
    tasks = expert.get("/coursereviewtaskview/list").text
    assert "文件评价: 已评价" in tasks and "视频评价: 未评价" in tasks
    r = judge(expert, matter_id, {**file_only, "do": "submit", "result": "pass"})
    assert r.status_code == 400 and "画面清晰稳定：请评价此项" in r.text
    r = judge(expert, matter_id, all_items(service.FILING, do="submit", result="pass"))
    assert r.status_code == 302, r.text[:1500]
    assert course_named(app, name)["state"] == "association_review"
    assoc = login("association")
    show = assoc.get(f"/matterview/show/{matter_id}").text
    assert "文件评价" in show and "视频评价" in show  # the expert's judgements on the matter page
    assert take(assoc, "pass_association_review", matter_id).status_code == 302
    info = course_named(app, name)
    assert info["state"] == "done" and info["status"] == "filed" and info["filing_no"]


def test_demo_course_reviews(app):  # G5 demo
    from app.demo_training_bindings import MARK

    with app.app_context():
        expert = db.session.query(PlatformUser).filter_by(username="expert").one()
        found = [m for m in db.session.query(Matter).filter_by(type_code=service.REREVIEW)
                 if (m.payload or {}).get("demo") == MARK]
        if not found:
            pytest.skip("the G2 demo files no course")
        [demo] = found
        assert demo.assignee_id == expert.id and demo.state == "expert_review"
        assert service.period(demo).startswith("自") and not service.judgements(demo)
        online = [m for m in db.session.query(Matter).filter_by(type_code=service.FILING, state=service.STAGE)
                  if m.id < demo.id and service.course_of(m).delivery == "online"]  # the demo's, not the tests'
        assert online
        assert all(m.assignee_id is not None for m in online)
