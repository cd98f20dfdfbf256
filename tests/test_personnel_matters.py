"""F1, F4–F8 through HTTP: the matter catalogue with reasons, the transfer chain (out → in →
Association) moving the person and their certificates, appeal and complaint with the
Association's reply, the expert application granting the Expert role, and 我的事项."""
import io

from app.extensions import db
from models import Certificate, CertificateEvent, CreditRecord, Institution, Matter, Person, PlatformUser
from tests.conftest import second_institution_user
from tests.results_helpers import issued_certificate, person_of_phone
from tests.test_certificate_matters import png, take


def institution_id_of(app, username):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username=username).one().institution_id


def institution_name(app, institution_id):
    with app.app_context():
        return db.session.get(Institution, institution_id).name


def certified(app, candidate, username="institution"):
    """The candidate works at ``username``'s institution and holds a valid certificate there."""
    c, phone, _n = candidate
    person_id = person_of_phone(app, phone)
    own = institution_id_of(app, username)
    with app.app_context():
        db.session.get(Person, person_id).institution_id = own
        db.session.commit()
    cert_id = issued_certificate(app, person_id, institution_id=own)
    return c, person_id, cert_id


def latest(app, applicant_phone, type_code):
    with app.app_context():
        person = db.session.query(Person).filter_by(phone=applicant_phone).one()
        return db.session.query(Matter).filter_by(applicant_id=person.user_id, type_code=type_code) \
            .order_by(Matter.id.desc()).first()


def post_form(c, url, data, files=()):
    payload = dict(data)
    for name, content, filename in files:
        payload[name] = (io.BytesIO(content), filename)
    return c.post(url, payload, token_from=url)


def test_catalogue_groups_matters_and_gives_reasons(app, login, candidate):  # F1
    page = login("candidate").get("/portal/services")
    assert page.status_code == 200
    for name in ("人员注册申请", "人员转换执业机构", "申诉", "投诉", "专家申请", "15 个工作日", "90 个工作日"):
        assert name in page.text
    assert "认证人员" in page.text and "会员服务" in page.text and "检验检测人员" in page.text
    c, _phone, _n = candidate
    fresh = c.get("/portal/services")
    # a person without a certificate may not transfer: the reason shows, not a link
    assert "只有持有有效证书的认证人员才能转换执业机构" in fresh.text
    assert "/portal/matters/transfer/new" not in fresh.text
    assert "/portal/matters/complaint/new" in fresh.text
    member_tab = c.get("/portal/services?tab=member")
    assert "会员申请" in member_tab.text and "人员转换执业机构" not in member_tab.text
    assert c.get("/portal/services?tab=nonsense").status_code == 200
    # a visitor sees the catalogue too; the links lead to the login
    from tests.conftest import Client

    assert "人员转换执业机构" in Client(app).get("/portal/services").text
    # the institution's own catalogue in the back office
    inst = login("institution")
    office = inst.get("/personnelmattersview/catalogue")
    assert office.status_code == 200 and "投诉" in office.text and "/personnelmattersview/file/complaint" in office.text
    assert login("expert").get("/personnelmattersview/catalogue").status_code in (302, 403)


def test_transfer_chain_moves_the_person_and_certificates(app, login, candidate):  # F4
    c, person_id, cert_id = certified(app, candidate)
    _c, phone, _n = candidate
    other_id = institution_id_of(app, second_institution_user(app))
    other_name = institution_name(app, other_id)
    page = c.get("/portal/matters/transfer/new")
    assert page.status_code == 200
    assert "档案号" in page.text and f"R{person_id:08d}" in page.text and "认证转会" in page.text
    assert other_name in page.text  # the in-institution picker
    url = "/portal/matters/transfer/new"
    # 其他 needs an explanation; nothing is written
    bad = post_form(c, url, {"to_institution": other_name, "reason_kind": "other"}, [("documents", png(), "r.png")])
    assert "补充说明" in bad.text and latest(app, phone, "institution_transfer") is None
    unknown = post_form(c, url, {"to_institution": "不存在的机构", "reason_kind": "personal"},
                        [("documents", png(), "r.png")])
    assert "不存在的机构" in unknown.text and "转入机构" in unknown.text
    nofile = post_form(c, url, {"to_institution": other_name, "reason_kind": "personal"})
    assert "转会理由文件" in nofile.text and latest(app, phone, "institution_transfer") is None
    done = post_form(c, url, {"to_institution": other_name, "reason_kind": "other", "explanation": "随家庭迁居"},
                     [("documents", png(), "reason.png")])
    assert done.status_code == 302
    matter = latest(app, phone, "institution_transfer")
    assert matter.state == "out_institution_review" and matter.second_institution_id == other_id
    # the in-institution cannot act before the out-institution, and sees the matter in its list
    inst_b = login(second_institution_user(app))
    assert take(inst_b, "pass_out_institution_review", matter.id).status_code == 302
    assert latest(app, phone, "institution_transfer").state == "out_institution_review"
    assert take(login("institution"), "pass_out_institution_review", matter.id).status_code == 302
    assert latest(app, phone, "institution_transfer").state == "in_institution_review"
    assert inst_b.get(f"/matterview/show/{matter.id}").status_code == 200
    file_id = matter.payload["attachment_ids"][0]
    assert inst_b.get(f"/files/{file_id}").status_code == 200
    # the institution left cannot take the joined one's step
    take(login("institution"), "pass_in_institution_review", matter.id)
    assert latest(app, phone, "institution_transfer").state == "in_institution_review"
    take(inst_b, "pass_in_institution_review", matter.id)
    assert take(login("association"), "pass_association_review", matter.id).status_code == 302
    with app.app_context():
        assert db.session.get(Matter, matter.id).state == "done"
        assert db.session.get(Person, person_id).institution_id == other_id
        assert db.session.get(Certificate, cert_id).institution_id == other_id
        event = db.session.query(CertificateEvent).filter_by(certificate_id=cert_id, kind="transferred").one()
        assert event.matter_id == matter.id and other_name in event.note
    detail = c.get(f"/portal/me/matters/{matter.id}")
    assert detail.status_code == 200 and other_name in detail.text and "协会审批" in detail.text


def test_transfer_return_edit_and_resubmit(app, login, candidate):  # F4, F8
    c, _person_id, _cert = certified(app, candidate)
    _c, phone, _n = candidate
    other_name = institution_name(app, institution_id_of(app, second_institution_user(app)))
    post_form(c, "/portal/matters/transfer/new", {"to_institution": other_name, "reason_kind": "personal"},
              [("documents", png(), "reason.png")])
    matter = latest(app, phone, "institution_transfer")
    take(login("institution"), "return_out_institution_review", matter.id, opinion="理由文件不清晰")
    listing = c.get("/portal/me/matters?tab=in_progress")
    assert f"/portal/me/matters/{matter.id}/correct" in listing.text
    form = c.get(f"/portal/me/matters/{matter.id}/correct")
    assert "理由文件不清晰" in form.text and other_name in form.text
    url = f"/portal/me/matters/{matter.id}/correct"
    again = post_form(c, url, {"to_institution": other_name, "reason_kind": "job_change"},
                      [("documents", png("gray"), "clear.png")])
    assert again.status_code == 302
    after = latest(app, phone, "institution_transfer")
    assert after.state == "out_institution_review" and after.payload["reason_kind"] == "job_change"
    assert len(after.payload["attachment_ids"]) == 2
    # no longer returned: editing is refused
    assert c.get(url).status_code == 302


def test_transfer_refused_without_certificate(app, candidate):  # F1, F4
    c, phone, _n = candidate
    page = c.get("/portal/matters/transfer/new")
    assert "只有持有有效证书的认证人员才能转换执业机构" in page.text and 'name="to_institution"' not in page.text
    c.post("/portal/matters/transfer/new", {"to_institution": "x", "reason_kind": "personal"}, token_from="/portal/me")
    assert latest(app, phone, "institution_transfer") is None


def test_complaint_upheld_with_reply_enters_the_credit_record(app, login, candidate):  # F6, F9
    c, phone, _n = candidate
    with app.app_context():
        cert = db.session.query(Certificate).filter(Certificate.holder_name.isnot(None)) \
            .order_by(Certificate.id).first()
        serial, holder, holder_person = cert.serial, cert.holder_name, cert.person_id
    url = "/portal/matters/complaint/new"
    wrong = post_form(c, url, {"respondent_kind": "person", "respondent_name": holder + "甲",
                               "respondent_certificate": serial, "summary": "审核走过场", "content": "现场审核仅半天"})
    assert serial in wrong.text and latest(app, phone, "complaint") is None
    empty = post_form(c, url, {"respondent_kind": "person", "respondent_name": holder,
                               "respondent_certificate": serial, "summary": "", "content": "x"})
    assert "投诉事由" in empty.text
    done = post_form(c, url, {"respondent_kind": "person", "respondent_name": holder,
                              "respondent_certificate": serial, "summary": "审核走过场", "content": "现场审核仅半天"},
                     [("documents", png(), "photo.png")])
    assert done.status_code == 302
    matter = latest(app, phone, "complaint")
    assert matter.state == "association_review" and matter.payload["respondent_person_id"] == holder_person
    assoc = login("association")
    # the decision is the reply: without an opinion nothing happens
    take(assoc, "pass_association_review", matter.id)
    assert latest(app, phone, "complaint").state == "association_review"
    take(assoc, "pass_association_review", matter.id, opinion="经调查投诉属实，已记入信用档案。")
    with app.app_context():
        assert db.session.get(Matter, matter.id).state == "done"
        record = db.session.query(CreditRecord).filter_by(matter_id=matter.id).one()
        assert record.person_id == holder_person and record.kind == "complaint"
    detail = c.get(f"/portal/me/matters/{matter.id}")
    assert "经调查投诉属实" in detail.text and "审核走过场" in detail.text


def test_appeal_by_institution_goes_to_expert_then_association(app, login):  # F5
    inst = login("institution")
    page = inst.get("/personnelmattersview/file/appeal")
    assert page.status_code == 200 and "申诉内容" in page.text
    url = "/personnelmattersview/file/appeal"
    bad = inst.post(url, {"subject_kind": "review", "related_no": "1999", "summary": "不服退回",
                          "content": "材料齐全", "request": "重新审核"}, token_from=url)
    assert "1999" in bad.text
    ok = inst.post(url, {"subject_kind": "review", "summary": "不服退回决定", "content": "材料齐全",
                         "request": "重新审核"}, token_from=url)
    assert ok.status_code == 302
    with app.app_context():
        user = db.session.query(PlatformUser).filter_by(username="institution").one()
        matter = db.session.query(Matter).filter_by(applicant_id=user.id, type_code="appeal") \
            .order_by(Matter.id.desc()).first()
        assert matter.state == "expert_review"
        expert = db.session.query(PlatformUser).filter_by(username="expert").one()
        matter_id = matter.id
        from app.services import expert_review

        expert_review.assign(matter_id, expert, db.session.query(PlatformUser).filter_by(username="association").one())
    take(login("expert"), "pass_expert_review", matter_id, opinion="建议维持原决定")
    take(login("association"), "refuse", matter_id, opinion="申诉不成立，维持原决定。")
    with app.app_context():
        assert db.session.get(Matter, matter_id).state == "refused"
    shown = inst.get(f"/matterview/show/{matter_id}")
    assert "申诉不成立" in shown.text


def test_expert_application_grants_the_role(app, login, candidate):  # F7
    c, phone, _n = candidate
    url = "/portal/matters/expert/new"
    none = post_form(c, url, {"title": "高级工程师", "years": "12", "qualifications": "QMS 高级审核员",
                              "resume": "从事认证审核十二年"}, [("documents", png(), "q.png")])
    assert "专业领域" in none.text and latest(app, phone, "expert_application") is None
    years = post_form(c, url, {"fields": ["QMS", "EMS"], "title": "高级工程师", "years": "九十",
                               "qualifications": "QMS 高级审核员", "resume": "从事认证审核十二年"},
                      [("documents", png(), "q.png")])
    assert "从业年限" in years.text
    ok = post_form(c, url, {"fields": ["QMS", "EMS"], "title": "高级工程师", "years": "12",
                            "qualifications": "QMS 高级审核员", "resume": "从事认证审核十二年"},
                   [("documents", png(), "q.png")])
    assert ok.status_code == 302
    matter = latest(app, phone, "expert_application")
    # a second one while the first is open is refused with the reason
    assert "办理中" in c.get(url).text
    take(login("association"), "pass_association_review", matter.id)
    with app.app_context():
        person = db.session.query(Person).filter_by(phone=phone).one()
        assert person.is_expert and person.expert_fields == "QMS、EMS"
        assert "Expert" in {r.name for r in person.user.roles}


def test_expert_application_refusal_says_why(app, login, candidate):  # F7
    c, phone, _n = candidate
    post_form(c, "/portal/matters/expert/new", {"fields": ["FSMS"], "title": "工程师", "years": "3",
                                                "qualifications": "无", "resume": "三年"},
              [("documents", png(), "q.png")])
    matter = latest(app, phone, "expert_application")
    take(login("association"), "refuse", matter.id, opinion="从业年限不足五年")
    page = c.get(f"/portal/me/matters/{matter.id}")
    assert "从业年限不足五年" in page.text and "不予通过" in page.text
    with app.app_context():
        person = db.session.query(Person).filter_by(phone=phone).one()
        assert not person.is_expert and "Expert" not in {r.name for r in person.user.roles}


def test_my_matters_tabs_search_and_detail_access(app, login, candidate):  # F8
    cand = login("candidate")
    page = cand.get("/portal/me/matters")
    assert page.status_code == 200 and "草稿箱" in page.text and "办理中" in page.text and "已完结" in page.text
    by_name = cand.get("/portal/me/matters?q=证书补发")
    assert "证书补发" in by_name.text
    by_stage = cand.get("/portal/me/matters?stage=协会审批")
    with app.app_context():
        user = db.session.query(PlatformUser).filter_by(username="candidate").one()
        mine = db.session.query(Matter).filter_by(applicant_id=user.id).all()
        at_association = [m for m in mine if m.state == "association_review"]
        elsewhere = [m for m in mine if m.state not in ("association_review",)]
        recheck = next((m for m in mine if m.type_code == "score_recheck"), None)
    for m in at_association:
        assert m.business_no in by_stage.text
    for m in elsewhere:
        assert m.business_no not in by_stage.text
    for m in mine:  # a detail page for every type
        assert cand.get(f"/portal/me/matters/{m.id}").status_code == 200, m.type_code
    if recheck is not None:
        assert "/portal/status" in cand.get(f"/portal/me/matters/{recheck.id}").text
    # someone else's matter answers as a missing one
    c, _phone, _n = candidate
    assert c.get(f"/portal/me/matters/{mine[0].id}").status_code == 404
    assert c.get(f"/portal/me/matters/{mine[0].id}/correct").status_code == 404


def test_personnel_matters_reach_only_the_institutions_concerned(app, login, api, candidate):  # F4, F6, F8
    c, _person_id, _cert = certified(app, candidate)
    _c, phone, _n = candidate
    other = second_institution_user(app)
    other_name = institution_name(app, institution_id_of(app, other))
    post_form(c, "/portal/matters/transfer/new", {"to_institution": other_name, "reason_kind": "personal"},
              [("documents", png(), "reason.png")])
    post_form(c, "/portal/matters/complaint/new", {"respondent_kind": "institution", "respondent_name": other_name,
                                                   "summary": "收费不透明", "content": "培训收费未公示"})
    transfer, complaint = latest(app, phone, "institution_transfer"), latest(app, phone, "complaint")
    # the institution joined reaches the transfer (views and REST), not the person's complaint
    cc, headers = api(other)
    assert cc.get(f"/api/v1/matter/{transfer.id}", headers=headers).status_code == 200
    assert cc.get(f"/api/v1/matter/{complaint.id}", headers=headers).status_code == 404
    inst_b = login(other)
    assert inst_b.get(f"/matterview/show/{complaint.id}").status_code in (302, 404)
    assert str(complaint.business_no) not in inst_b.get("/matterview/list/").text
    # the institution a complaint is against cannot close it; an expert sees neither
    take(inst_b, "pass_association_review", complaint.id, opinion="不成立")
    assert latest(app, phone, "complaint").state == "association_review"
    ec, eh = api("expert")
    assert ec.get(f"/api/v1/matter/{transfer.id}", headers=eh).status_code == 404
    assert login("expert").get(f"/files/{transfer.payload['attachment_ids'][0]}").status_code in (403, 404)
    # the demo candidate cannot open another person's matter or file
    cand = login("candidate")
    assert cand.get(f"/portal/me/matters/{transfer.id}").status_code == 404
    assert cand.get(f"/files/{transfer.payload['attachment_ids'][0]}").status_code in (403, 404)
