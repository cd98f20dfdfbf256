"""Payments end to end through HTTP (SPEC C1–C7): the sandbox gateway, forged,
replayed and wrong notifications, expiry, vouchers, institution batches,
invoices, refunds, reconciliation, and who may see and do what."""
import datetime
import io
import itertools
import os
import re
import threading
import time
from decimal import Decimal

import openpyxl
import pytest
from PIL import Image

from app.extensions import db
from app.services import payments
from models import (
    Attachment,
    ExamPlan,
    Invoice,
    Notification,
    Order,
    Payment,
    Person,
    PlatformUser,
    Refund,
    Registration,
)
from tests.conftest import Client
from tests.portal_helpers import new_id_number, new_phone

_seq = itertools.count(1)
FEE = Decimal("380.00")
PAID = "已缴费"  # OrderStatus.PAID in Chinese


# --- preconditions: approved registrations with their orders (the wizard is tested elsewhere) -------
def make_plan(app, fee=FEE, refundable=False, closes=10, exam_in=20):
    now = datetime.datetime.now()
    day = datetime.timedelta(days=1)
    with app.app_context():
        plan = ExamPlan(name=f"缴费测试考试{next(_seq)}-{now:%H%M%S%f}", reg_start=now - 5 * day,
                        reg_end=now + closes * day, exam_start=now + exam_in * day,
                        exam_end=now + exam_in * day + datetime.timedelta(hours=3), fee=Decimal(fee),
                        refundable=refundable, refund_policy="考试开始前可申请退费。" if refundable else None,
                        published=False)
        db.session.add(plan)
        db.session.commit()
        return plan.id


def institution_id(app, username="institution"):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username=username).one().institution_id


def other_institution_id(app):
    from models import Institution

    own = institution_id(app)
    with app.app_context():
        return db.session.query(Institution.id).filter(Institution.id != own).order_by(Institution.id).first()[0]


def approved_order(app, plan_id, phone=None, person_id=None, institution=None):
    """An approved registration of the person (by phone or id) and the order create_order makes for it."""
    with app.app_context():
        person = (db.session.query(Person).filter_by(phone=phone).one() if phone
                  else db.session.get(Person, person_id))
        reg = Registration(exam_plan_id=plan_id, person_id=person.id, institution_id=institution, status="approved",
                           net_no=f"T{next(_seq):05d}{datetime.datetime.now():%H%M%S%f}"[:20], locked=True,
                           submitted_at=datetime.datetime.now())
        db.session.add(reg)
        db.session.flush()
        order, deliveries = payments.create_order(reg)
        db.session.commit()
        return order.id


def spare_person(app):
    """A candidate without an account (an institution's student, say)."""
    with app.app_context():
        person = Person(name="赵测试", id_type="resident", phone=new_phone(), source="school")
        person.set_id_number(new_id_number())
        db.session.add(person)
        db.session.commit()
        return person.id


def get(app, model, pk):
    """A row read in its own session (detached)."""
    with app.app_context():
        item = db.session.get(model, pk)
        db.session.expunge(item)
        return item


def order_state(app, order_id):
    with app.app_context():
        order = db.session.get(Order, order_id)
        reg = order.registration
        return {"status": order.status, "method": order.method, "paid_at": order.paid_at,
                "registration": reg.status if reg else None,
                "payments": db.session.query(Payment).filter_by(order_id=order_id).count(),
                "parent_id": order.parent_id, "order_no": order.order_no, "amount": order.amount}


def notifications_of(app, phone, text):
    with app.app_context():
        user = db.session.query(PlatformUser).filter_by(phone=phone).one()
        return db.session.query(Notification).filter(Notification.user_id == user.id,
                                                     Notification.title.contains(text)).count()


def signed(app, order_no, amount, status="SUCCESS", **changes):
    """A notification exactly as the sandbox gateway signs it (optionally altered after signing)."""
    with app.test_request_context():
        gateway = payments.get_gateway("sandbox")
        params = gateway.notification_for({"order_no": order_no, "amount": amount}, status=status)
    params.update(changes)
    return params


def notify(client, params, gateway="sandbox"):
    """The gateway's server posts its notification: no session, no CSRF token."""
    response = client.post(f"/payments/notify/{gateway}", data=params)
    assert response.status_code == 200
    return response.text


def png(size=(300, 200), colour=(200, 220, 240)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg(size=(300, 200)):
    out = io.BytesIO()
    Image.new("RGB", size, (250, 250, 250)).save(out, "JPEG")
    return out.getvalue()


def upload(c, url, data, filename, _page=None):
    return c.post(url, {"voucher": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


@pytest.fixture
def plan(app):
    return make_plan(app)


@pytest.fixture
def anon(app):
    return app.test_client()


def pay_online(c, start_url):
    """Press 'pay online', confirm on the sandbox page; returns the page the browser comes back to
    once the asynchronous notification arrived (at once in-process; a worker takes a moment)."""
    r = c.post(start_url)
    assert r.status_code == 302, r.text[:500]
    pay_url = r.headers["Location"]
    assert "/sandbox-gateway/pay/" in pay_url
    page = c.get(pay_url)
    assert page.status_code == 200 and ("SANDBOX" in page.text or "沙箱" in page.text)
    back = c.post(pay_url, {"decision": "confirm"})
    assert back.status_code == 302
    deadline = time.monotonic() + 30
    while True:
        page = c.get(back.headers["Location"])  # the return page: "paid", or "processing" and refresh
        if PAID in page.text or time.monotonic() > deadline:
            return page
        time.sleep(0.2)


# --- C1/C2: online payment through the sandbox gateway -------------------------------------------
def test_online_payment_end_to_end(app, candidate, plan):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    state = order_state(app, order_id)
    assert state["status"] == "unpaid" and state["amount"] == FEE and state["registration"] == "approved"
    with app.app_context():
        order = db.session.get(Order, order_id)
        hours = (order.expires_at - order.created_at).total_seconds() / 3600
        assert 47.9 < hours <= 48.1  # ORDER_EXPIRY_HOURS

    records = c.get("/portal/me/orders")
    assert records.status_code == 200 and state["order_no"] in records.text and "未缴费" in records.text
    page = c.get(f"/portal/me/orders/{order_id}")
    assert page.status_code == 200 and f"/portal/me/orders/{order_id}/pay" in page.text and "380.00" in page.text

    back = pay_online(c, f"/portal/me/orders/{order_id}/pay")
    assert back.status_code == 200 and "已缴费" in back.text

    state = order_state(app, order_id)
    assert state["status"] == "paid" and state["method"] == "online" and state["paid_at"] is not None
    assert state["registration"] == "registered" and state["payments"] == 1
    with app.app_context():
        payment = db.session.query(Payment).filter_by(order_id=order_id).one()
        assert payment.status == "confirmed" and payment.gateway == "sandbox" and payment.amount == FEE
        assert payment.transaction_id.startswith("SBX") and payment.raw_notification["sign"]
        plan_name = db.session.get(ExamPlan, plan).name
    assert notifications_of(app, phone, plan_name) >= 1  # "registration successful" for the candidate
    records = c.get("/portal/me/orders")
    assert "已缴费" in records.text
    # nothing more to pay
    assert f"/portal/me/orders/{order_id}/pay" not in c.get(f"/portal/me/orders/{order_id}").text
    r = c.post(f"/portal/me/orders/{order_id}/pay")
    assert r.status_code == 302 and "/sandbox-gateway/" not in r.headers["Location"]


def test_cancel_on_the_gateway_leaves_the_order_unpaid(app, candidate, plan):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    r = c.post(f"/portal/me/orders/{order_id}/pay")
    pay_url = r.headers["Location"]
    back = c.post(pay_url, {"decision": "cancel"})
    page = c.get(back.headers["Location"])
    assert page.status_code == 200 and "cancelled" in back.headers["Location"]
    assert order_state(app, order_id)["status"] == "unpaid" and order_state(app, order_id)["payments"] == 0


def test_forged_notifications_store_nothing(app, candidate, plan, anon):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    order_no = order_state(app, order_id)["order_no"]
    good = signed(app, order_no, "380.00")
    # a changed amount, status or order after signing, a made-up signature, a missing field
    assert notify(anon, {**good, "amount": "0.01"}) == "fail"
    assert notify(anon, {**good, "sign": "0" * 64}) == "fail"
    assert notify(anon, {k: v for k, v in good.items() if k != "sign"}) == "fail"
    assert notify(anon, {**good, "order_no": "P00000000000000000000"}) == "fail"
    # signed with another key
    app.config["PAYMENT_SANDBOX_SECRET"] = "somebody-else"
    try:
        other_key = signed(app, order_no, "380.00")
    finally:
        app.config["PAYMENT_SANDBOX_SECRET"] = None
    assert notify(anon, other_key) == "fail"
    # a gateway that is not enabled, even with a valid body
    assert notify(anon, good, gateway="alipay") == "fail"
    state = order_state(app, order_id)
    assert state["status"] == "unpaid" and state["registration"] == "approved" and state["payments"] == 0
    # the notify endpoint takes no GET and needs no CSRF token for the real one
    assert anon.get("/payments/notify/sandbox").status_code == 405
    assert notify(anon, good) == "success"
    assert order_state(app, order_id)["status"] == "paid"


def test_wrong_amount_is_refused_with_nothing_half_stored(app, candidate, plan, anon):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    order_no = order_state(app, order_id)["order_no"]
    for amount in ("1.00", "379.99", "380.01", "3800", "-380", "NaN", "abc"):
        assert notify(anon, signed(app, order_no, amount)) == "fail", amount
    state = order_state(app, order_id)
    assert state["status"] == "unpaid" and state["payments"] == 0 and state["registration"] == "approved"
    with app.app_context():
        assert db.session.query(Payment).filter(Payment.raw_notification.isnot(None),
                                                Payment.order_id == order_id).count() == 0
    # "380" is the same amount as 380.00
    assert notify(anon, signed(app, order_no, "380")) == "success"
    assert order_state(app, order_id)["status"] == "paid"


def test_replayed_notification_is_harmless(app, candidate, plan, anon):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    state = order_state(app, order_id)
    params = signed(app, state["order_no"], "380.00")
    with app.app_context():
        plan_name = db.session.get(ExamPlan, plan).name
    assert notify(anon, params) == "success"
    before = notifications_of(app, phone, plan_name)
    for _ in range(3):
        assert notify(anon, params) == "success"
    # the same notification delivered again through the task queue
    from app.tasks import payment_notification

    with app.app_context():
        assert payment_notification.delay("sandbox", params).get() == "success"
    state = order_state(app, order_id)
    assert state["status"] == "paid" and state["payments"] == 1 and state["registration"] == "registered"
    assert notifications_of(app, phone, plan_name) == before
    # a second, different transaction for a paid order is refused and not stored
    assert notify(anon, signed(app, state["order_no"], "380.00")) == "fail"
    assert order_state(app, order_id)["payments"] == 1
    # a transaction number already used cannot pay another order
    other = approved_order(app, plan, person_id=spare_person(app))
    other_no = order_state(app, other)["order_no"]
    stolen = signed(app, other_no, "380.00", trade_no=params["trade_no"])
    with app.test_request_context():
        stolen["sign"] = payments.sign(payments.SandboxGateway.secret(), stolen)
    assert notify(anon, stolen) == "fail"
    assert order_state(app, other)["status"] == "unpaid"


def test_a_closed_trade_notification_changes_nothing(app, candidate, plan, anon):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    assert notify(anon, signed(app, order_state(app, order_id)["order_no"], "380.00", status="CLOSED")) == "success"
    assert order_state(app, order_id)["status"] == "unpaid" and order_state(app, order_id)["payments"] == 0


def test_expired_orders(app, candidate, plan, anon):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    order_no = order_state(app, order_id)["order_no"]
    # the pay link is taken before the order expires
    r = c.post(f"/portal/me/orders/{order_id}/pay")
    pay_url = r.headers["Location"]
    with app.app_context():
        db.session.get(Order, order_id).expires_at = datetime.datetime.now() - datetime.timedelta(minutes=1)
        db.session.commit()
    # overdue but not yet swept: still refused
    assert notify(anon, signed(app, order_no, "380.00")) == "fail"
    from app.tasks import expire_orders

    with app.app_context():
        assert expire_orders.delay().get() >= 1
    state = order_state(app, order_id)
    assert state["status"] == "expired" and state["registration"] == "approved"
    # the gateway's notification for the expired order is refused
    back = c.post(pay_url, {"decision": "confirm"})
    page = c.get(back.headers["Location"])
    assert "已缴费" not in page.text
    assert notify(anon, signed(app, order_no, "380.00")) == "fail"
    state = order_state(app, order_id)
    assert state["status"] == "expired" and state["payments"] == 0
    # neither online nor by voucher
    r = c.post(f"/portal/me/orders/{order_id}/pay")
    assert "/sandbox-gateway/" not in r.headers["Location"]
    r = upload(c, f"/portal/me/orders/{order_id}/voucher", png(), "v.png", f"/portal/me/orders/{order_id}")
    assert order_state(app, order_id)["payments"] == 0
    # while registration is open the candidate renews the order and pays the new one
    page = c.get(f"/portal/me/orders/{order_id}")
    assert "已过期" in page.text
    r = c.post(f"/portal/me/orders/{order_id}/renew")
    assert r.status_code == 302
    new_id = int(re.search(r"/orders/(\d+)$", r.headers["Location"]).group(1))
    assert new_id != order_id and order_state(app, new_id)["status"] == "unpaid"
    # a second renewal is refused
    c.post(f"/portal/me/orders/{order_id}/renew")
    with app.app_context():
        reg_id = db.session.get(Order, order_id).registration_id
        assert db.session.query(Order).filter_by(registration_id=reg_id, status="unpaid").count() == 1
    back = pay_online(c, f"/portal/me/orders/{new_id}/pay")
    assert "已缴费" in back.text and order_state(app, new_id)["registration"] == "registered"


def test_no_renewal_after_the_registration_window(app, candidate):
    c, phone, _number = candidate
    plan_id = make_plan(app)
    order_id = approved_order(app, plan_id, phone=phone)
    with app.app_context():
        order = db.session.get(Order, order_id)
        order.expires_at = datetime.datetime.now() - datetime.timedelta(hours=1)
        plan = db.session.get(ExamPlan, plan_id)
        plan.reg_end = datetime.datetime.now() - datetime.timedelta(minutes=5)
        db.session.commit()
        payments.expire_orders()
    r = c.post(f"/portal/me/orders/{order_id}/renew")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.query(Order).filter_by(registration_id=db.session.get(Order, order_id).registration_id) \
            .count() == 1


def test_overdue_order_is_renewed_before_the_sweep(app, candidate, plan):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    with app.app_context():
        db.session.get(Order, order_id).expires_at = datetime.datetime.now() - datetime.timedelta(minutes=1)
        db.session.commit()
    page = c.get(f"/portal/me/orders/{order_id}").text
    assert f"/portal/me/orders/{order_id}/pay" not in page and f"/portal/me/orders/{order_id}/renew" in page
    r = c.post(f"/portal/me/orders/{order_id}/renew")
    new_id = int(re.search(r"/orders/(\d+)$", r.headers["Location"]).group(1))
    assert order_state(app, order_id)["status"] == "expired" and order_state(app, new_id)["status"] == "unpaid"


def test_zero_fee_registers_at_once(app, candidate):
    c, phone, _number = candidate
    order_id = approved_order(app, make_plan(app, fee="0"), phone=phone)
    state = order_state(app, order_id)
    assert state["status"] == "paid" and state["registration"] == "registered"


@pytest.mark.skipif(not (os.environ.get("DATABASE_URL") or "").startswith("postgresql"),
                    reason="row locks need PostgreSQL")
def test_concurrent_notifications_pay_once(app, candidate, plan):
    """Two deliveries of the same notification at once: the row lock makes one wait."""
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    params = signed(app, order_state(app, order_id)["order_no"], "380.00")
    answers, barrier = [], threading.Barrier(4)

    def deliver():
        with app.app_context():
            barrier.wait()
            answers.append(payments.receive_notification("sandbox", params))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == ["success"] * 4
    state = order_state(app, order_id)
    assert state["status"] == "paid" and state["payments"] == 1


# --- C3: offline vouchers ---------------------------------------------------------------------
def test_voucher_files_are_checked(app, candidate, plan):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    page = f"/portal/me/orders/{order_id}"
    url = f"{page}/voucher"
    big = os.urandom(2 * 1024 * 1024 + 10)
    refused = [
        (b"\x89PNG\r\n\x1a\n" + big, "big.png", "2 MB"),
        (b"GIF89a" + b"\x00" * 100, "voucher.gif", "JPG"),
        (b"hello, this is not a picture", "voucher.png", "JPG"),
        (b"MZ\x90\x00" + b"\x00" * 100, "voucher.pdf", "JPG"),
        (b"\x89PNG\r\n\x1a\n" + b"broken", "voucher.png", ""),
        (b"", "empty.png", ""),
    ]
    for data, name, words in refused:
        r = upload(c, url, data, name, page)
        assert r.status_code in (400, 413), (name, r.status_code)
        assert words in r.text
    assert order_state(app, order_id)["payments"] == 0
    r = upload(c, url, jpeg(), "转账凭证.jpg", page)
    assert r.status_code == 302
    with app.app_context():
        payment = db.session.query(Payment).filter_by(order_id=order_id).one()
        assert payment.status == "pending" and payment.method == "offline" and payment.voucher_id
        voucher_id = payment.voucher_id
    # one voucher at a time; online payment waits for Finance too
    r = upload(c, url, png(), "again.png", page)
    assert order_state(app, order_id)["payments"] == 1
    r = c.post(f"{page}/pay")
    assert "/sandbox-gateway/" not in r.headers["Location"]
    # the candidate opens the own voucher, another candidate does not
    assert c.get(f"/files/{voucher_id}").status_code == 200
    with app.app_context():
        assert db.session.get(Attachment, voucher_id).filename == "转账凭证.jpg"


def test_voucher_confirmed_by_finance(app, candidate, plan, login):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    page = f"/portal/me/orders/{order_id}"
    assert upload(c, f"{page}/voucher", b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF", "回单.pdf", page).status_code == 302
    with app.app_context():
        payment = db.session.query(Payment).filter_by(order_id=order_id).one()
        payment_id, voucher_id = payment.id, payment.voucher_id
    assert "待确认" in c.get(page).text or "awaiting" in c.get(page).text

    # nobody but Finance confirms
    for username in ("institution", "association", "support"):
        other = login(username)
        r = other.post(f"/paymentview/action/confirm_voucher/{payment_id}")
        assert r.status_code in (302, 403), username
    r = c.post(f"/paymentview/action/confirm_voucher/{payment_id}")
    assert r.status_code in (302, 403) and "/paymentview/list" not in r.headers.get("Location", "")
    assert order_state(app, order_id)["status"] == "unpaid"

    finance = login("finance")
    listing = finance.get("/paymentview/list/")
    assert listing.status_code == 200 and order_state(app, order_id)["order_no"] in listing.text
    assert finance.get(f"/files/{voucher_id}").status_code == 200
    r = finance.post(f"/paymentview/action/confirm_voucher/{payment_id}")
    assert r.status_code == 302
    state = order_state(app, order_id)
    assert state["status"] == "paid" and state["method"] == "offline" and state["registration"] == "registered"
    with app.app_context():
        payment = db.session.get(Payment, payment_id)
        assert payment.status == "confirmed" and payment.confirmed_by_id is not None
        plan_name = db.session.get(ExamPlan, plan).name
    assert notifications_of(app, phone, plan_name) >= 1
    # confirming twice changes nothing
    finance.post(f"/paymentview/action/confirm_voucher/{payment_id}")
    assert order_state(app, order_id)["payments"] == 1


def test_voucher_rejected_with_a_reason(app, candidate, plan, login):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    page = f"/portal/me/orders/{order_id}"
    assert upload(c, f"{page}/voucher", png(), "v.png", page).status_code == 302
    with app.app_context():
        payment_id = db.session.query(Payment).filter_by(order_id=order_id).one().id
    # institution may not even open the reason page
    assert login("institution").get(f"/paymentview/reason/reject_voucher?ids={payment_id}").status_code == 403
    finance = login("finance")
    r = finance.post(f"/paymentview/action/reject_voucher/{payment_id}")
    assert r.status_code == 302 and "/reason/reject_voucher" in r.headers["Location"]
    form_url = r.headers["Location"]
    assert finance.get(form_url).status_code == 200
    r = finance.post(form_url, {"ids": str(payment_id), "reason": "  "}, token_from=form_url)
    assert r.status_code == 200 and get(app, Payment, payment_id).status == "pending"
    r = finance.post(form_url, {"ids": str(payment_id), "reason": "凭证金额与订单不符"}, token_from=form_url)
    assert r.status_code == 302
    payment = get(app, Payment, payment_id)
    assert payment.status == "rejected" and payment.note == "凭证金额与订单不符"
    assert order_state(app, order_id)["status"] == "unpaid"
    assert notifications_of(app, phone, order_state(app, order_id)["order_no"]) == 1
    assert "凭证金额与订单不符" in c.get(page).text
    # the candidate uploads again
    assert upload(c, f"{page}/voucher", jpeg(), "v2.jpg", page).status_code == 302
    with app.app_context():
        assert db.session.query(Payment).filter_by(order_id=order_id, status="pending").count() == 1


# --- C4: institution batches -------------------------------------------------------------------
def test_institution_batch_online(app, login, plan):
    own = institution_id(app)
    mine = [approved_order(app, plan, person_id=spare_person(app), institution=own) for _ in range(2)]
    theirs = approved_order(app, plan, person_id=spare_person(app), institution=other_institution_id(app))
    inst = login("institution")
    page = inst.get("/batchpayment/")
    assert page.status_code == 200
    nos = {i: order_state(app, i)["order_no"] for i in [*mine, theirs]}
    assert all(nos[i] in page.text for i in mine) and nos[theirs] not in page.text
    # another institution's order cannot be slipped in
    r = inst.post("/batchpayment/create", {"order_id": [*mine, theirs]})
    assert r.status_code == 302 and r.headers["Location"].endswith("/batchpayment/")
    assert all(order_state(app, i)["parent_id"] is None for i in [*mine, theirs])
    r = inst.post("/batchpayment/create", {"order_id": mine})
    assert r.status_code == 302
    batch_id = int(re.search(r"/batchpayment/(\d+)$", r.headers["Location"]).group(1))
    with app.app_context():
        batch = db.session.get(Order, batch_id)
        assert batch.payer_type == "institution" and batch.amount == 2 * FEE and batch.institution_id == own
        assert sorted(c.id for c in batch.children) == sorted(mine)
    # an order in a batch is not offered again, nor paid alone
    assert f'value="{mine[0]}"' not in inst.get("/batchpayment/").text
    r = inst.post("/batchpayment/create", {"order_id": mine[:1]})
    assert order_state(app, mine[0])["parent_id"] == batch_id
    # the other institution's users and the Finance desk do not reach the batch page
    assert login("finance").get(f"/batchpayment/{batch_id}").status_code in (302, 403)
    back = pay_online(inst, f"/batchpayment/{batch_id}/pay")
    assert back.status_code == 200
    assert order_state(app, batch_id)["status"] == "paid" and order_state(app, batch_id)["payments"] == 1
    for i in mine:
        state = order_state(app, i)
        assert state["status"] == "paid" and state["registration"] == "registered"
    assert order_state(app, theirs)["status"] == "unpaid"


def test_institution_batch_by_voucher_and_cancel(app, login, plan):
    own = institution_id(app)
    mine = [approved_order(app, plan, person_id=spare_person(app), institution=own) for _ in range(2)]
    inst = login("institution")
    r = inst.post("/batchpayment/create", {"order_id": mine[:1]})
    first = int(r.headers["Location"].rsplit("/", 1)[1])
    # cancel: the order goes back
    r = inst.post(f"/batchpayment/{first}/cancel")
    assert order_state(app, first)["status"] == "closed" and order_state(app, mine[0])["parent_id"] is None
    r = inst.post("/batchpayment/create", {"order_id": mine})
    batch_id = int(r.headers["Location"].rsplit("/", 1)[1])
    page = f"/batchpayment/{batch_id}"
    r = upload(inst, f"{page}/voucher", png(), "汇款单.png", page)
    assert r.status_code == 302
    with app.app_context():
        payment_id = db.session.query(Payment).filter_by(order_id=batch_id).one().id
    finance = login("finance")
    assert finance.post(f"/paymentview/action/confirm_voucher/{payment_id}").status_code == 302
    assert order_state(app, batch_id)["status"] == "paid"
    assert all(order_state(app, i)["registration"] == "registered" for i in mine)
    # invoice for the batch: the institution's tax number is required
    r = inst.post(f"{page}/invoice", {"title": "北京信息职业技术学院", "tax_no": "", "email": "cw@example.org"})
    assert r.status_code == 200
    r = inst.post(f"{page}/invoice", {"title": "北京信息职业技术学院", "tax_no": "91110000400000001Y",
                                      "email": "cw@example.org"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.query(Invoice).filter_by(order_id=batch_id).one().tax_no == "91110000400000001Y"


def test_institution_sees_only_its_own_orders(app, login, plan):
    own, other = institution_id(app), other_institution_id(app)
    mine = approved_order(app, plan, person_id=spare_person(app), institution=own)
    theirs = approved_order(app, plan, person_id=spare_person(app), institution=other)
    inst = login("institution")
    listing = inst.get("/orderview/list/?psize_OrderView=100&_oc_OrderView=order_no&_od_OrderView=desc")
    assert listing.status_code == 200
    assert order_state(app, mine)["order_no"] in listing.text
    assert order_state(app, theirs)["order_no"] not in listing.text
    assert inst.get(f"/orderview/show/{theirs}").status_code == 404
    # a batch of the other institution is not reachable
    with app.app_context():
        other_user = PlatformUser(username=f"inst{next(_seq)}{datetime.datetime.now():%H%M%S%f}",
                                  first_name="他", last_name="机构", email=f"x{next(_seq)}@example.org",
                                  institution_id=other, active=True)
        other_user.roles = [app.appbuilder.sm.find_role("Institution")]
        db.session.add(other_user)
        db.session.flush()
        batch = payments.create_batch(other_user, [theirs])
        batch_id = batch.id
    assert inst.get(f"/batchpayment/{batch_id}").status_code == 404
    assert inst.post(f"/batchpayment/{batch_id}/pay").status_code == 404
    assert inst.post(f"/batchpayment/{batch_id}/cancel").status_code == 404
    assert order_state(app, batch_id)["status"] == "unpaid"
    # and no order of theirs through the Finance lists or the API either
    assert inst.get("/paymentview/list/").status_code in (302, 403)


# --- C5: invoices ------------------------------------------------------------------------------
def test_invoice_request_and_finance(app, candidate, plan, login, anon):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    page = f"/portal/me/orders/{order_id}"
    url = f"{page}/invoice"
    # not before the order is paid
    r = c.post(url, {"title": "张三丰", "tax_no": "", "email": "a@example.org"})
    with app.app_context():
        assert db.session.query(Invoice).filter_by(order_id=order_id).count() == 0
    assert notify(anon, signed(app, order_state(app, order_id)["order_no"], "380.00")) == "success"
    assert "发票抬头" in c.get(page).text
    bad = [({"title": "", "tax_no": "", "email": "a@example.org"}, "title"),
           ({"title": "张三丰", "tax_no": "12345", "email": "a@example.org"}, "tax_no"),
           ({"title": "张三丰", "tax_no": "91110000400000001X", "email": "a@example.org"}, "tax_no"),  # check digit
           ({"title": "张三丰", "tax_no": "", "email": "not-an-email"}, "email")]
    for data, field in bad:
        r = c.post(url, data)
        assert r.status_code == 400 and "has-error" in r.text, field
    with app.app_context():
        assert db.session.query(Invoice).filter_by(order_id=order_id).count() == 0
    r = c.post(url, {"title": "某某科技有限公司", "tax_no": "91110000400000001y", "email": "CW@Example.org"})
    assert r.status_code == 302
    with app.app_context():
        invoice = db.session.query(Invoice).filter_by(order_id=order_id).one()
        assert invoice.tax_no == "91110000400000001Y" and invoice.email == "cw@example.org"
        invoice_id = invoice.id
    r = c.post(url, {"title": "再来一张", "tax_no": "", "email": "a@example.org"})
    with app.app_context():
        assert db.session.query(Invoice).filter_by(order_id=order_id).count() == 1
    # Finance issues it; nobody else may
    assert login("institution").post(f"/invoiceview/action/invoice_done/{invoice_id}").status_code in (302, 403)
    assert get(app, Invoice, invoice_id).status == "requested"
    finance = login("finance")
    assert "某某科技有限公司" in finance.get("/invoiceview/list/").text
    assert finance.post(f"/invoiceview/action/invoice_done/{invoice_id}").status_code == 302
    assert get(app, Invoice, invoice_id).status == "done"
    assert notifications_of(app, phone, order_state(app, order_id)["order_no"]) >= 1


def test_invoice_refused_then_requested_again(app, candidate, plan, login, anon):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    assert notify(anon, signed(app, order_state(app, order_id)["order_no"], "380.00")) == "success"
    page = f"/portal/me/orders/{order_id}"
    c.post(f"{page}/invoice", {"title": "张三丰", "tax_no": "", "email": "a@example.org"})
    with app.app_context():
        invoice_id = db.session.query(Invoice).filter_by(order_id=order_id).one().id
    finance = login("finance")
    form_url = finance.post(f"/invoiceview/action/refuse_invoice/{invoice_id}").headers["Location"]
    r = finance.post(form_url, {"ids": str(invoice_id), "reason": "抬头有误"}, token_from=form_url)
    assert r.status_code == 302
    assert get(app, Invoice, invoice_id).status == "refused"
    r = c.post(f"{page}/invoice", {"title": "张三丰", "tax_no": "", "email": "a@example.org"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.query(Invoice).filter_by(order_id=order_id).count() == 2


# --- C6: refunds by the exam's policy --------------------------------------------------------------
def test_refund_allowed_and_approved(app, candidate, login, anon):
    c, phone, _number = candidate
    order_id = approved_order(app, make_plan(app, refundable=True), phone=phone)
    assert notify(anon, signed(app, order_state(app, order_id)["order_no"], "380.00")) == "success"
    page = f"/portal/me/orders/{order_id}"
    text = c.get(page).text
    assert "考试开始前可申请退费" in text and f"{page}/refund" in text
    r = c.post(f"{page}/refund", {"reason": " "})
    assert r.status_code == 400 and order_state(app, order_id)["status"] == "paid"
    r = c.post(f"{page}/refund", {"reason": "工作冲突无法参加"})
    assert r.status_code == 302 and order_state(app, order_id)["status"] == "refunding"
    with app.app_context():
        refund = db.session.query(Refund).filter_by(order_id=order_id).one()
        assert refund.amount == FEE and refund.status == "requested"
        refund_id = refund.id
    # a second request while one is open is refused
    c.post(f"{page}/refund", {"reason": "再申请"})
    with app.app_context():
        assert db.session.query(Refund).filter_by(order_id=order_id).count() == 1
    for username in ("association", "institution"):
        assert login(username).post(f"/refundview/action/approve_refund/{refund_id}").status_code in (302, 403)
    assert order_state(app, order_id)["status"] == "refunding"
    finance = login("finance")
    assert finance.post(f"/refundview/action/approve_refund/{refund_id}").status_code == 302
    state = order_state(app, order_id)
    assert state["status"] == "refunded" and state["registration"] == "given_up"
    refund = get(app, Refund, refund_id)
    assert refund.status == "done" and refund.handled_by_id is not None


def test_refund_refused_by_finance_keeps_the_order_paid(app, candidate, login, anon):
    c, phone, _number = candidate
    order_id = approved_order(app, make_plan(app, refundable=True), phone=phone)
    assert notify(anon, signed(app, order_state(app, order_id)["order_no"], "380.00")) == "success"
    page = f"/portal/me/orders/{order_id}"
    c.post(f"{page}/refund", {"reason": "个人原因"})
    with app.app_context():
        refund_id = db.session.query(Refund).filter_by(order_id=order_id).one().id
    finance = login("finance")
    form_url = finance.post(f"/refundview/action/refuse_refund/{refund_id}").headers["Location"]
    r = finance.post(form_url, {"ids": str(refund_id), "reason": "已过退费期限"}, token_from=form_url)
    assert r.status_code == 302
    state = order_state(app, order_id)
    assert state["status"] == "paid" and state["registration"] == "registered"
    assert get(app, Refund, refund_id).status == "refused"
    assert notifications_of(app, phone, state["order_no"]) >= 1


def test_refund_refused_by_policy(app, candidate, anon):
    c, phone, _number = candidate
    order_id = approved_order(app, make_plan(app, refundable=False), phone=phone)
    page = f"/portal/me/orders/{order_id}"
    # unpaid: nothing to refund
    c.post(f"{page}/refund", {"reason": "不想考了"})
    assert order_state(app, order_id)["status"] == "unpaid"
    assert notify(anon, signed(app, order_state(app, order_id)["order_no"], "380.00")) == "success"
    text = c.get(page).text
    assert f"{page}/refund" not in text and ("不可退" in text or "not refundable" in text)
    r = c.post(f"{page}/refund", {"reason": "不想考了"})
    assert r.status_code == 302 and order_state(app, order_id)["status"] == "paid"
    with app.app_context():
        assert db.session.query(Refund).filter_by(order_id=order_id).count() == 0
    # a refundable exam that has started takes no refund either
    started = make_plan(app, refundable=True)
    other = approved_order(app, started, phone=phone)
    assert notify(anon, signed(app, order_state(app, other)["order_no"], "380.00")) == "success"
    with app.app_context():
        db.session.get(ExamPlan, started).exam_start = datetime.datetime.now() - datetime.timedelta(hours=1)
        db.session.commit()
    page = f"/portal/me/orders/{other}"
    assert f"{page}/refund" not in c.get(page).text
    c.post(f"{page}/refund", {"reason": "考试已开始"})
    assert order_state(app, other)["status"] == "paid"
    with app.app_context():
        assert db.session.query(Refund).filter_by(order_id=other).count() == 0


# --- C7: records and reconciliation --------------------------------------------------------------
def test_reconciliation_export(app, candidate, plan, login, anon):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    params = signed(app, order_state(app, order_id)["order_no"], "380.00")
    assert notify(anon, params) == "success"
    today = datetime.date.today().isoformat()
    finance = login("finance")
    page = finance.get(f"/orderview/reconciliation/?start={today}&end={today}")
    assert page.status_code == 200 and params["trade_no"] in page.text
    r = finance.get(f"/orderview/reconciliation/?start={today}&end={today}&download=1")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    book = openpyxl.load_workbook(io.BytesIO(r.data), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] in ("订单号", "Order number") and len(rows[0]) == 9
    mine = [row for row in rows if row[0] == params["order_no"]]
    assert len(mine) == 1 and mine[0][3] == 380 and mine[0][5] == params["trade_no"]
    assert rows[-1][3] == sum(row[3] for row in rows[1:-1])
    # an empty range has only the header and the total
    r = finance.get("/orderview/reconciliation/?start=2001-01-01&end=2001-01-31&download=1")
    assert len(list(openpyxl.load_workbook(io.BytesIO(r.data), read_only=True).active.iter_rows())) == 2
    assert finance.get("/orderview/reconciliation/?start=bad&download=1").status_code == 400
    for username in ("institution", "association", "support"):
        assert login(username).get("/orderview/reconciliation/?download=1").status_code in (302, 403), username
    assert c.get("/orderview/reconciliation/?download=1").status_code in (302, 403)


# --- who may see what ----------------------------------------------------------------------------
def test_a_candidate_reaches_only_own_orders(app, candidate, plan, login):
    c, phone, _number = candidate
    order_id = approved_order(app, plan, phone=phone)
    order_no = order_state(app, order_id)["order_no"]
    intruder = login("candidate")
    assert order_no not in intruder.get("/portal/me/orders").text
    base = f"/portal/me/orders/{order_id}"
    assert intruder.get(base).status_code == 404
    assert intruder.get(f"{base}/return").status_code == 404
    for action in ("pay", "voucher", "invoice", "refund", "renew"):
        r = intruder.post(f"{base}/{action}", {"reason": "x", "title": "x", "email": "a@example.org"})
        assert r.status_code == 404, action
    assert order_state(app, order_id)["payments"] == 0
    # the candidate never reaches the back office
    for url in ("/orderview/list/", "/paymentview/list/", "/refundview/list/", "/invoiceview/list/",
                "/batchpayment/", f"/orderview/show/{order_id}"):
        r = c.get(url)
        assert r.status_code in (302, 403), url
        if r.status_code == 302:
            assert "/login" in r.headers["Location"] or r.headers["Location"].endswith("/"), url
    # anonymous: to the login page
    anon = Client(app)
    r = anon.get(base)
    assert r.status_code == 302 and "/portal/login" in r.headers["Location"]


def test_finance_role_menus_and_lists(app, login):
    finance = login("finance")
    assert "/orderview/reconciliation/" in finance.get("/orderview/list/").text
    assert "/orderview/reconciliation/" not in login("association").get("/orderview/list/").text
    for url in ("/orderview/list/", "/paymentview/list/", "/invoiceview/list/", "/refundview/list/",
                "/orderview/reconciliation/"):
        assert finance.get(url).status_code == 200, url
    # orders are never typed in or edited by hand
    for url in ("/orderview/add", "/paymentview/add", "/orderview/edit/1", "/orderview/delete/1"):
        assert finance.get(url).status_code in (302, 403, 404, 405), url
    assert login("association").get("/paymentview/list/").status_code == 200  # reads, does not decide
    assert login("institution").get("/batchpayment/").status_code == 200


def test_sandbox_pay_link_is_signed(app, anon):
    assert anon.get("/sandbox-gateway/pay/not-a-token").status_code == 410
    # the sandbox is off when another gateway is configured
    app.config["PAYMENT_GATEWAY"] = "elsewhere"
    try:
        assert anon.get("/sandbox-gateway/pay/not-a-token").status_code == 404
        assert anon.post("/payments/notify/sandbox", data={"order_no": "x"}).text == "fail"
    finally:
        app.config["PAYMENT_GATEWAY"] = "sandbox"


def test_demo_payments_are_idempotent(app):
    from app.demo_payments import demo_payments

    with app.app_context():
        demo_payments()
        count = db.session.query(Payment).count()
        demo_payments()
        assert db.session.query(Payment).count() == count > 0
