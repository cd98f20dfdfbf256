"""F2 人员注册申请 end to end over HTTP: the wizard with its draft, the base-information library,
bad input, the chain 机构初核 → 缴费 → 专家评价 → 协会审批 and the certificate it issues."""
import io
import re

from app.extensions import db
from models import Certificate, ExperienceEntry, Matter, Order, Person, PlatformUser
from tests.conftest import Client, second_institution_user
from tests.portal_helpers import complete, new_phone, register
from tests.test_payments import pay_online
from tests.test_portal_profile import picture, upload

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
NEW = "/portal/personnel/registration"
EDU = {"kind": "education", "start": "2010-09-01", "end": "2014-07-01", "school": "清华大学", "major": "管理工程",
       "degree": "本科"}
WORK = {"kind": "work", "employer": "北京某认证公司", "start": "2014-08-01", "end": "", "department": "审核部",
        "title": "审核员", "referee": "王五", "referee_phone": "13900001111"}
AUDIT = {"kind": "audit", "start": "2020-05-01", "end": "2020-05-03", "auditee": "某机械厂", "onsite_days": "3",
         "audit_type": "初审"}


def _person(app, phone):
    with app.app_context():
        return db.session.query(Person).filter_by(phone=phone).one().id


def _matter(app, phone):
    with app.app_context():
        user = db.session.query(PlatformUser).filter_by(phone=phone).one()
        m = db.session.query(Matter).filter_by(applicant_id=user.id, type_code="personnel_registration").one()
        return m.id


def _state(app, matter_id):
    with app.app_context():
        return db.session.get(Matter, matter_id).state


def _rows(app, person_id, matter_id=None):
    with app.app_context():
        q = db.session.query(ExperienceEntry).filter_by(person_id=person_id, matter_id=matter_id)
        return [(r.kind, dict(r.data), r.attachment_id, r.id) for r in q.order_by(ExperienceEntry.id)]


def _ready(app, c):
    """The conditions: photo uploaded, real name verified."""
    assert upload(c, "/portal/me/photo", picture()).status_code == 302
    c.post("/portal/me/realname", {}, token_from="/portal/me/edit")


def _institution_id(app, username="institution"):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username=username).one().institution_id


def _post_row(c, url, values, document=None, page=None):
    data = dict(values)
    if document is not None:
        data["document"] = (io.BytesIO(document[0]), document[1])
    return c.post(url, data, token_from=page, content_type="multipart/form-data")


def _take(c, name, matter_id, opinion=None):
    data = {"ids": str(matter_id), "csrf_token": c.csrf()}
    if opinion:
        data["opinion"] = opinion
    return c.http.post(f"/matterview/transition/{name}", data=data)


def _application(inst_id, **changes):
    return {"application_type": "AUD", "specialty": "QMS", "narrow_scope": "no", "payment": "person",
            "institution_id": str(inst_id), **changes}


def test_conditions_refuse_with_the_unmet_one(app, candidate):  # F2
    c, _phone, _number = candidate
    page = c.get(NEW)
    assert page.status_code == 200 and "条件自检" in page.text and "实名认证" in page.text
    assert "不满足条件" in page.text
    # step 2 is refused too while a condition is unmet
    r = c.post(NEW + "?step=2", _application(_institution_id(app)), token_from="/portal/me/edit")
    assert r.status_code == 400 and "不满足条件" in r.text
    assert Client(app).get(NEW).status_code == 302  # login first


def test_registration_end_to_end(app, candidate, login):  # F2
    c, phone, _number = candidate
    _ready(app, c)
    person_id = _person(app, phone)
    inst_id = _institution_id(app)
    assert "下一步" in c.get(NEW).text and "不满足条件" not in c.get(NEW).text

    # 个人基础信息库: rows kept once, with the education document
    lib = "/portal/me/library"
    assert "个人基础信息库" in c.get("/portal/me").text
    assert _post_row(c, lib + "/rows", EDU, (PDF, "diploma.pdf"), lib).status_code == 302
    assert _post_row(c, lib + "/rows", WORK, page=lib).status_code == 302
    library = _rows(app, person_id)
    assert [k for k, *_ in library] == ["education", "work"] and library[0][2] is not None

    # step 2: the institution is required, named in the message; nothing is written
    r = c.post(NEW + "?step=2", _application(""), token_from=NEW + "?step=2")
    assert r.status_code == 400 and "初核机构" in r.text
    with app.app_context():
        assert db.session.query(Matter).filter_by(type_code="personnel_registration",
                                                  applicant_id=db.session.query(PlatformUser.id)
                                                  .filter_by(phone=phone).scalar_subquery()).count() == 0
    # 暂存草稿: the matter is a draft holding the values
    r = c.post(NEW + "?step=2", {**_application(inst_id), "action": "draft"}, token_from=NEW + "?step=2")
    assert r.status_code == 302 and "step=2" in r.headers["Location"]
    matter_id = _matter(app, phone)
    assert _state(app, matter_id) == "draft"
    edit = f"/portal/personnel/registration/{matter_id}"
    # it resumes from 我的事项
    matters = c.get("/portal/me/matters").text
    assert f'href="{edit}"' in matters
    assert 'value="AUD" checked' in c.get(edit + "?step=2").text
    # the same application type twice is refused
    r = c.post(NEW + "?step=2", _application(inst_id), token_from=NEW + "?step=2")
    assert r.status_code == 400 and "未完成" in r.text

    # 个人信息填报: by hand, with bad input named by table and row, and a bad file
    page = c.get(edit + "?step=3").text
    assert "教育经历" in page and "从基本信息库添加" in page
    bad = _post_row(c, edit + "/rows", {**WORK, "employer": ""}, page=edit)
    assert bad.status_code == 400 and "工作经历" in bad.text and "第 1 行" in bad.text and "工作单位" in bad.text
    bad = _post_row(c, edit + "/rows", EDU, (b"not a pdf at all", "diploma.pdf"), edit)
    assert bad.status_code == 400 and "学历文件" in bad.text and "教育经历" in bad.text
    bad = _post_row(c, edit + "/rows", EDU, page=edit)  # no document at all
    assert bad.status_code == 400 and "学历文件" in bad.text
    assert _rows(app, person_id, matter_id) == []
    assert _post_row(c, edit + "/rows", AUDIT, page=edit).status_code == 302
    # ticked from the library: copied (the document too), not linked
    lib_ids = [str(r[3]) for r in library]
    assert c.post(edit + "/library", {"entry": lib_ids}, token_from=edit).status_code == 302
    assert c.post(edit + "/library", {"entry": lib_ids}, token_from=edit).status_code == 302  # not twice
    rows = _rows(app, person_id, matter_id)
    assert sorted(k for k, *_ in rows) == ["audit", "education", "work"]
    edu = next(r for r in rows if r[0] == "education")
    assert edu[2] is not None and edu[2] != library[0][2]
    # edit and remove a row
    audit = next(r for r in rows if r[0] == "audit")
    assert f"edit={audit[3]}" in c.get(edit + "?step=3").text
    r = _post_row(c, edit + "/rows", {**AUDIT, "auditee": "某电子厂", "entry_id": str(audit[3])}, page=edit)
    assert r.status_code == 302
    assert next(r for r in _rows(app, person_id, matter_id) if r[0] == "audit")[1]["auditee"] == "某电子厂"
    assert c.post(f"{edit}/rows/{audit[3]}/delete", {}, token_from=edit).status_code == 302
    assert len(_rows(app, person_id, matter_id)) == 2
    assert _post_row(c, edit + "/rows", AUDIT, page=edit).status_code == 302

    # another candidate reaches neither the draft nor its rows nor its files
    other = Client(app)
    assert register(other, new_phone()).status_code == 302
    assert complete(other, name="李四").status_code == 302
    assert other.get(edit + "?step=3").status_code == 404
    assert other.post(edit + "/rows", AUDIT, token_from="/portal/me/edit").status_code == 404
    assert other.post(f"{edit}/rows/{audit[3]}/delete", {}, token_from="/portal/me/edit").status_code == 404
    assert other.get(f"/files/{edu[2]}").status_code == 404
    assert other.post(edit + "/library", {"entry": lib_ids}, token_from="/portal/me/edit").status_code == 404
    assert c.get(f"/files/{edu[2]}").status_code == 200

    # the last 下一步 submits
    r = c.post(edit + "/submit", {"action": "submit"}, token_from=edit)
    assert r.status_code == 302 and "step=4" in r.headers["Location"]
    assert "已提交" in c.get(r.headers["Location"]).text
    assert _state(app, matter_id) == "institution_review"
    assert c.post(edit + "/rows", AUDIT, token_from="/portal/me/edit").status_code == 400  # no longer editable

    # 机构初核: another institution cannot pass it; the one named can, and sees the document
    other_inst = login(second_institution_user(app))
    _take(other_inst, "pass_institution_review", matter_id)
    assert _state(app, matter_id) == "institution_review"
    assert other_inst.get(f"/files/{edu[2]}").status_code == 404
    inst = login("institution")
    assert inst.get(f"/files/{edu[2]}").status_code == 200
    _take(inst, "pass_institution_review", matter_id)
    assert _state(app, matter_id) == "payment"

    # 个人缴费 through the sandbox gateway: the order is in 缴费记录; paying moves the matter on
    with app.app_context():
        order = db.session.query(Order).filter_by(matter_id=matter_id).one()
        order_id, order_no = order.id, order.order_no
        assert order.person_id == person_id and float(order.amount) == 300
    assert order_no in c.get("/portal/me/orders").text
    back = pay_online(c, f"/portal/me/orders/{order_id}/pay")
    assert "已缴费" in back.text
    assert _state(app, matter_id) == "expert_review"

    # the Association assigns the expert (F3's picker, through the engine); the expert passes it
    assoc = login("association")
    with app.app_context():
        expert_id = db.session.query(PlatformUser).filter_by(username="expert").one().id
    picker = f"/expertassignview/assign/{matter_id}"
    assert assoc.get(picker).status_code == 200
    r = assoc.post(picker, {"expert_id": str(expert_id)}, token_from=picker)
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Matter, matter_id).assignee_id == expert_id
    _take(login("teacher"), "pass_expert_review", matter_id)  # not the assigned expert
    assert _state(app, matter_id) == "expert_review"
    expert = login("expert")
    _take(expert, "pass_expert_review", matter_id)  # F3: not before each row is judged
    assert _state(app, matter_id) == "expert_review"
    with app.app_context():
        row_ids = [e.id for e in db.session.query(ExperienceEntry).filter_by(matter_id=matter_id)]
    judge = f"/experttaskview/judge/{matter_id}"
    r = expert.post(judge, {"result": "pass", "do": "submit", **{f"c-{i}": "conforming" for i in row_ids}},
                    token_from=judge)
    assert r.status_code == 302
    assert _state(app, matter_id) == "association_review"

    # 协会审批: approval issues the certificate, which verifies publicly
    _take(assoc, "pass_association_review", matter_id)
    assert _state(app, matter_id) == "done"
    with app.app_context():
        cert = db.session.query(Certificate).filter_by(person_id=person_id).one()
        serial, token = cert.serial, cert.token
        assert cert.certificate_type.code == "AUD-QMS" and cert.pdf_id is not None
        assert cert.institution_id == inst_id
    assert serial.startswith("AUD-QMS-")
    verify = Client(app).get(f"/verify/c/{token}")
    assert verify.status_code == 200 and serial in verify.text and "有效" in verify.text
    detail = c.get(f"/portal/me/matters/{matter_id}").text
    assert serial in detail and "教育经历" in detail and "审核结果" in detail


def test_returned_matter_shows_reasons_and_is_resubmitted(app, candidate, login):  # F2
    c, phone, _number = candidate
    _ready(app, c)
    inst_id = _institution_id(app)
    r = c.post(NEW + "?step=2", {**_application(inst_id, application_type="SRV", payment="institution"),
                                 "action": "next"}, token_from=NEW + "?step=2")
    assert r.status_code == 302 and "step=3" in r.headers["Location"]
    matter_id = _matter(app, phone)
    edit = f"/portal/personnel/registration/{matter_id}"
    # nothing in the required tables: the table is named
    r = c.post(edit + "/submit", {"action": "submit"}, token_from=edit)
    assert r.status_code == 400 and "教育经历" in r.text
    assert _post_row(c, edit + "/rows", EDU, (picture(), "diploma.jpg"), edit).status_code == 302
    assert _post_row(c, edit + "/rows", WORK, page=edit).status_code == 302
    assert c.post(edit + "/submit", {"action": "submit"}, token_from=edit).status_code == 302
    inst = login("institution")
    _take(inst, "return_institution_review", matter_id, opinion="工作经历证明人电话无法接通。")
    assert _state(app, matter_id) == "returned"
    # the expert's judgement of a row is shown with its reason (F3 writes it; here as the data it leaves)
    person_id = _person(app, phone)
    with app.app_context():
        row = db.session.query(ExperienceEntry).filter_by(matter_id=matter_id, kind="work").one()
        row.conformity, row.remark = "nonconforming", "证明人电话无法接通"
        db.session.commit()
    page = c.get(edit + "?step=3").text
    assert "工作经历证明人电话无法接通。" in page and "证明人电话无法接通" in page and "不符合" in page
    detail = c.get(f"/portal/me/matters/{matter_id}").text
    assert "证明人电话无法接通" in detail and "不符合" in detail and f'href="{edit}"' in detail
    work = next(r for r in _rows(app, person_id, matter_id) if r[0] == "work")
    assert _post_row(c, edit + "/rows", {**WORK, "referee_phone": "13900002222", "entry_id": str(work[3])},
                     page=edit).status_code == 302
    assert c.post(edit + "/submit", {"action": "submit"}, token_from=edit).status_code == 302
    assert _state(app, matter_id) == "institution_review"
    # institution payment: the order's payer is the institution
    _take(inst, "pass_institution_review", matter_id)
    with app.app_context():
        order = db.session.query(Order).filter_by(matter_id=matter_id).one()
        assert order.payer_type == "institution" and order.person_id is None and order.institution_id == inst_id
    assert _state(app, matter_id) == "payment"
    # the applicant cannot move it on without the payment
    with app.app_context():
        from app import workflow
        from app.workflow import WorkflowError

        user = db.session.query(PlatformUser).filter_by(phone=phone).one()
        try:
            workflow.apply(matter_id, "fee_paid", user)
            raise AssertionError("moved without payment")
        except WorkflowError as exc:
            assert "未缴费" in str(exc) or "not paid" in str(exc)
    assert _state(app, matter_id) == "payment"


def test_demo_registration_is_at_expert_review(app):  # F2
    with app.app_context():
        from app.demo_personnel import demo_registration_matter

        matter = demo_registration_matter()
        assert matter is not None and matter.state == "expert_review"
        assert matter.assignee.username == "expert" and matter.applicant.username == "candidate"
        assert db.session.query(ExperienceEntry).filter_by(matter_id=matter.id).count() >= 5
        assert db.session.query(Order).filter_by(matter_id=matter.id, status="paid").count() == 1


def test_library_rows_are_the_persons_own(app, candidate, login):  # F2
    c, phone, _number = candidate
    lib = "/portal/me/library"
    bad = _post_row(c, lib + "/rows", {**EDU, "end": "2009-01-01"}, (PDF, "d.pdf"), lib)
    assert bad.status_code == 400 and "教育经历" in bad.text
    assert _post_row(c, lib + "/rows", WORK, page=lib).status_code == 302
    row_id = _rows(app, _person(app, phone))[0][3]
    assert re.search(rf"edit={row_id}", c.get(lib).text)
    demo = login("candidate")
    assert demo.get(f"{lib}?edit={row_id}").status_code == 200 and "北京某认证公司" not in demo.get(lib).text
    assert demo.post(f"{lib}/rows/{row_id}/delete", {}, token_from=lib).status_code == 404
    assert demo.post(lib + "/rows", {**WORK, "entry_id": str(row_id)}, token_from=lib).status_code == 404
    assert c.post(f"{lib}/rows/{row_id}/delete", {}, token_from=lib).status_code == 302
    assert _rows(app, _person(app, phone)) == []
