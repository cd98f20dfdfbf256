"""F10 会员服务 end to end over HTTP: an individual applies, the Association approves, the fee is
paid through the sandbox gateway, the membership is active with its number and expiry, a renewal
extends it; an institution's membership from the back office; who sees which membership and order."""
import datetime
import io

from app.extensions import db
from app.services import membership as service
from models import Matter, Membership, Order, Person, PlatformUser
from tests.conftest import second_institution_user
from tests.test_payments import pay_online

PAGE = "/portal/membership"
INST_PAGE = "/institutionmembership/apply"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
GOOD = {"kind": "person", "employer": "北京某认证有限公司", "position": "审核员", "reason": "参加行业交流"}


def _take(c, name, matter_id, opinion=None):
    data = {"ids": str(matter_id), "csrf_token": c.csrf()}
    if opinion:
        data["opinion"] = opinion
    return c.http.post(f"/matterview/transition/{name}", data=data)


def _post(c, url, data, document=None):
    body = dict(data)
    if document is not None:
        body["document"] = (io.BytesIO(document[0]), document[1])
    return c.post(url, body, content_type="multipart/form-data")


def _matters(app, username=None, phone=None):
    with app.app_context():
        keys = {"username": username} if username else {"phone": phone}
        user = db.session.query(PlatformUser).filter_by(**keys).one()
        return [(m.id, m.state, dict(m.payload or {})) for m in service.matters_of(user)]


def _membership(app, phone=None, institution_id=None):
    with app.app_context():
        if phone:
            person = db.session.query(Person).filter_by(phone=phone).one()
            row = db.session.query(Membership).filter_by(person_id=person.id).one_or_none()
        else:
            row = db.session.query(Membership).filter_by(institution_id=institution_id, kind="institution") \
                .one_or_none()
        return None if row is None else {"id": row.id, "no": row.member_no, "until": row.valid_until,
                                         "status": row.status, "kind": row.kind}


def _set_until(app, membership_id, day):
    """The passing of time: the membership now expires on ``day``."""
    with app.app_context():
        db.session.get(Membership, membership_id).valid_until = day
        db.session.commit()


def _order_of(app, matter_id):
    with app.app_context():
        order = db.session.query(Order).filter_by(matter_id=matter_id).order_by(Order.id.desc()).first()
        return {"id": order.id, "amount": order.amount, "payer": order.payer_type, "status": order.status,
                "person_id": order.person_id, "institution_id": order.institution_id}


def _year_on(day):
    return service.add_years(day, 1)


def test_individual_membership_apply_approve_pay_renew(app, candidate, login):  # F10
    c, phone, _n = candidate
    page = c.get(PAGE)
    assert page.status_code == 200 and "会员服务" in page.text and "工作单位" in page.text and "申请理由" in page.text
    # bad input names the field; nothing is written
    r = _post(c, PAGE, {**GOOD, "employer": ""})
    assert r.status_code == 400 and "工作单位" in r.text
    r = _post(c, PAGE, {**GOOD, "reason": "x" * 1001})
    assert r.status_code == 400 and "申请理由" in r.text
    r = _post(c, PAGE, GOOD, (b"not a document", "a.pdf"))
    assert r.status_code == 400 and "证明材料" in r.text
    assert _matters(app, phone=phone) == []
    # a good application goes to the Association
    r = _post(c, PAGE, GOOD, (PDF, "推荐信.pdf"))
    assert r.status_code == 302
    [(matter_id, state, payload)] = _matters(app, phone=phone)
    assert state == "association_review" and payload["employer"] == "北京某认证有限公司" and payload["attachment_ids"]
    assert "协会审批" in c.get(PAGE).text
    # a second application while one is open is refused
    r = _post(c, PAGE, GOOD)
    assert r.status_code == 400 and len(_matters(app, phone=phone)) == 1
    # the Association approves: the fee order is the person's
    assoc = login("association")
    assert assoc.get(f"/matterview/show/{matter_id}").status_code == 200
    _take(assoc, "pass_association_review", matter_id)
    assert _matters(app, phone=phone)[0][1] == "payment"
    order = _order_of(app, matter_id)
    assert order["payer"] == "person" and order["status"] == "unpaid" and order["amount"] == 300
    page = c.get(PAGE).text
    assert f"/portal/me/orders/{order['id']}" in page and "待缴费" in page
    assert "会员费" in c.get("/portal/me/orders").text
    # the applicant cannot complete it without paying
    with app.app_context():
        from app import workflow
        from app.workflow import WorkflowError

        user = db.session.query(PlatformUser).filter_by(phone=phone).one()
        try:
            workflow.apply(matter_id, "fee_paid", user)
            raise AssertionError("completed without payment")
        except WorkflowError:
            pass
    back = pay_online(c, f"/portal/me/orders/{order['id']}/pay")
    assert "已缴费" in back.text
    today = datetime.date.today()
    member = _membership(app, phone=phone)
    assert member["status"] == "approved" and member["no"].startswith("P") and member["until"] == _year_on(today)
    assert _matters(app, phone=phone)[0][1] == "done"
    page = c.get(PAGE).text
    assert member["no"] in page and "有效期至" in page and member["until"].isoformat() in page
    # not due yet: no renewal
    assert "/portal/membership/renew" not in page
    c.post("/portal/membership/renew")
    assert len(_matters(app, phone=phone)) == 1
    # within the window: 续费 extends from the expiry
    due = today + datetime.timedelta(days=10)
    _set_until(app, member["id"], due)
    page = c.get(PAGE).text
    assert "/portal/membership/renew" in page and "续费" in page
    r = c.post("/portal/membership/renew")
    assert r.status_code == 302 and "/portal/me/orders/" in r.headers["Location"]
    renewal_id, state, payload = _matters(app, phone=phone)[0]
    assert state == "payment" and payload["membership_id"] == member["id"]
    # pressing it again reuses the open renewal
    c.post("/portal/membership/renew")
    assert len(_matters(app, phone=phone)) == 2
    renewal_order = _order_of(app, renewal_id)
    pay_online(c, f"/portal/me/orders/{renewal_order['id']}/pay")
    after = _membership(app, phone=phone)
    assert after["until"] == _year_on(due) and after["no"] == member["no"]
    # after the expiry: from today
    _set_until(app, member["id"], today - datetime.timedelta(days=30))
    assert "已过期" in c.get(PAGE).text
    r = c.post("/portal/membership/renew")
    order_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    pay_online(c, f"/portal/me/orders/{order_id}/pay")
    assert _membership(app, phone=phone)["until"] == _year_on(today)
    with app.app_context():
        assert db.session.query(Membership).filter(Membership.person.has(phone=phone)).count() == 1


def test_returned_application_is_corrected_and_resubmitted(app, candidate, login):  # F10
    c, phone, _n = candidate
    assert _post(c, PAGE, GOOD).status_code == 302
    [(matter_id, _state, _p)] = _matters(app, phone=phone)
    assoc = login("association")
    _take(assoc, "return_association_review", matter_id, opinion="请写明职务全称。")
    page = c.get(PAGE).text
    assert "请写明职务全称。" in page and "北京某认证有限公司" in page
    assert _post(c, PAGE, {**GOOD, "position": "高级审核员"}).status_code == 302
    [(same_id, state, payload)] = _matters(app, phone=phone)
    assert same_id == matter_id and state == "association_review" and payload["position"] == "高级审核员"
    _take(assoc, "refuse", matter_id, opinion="不符合入会条件。")
    assert _matters(app, phone=phone)[0][1] == "refused" and _membership(app, phone=phone) is None


def test_institution_membership_from_the_back_office(app, login, api):  # F10
    username = second_institution_user(app)
    inst = login(username)
    with app.app_context():
        inst_id = db.session.query(PlatformUser).filter_by(username=username).one().institution_id
    page = inst.get(INST_PAGE)
    assert page.status_code == 200 and "单位会员" in page.text and "联系人" in page.text
    r = _post(inst, INST_PAGE, {"kind": "institution", "contact_name": "", "contact_phone": "010-1",
                                "reason": "入会"})
    assert r.status_code == 400 and "联系人" in r.text
    assert _matters(app, username=username) == []
    r = _post(inst, INST_PAGE, {"kind": "institution", "contact_name": "刘经理", "contact_phone": "010-66668888",
                                "reason": "申请单位会员"}, (PDF, "营业执照.pdf"))
    assert r.status_code == 302
    [(matter_id, state, _p)] = _matters(app, username=username)
    assert state == "association_review"
    # another institution never reaches this matter
    other = login("institution")
    assert other.get(f"/matterview/show/{matter_id}").status_code in (302, 403, 404)
    assoc = login("association")
    _take(assoc, "pass_association_review", matter_id)
    order = _order_of(app, matter_id)
    assert order["payer"] == "institution" and order["institution_id"] == inst_id and order["person_id"] is None
    assert f"/batchpayment/{order['id']}" in inst.get(INST_PAGE).text
    assert other.get(f"/batchpayment/{order['id']}").status_code == 404
    back = pay_online(inst, f"/batchpayment/{order['id']}/pay")
    assert "已缴费" in back.text
    member = _membership(app, institution_id=inst_id)
    assert member["status"] == "approved" and member["no"].startswith("I") and member["kind"] == "institution"
    assert member["no"] in inst.get(INST_PAGE).text
    # the membership list: the institution sees its own, not another's; the Association all
    own = inst.get("/membershipview/list/").text
    assert member["no"] in own
    theirs = _membership(app, institution_id=institution_of(app, "institution"))
    assert theirs is not None and theirs["no"] not in own  # the demo institution's (demo data)
    assert member["no"] not in other.get("/membershipview/list/").text
    assert other.get(f"/membershipview/show/{member['id']}").status_code in (302, 404)
    everything = assoc.get("/membershipview/list/").text
    assert member["no"] in everything and theirs["no"] in everything
    http, headers = api("institution")
    listed = http.get("/api/v1/membership/", headers=headers).json["result"]
    assert {m["member_no"] for m in listed} == {theirs["no"]}
    assert http.get(f"/api/v1/membership/{member['id']}", headers=headers).status_code == 404


def institution_of(app, username):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username=username).one().institution_id


def test_membership_access(app, candidate, login):  # F10
    c, phone, _n = candidate
    # the demo candidate's membership and orders are theirs alone
    with app.app_context():
        demo = db.session.query(Membership).filter(Membership.person.has(phone="13800000000")).one()
        demo_no = demo.member_no
        demo_order = db.session.query(Order).filter(Order.matter_id.isnot(None),
                                                    Order.person.has(phone="13800000000")).first()
        demo_matter = db.session.query(Matter).filter_by(type_code="membership_application",
                                                         object_id=demo.id).first()
    mine = login("candidate")
    assert demo_no in mine.get(PAGE).text
    assert demo_no not in c.get(PAGE).text
    assert c.get(f"/portal/me/orders/{demo_order.id}").status_code == 404
    assert c.get(f"/portal/me/matters/{demo_matter.id}").status_code == 404
    assert c.get("/membershipview/list/").status_code in (302, 403)
    # renewing is not possible without a membership
    c.post("/portal/membership/renew")
    assert _matters(app, phone=phone) == []
    # an institution may not use the individual form's kind, a person not the institution's page
    assert c.get(INST_PAGE).status_code in (302, 403)
    for name in ("expert", "teacher"):
        staff = login(name)
        assert staff.get("/membershipview/list/").status_code in (302, 403)
        assert staff.get(INST_PAGE).status_code in (302, 403)
    # the Association reviews but files no institution membership of its own
    assert login("association").get(INST_PAGE).status_code in (302, 403)


def test_demo_memberships(app):  # F10
    with app.app_context():
        rows = db.session.query(Membership).all()
        kinds = {m.kind for m in rows}
        assert {"person", "institution"} <= kinds
        assert all(m.member_no and m.status == "approved" and m.valid_until for m in rows)
        assert len({m.member_no for m in rows}) == len(rows)


def test_demo_candidate_renews_despite_a_draft(app, login):  # F10
    with app.app_context():
        demo = db.session.query(Membership).filter(Membership.person.has(phone="13800000000")).one()
        demo_id, until = demo.id, datetime.date.today() + datetime.timedelta(days=30)
    _set_until(app, demo_id, until)  # as the demo leaves it: due within the month
    mine = login("candidate")
    page = mine.get(PAGE).text
    assert "续费" in page and "/portal/membership/renew" in page
    r = mine.post("/portal/membership/renew")
    assert r.status_code == 302 and "/portal/me/orders/" in r.headers["Location"]
    order_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    pay_online(mine, f"/portal/me/orders/{order_id}/pay")
    with app.app_context():
        assert db.session.get(Membership, demo_id).valid_until == service.add_years(until, 1)


def test_a_paid_membership_fee_is_not_refunded_online(app):  # F10
    from app.services import payments
    from models import Order
    from models.enums import OrderStatus

    with app.app_context():
        order = db.session.query(Order).filter(Order.matter_id.isnot(None),
                                               Order.status == OrderStatus.PAID.value).first()
        assert order is not None  # the demo memberships are paid
        assert payments.refund_refusal(order) == "事项费用不支持在线退款，请联系协会。"
