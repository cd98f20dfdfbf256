"""F3 专家评价 through HTTP: the Association assigns a matter at 专家评价 (picker with fields and
workload; the expert is notified), the expert judges each experience row and submits 通过 / 退回 /
建议不予通过 (nonconforming rows written into the opinion), the Association decides; who may do what,
and an expert never reaching another expert's matter in views, REST or files."""
import re

from app import workflow
from app.extensions import db
from app.services import files
from models import Matter, MatterHistory, Notification, Person, PlatformUser
from models.enums import Conformity
from models.personnel import ExperienceEntry
from tests.test_certificate_matters import take

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
ROWS = [
    ("education", {"start": "2010-09-01", "end": "2014-07-01", "school": "华北电力大学", "major": "质量管理",
                   "degree": "本科"}),
    ("audit", {"start": "2022-03-01", "end": "2022-03-03", "auditee": "北京甲乙机械有限公司", "onsite_days": 3,
               "audit_type": "初次认证"}),
    ("audit", {"start": "2023-06-10", "end": "2023-06-12", "auditee": "天津丙丁电子有限公司", "onsite_days": 2,
               "audit_type": "监督审核"}),
]


def user_id(app, username):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username=username).one().id


def appeal_at_expert_review(app, candidate, rows=True):
    """A fresh candidate's appeal, submitted (专家评价, no expert yet), with experience rows:
    (matter id, business no, {kind-n: row id}, the education document's id)."""
    _c, phone, _n = candidate
    with app.app_context():
        person = db.session.query(Person).filter_by(phone=phone).one()
        user = db.session.get(PlatformUser, person.user_id)
        matter = workflow.create_matter("appeal", user, "申诉：对注册材料审核结论有异议",
                                        payload={"reason": "材料齐全"})
        workflow.apply(matter.id, "submit", user)
        ids, counts, doc = {}, {}, None
        for position, (kind, data) in enumerate(ROWS if rows else [], 1):
            entry = ExperienceEntry(person_id=person.id, matter_id=matter.id, kind=kind, position=position,
                                    data=data)
            if kind == "education":
                doc = files.store(PDF, "学历证书.pdf", "application/pdf", "experience", user=user, person=person)
                db.session.flush()
                entry.attachment_id = doc.id
            db.session.add(entry)
            db.session.flush()
            counts[kind] = counts.get(kind, 0) + 1
            ids[f"{kind}-{counts[kind]}"] = entry.id
        db.session.commit()
        return matter.id, matter.business_no, ids, (doc.id if doc else None)


def assign(app, login, matter_id, expert="expert"):
    c = login("association")
    r = c.post(f"/expertassignview/assign/{matter_id}", {"expert_id": user_id(app, expert)},
               token_from=f"/expertassignview/assign/{matter_id}")
    assert r.status_code == 302, r.text[:800]
    return c


def judge(c, matter_id, data, token_from=None):
    url = f"/experttaskview/judge/{matter_id}"
    return c.post(url, data, token_from=token_from or url)


def matter(app, matter_id):
    with app.app_context():
        found = db.session.get(Matter, matter_id)
        db.session.expunge(found)
        return found


def workload(page, expert_id):
    row = re.search(rf'for="expert-{expert_id}">.*?<td class="workload">(\d+)</td>', page, re.S)
    return int(row.group(1))


def test_association_assigns_an_expert_who_is_notified(app, login, candidate):  # F3
    mid, no, _ids, _doc = appeal_at_expert_review(app, candidate)
    assoc = login("association")
    assert no in assoc.get("/expertassignview/list").text  # 待分配专家
    show = assoc.get(f"/matterview/show/{mid}").text
    assert f"/expertassignview/assign/{mid}" in show and "指派专家" in show
    picker = assoc.get(f"/expertassignview/assign/{mid}").text
    assert "李专家" in picker and "质量管理体系（QMS）" in picker  # the expert and their fields
    assert "张专家" in picker and "职业健康安全管理体系" in picker
    before = workload(picker, user_id(app, "expert"))
    with app.app_context():
        open_count = db.session.query(Matter).filter_by(state="expert_review",
                                                        assignee_id=user_id(app, "expert")).count()
    assert before == open_count
    # bad input: nobody chosen; a user who is no expert
    r = assoc.post(f"/expertassignview/assign/{mid}", {}, token_from=f"/expertassignview/assign/{mid}")
    assert r.status_code == 200 and "请选择专家" in r.text
    r = assoc.post(f"/expertassignview/assign/{mid}", {"expert_id": user_id(app, "teacher")},
                   token_from=f"/expertassignview/assign/{mid}")
    assert "请选择专家" in r.text and matter(app, mid).assignee_id is None
    assign(app, login, mid)
    assert matter(app, mid).assignee_id == user_id(app, "expert")
    assert workload(assoc.get(f"/expertassignview/assign/{mid}").text, user_id(app, "expert")) == before + 1
    with app.app_context():
        history = db.session.query(MatterHistory).filter_by(matter_id=mid, transition="assign").one()
        assert history.from_state == history.to_state == "expert_review" and "李专家" in history.opinion
        note = db.session.query(Notification).filter_by(user_id=user_id(app, "expert")) \
            .order_by(Notification.id.desc()).first()
        assert no in note.title and note.link == f"/matterview/show/{mid}"
    assert "指派专家" in assoc.get(f"/matterview/show/{mid}").text  # the history names the operation
    assert no not in assoc.get("/expertassignview/list").text.split("已指派")[0]
    # reassigning to another expert: the first one no longer sees it
    assign(app, login, mid, "expert2")
    assert matter(app, mid).assignee_id == user_id(app, "expert2")
    assert login("expert").get(f"/matterview/show/{mid}").status_code in (302, 404)
    assert no in login("expert2").get("/experttaskview/list").text


def test_expert_judges_rows_and_returns_with_the_nonconforming_rows(app, login, candidate):  # F3
    mid, no, ids, doc = appeal_at_expert_review(app, candidate)
    assign(app, login, mid)
    expert = login("expert")
    assert no in expert.get("/experttaskview/list").text  # 我的评价任务
    assert f"/experttaskview/judge/{mid}" in expert.get(f"/matterview/show/{mid}").text
    page = expert.get(f"/experttaskview/judge/{mid}").text
    assert "华北电力大学" in page and "天津丙丁电子有限公司" in page and "审核经历" in page
    assert f"/files/{doc}" in page
    assert expert.get(f"/files/{doc}").data == PDF  # the assigned expert opens the row's document
    # 不符合 without a reason: the row is named, nothing is written
    data = {f"c-{ids['education-1']}": "conforming", f"c-{ids['audit-1']}": "conforming",
            f"c-{ids['audit-2']}": "nonconforming", "do": "save"}
    r = judge(expert, mid, data)
    assert r.status_code == 200 and "审核经历第 2 行：请填写不符合的原因" in r.text
    with app.app_context():
        assert db.session.get(ExperienceEntry, ids["education-1"]).conformity is None
    # save progress, then submit: every row must be judged
    r = judge(expert, mid, {f"c-{ids['education-1']}": "conforming", "do": "save"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(ExperienceEntry, ids["education-1"]).conformity == "conforming"
    r = judge(expert, mid, {f"c-{ids['education-1']}": "conforming", "do": "submit", "result": "return"})
    assert "审核经历第 1 行" in r.text and matter(app, mid).state == "expert_review"
    # 通过 while a row is nonconforming is refused
    data.update({f"r-{ids['audit-2']}": "现场审核天数与计划不符", "do": "submit", "result": "pass"})
    r = judge(expert, mid, data)
    assert "有经历被评为不符合" in r.text and matter(app, mid).state == "expert_review"
    data.update({f"c-{ids['audit-1']}": "nonconforming", f"r-{ids['audit-1']}": "缺少审核组任命书",
                 "result": "return", "comment": "请补充材料后重新提交。"})
    r = judge(expert, mid, data)
    assert r.status_code == 302, r.text[:800]
    found = matter(app, mid)
    assert found.state == "returned" and found.payload["expert_result"] == "return"
    with app.app_context():
        opinion = db.session.query(MatterHistory).filter_by(matter_id=mid, transition="return_expert_review") \
            .one().opinion
        assert db.session.get(ExperienceEntry, ids["audit-2"]).conformity == Conformity.NONCONFORMING.value
        # the applicant is told, with the opinion
        note = db.session.query(Notification).filter_by(user_id=found.applicant_id) \
            .order_by(Notification.id.desc()).first()
        assert "现场审核天数与计划不符" in note.body
    assert "专家评价结果：退回" in opinion
    assert ("审核经历第 1 行（审核经历：2022-03-01 / 2022-03-03 / 北京甲乙机械有限公司 / 3）：缺少审核组任命书"
            in opinion)
    assert "审核经历第 2 行" in opinion and "现场审核天数与计划不符" in opinion
    assert "华北电力大学" not in opinion and "专家意见：请补充材料后重新提交。" in opinion
    # the stage is over: no more judging
    assert expert.get(f"/experttaskview/judge/{mid}").status_code == 404
    assert "已评价" in expert.get("/experttaskview/list").text


def test_refuse_proposal_goes_to_the_association_who_refuses(app, login, candidate):  # F3
    mid, no, ids, _doc = appeal_at_expert_review(app, candidate)
    assign(app, login, mid)
    expert = login("expert")
    data = {f"c-{ids['education-1']}": "nonconforming", f"r-{ids['education-1']}": "学历证书无法核实",
            f"c-{ids['audit-1']}": "conforming", f"c-{ids['audit-2']}": "conforming",
            "do": "submit", "result": "refuse"}
    assert judge(expert, mid, data).status_code == 302
    found = matter(app, mid)
    assert found.state == "association_review" and found.payload["expert_result"] == "refuse"
    assoc = login("association")
    show = assoc.get(f"/matterview/show/{mid}").text
    assert "建议不予通过" in show and "学历证书无法核实" in show
    assert take(assoc, "refuse", mid, "经复核，同意专家意见，不予通过。").status_code == 302
    assert matter(app, mid).state == "refused"


def test_appeal_without_rows_shows_only_the_result_form(app, login, candidate):  # F3
    mid, _no, _ids, _doc = appeal_at_expert_review(app, candidate, rows=False)
    assign(app, login, mid)
    expert = login("expert")
    page = expert.get(f"/experttaskview/judge/{mid}").text
    assert "该事项没有需要评价的经历" in page and 'name="c-' not in page
    r = judge(expert, mid, {"do": "submit", "result": "refuse"})
    assert "请在专家意见中说明理由" in r.text and matter(app, mid).state == "expert_review"
    r = judge(expert, mid, {"do": "submit", "result": "pass", "comment": "申诉理由成立。"})
    assert r.status_code == 302
    assert matter(app, mid).state == "association_review"
    assert "专家评价结果：通过" in login("association").get(f"/matterview/show/{mid}").text


def test_only_the_association_assigns_and_only_the_assignee_judges(app, login, api, candidate):  # F3
    mid, no, ids, doc = appeal_at_expert_review(app, candidate)
    url = f"/expertassignview/assign/{mid}"
    # institution, expert, candidate (portal account) cannot assign
    for username in ("institution", "expert"):
        c = login(username)
        assert c.get("/expertassignview/list").status_code in (302, 403)
        assert c.get(url).status_code in (302, 403)
        c.post(url, {"expert_id": user_id(app, username)}, token_from="/notifications/")
    cand = candidate[0]
    assert cand.get(url).status_code in (302, 403, 404)
    assert matter(app, mid).assignee_id is None
    assign(app, login, mid)
    judge_url = f"/experttaskview/judge/{mid}"
    data = {f"c-{i}": "conforming" for i in ids.values()} | {"do": "submit", "result": "pass"}
    # another expert: no judging, no matter page, no REST, no files
    other = login("expert2")
    assert other.get(judge_url).status_code == 404
    assert judge(other, mid, data, token_from="/notifications/").status_code == 404
    assert other.get(f"/matterview/show/{mid}").status_code in (302, 404)
    assert no not in other.get("/experttaskview/list").text
    assert no not in other.get("/matterview/list/").text
    assert other.get(f"/files/{doc}").status_code == 404
    c, headers = api("expert2")
    assert c.get(f"/api/v1/matter/{mid}", headers=headers).status_code == 404
    assert mid not in [row["id"] for row in c.get("/api/v1/matter/?q=(page_size:100)", headers=headers).json["result"]]
    # the assigned expert reaches it through REST and views; the association, institution, candidate never judge
    c, headers = api("expert")
    assert c.get(f"/api/v1/matter/{mid}", headers=headers).status_code == 200
    assigned = c.get("/api/v1/matter/?q=(page_size:100)", headers=headers).json["result"]
    assert mid in [row["id"] for row in assigned]
    with app.app_context():
        assert {row["id"] for row in assigned} <= {m.id for m in db.session.query(Matter).filter_by(
            assignee_id=user_id(app, "expert"))}
    for username in ("association", "institution"):
        c = login(username)
        assert c.get(judge_url).status_code in (302, 403, 404)
        c.post(judge_url, data, token_from="/notifications/")
    assert cand.get(judge_url).status_code in (302, 403, 404)
    assert login("institution").get(f"/files/{doc}").status_code == 404
    assert matter(app, mid).state == "expert_review"
    with app.app_context():
        assert db.session.get(ExperienceEntry, ids["audit-1"]).conformity is None
    # the expert's generic action buttons stay theirs alone: another expert's transition is refused
    other_take = take(other, "pass_expert_review", mid)
    assert other_take.status_code in (302, 404) and matter(app, mid).state == "expert_review"


def test_demo_registration_returned_by_the_expert(app, login):  # F3 demo
    with app.app_context():
        expert_id = user_id(app, "expert")
        cand_id = user_id(app, "candidate")
        open_ = db.session.query(Matter).filter_by(assignee_id=expert_id, state="expert_review").all()
        assert any(m.type_code == "appeal" for m in open_)
        assert db.session.query(Matter).filter_by(state="expert_review", assignee_id=None).count() >= 1
        regs = db.session.query(Matter).filter_by(applicant_id=cand_id, type_code="personnel_registration",
                                                  assignee_id=expert_id).all()
        reg = next(m for m in regs if m.payload.get("demo") == "demo-expert-returned")
        assert reg.state == "returned" and reg.payload["expert_result"] == "return"
        opinion = db.session.query(MatterHistory).filter_by(matter_id=reg.id, transition="return_expert_review") \
            .one().opinion
        assert opinion.count("第 1 行") == 2 and "审核经历" in opinion and "继续教育" in opinion
        assert db.session.query(ExperienceEntry).filter_by(matter_id=reg.id, conformity="nonconforming").count() == 2
    page = login("expert").get("/experttaskview/list").text
    assert "申诉" in page


def test_rows_must_be_judged_and_resubmission_reopens_the_nonconforming(app, candidate):  # F3
    """The expert's pass/return waits for every row's judgement; when the applicant resubmits, the rows
    found nonconforming are judged again and the conforming ones keep their judgement."""
    import pytest

    from app.services import expert_review, personnel

    _c, phone, _n = candidate
    with app.app_context():
        person = db.session.query(Person).filter_by(phone=phone).one()
        matter = workflow.create_matter("personnel_registration", person.user, "人员注册申请（测试）", payload={})
        data = {"employer": "测试单位", "start": "2020-01-01", "end": "", "title": "工程师", "referee": "王五",
                "referee_phone": "13900000000", "department": ""}
        judged, open_row = (ExperienceEntry(person_id=person.id, matter_id=matter.id, kind="work", data=data,
                                            conformity=c) for c in ("conforming", None))
        db.session.add_all([judged, open_row])
        db.session.flush()
        passing = workflow.REGISTRY["personnel_registration"].transition("pass_expert_review")
        with pytest.raises(workflow.WorkflowError, match="1 条经历未评价"):
            expert_review.require_judgement(matter, passing, None)
        open_row.conformity, open_row.remark = Conformity.NONCONFORMING.value, "证明人电话无法接通"
        expert_review.require_judgement(matter, passing, None)  # every row judged: allowed
        personnel.submitted(matter, workflow.REGISTRY["personnel_registration"].transition("resubmit"), person.user)
        assert judged.conformity == "conforming" and open_row.conformity is None
        assert open_row.remark == "证明人电话无法接通"  # the reason stays readable until judged again
        db.session.rollback()
