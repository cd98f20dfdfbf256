"""Institution accounts, real-name verification, the SMS outbox and the HTTP
SMS provider (SPEC A9, A10, issue 3 §3)."""
import http.server
import json
import threading

import pytest
from stdnum.cn import uscc

from app.extensions import db
from models import Delivery, Institution, Matter, Person, PlatformUser
from tests.conftest import Client
from tests.portal_helpers import captcha_answer, new_phone
from tests.test_portal_profile import picture, upload


def valid_uscc(seed):
    body = f"9111000{seed:010d}"[:17]
    return body + uscc.calc_check_digit(body)


def test_institution_registers_and_is_approved(app, login):
    phone = new_phone()
    c = Client(app)
    c.get("/portal/institutions/register")
    form = {"name": "杭州测试职业技术学院", "uscc": valid_uscc(int(phone[-8:])), "contact_name": "李老师",
            "phone": phone, "email": f"inst{phone}@example.org", "password": "Inst2026x", "password2": "Inst2026x",
            "captcha": captcha_answer(c)}
    assert "已收到" in c.post("/portal/institutions/register", form).text
    with app.app_context():
        institution = db.session.query(Institution).filter_by(name="杭州测试职业技术学院").one()
        user = db.session.query(PlatformUser).filter_by(phone=phone).one()
        matter = db.session.query(Matter).filter_by(type_code="institution_registration",
                                                     institution_id=institution.id).one()
        assert institution.status == "reviewing" and not user.active and matter.state == "association_review"
        mid = matter.id
    assert Client(app).login(phone, "Inst2026x").headers["Location"].startswith("/login")  # not yet
    assoc = login("association")
    assoc.post("/matterview/transition/pass_association_review", {"ids": str(mid)},
               token_from=f"/matterview/transition/pass_association_review?ids={mid}")
    with app.app_context():
        assert db.session.get(Institution, institution.id).status == "approved"
        assert db.session.query(PlatformUser).filter_by(phone=phone).one().active
        assert db.session.query(Delivery).filter_by(recipient=f"inst{phone}@example.org").count() >= 1
    inst = Client(app)
    assert inst.login(phone, "Inst2026x").status_code == 302
    rooms = inst.get("/roomview/list/")
    assert rooms.status_code == 200 and "教学楼" not in rooms.text  # a new institution has no rooms


def test_institution_registration_refuses_bad_input(app):
    c = Client(app)
    base = {"name": "测试学院二", "contact_name": "王老师", "phone": new_phone(), "email": "x2@example.org",
            "password": "Inst2026x", "password2": "Inst2026x"}
    for change, word in (({"uscc": "911100004000000010"}, "信用代码"),
                         ({"uscc": valid_uscc(1), "name": "北京信息职业技术学院"}, "已注册"),
                         ({"uscc": "91110000400000001Y"}, "信用代码")):  # the demo institution's code
        c.get("/portal/institutions/register")
        r = c.post("/portal/institutions/register", {**base, **change, "captcha": captcha_answer(c)})
        assert r.status_code == 200 and word in r.text, word
    with app.app_context():
        assert db.session.query(Institution).filter_by(name="测试学院二").count() == 0


def test_real_name_verification(app, candidate):
    c, phone, _n = candidate
    r = c.post("/portal/me/realname", {}, token_from="/portal/me", follow_redirects=True)
    assert "照片" in r.text
    with app.app_context():
        assert not db.session.query(Person).filter_by(phone=phone).one().realname_verified
    upload(c, "/portal/me/photo", picture())
    r = c.post("/portal/me/realname", {}, token_from="/portal/me", follow_redirects=True)
    assert "实名认证通过" in r.text and "已实名" in r.text, r.text[-3000:]
    with app.app_context():
        assert db.session.query(Person).filter_by(phone=phone).one().realname_verified


def test_the_outbox_shows_codes_to_admin_only(app, login):
    admin = login("admin").get("/deliveryview/list/")
    assert admin.status_code == 200 and "验证码" in admin.text
    assert login("association").get("/deliveryview/list/").status_code in (302, 403)


def test_http_sms_provider(app):
    """The HTTP adapter posts to the configured gateway (a local one here) and records failures."""
    received = []

    class Gateway(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.headers["Authorization"], body))
            self.send_response(200 if body["phone"] != "13900000000" else 503)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    saved = {k: app.config[k] for k in ("SMS_BACKEND", "SMS_HTTP_URL", "SMS_HTTP_TOKEN")}
    app.config.update(SMS_BACKEND="app.services.delivery.HttpSmsBackend",
                      SMS_HTTP_URL=f"http://127.0.0.1:{server.server_port}/send", SMS_HTTP_TOKEN="t0ken")
    try:
        from app.tasks import deliver

        with app.app_context():
            ok = Delivery(channel="sms", recipient="13700009999", body="您的验证码为 123456")
            bad = Delivery(channel="sms", recipient="13900000000", body="x")
            db.session.add_all([ok, bad])
            db.session.commit()
            assert deliver.apply(args=[ok.id]).get() == "sent"
            with pytest.raises(OSError):  # the gateway's 503 (HTTPError) is raised and recorded
                deliver.apply(args=[bad.id], throw=True).get()
            db.session.expire_all()
            assert db.session.get(Delivery, bad.id).status == "failed"
        assert received[0] == ("Bearer t0ken", {"phone": "13700009999", "text": "您的验证码为 123456",
                                                "sign": app.config["SMS_HTTP_SIGN"]})
    finally:
        app.config.update(saved)
        server.shutdown()
